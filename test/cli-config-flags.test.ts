/**
 * Every setting from the command line: the flags made from the config key table (server/config.ts)
 * and ruff's `--config "key = value"`, over the config files.
 */
import { describe, expect, it } from "vitest";
import { configFileKeys, DEFAULT_EXCLUDE, NO_FLAG, settingFlags } from "../server/config.js";
import { memhint, tempDir, writeTree } from "./helpers/cli.js";

/** MH101 on line 1 (≈ 38 MiB) and MH103 on line 3. */
const BAD = "total = sum([i * i for i in range(10**6)])\ndef f(p):\n    for line in open(p).read().splitlines():\n        print(line)\n";

const concise = ["check", "--output-format", "concise", "--quiet"];

function codesIn(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.trim() !== "").map((l) => `${l.split(":")[0]} ${/ (MH\d{3}) /.exec(l)?.[1]}`);
}

function shown(dir: string, args: string[], target = "a.py"): Record<string, unknown> {
  const ran = memhint(["check", "--show-settings", target, ...args], dir);
  expect(ran.stderr).toBe("");
  expect(ran.status).toBe(0);
  return JSON.parse(ran.stdout).settings;
}

/** For each flag: arguments setting it, and what --show-settings must then show (key → value). */
function sample(name: string, kind: string, dir: string): { args: string[]; expected: Record<string, unknown> } {
  switch (kind) {
    case "bool":
      return { args: [`--${name}`], expected: { [name]: true } };
    case "positive-int":
      return { args: [`--${name}`, "4242"], expected: { [name]: 4242 } };
    case "target-version":
      return { args: [`--${name}`, "py311"], expected: { [name]: "py311" } };
    case "severity":
      return { args: [`--${name}`, "mh101=error,MH103=hint"], expected: { severity: { MH101: "error", MH103: "hint" } } };
    case "selectors":
      return { args: [`--${name}`, "MH2"], expected: { select: ["MH", "MH2"] } };
    case "patterns":
      return { args: [`--${name}`, "gen,build"], expected: { exclude: name === "exclude" ? ["gen", "build"] : [...DEFAULT_EXCLUDE, "gen", "build"] } };
    case "per-file-ignores":
      return { args: [`--${name}`, "tests/*.py:MH101,mh2"], expected: { [name]: [{ pattern: "tests/*.py", relativeTo: dir, codes: ["MH101", "MH2"] }] } };
    default:
      throw new Error(`no sample for ${kind}`);
  }
}

