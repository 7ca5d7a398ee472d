/**
 * Suppression comments from the command line, run as the built binary: MH002 (unused
 * suppressions) and its fix, `--add-noqa`, and the progress bar of long runs, on a
 * pseudo-terminal (util-linux `script`) and off one.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, CHECK, memhint, tempDir, writeTree } from "./helpers/cli.js";

const BAD = "total = sum([i * i for i in range(10**6)])";

describe("MH002 unused-suppression", () => {
  it("reports a suppression that suppresses nothing, and --fix removes only memhint's codes", () => {
    const dir = tempDir();
    const source = [
      `${BAD}  # noqa: MH101`,
      "x = 1  # noqa: E501, MH101",
      "y = 2  # memhint: ignore[MH101]",
      "z = 3  # noqa",
      "w = 4  # noqa: E501",
      "",
    ].join("\n");
    writeTree(dir, { "a.py": source });
    const r = memhint([...CHECK, "--output-format", "concise"], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe([
      "a.py:2:8: MH002 [*] Unused suppression: MH101 is not reported on this line",
      "a.py:3:8: MH002 [*] Unused suppression: MH101 is not reported on this line",
      "Found 2 findings (2 fixable with --fix).",
      "",
    ].join("\n"));
    const fixed = memhint([...CHECK, "--fix"], dir);
    expect(fixed.status).toBe(0);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe([`${BAD}  # noqa: MH101`, "x = 1  # noqa: E501", "y = 2", "z = 3  # noqa", "w = 4  # noqa: E501", ""].join("\n"));
  });

  it("leaves alone suppressions of rules that are not enabled (opt-in rules are off by default)", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": "x = 1  # noqa: MH101\n" });
    expect(memhint(["check"], dir).status).toBe(0);
    expect(memhint([...CHECK, "--ignore", "MH101"], dir).status).toBe(0);
    expect(memhint(["check", "--select", "MH101"], dir).stdout).toBe("All checks passed.\n"); // MH002 itself not selected
    expect(memhint(["check", "--select", "MH101,MH002"], dir).stdout).toMatch(/^a\.py:1:8: MH002 /);
  });
});

describe("--add-noqa", () => {
  it("suppresses every finding, extending comments already there, and a second run adds nothing", () => {
    const dir = tempDir();
    const source = [
      `${BAD}  # noqa: E501`,
      `${BAD}; t = max([i for i in range(10**6)])`,
      `u = 1  # memhint: ignore[MH102]`,
      `s = """`,
      `""" + str(${BAD.slice(8)})`,
      "",
    ].join("\n");
    writeTree(dir, { "a.py": source.replace("u = 1", `u = ${BAD.slice(8)}`) });
    const r = memhint([...CHECK, "--add-noqa"], dir);
    expect(r.stderr).toBe("");
    // MH102 named on line 3 suppresses nothing: MH002 says so, and --add-noqa leaves it to --fix.
    const unused = "a.py:3:41: MH002 [*] Unused suppression: MH102 is not reported on this line\nFound 1 finding (1 fixable with --fix).\n";
    expect(r.stdout).toBe(`a.py: added 4 suppression comments (MH101 x5)\n${unused}`);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe([
      `${BAD}  # noqa: E501, MH101`,
      `${BAD}; t = max([i for i in range(10**6)])  # noqa: MH101`,
      `u = ${BAD.slice(8)}  # memhint: ignore[MH102, MH101]`,
      `s = """`,
      `""" + str(${BAD.slice(8)})  # noqa: MH101`,
      "",
    ].join("\n"));
    const again = memhint([...CHECK, "--add-noqa"], dir);
    expect(again.stdout).toBe(unused);
    expect(memhint([...CHECK, "--fix"], dir).status).toBe(0);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toContain(`u = ${BAD.slice(8)}  # memhint: ignore[MH101]\n`);
  });

  it("skips, with a notice, a finding no comment can cover: its lines end inside a multi-line string", () => {
    const dir = tempDir();
    const source = `doc = g("""x""", ${BAD.slice(8)}, """\n""")\n`;
    writeTree(dir, { "a.py": source });
    const r = memhint([...CHECK, "--add-noqa"], dir);
    expect(r.stderr).toBe("a.py:1: not suppressed: MH101 is on a line that cannot take a comment (inside a multi-line string, or continued with \\)\n");
    expect(r.stdout).toMatch(/^a\.py:1:\d+: MH101 .*\nFound 1 finding/);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(source);
  });

  it("refuses --fix, --diff and stdin, in one line, exit 2", () => {
    const dir = tempDir();
    for (const [args, message] of [
      [["--add-noqa", "--fix"], "--add-noqa cannot be combined with --fix"],
      [["--add-noqa", "--diff"], "--add-noqa cannot be combined with --diff"],
      [["--add-noqa", "-"], "--add-noqa writes files; it cannot read stdin"],
    ] as const) {
      const r = memhint(["check", ...args], dir, "");
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`memhint check: ${message}\nRun "memhint check --help" for usage.\n`);
    }
  });
});

describe("progress bar", () => {
  const manyFiles = (count: number): string => {
    const dir = tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < count; i++) files[`m${String(i).padStart(3, "0")}.py`] = `x${i} = [${i}]\n`;
    writeTree(dir, files);
    return dir;
  };
  const onTerminal = (dir: string, env: NodeJS.ProcessEnv): string => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check --select ALL --jobs 1`;
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: dir, encoding: "utf8", env, timeout: 60_000 });
    expect(r.status).toBe(0);
    return r.stdout;
  };
  const { CI: _ci, ...environment } = process.env;

  it("shows a bar on a terminal for runs over 100 files, and erases it before the summary", () => {
    const out = onTerminal(manyFiles(101), environment);
    expect(out).toMatch(/\r\[#*-*\] \d+\/101 files\u001b\[K/);
    expect(out).toContain("\r\u001b[KAll checks passed.");
    expect(out).toMatch(/Checked 101 files in \d+\.\d\ds\.\r\n$/);
  });

  it("shows nothing for 100 files, in CI, or when stderr is not a terminal", () => {
    const hundred = onTerminal(manyFiles(100), environment);
    expect(hundred).not.toContain("files\u001b[K");
    const dir = manyFiles(101);
    expect(onTerminal(dir, { ...environment, CI: "true" })).not.toContain("files\u001b[K");
    const piped = memhint([...CHECK], dir);
    expect(piped.stderr).toBe("");
    expect(piped.stdout).toBe("All checks passed.\n");
  });
});
