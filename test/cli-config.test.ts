/** `memhint check` with configuration as ruff finds it: per-file discovery, extend, per-file-ignores, force-exclude. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memhint, tempDir, writeTree } from "./helpers/cli.js";

/** MH101 on line 1 and MH103 on line 3. */
const BAD = "total = sum([i * i for i in range(10**6)])\ndef f(p):\n    for line in open(p).read().splitlines():\n        print(line)\n";

const concise = ["check", "--output-format", "concise", "--quiet"];

function codesIn(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.trim() !== "").map((l) => `${l.split(":")[0]} ${/ (MH\d{3}) /.exec(l)?.[1]}`);
}

describe("memhint check: the nearest config file for each file", () => {
  function project(): string {
    const dir = tempDir();
    writeTree(dir, {
      "pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\n',
      "a.py": BAD,
      "sub/pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\nignore = ["MH103"]\n',
      "sub/s.py": BAD,
    });
    return dir;
  }

  it("uses sub/pyproject.toml for sub/s.py whether the run starts at the root or in sub", () => {
    const dir = project();
    const fromRoot = memhint(concise, dir);
    expect(codesIn(fromRoot.stdout)).toEqual(["a.py MH101", "a.py MH103", "sub/s.py MH101"]);
    const fromSub = memhint([...concise, "sub"], dir);
    expect(codesIn(fromSub.stdout)).toEqual(["sub/s.py MH101"]);
    expect(codesIn(memhint([...concise, "sub/s.py", "a.py"], dir).stdout)).toEqual(["a.py MH101", "a.py MH103", "sub/s.py MH101"]);
  });

  it("without a config file, a file has the same project path whether the run names its folder or the current one", () => {
    const dir = tempDir();
    // `b/tests/helpers.py` is test code (a `tests` folder) in both runs: silent, size evidence or not.
    writeTree(dir, { "b/tests/helpers.py": "import sys\nrows = sys.stdin.readlines()\nprint(sum([len(r) for r in rows]))\n", "b/app.py": "import sys\nrows = sys.stdin.readlines()\nprint(sum([len(r) for r in rows]))\n" });
    const run = (...paths: string[]) => memhint([...concise, "--select", "ALL", "--no-cache", ...paths], dir).stdout;
    expect(run("b/tests")).toBe("");
    expect(run(".")).toBe(run("b"));
    expect(run(".")).toMatch(/^b\/app\.py:3:11: MH101 /);
  });

  it("--config forces one file for every path", () => {
    const dir = project();
    writeTree(dir, { "only101.toml": 'select = ["MH101"]\n' });
    expect(codesIn(memhint([...concise, "--config", "only101.toml"], dir).stdout)).toEqual(["a.py MH101", "sub/s.py MH101"]);
  });

  it("each folder's exclude applies to its own files", () => {
    const dir = project();
    writeTree(dir, { "sub/pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\nextend-exclude = ["gen_*.py"]\n', "sub/gen_x.py": BAD, "gen_y.py": BAD });
    expect(memhint(["check", "--show-files"], dir).stdout.split("\n").filter(Boolean)).toEqual(["a.py", "gen_y.py", "sub/s.py"]);
  });
});

describe("memhint check: extend", () => {
  it("inherits from the file named, relative to the file that names it, and overrides it", () => {
    const dir = tempDir();
    writeTree(dir, {
      "base/shared.toml": 'select = ["ALL"]\nlru-cache-maxsize = 512\nignore = ["MH101"]\n',
      "pkg/pyproject.toml": '[tool.memhint]\nextend = "../base/shared.toml"\nignore = ["MH103"]\n',
      "pkg/m.py": BAD,
    });
    expect(codesIn(memhint(concise, dir).stdout)).toEqual(["pkg/m.py MH101"]);
    const shown = JSON.parse(memhint(["check", "--show-settings", "pkg/m.py"], dir).stdout);
    expect(shown["config-file"]).toBe(join(dir, "pkg", "pyproject.toml"));
    expect(shown["extended-files"]).toEqual([join(dir, "base", "shared.toml")]);
    expect(shown.settings).toMatchObject({ select: ["ALL"], ignore: ["MH103"], "lru-cache-maxsize": 512 });
  });

  it("a cycle is an error naming the chain, exit 2", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": 'extend = "other.toml"\n', "other.toml": 'extend = "memhint.toml"\n', "x.py": BAD });
    const ran = memhint(["check"], dir);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toContain("cycle");
    expect(ran.stderr).toContain(`${join(dir, "memhint.toml")} -> ${join(dir, "other.toml")} -> ${join(dir, "memhint.toml")}`);
    expect(ran.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a missing extended file is an error naming the key", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": 'extend = "nope.toml"\n', "x.py": BAD });
    expect(memhint(["check"], dir)).toMatchObject({ status: 2, stderr: expect.stringContaining('memhint.toml: extend: cannot read "nope.toml"') });
  });
});