describe("memhint check: every setting from the command line", () => {
  it("has a flag, listed by --help, for every config key but those with a stated reason", () => {
    const help = memhint(["check", "--help"], tempDir()).stdout;
    const flags = new Set(settingFlags().map((f) => f.name));
    for (const key of configFileKeys()) {
      if (key in NO_FLAG) {
        expect(flags.has(key)).toBe(false);
        continue;
      }
      expect(flags.has(key), key).toBe(true);
      expect(help, key).toMatch(new RegExp(`^  --(\\[no-\\])?${key}\\b`, "m"));
    }
    expect(help).toContain("--select CODES");
    expect(help).toContain('--config "KEY = VALUE"');
  });

  it("sets each key as --show-settings shows it", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    for (const flag of settingFlags()) {
      const { args, expected } = sample(flag.name, flag.kind, dir);
      expect(shown(dir, args), flag.name).toMatchObject(expected);
      if (flag.kind === "bool") expect(shown(dir, [`--no-${flag.name}`])[flag.name], flag.name).toBe(false);
    }
  });

  it("wins over the config files, each of them", () => {
    const dir = tempDir();
    writeTree(dir, {
      "pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\nmin-size-bytes = 999999999\ncheck-test-code = true\n',
      "a.py": BAD,
      "sub/memhint.toml": 'select = ["MH103"]\nmin-size-bytes = 999999999\n',
      "sub/s.py": BAD,
    });
    expect(codesIn(memhint(concise, dir).stdout)).toEqual(["a.py MH103", "sub/s.py MH103"]);
    expect(codesIn(memhint([...concise, "--min-size-bytes", "1024"], dir).stdout)).toEqual(["a.py MH101", "a.py MH103", "sub/s.py MH103"]);
    expect(codesIn(memhint([...concise, "--min-size-bytes", "1024", "--extend-select", "MH101"], dir).stdout)).toEqual(["a.py MH101", "a.py MH103", "sub/s.py MH101", "sub/s.py MH103"]);
    expect(shown(dir, ["--no-check-test-code"])["check-test-code"]).toBe(false);
    // --select X --extend-select Y checks both, as in ruff.
    expect(codesIn(memhint([...concise, "--select", "MH103", "--extend-select", "MH101", "--min-size-bytes", "1024", "a.py"], dir).stdout)).toEqual(["a.py MH101", "a.py MH103"]);
  });

  it("--per-file-ignores refuses a glob without codes", () => {
    const ran = memhint(["check", "--per-file-ignores", "tests/*.py:", "."], tempDir());
    expect(ran.status).toBe(2);
    expect(ran.stderr).toContain('--per-file-ignores: expected GLOB:CODES (such as "tests/*.py:MH101,MH2"), got "tests/*.py:"');
  });

  it("--per-file-ignores takes globs relative to the current folder, added to the files' own", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": 'select = ["ALL"]\n[per-file-ignores]\n"a.py" = ["MH103"]\n', "a.py": BAD, "sub/s.py": BAD, "sub/t.py": BAD });
    const ran = memhint([...concise, "--per-file-ignores", "sub/s.py:MH101", "--per-file-ignores", "sub/t.py:MH1"], dir);
    expect(codesIn(ran.stdout)).toEqual(["a.py MH101", "sub/s.py MH103"]);
    // From a subfolder, the glob is relative to it.
    expect(codesIn(memhint([...concise, "--per-file-ignores", "s.py:MH101", "."], `${dir}/sub`).stdout)).toEqual(["s.py MH103", "t.py MH101", "t.py MH103"]);
    // A per-file ignore always wins, even over a more specific selector, as in ruff.
    expect(codesIn(memhint([...concise, "--select", "MH101,MH103", "--per-file-ignores", "sub/*.py:MH1"], dir).stdout)).toEqual(["a.py MH101"]);
  });

  it("--exclude, --extend-exclude and --force-exclude decide the files as the keys do", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": "x = 1\n", "gen/g.py": "x = 1\n", "venv/v.py": "x = 1\n" });
    const files = (args: string[]): string[] => memhint(["check", "--show-files", ...args], dir).stdout.split("\n").filter(Boolean);
    expect(files([])).toEqual(["a.py", "gen/g.py"]);
    expect(files(["--extend-exclude", "gen"])).toEqual(["a.py"]);
    expect(files(["--exclude", "gen"])).toEqual(["a.py", "venv/v.py"]);
    expect(files(["--extend-exclude", "gen", "gen/g.py"])).toEqual(["gen/g.py"]);
    expect(files(["--extend-exclude", "gen", "--force-exclude", "gen/g.py", "a.py"])).toEqual(["a.py"]);
    // Without a config file the default excludes are relative to the current folder too, as a
    // pre-commit hook needs: a named file under `venv/` is excluded by `--force-exclude` alone.
    expect(files(["--force-exclude", "venv/v.py", "a.py"])).toEqual(["a.py"]);
    expect(files(["venv/v.py", "a.py"])).toEqual(["a.py", "venv/v.py"]);
    writeTree(dir, { "memhint.toml": 'extend-exclude = ["gen"]\nforce-exclude = true\n' });
    expect(files(["gen/g.py", "a.py"])).toEqual(["a.py"]);
    expect(files(["--no-force-exclude", "gen/g.py", "a.py"])).toEqual(["a.py", "gen/g.py"]);
  });

  it('--config "key = value" sets any key in TOML, over the files; a flag wins over it; it combines with --config PATH', () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, "big.toml": 'select = ["ALL"]\nmin-size-bytes = 999999999\n' });
    expect(shown(dir, ["--config", "min-size-bytes = 2048", "--config", 'severity = { MH101 = "error" }'])).toMatchObject({ "min-size-bytes": 2048, severity: { MH101: "error" } });
    expect(shown(dir, ["--config", "min-size-bytes = 2048", "--min-size-bytes", "4096"])["min-size-bytes"]).toBe(4096);
    expect(codesIn(memhint([...concise, "--config", "big.toml"], dir).stdout)).toEqual(["a.py MH103"]);
    expect(codesIn(memhint([...concise, "--config", "big.toml", "--config", "min-size-bytes=1024"], dir).stdout)).toEqual(["a.py MH101", "a.py MH103"]);
    expect(codesIn(memhint([...concise, "--no-config", "--config", 'select=["MH103"]'], dir).stdout)).toEqual(["a.py MH103"]);
    expect(shown(dir, ["--config", 'per-file-ignores = { "t/*.py" = ["MH101"] }'])["per-file-ignores"]).toEqual([{ pattern: "t/*.py", relativeTo: dir, codes: ["MH101"] }]);
  });

  it.each([
    [["--min-size-bytes", "lots"], 'memhint check: --min-size-bytes: expected a positive integer, got the string "lots"'],
    [["--min-size-bytes", "0"], "memhint check: --min-size-bytes: expected a positive integer, got the number 0"],
    [["--target-version", "py27"], 'memhint check: --target-version: expected one of "py38", "py39", "py310", "py311", "py312", "py313", got the string "py27"'],
    [["--extend-select", "MH9"], 'memhint check: --extend-select[0]: unknown rule code or prefix "MH9"; known codes: MH000, MH001, MH002, MH101, MH102, MH103, MH104, MH201, MH202, MH203, MH204, MH301'],
    [["--extend-select", ","], "memhint check: --extend-select needs at least one value"],
    [["--severity", "MH101"], 'memhint check: --severity: expected CODE=LEVEL (such as MH101=error), got "MH101"'],
    [["--severity", "MH101=loud"], 'memhint check: --severity.MH101: expected one of "error", "warning", "information", "hint", got the string "loud"'],
    [["--per-file-ignores", "a.py"], 'memhint check: --per-file-ignores: expected GLOB:CODES (such as "tests/*.py:MH101,MH2"), got "a.py"'],
    [["--check-test-code", "--no-check-test-code"], "memhint check: --check-test-code and --no-check-test-code cannot be combined"],
    [["--config", "min-sise-bytes = 1"], 'memhint check: --config: unknown key "min-sise-bytes"; did you mean "min-size-bytes"?'],
    [["--config", "min-size-bytes ="], 'memhint check: --config: "min-size-bytes =" is neither a config file nor a TOML "key = value" pair (invalid value)'],
    [["--config", 'extend = "x.toml"'], 'memhint check: --config: "extend" names another config file; give that file with --config PATH instead'],
    [["--config", "a.toml", "--config", "b.toml"], 'memhint check: --config names one config file, not several ("a.toml" and "b.toml")'],
    [["--check-tests-code"], "memhint check: unknown option --check-tests-code (did you mean --check-test-code?)"],
  ])("%j: exit 2, one line", (args, message) => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const ran = memhint(["check", ...args], dir);
    expect(ran.status).toBe(2);
    expect(ran.stdout).toBe("");
    expect(ran.stderr).toBe(`${message}\nRun "memhint check --help" for usage.\n`);
  });
});