describe("memhint check: per-file-ignores, extend-select, force-exclude", () => {
  it("per-file-ignores patterns are relative to the config file's folder", () => {
    const dir = tempDir();
    writeTree(dir, {
      "pkg/pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\n[tool.memhint.per-file-ignores]\n"scripts/*.py" = ["MH103"]\n"__init__.py" = ["MH1"]\n',
      "pkg/scripts/run.py": BAD,
      "pkg/lib.py": BAD,
      "pkg/deep/__init__.py": BAD,
      "scripts/top.py": BAD,
    });
    expect(codesIn(memhint(concise, join(dir, "pkg")).stdout)).toEqual(["lib.py MH101", "lib.py MH103", "scripts/run.py MH101"]);
  });

  it("extend-select adds to the default selection", () => {
    const dir = tempDir();
    // MH103 is opt-in: on by default nothing reports it.
    writeTree(dir, { "x.py": BAD });
    expect(codesIn(memhint(concise, dir).stdout)).not.toContain("x.py MH103");
    writeTree(dir, { "memhint.toml": 'extend-select = ["MH103"]\n' });
    expect(codesIn(memhint(concise, dir).stdout)).toContain("x.py MH103");
  });

  it("force-exclude applies exclude to files named on the command line", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": 'select = ["ALL"]\nextend-exclude = ["generated"]\n', "generated/g.py": BAD, "ok.py": BAD });
    expect(codesIn(memhint([...concise, "generated/g.py", "ok.py"], dir).stdout)).toContain("generated/g.py MH101");
    writeTree(dir, { "memhint.toml": 'select = ["ALL"]\nextend-exclude = ["generated"]\nforce-exclude = true\n' });
    expect(codesIn(memhint([...concise, "generated/g.py", "ok.py"], dir).stdout)).toEqual(["ok.py MH101", "ok.py MH103"]);
  });
});

describe("memhint check: --config and errors", () => {
  it("--config accepts a pyproject.toml, or any file holding only a [tool.memhint] table", () => {
    const dir = tempDir();
    writeTree(dir, { "conf/pyproject.toml": '[project]\nname = "x"\n[tool.memhint]\nselect = ["MH103"]\n', "conf/lint.toml": '[tool.memhint]\nselect = ["MH101"]\n', "x.py": BAD });
    expect(codesIn(memhint([...concise, "--config", "conf/pyproject.toml"], dir).stdout)).toEqual(["x.py MH103"]);
    expect(codesIn(memhint([...concise, "--config", "conf/lint.toml"], dir).stdout)).toEqual(["x.py MH101"]);
  });

  it("a mistyped key gets 'did you mean', exit 2, one line", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nper-file-ignore = {}\n', "x.py": BAD });
    const ran = memhint(["check"], dir);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toBe(`memhint check: configuration error: ${join(dir, "pyproject.toml")}: unknown key "tool.memhint.per-file-ignore"; did you mean "per-file-ignores"?\n`);
  });

  it("a bad per-file-ignores entry names the file, the key and the pattern", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": '[per-file-ignores]\n"tests/*" = ["MH999"]\n', "x.py": BAD });
    const ran = memhint(["check"], dir);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toContain('memhint.toml: per-file-ignores."tests/*"[0]: unknown rule code or prefix "MH999"');
  });

  it("a bad config in a sub-folder found during the walk is exit 2", () => {
    const dir = tempDir();
    writeTree(dir, { "x.py": BAD, "sub/memhint.toml": "selekt = []\n", "sub/y.py": BAD });
    const ran = memhint(["check"], dir);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toContain('unknown key "selekt"; did you mean "select"?');
  });
});

describe("memhint check --show-settings", () => {
  it("prints config-file key names, and the codes an empty select stands for", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nhuge-allocation-bytes = 1000\n[tool.memhint.per-file-ignores]\n"t/*" = ["MH101"]\n', "t/x.py": BAD });
    const shown = JSON.parse(memhint(["check", "--show-settings", "t/x.py"], dir).stdout);
    expect(shown.settings["huge-allocation-bytes"]).toBe(1000);
    expect(shown.settings.hugeAllocationBytes).toBeUndefined();
    expect(shown.settings.select).toContain("MH104");
    expect(shown.settings.select).not.toContain("MH103");
    expect(shown.settings.ignore).toEqual(["MH101"]);
    // Everything shown is a key the config file accepts.
    const keys = Object.keys(shown.settings).filter((k) => k !== "per-file-ignores");
    const toml = keys.map((k) => `${k} = ${JSON.stringify(shown.settings[k])}`).join("\n").replace(/\{\}/g, "{ }");
    writeTree(dir, { "memhint.toml": `${toml}\n` });
    expect(memhint(["check", "--show-settings", "t/x.py"], dir).status).toBe(0);
  });
});
