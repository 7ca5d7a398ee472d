/**
 * `memhint check` and friends, run as the built binary (`node bin/memhint.js`, so `npm test`
 * builds first) in temporary directories. Findings come from MH101:
 * `sum([i * i for i in range(10**6)])` is reported on the brackets, and its safe fix drops them.
 * The last block runs the CLI in-process with test-only rules, for what the real rules cannot
 * provoke on demand (an unsafe-only fix, a rule that throws).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../server/cli/diff.js";
import { decodeSource, DecodeError, firstInvalidUtf8 } from "../server/cli/source.js";
import { FileChangedError, writeFileAtomically } from "../server/cli/write.js";
import { defineRule, type Rule } from "../server/engine/types.js";
import { CHECK, memhint, memhintWith, ROOT, tempDir, writeTree } from "./helpers/cli.js";
import { TEST_EVIDENCE } from "./helpers/engine.js";

const BAD = "total = sum([i * i for i in range(10**6)])\n";
const GOOD = "total = sum(i * i for i in range(10**6))\n";
const FINDING = /^a\.py:1:13: MH101 \[\*\] \S.*$/m;

/** A directory with one file holding one MH101 finding. */
function oneFinding(): string {
  const dir = tempDir();
  writeTree(dir, { "a.py": BAD });
  return dir;
}

describe("memhint check: text output and exit statuses", () => {
  it("reports a finding as path:line:col: CODE [*] message with a summary, and exits 1", () => {
    const dir = oneFinding();
    const r = memhint([...CHECK], dir);
    expect(r.stdout).toMatch(FINDING);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("Found 1 finding (1 fixable with --fix).");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
  });

  it("exits 0 with 'All checks passed.' on clean code", () => {
    const dir = tempDir();
    writeTree(dir, { "ok.py": GOOD });
    const r = memhint([...CHECK, "."], dir);
    expect(r.stdout).toBe("All checks passed.\n");
    expect(r.status).toBe(0);
  });

  it("--exit-zero exits 0 although findings remain, and still prints them", () => {
    const r = memhint([...CHECK, "--exit-zero"], oneFinding());
    expect(r.stdout).toMatch(FINDING);
    expect(r.status).toBe(0);
  });

  it("--quiet prints the findings without the summary", () => {
    const r = memhint([...CHECK, "--quiet"], oneFinding());
    expect(r.stdout).toMatch(FINDING);
    expect(r.stdout).not.toContain("Found");
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.status).toBe(1);
  });

  it("sorts files by path and prints paths relative to the working directory", () => {
    const dir = tempDir();
    writeTree(dir, { "b.py": BAD, "a/z.py": BAD, "a-b/y.py": BAD, "a.py": BAD });
    const r = memhint([...CHECK, "--quiet"], dir);
    expect(r.stdout.trim().split("\n").map((l) => l.split(":")[0])).toEqual(["a/z.py", "a-b/y.py", "a.py", "b.py"]);
    const sub = memhint([...CHECK, "--quiet", "../a"], join(dir, "a-b"));
    expect(sub.stdout).toContain(`${join(dir, "a")}/z.py:1:13`); // outside the cwd: absolute
  });

  it("--statistics counts findings per code, in text and in JSON", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD + BAD, "b.py": `${BAD}x = 1  # memhint: ignore[MH999]\n` });
    const text = memhint([...CHECK, "--statistics"], dir);
    expect(text.stdout).toBe("3  MH101  [*] comprehension-in-consumer\n1  MH001      invalid-suppression\nFound 4 findings (3 fixable with --fix).\n");
    expect(text.status).toBe(1);
    const json = memhint([...CHECK, "--statistics", "--format", "json"], dir);
    expect(JSON.parse(json.stdout)).toEqual([
      { code: "MH101", name: "comprehension-in-consumer", count: 3, fixable: 3, unsafeFixable: 0 },
      { code: "MH001", name: "invalid-suppression", count: 1, fixable: 0, unsafeFixable: 0 },
    ]);
  });

  it("reports a syntax error as MH000 and still reports findings away from it", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": `${BAD}def broken(:\n    pass\n` });
    const r = memhint([...CHECK], dir);
    expect(r.stdout).toMatch(FINDING);
    expect(r.stdout).toMatch(/^a\.py:2:1: MH000 invalid syntax at `def broken\(:`/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("Found 2 findings (1 fixable with --fix).");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
  });

  it("with MH000 ignored, notes syntax errors on stderr and never says 'All checks passed.'", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": `${GOOD}def broken(:\n    pass\n` });
    const r = memhint([...CHECK, "--ignore", "MH000"], dir);
    expect(r.stderr).toBe("a.py: has syntax errors; findings near them are skipped\n");
    expect(r.stdout).toBe("No findings in what could be checked.\n");
    expect(r.status).toBe(0);
  });

  it("warns when no Python file is found, and exits 0", () => {
    const dir = tempDir();
    writeTree(dir, { "README.md": "# hi\n" });
    const r = memhint([...CHECK], dir);
    expect(r.stderr).toContain("no Python files found");
    expect(r.status).toBe(0);
  });
});

describe("memhint check --format json", () => {
  it("prints an array of findings with 1-based code-point ranges and the fix", () => {
    const r = memhint([...CHECK, "--format", "json"], oneFinding());
    expect(r.status).toBe(1);
    const findings = JSON.parse(r.stdout);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(Object.keys(f)).toEqual(["code", "name", "severity", "message", "path", "range", "estimatedBytes", "fix"]);
    expect(f).toMatchObject({ code: "MH101", name: "comprehension-in-consumer", severity: "warning", path: "a.py" });
    expect(f.range).toEqual({ start: { line: 1, column: 13 }, end: { line: 1, column: 42 } });
    expect(typeof f.message).toBe("string");
    expect(f.estimatedBytes === null || typeof f.estimatedBytes === "number").toBe(true);
    expect(f.fix.safety).toBe("safe");
    expect(typeof f.fix.description).toBe("string");
    // Applying the edits (1-based code-point columns on line 1) gives the fixed source.
    const chars = Array.from(BAD);
    const edits = [...f.fix.edits].sort((a, b) => b.range.start.column - a.range.start.column);
    for (const e of edits) {
      expect(e.range.start.line).toBe(1);
      expect(e.range.end.line).toBe(1);
      chars.splice(e.range.start.column - 1, e.range.end.column - e.range.start.column, ...Array.from(e.newText as string));
    }
    expect(chars.join("")).toBe(GOOD);
  });

  it("counts columns in code points, not UTF-16 units or bytes, with CJK and emoji before the finding", () => {
    const dir = tempDir();
    const prefix = 'x = "日本😀"; t = sum(';
    writeTree(dir, { "u.py": `# 注释 😀\n${prefix}[i for i in range(10**6)])\n` });
    const r = memhint([...CHECK, "--format", "json"], dir);
    const [f] = JSON.parse(r.stdout);
    const start = Array.from(prefix).length + 1; // 19 code points before the bracket
    expect(start).toBe(20);
    expect(prefix.length + 1).toBe(21); // what UTF-16 would say
    expect(f.range).toEqual({ start: { line: 2, column: start }, end: { line: 2, column: start + "[i for i in range(10**6)]".length } });
    const text = memhint([...CHECK, "--quiet"], dir);
    expect(text.stdout).toMatch(/^u\.py:2:20: MH101 /);
  });

  it("prints [] for clean code, and exits 0", () => {
    const dir = tempDir();
    writeTree(dir, { "ok.py": GOOD });
    const r = memhint([...CHECK, "--format", "json"], dir);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe("memhint check: usage errors exit 2", () => {
  const dir = oneFinding();
  it.each([
    [["check", "--bogus"], /^memhint check: unknown option --bogus\nRun "memhint check --help" for usage\.\n$/],
    [["check", "--format", "xml"], /--format must be one of full, concise, json, json-lines, sarif, github, junit, not "xml"/],
    [["check", "--select", "MH999"], /--select: unknown rule code or prefix "MH999"; known codes: MH000, MH001, MH002, MH101/],
    [["check", "--ignore", "E501"], /--ignore: "E501" is not a rule code or prefix/],
    [["check", "--select", ","], /--select needs at least one rule code or prefix/],
    [["check", "--fix", "--diff"], /--fix and --diff cannot be combined/],
    [["check", "--diff", "--format", "json"], /--diff prints a unified diff/],
    [["check", "--config", "x.toml", "--no-config"], /--config and --no-config cannot be combined/],
    [["check", "-", "a.py"], /cannot be combined with other paths/],
    [["check", "missing.py", "a.py", "gone/"], /missing\.py: no such file or directory\n.*gone\/: no such file or directory/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["--frobnicate"], /unknown option "--frobnicate"/],
    [[], /Usage:/],
  ])("memhint %j", (args, message) => {
    const r = memhint(args, dir);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });

  it("a nonexistent path stops the run before anything is linted", () => {
    const r = memhint([...CHECK, "a.py", "nope.py"], dir);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("memhint check: nope.py: no such file or directory\n");
    expect(r.status).toBe(2);
  });
});

describe("memhint check --select / --ignore", () => {
  const dir = tempDir();
  writeTree(dir, { "a.py": `${BAD}x = 1  # memhint: ignore[MH999]\n` });
  const codes = (args: string[]): string[] => JSON.parse(memhint(["check", "--format", "json", ...args], dir).stdout).map((f: { code: string }) => f.code);

  it("runs the default selection, which leaves out opt-in rules such as MH101", () => {
    expect(codes([])).toEqual(["MH001"]);
  });
  it("--select keeps the selected codes or prefixes, opt-in rules included", () => {
    expect(codes(["--select", "MH101"])).toEqual(["MH101"]);
    expect(codes(["--select", "mh0"])).toEqual(["MH001"]);
    expect(codes(["--select", "MH1"])).toEqual(["MH101"]);
    expect(codes(["--select", "MH1,MH001"])).toEqual(["MH101", "MH001"]);
    expect(codes(["--extend-select", "MH1"])).toEqual(["MH101", "MH001"]);
    expect(codes(["--select", "MH"])).toEqual(["MH001"]);
    expect(codes(["--select", "MH101,MH001"])).toEqual(["MH101", "MH001"]);
    expect(codes(["--select", "MH101", "--select", "MH0"])).toEqual(["MH101", "MH001"]);
    expect(codes(["--select", "ALL"])).toEqual(["MH101", "MH001"]);
  });
  it("--ignore drops codes or prefixes; the more specific selector wins", () => {
    expect(codes(["--select", "ALL", "--ignore", "MH1"])).toEqual(["MH001"]);
    expect(codes(["--select", "ALL", "--ignore", "MH"])).toEqual([]);
    expect(codes(["--ignore", "MH1", "--select", "MH101"])).toEqual(["MH101"]);
    expect(codes(["--select", "ALL", "--ignore", "MH101"])).toEqual(["MH001"]);
  });
  it("exits 0 when everything found is ignored", () => {
    expect(memhint([...CHECK, "--ignore", "ALL"], dir).status).toBe(0);
  });
});

describe("memhint check --fix", () => {
  it("writes the fixed file, reports what it fixed, and exits 0 when nothing remains", () => {
    const dir = oneFinding();
    writeTree(dir, { "clean.py": GOOD });
    chmodSync(join(dir, "a.py"), 0o640);
    const before = statSync(join(dir, "clean.py")).mtimeMs;
    const r = memhint([...CHECK, "--fix"], dir);
    expect(r.stdout).toBe("a.py: fixed 1 finding (MH101)\nFound 1 finding (1 fixed, 0 remaining).\n");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(GOOD);
    expect(statSync(join(dir, "a.py")).mode & 0o777).toBe(0o640);
    expect(statSync(join(dir, "clean.py")).mtimeMs).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(["a.py", "clean.py"]); // no temporary file left
    const again = memhint([...CHECK], dir);
    expect(again.stdout).toBe("All checks passed.\n");
    expect(again.status).toBe(0);
  });

  it("keeps a BOM, CRLF line ends and the rest of the file byte for byte", () => {
    const dir = tempDir();
    const body = `# café\r\n${BAD.replace("\n", "\r\n")}print(total)\r\n`;
    writeTree(dir, { "a.py": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]) });
    const r = memhint([...CHECK, "--fix"], dir);
    expect(r.status).toBe(0);
    const expected = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body.replace(BAD.trimEnd(), GOOD.trimEnd()))]);
    expect(readFileSync(join(dir, "a.py")).equals(expected)).toBe(true);
  });

  it("prints the findings it could not fix, positioned in the fixed text", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": `${BAD}x = 1  # memhint: ignore[MH999]\n` });
    const r = memhint([...CHECK, "--fix", "--format", "json"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("a.py: fixed 1 finding (MH101)\n");
    const [f] = JSON.parse(r.stdout);
    expect(f.code).toBe("MH001");
    expect(f.range.start.line).toBe(2);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(`${GOOD}x = 1  # memhint: ignore[MH999]\n`);
  });

  it("writes through a symbolic link, which stays a link", () => {
    const dir = tempDir();
    writeTree(dir, { "real/a.py": BAD });
    symlinkSync(join(dir, "real", "a.py"), join(dir, "link.py"));
    const r = memhint([...CHECK, "--fix", "link.py"], dir);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "real", "a.py"), "utf8")).toBe(GOOD);
    expect(readdirSync(dir).sort()).toEqual(["link.py", "real"]);
    expect(spawnSync("test", ["-L", join(dir, "link.py")]).status).toBe(0);
  });

  it("does not write a file in a declared non-UTF-8 encoding with non-ASCII bytes, and says why", () => {
    const dir = tempDir();
    const latin1 = Buffer.concat([Buffer.from("# -*- coding: latin-1 -*-\nname = '"), Buffer.from([0xe9]), Buffer.from(`'\n${BAD}`)]);
    writeTree(dir, { "l.py": latin1 });
    const r = memhint([...CHECK, "--fix"], dir);
    expect(r.stderr).toBe("l.py: not fixed: the file is encoded in latin-1 and memhint writes UTF-8 only\n");
    expect(r.stdout).toMatch(/^l\.py:3:13: MH101 /m);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "l.py")).equals(latin1)).toBe(true);
  });

  it("with stdin, prints the fixed source on stdout and the report on stderr", () => {
    const dir = tempDir();
    const r = memhint([...CHECK, "--fix", "--stdin-filename", "pkg/mod.py"], dir, BAD);
    expect(r.stdout).toBe(GOOD);
    expect(r.stderr).toBe("pkg/mod.py: fixed 1 finding (MH101)\nFound 1 finding (1 fixed, 0 remaining).\n");
    expect(r.status).toBe(0);
  });
});

describe("memhint check --diff", () => {
  it("prints a unified diff that patch applies to give what --fix writes, and writes nothing", () => {
    const dir = tempDir();
    const original = `import os\n\n${BAD}print(total)\n`;
    writeTree(dir, { "pkg/a.py": original, "ok.py": GOOD });
    const r = memhint([...CHECK, "--diff"], dir);
    expect(r.stdout).toBe(
      `--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,4 +1,4 @@\n import os\n \n-${BAD}+${GOOD} print(total)\n`,
    );
    expect(r.stderr).toBe("Would fix 1 finding in 1 file.\n");
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "pkg", "a.py"), "utf8")).toBe(original);
    expect(readdirSync(join(dir, "pkg"))).toEqual(["a.py"]);

    const patched = tempDir();
    writeTree(patched, { "pkg/a.py": original });
    writeFileSync(join(patched, "fix.diff"), r.stdout);
    expect(spawnSync("patch", ["-p1", "-i", "fix.diff"], { cwd: patched }).status).toBe(0);
    memhint([...CHECK, "--fix"], dir);
    expect(readFileSync(join(patched, "pkg", "a.py"), "utf8")).toBe(readFileSync(join(dir, "pkg", "a.py"), "utf8"));
  });

  it("prints nothing and exits 0 when there is nothing to fix", () => {
    const dir = tempDir();
    writeTree(dir, { "ok.py": GOOD, "s.py": "x = 1  # memhint: ignore[MH999]\n" });
    const r = memhint([...CHECK, "--diff"], dir);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("No fixes to apply; 1 finding would remain.\n");
    expect(r.status).toBe(0);
  });
});

describe("memhint check: which files", () => {
  it("skips .git, node_modules, virtualenvs, __pycache__ and what .gitignore files ignore", () => {
    const dir = tempDir();
    writeTree(dir, {
      "app.py": BAD,
      "notes.txt": BAD,
      "script": BAD,
      ".git/hooks/h.py": BAD,
      "node_modules/pkg/n.py": BAD,
      ".venv/lib/v.py": BAD,
      "venv/lib/v.py": BAD,
      "env/pyvenv.cfg": "home = /usr/bin\n",
      "env/lib/e.py": BAD,
      "src/__pycache__/c.py": BAD,
      "src/lib.py": BAD,
      ".gitignore": "build/\n*_pb2.py\n",
      "build/b.py": BAD,
      "src/api_pb2.py": BAD,
      "src/gen/.gitignore": "gen_*.py\n!gen_keep.py\n",
      "src/gen/gen_one.py": BAD,
      "src/gen/gen_keep.py": BAD,
      "src/gen/other_pb2.py": BAD,
      "other/gen_one.py": BAD,
    });
    const files = memhint([...CHECK, "--show-files"], dir);
    expect(files.stdout).toBe(["app.py", "other/gen_one.py", "src/gen/gen_keep.py", "src/lib.py", ""].join("\n"));
    expect(files.status).toBe(0);
    const r = memhint([...CHECK, "--quiet"], dir);
    expect(r.stdout.trim().split("\n").map((l) => l.split(":")[0])).toEqual(["app.py", "other/gen_one.py", "src/gen/gen_keep.py", "src/lib.py"]);
  });

  it("lints files named on the command line whatever their name, and walks directories named there", () => {
    const dir = tempDir();
    writeTree(dir, { ".gitignore": "ignored/\n*.pyw\n", "script": BAD, "tool.pyw": BAD, "ignored/i.py": BAD, ".venv/x.py": BAD });
    const r = memhint([...CHECK, "--quiet", "script", "tool.pyw", "ignored", ".venv"], dir);
    expect(r.stdout.trim().split("\n").map((l) => l.split(":")[0])).toEqual([".venv/x.py", "ignored/i.py", "script", "tool.pyw"]);
  });

  it("applies the .gitignore files above a directory inside a git repository", () => {
    const dir = tempDir();
    writeTree(dir, { ".git/HEAD": "ref: refs/heads/main\n", ".git/info/exclude": "secret.py\n", ".gitignore": "*_gen.py\n", "src/a_gen.py": BAD, "src/b.py": BAD, "src/secret.py": BAD });
    expect(memhint([...CHECK, "--show-files", "src"], dir).stdout).toBe("src/b.py\n");
    expect(memhint([...CHECK, "--show-files", "."], join(dir, "src")).stdout).toBe("b.py\n");
  });

  it("honours exclude and extend-exclude from the config, relative to the config file", () => {
    const dir = tempDir();
    writeTree(dir, {
      "pyproject.toml": '[tool.memhint]\nextend-exclude = ["migrations", "/top.py"]\n',
      "a.py": BAD, "top.py": BAD, "pkg/top.py": BAD, "pkg/migrations/m.py": BAD, "venv/v.py": BAD,
    });
    expect(memhint([...CHECK, "--show-files"], dir).stdout).toBe("a.py\npkg/top.py\n");
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nexclude = ["pkg"]\n' });
    expect(memhint([...CHECK, "--show-files"], dir).stdout).toBe("a.py\ntop.py\nvenv/v.py\n");
  });
});

describe("memhint check: files that cannot be read", () => {
  it("reports binary, non-UTF-8 and oversized files on stderr, lints the rest, and exits 2", () => {
    const dir = oneFinding();
    writeTree(dir, {
      "binary.py": Buffer.from([0x78, 0x20, 0x3d, 0x20, 0x31, 0x0a, 0x00, 0x01, 0x02]),
      "latin.py": Buffer.from([0x23, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]),
      "big.py": `# ${"x".repeat(10 * 1024 * 1024)}\n`,
    });
    const r = memhint([...CHECK], dir);
    expect(r.stdout).toMatch(FINDING);
    expect(r.stdout).toContain("Found 1 finding");
    expect(r.stderr).toContain("big.py: skipped: larger than 10 MB (10485763 bytes)");
    expect(r.stderr).toContain("binary.py: skipped: contains a NUL byte at line 2, byte 1 of the line (a binary file?)");
    expect(r.stderr).toContain("latin.py: skipped: not valid UTF-8: byte 0xE9 at line 1, byte 6 of the line");
    expect(r.stderr).toMatch(/3 paths could not be checked or fixed; findings may be missing/);
    expect(r.status).toBe(2);
  });

  it("lints a file in a declared encoding", () => {
    const dir = tempDir();
    writeTree(dir, { "k.py": Buffer.concat([Buffer.from("# coding: koi8-r\ns = '"), Buffer.from([0xf0, 0xd2]), Buffer.from(`'; ${BAD}`)]) });
    const r = memhint([...CHECK, "--format", "json"], dir);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)[0].range.start).toEqual({ line: 2, column: "s = 'пр'; ".length + 13 });
  });
});

describe("memhint check --jobs (worker threads)", { timeout: 180_000 }, () => {
  function manyFiles(): string {
    const dir = tempDir();
    const files: Record<string, string | Uint8Array> = {};
    for (let i = 0; i < 24; i++) {
      const name = `pkg${i % 3}/m${String(i).padStart(2, "0")}.py`;
      files[name] = i % 4 === 0 ? GOOD : i % 5 === 0 ? `${BAD}def broken(:\n` : `x${i} = 1  # memhint: ignore[MH9${i}]\n${BAD.repeat(1 + (i % 3))}`;
    }
    files["pkg1/binary.py"] = Buffer.from([0x61, 0x00]);
    writeTree(dir, files);
    return dir;
  }

  it("prints exactly what one thread prints, in the same order", () => {
    expect(existsSync(join(ROOT, "dist", "server", "cli", "worker.js"))).toBe(true); // else --jobs falls back to one thread
    const dir = manyFiles();
    for (const args of [["check"], ["check", "--format", "json"], ["check", "--statistics"], ["check", "--diff"]]) {
      const one = memhint([...args, "--jobs", "1"], dir);
      const three = memhint([...args, "--jobs", "3"], dir);
      expect(three).toEqual(one);
      expect(one.status).toBe(2); // the binary file
      expect(one.stderr).toContain("pkg1/binary.py: skipped: contains a NUL byte");
    }
  });

  it("fixes every file with --fix", () => {
    const dir = manyFiles();
    const r = memhint([...CHECK, "--fix", "--jobs", "2"], dir);
    expect(r.stderr).toContain("pkg1/binary.py: skipped");
    expect(r.stdout.match(/: fixed \d+ findings?/g)?.length).toBe(18);
    const after = memhint(["check", "--select", "MH101", "--jobs", "1"], dir);
    expect(after.stdout).toBe("No findings in what could be checked.\n"); // the binary file could not be
  });

  it("rejects a --jobs that is not a whole number from 1 to 64", () => {
    for (const bad of ["0", "65", "two", "1.5"]) {
      const r = memhint([...CHECK, "--jobs", bad], tempDir());
      expect(r.stderr).toContain(`--jobs must be a whole number from 1 to 64, not "${bad}"`);
      expect(r.status).toBe(2);
    }
  });
});

describe("memhint check: configuration", () => {
  it("applies [tool.memhint] from the nearest pyproject.toml above the first path", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nselect = ["ALL"]\nignore = ["MH101"]\n', "pkg/a.py": BAD });
    expect(memhint(["check", "pkg"], dir).status).toBe(0);
    expect(memhint(["check"], join(dir, "pkg")).status).toBe(0);
    expect(memhint(["check", "--no-config", "--select", "MH101", "pkg"], dir).status).toBe(1);
    expect(memhint(["check", "--select", "MH101", "pkg"], dir).status).toBe(1); // --select replaces the file's ignore
  });

  it("sets severities from the config", () => {
    const dir = tempDir();
    writeTree(dir, { "memhint.toml": '[severity]\nMH101 = "error"\n', "a.py": BAD });
    expect(JSON.parse(memhint([...CHECK, "--format", "json"], dir).stdout)[0].severity).toBe("error");
  });

  it("uses --config PATH instead of searching", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nignore = ["MH101"]\n', "conf/strict.toml": 'select = ["ALL"]\n', "a.py": BAD });
    expect(memhint([...CHECK, "--config", "conf/strict.toml"], dir).status).toBe(1);
  });

  it.each([
    ['[tool.memhint]\nselekt = ["MH101"]\n', /pyproject\.toml: unknown key "tool\.memhint\.selekt"/],
    ['[tool.memhint]\nselect = "MH101"\n', /pyproject\.toml: tool\.memhint\.select: expected an array of strings, got the string "MH101"/],
    ['[tool.memhint]\nselect = ["MH101", "MH9"]\n', /tool\.memhint\.select\[1\]: unknown rule code or prefix "MH9"/],
    ['[tool.memhint.severity]\nMH101 = "fatal"\n', /tool\.memhint\.severity\.MH101: expected one of "error", "warning", "information", "hint", got the string "fatal"/],
    ['[tool.memhint]\ntarget-version = "py27"\n', /tool\.memhint\.target-version: expected one of "py38"/],
    ['[tool.memhint]\nhuge-allocation-bytes = -1\n', /tool\.memhint\.huge-allocation-bytes: expected a positive integer, got the number -1/],
    ['[tool.memhint]\ninlayHints = false\n', /unknown key "tool\.memhint\.inlayHints"; did you mean "inlay-hints"\?/],
    ['[tool.memhint]\nselect = [\n', /pyproject\.toml:3:1: invalid TOML/],
  ])("a bad config is an error naming the file and key, exit 2: %j", (toml, message) => {
    const dir = oneFinding();
    writeTree(dir, { "pyproject.toml": toml });
    const r = memhint([...CHECK], dir);
    expect(r.stderr).toMatch(/^memhint check: configuration error: \//);
    expect(r.stderr).toContain(join(dir, "pyproject.toml"));
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });

  it("--config naming a missing file, or a pyproject.toml without [tool.memhint], exits 2", () => {
    const dir = oneFinding();
    writeTree(dir, { "other/pyproject.toml": "[project]\nname = 'x'\n" });
    expect(memhint([...CHECK, "--config", "nope.toml"], dir)).toMatchObject({ status: 2, stderr: expect.stringContaining("nope.toml: cannot use this config file: no such file") });
    expect(memhint([...CHECK, "--config", "other/pyproject.toml"], dir)).toMatchObject({ status: 2, stderr: expect.stringContaining("has no [tool.memhint] table") });
  });

  it("--show-settings prints the resolved settings, CLI flags over the file", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": '[tool.memhint]\nignore = ["MH1"]\nlru-cache-maxsize = 256\n' });
    const shown = JSON.parse(memhint(["check", "--show-settings", "--ignore", "MH001"], dir).stdout);
    expect(shown["config-file"]).toBe(join(dir, "pyproject.toml"));
    expect(shown.settings).toMatchObject({ ignore: ["MH1", "MH001"], "lru-cache-maxsize": 256 });
  });
});

describe("memhint check: stdin", () => {
  it("reads '-' and reports it as '-', or as --stdin-filename", () => {
    const dir = tempDir();
    expect(memhint([...CHECK, "-", "--quiet"], dir, BAD).stdout).toMatch(/^-:1:13: MH101 /);
    const named = memhint([...CHECK, "--stdin-filename", "src/x.py", "--format", "json"], dir, BAD);
    expect(JSON.parse(named.stdout)[0].path).toBe("src/x.py");
    expect(named.status).toBe(1);
  });

  it("finds the config from --stdin-filename's directory", () => {
    const dir = tempDir();
    writeTree(dir, { "pkg/memhint.toml": 'select = ["ALL"]\nignore = ["MH101"]\n' });
    expect(memhint(["check", "--stdin-filename", "pkg/x.py"], dir, BAD).status).toBe(0);
    expect(memhint([...CHECK, "--stdin-filename", "x.py"], dir, BAD).status).toBe(1);
  });
});

describe("memhint rules, --version, --help", () => {
  it("lists the rules with codes, names, severities, fixability and whether they run by default", () => {
    const r = memhint(["rules"], ROOT);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^CODE\s+NAME\s+SEVERITY\s+FIX\s+DEFAULT$/);
    expect(lines).toContainEqual(expect.stringMatching(/^MH001\s+invalid-suppression\s+warning\s+never\s+yes$/));
    expect(lines).toContainEqual(expect.stringMatching(/^MH101\s+comprehension-in-consumer\s+warning\s+(always|sometimes)\s+opt-in$/));
    expect(lines).toContainEqual(expect.stringMatching(/^MH104\s+huge-allocation\s+information\s+never\s+yes$/));
    const json = JSON.parse(memhint(["rules", "--format", "json"], ROOT).stdout);
    expect(json.map((r: { code: string }) => r.code)).toEqual([...json.map((r: { code: string }) => r.code)].sort());
    expect(json.find((r: { code: string }) => r.code === "MH101")).toMatchObject({ name: "comprehension-in-consumer", severity: "warning", default: false, docs: { what: expect.any(String) } });
    expect(memhint(["rules", "--format", "yaml"], ROOT).status).toBe(2);
    expect(memhint(["rules", "extra"], ROOT).status).toBe(2);
  });

  it("--version prints the package version; --help the usage", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(memhint(["--version"], ROOT)).toMatchObject({ status: 0, stdout: `memhint ${pkg.version}\n` });
    expect(memhint(["--help"], ROOT)).toMatchObject({ status: 0, stdout: expect.stringContaining("memhint check [options] [paths...]") });
    expect(memhint([...CHECK, "--help"], ROOT)).toMatchObject({ status: 0, stdout: expect.stringContaining("--unsafe-fixes") });
  });
});

// ---------------------------------------------------------------------------------------------
// In-process, with test-only rules.

/** MH901: `grow(...)` → `shrink(...)`, an unsafe fix. MH902: throws on a call to `boom`. */
const testRules: Rule[] = [
  defineRule({
    code: "MH901", name: "test-grow", severity: "warning", peers: [], nodeTypes: ["call"], fixable: "always", evidence: "size",
    messages: { grows: "grow() grows" },
    docs: { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" },
    check(node, ctx) {
      const fn = node.childForFieldName("function");
      if (fn?.text !== "grow") return;
      ctx.report({ node, messageId: "grows", evidence: TEST_EVIDENCE, fix: { description: "Shrink", safety: "unsafe", edits: [{ start: fn.startIndex, end: fn.endIndex, newText: "shrink" }] } });
    },
  }),
  defineRule({
    code: "MH902", name: "test-crash", severity: "warning", peers: [], nodeTypes: ["call"], fixable: "never", evidence: "size", messages: {},
    docs: { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" },
    check(node) {
      if (node.childForFieldName("function")?.text === "boom") throw new Error("kaboom\nsecond line");
    },
  }),
];

describe("memhint check with test rules (in-process)", () => {
  it("marks unsafe fixes [!]; --fix leaves them, --fix --unsafe-fixes applies them", async () => {
    const dir = tempDir();
    writeTree(dir, { "g.py": "grow(1)\n" });
    const plain = await memhintWith(testRules, ["check"], dir);
    expect(plain.stdout).toBe("g.py:1:1: MH901 [!] grow() grows\nFound 1 finding (1 fixable with --fix --unsafe-fixes).\n");
    const safeOnly = await memhintWith(testRules, ["check", "--fix"], dir);
    expect(safeOnly.stdout).toBe("g.py:1:1: MH901 [!] grow() grows\nFound 1 finding (0 fixed, 1 remaining; 1 fixable with --unsafe-fixes).\n");
    expect(readFileSync(join(dir, "g.py"), "utf8")).toBe("grow(1)\n");
    const diff = await memhintWith(testRules, ["check", "--diff", "--unsafe-fixes"], dir);
    expect(diff.stdout).toBe("--- a/g.py\n+++ b/g.py\n@@ -1 +1 @@\n-grow(1)\n+shrink(1)\n");
    const unsafe = await memhintWith(testRules, ["check", "--fix", "--unsafe-fixes"], dir);
    expect(unsafe.stdout).toBe("g.py: fixed 1 finding (MH901)\nFound 1 finding (1 fixed, 0 remaining).\n");
    expect(unsafe.status).toBe(0);
    expect(readFileSync(join(dir, "g.py"), "utf8")).toBe("shrink(1)\n");
  });

  it("--unsafe-fixes alone changes nothing and says so", async () => {
    const dir = tempDir();
    writeTree(dir, { "g.py": "grow(1)\n" });
    const r = await memhintWith(testRules, ["check", "--unsafe-fixes"], dir);
    expect(r.stderr).toBe("memhint check: note: --unsafe-fixes does nothing without --fix or --diff\n");
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, "g.py"), "utf8")).toBe("grow(1)\n");
  });

  it("reports a rule that throws on stderr, keeps the other findings, and exits 2", async () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": "boom()\ngrow(2)\n", "b.py": "grow(3)\n" });
    const r = await memhintWith(testRules, ["check"], dir);
    expect(r.stdout).toBe("a.py:2:1: MH901 [!] grow() grows\nb.py:1:1: MH901 [!] grow() grows\nFound 2 findings (2 fixable with --fix --unsafe-fixes).\n");
    expect(r.stderr).toBe(
      "a.py: internal error in rule MH902: kaboom\n" +
      "memhint check: rule MH902 crashed; findings may be missing (see above), so the exit status is 2\n",
    );
    expect(r.status).toBe(2);
  });

  it("validates selectors against the registry it runs with", async () => {
    const dir = tempDir();
    expect((await memhintWith(testRules, ["check", "--select", "MH101"], dir)).status).toBe(2);
    expect((await memhintWith(testRules, ["check", "--select", "MH9", "--show-settings"], dir)).status).toBe(0);
  });

  it("with --fix on stdin that cannot be decoded, echoes the input unchanged", async () => {
    const dir = tempDir();
    const bytes = Buffer.from([0x78, 0x3d, 0xff, 0x0a]);
    const r = await memhintWith(testRules, ["check", "--fix", "-"], dir, bytes);
    expect(r.stderr).toContain("-: skipped: not valid UTF-8: byte 0xFF at line 1, byte 3 of the line\n");
    expect(r.stdoutBytes.equals(bytes)).toBe(true);
    expect(r.status).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Building blocks.

describe("unified diff", () => {
  it("marks a missing final newline and counts hunk ranges like diff -u", () => {
    expect(unifiedDiff("f.py", "a\nb", "a\nc")).toBe("--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
    expect(unifiedDiff("f.py", "", "x\n")).toBe("--- a/f.py\n+++ b/f.py\n@@ -0,0 +1 @@\n+x\n");
    expect(unifiedDiff("/abs/f.py", "x\n", "")).toBe("--- a/abs/f.py\n+++ b/abs/f.py\n@@ -1 +0,0 @@\n-x\n");
    expect(unifiedDiff("f.py", "same\n", "same\n")).toBe("");
  });

  it("agrees with patch on random edits (separate and merged hunks, CRLF, no final newline)", () => {
    const dir = tempDir();
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const a: string[] = Array.from({ length: 5 + random(40) }, (_, i) => `line ${i}${random(5) === 0 ? "\r" : ""}\n`);
      const b = [...a];
      for (let k = random(6); k >= 0; k--) {
        const at = random(b.length + 1);
        const op = random(3);
        if (op === 0) b.splice(at, 1);
        else if (op === 1) b.splice(at, 0, `new ${round}.${k}\n`);
        else b.splice(at, 1, `changed ${round}.${k}\n`);
      }
      let before = a.join("");
      let after = b.join("");
      if (random(3) === 0) before = before.slice(0, -1);
      if (random(3) === 0) after = after.replace(/\n$/, "");
      const patch = unifiedDiff("f.txt", before, after);
      if (before === after) {
        expect(patch).toBe("");
        continue;
      }
      writeFileSync(join(dir, "f.txt"), before);
      writeFileSync(join(dir, "f.diff"), patch);
      const result = spawnSync("patch", ["-p1", "--quiet", "-i", "f.diff"], { cwd: dir, encoding: "utf8" });
      expect(result.status, `${result.stdout}${result.stderr}\n${patch}`).toBe(0);
      expect(readFileSync(join(dir, "f.txt"), "utf8")).toBe(after);
      // And it is as short as diff -u's: the same number of changed lines.
      writeFileSync(join(dir, "g.txt"), after);
      writeFileSync(join(dir, "f.txt"), before);
      const gnu = spawnSync("diff", ["-u", "f.txt", "g.txt"], { cwd: dir, encoding: "utf8" }).stdout;
      const changed = (d: string): number => d.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
      expect(changed(patch)).toBe(changed(gnu));
    }
  });
});

describe("source decoding", () => {
  it("strips a BOM and remembers it", () => {
    expect(decodeSource(Buffer.from([0xef, 0xbb, 0xbf, 0x78]))).toMatchObject({ text: "x", bom: true, foreignEncoding: null });
  });
  it("finds the first invalid UTF-8 byte", () => {
    expect(firstInvalidUtf8(Buffer.from("ok é 😀"))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(1); // truncated
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0x80]))).toBe(2); // a lone continuation byte
  });
  it("reads a coding cookie on line 2 only after a comment line", () => {
    const latin = (head: string): Buffer => Buffer.concat([Buffer.from(head), Buffer.from([0xe9, 0x0a])]);
    expect(decodeSource(latin("#!/usr/bin/env python\n# coding: latin-1\n")).text).toContain("é");
    expect(() => decodeSource(latin("x = 1\n# coding: latin-1\n"))).toThrow(DecodeError);
    expect(() => decodeSource(latin("# coding: no-such-codec\n"))).toThrow('declares the encoding "no-such-codec", which memhint cannot decode');
  });
});

describe("atomic writes", () => {
  it("refuses to write when the file changed since it was read, and leaves no temporary file", () => {
    const dir = tempDir();
    const path = join(dir, "a.py");
    writeFileSync(path, "edited by someone else\n");
    expect(() => writeFileAtomically(path, Buffer.from("fixed\n"), Buffer.from("what memhint read\n"))).toThrow(FileChangedError);
    expect(readFileSync(path, "utf8")).toBe("edited by someone else\n");
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("replaces the file keeping its mode", () => {
    const dir = tempDir();
    const path = join(dir, "a.py");
    writeFileSync(path, "old\n");
    chmodSync(path, 0o751);
    writeFileAtomically(path, Buffer.from("new\n"), Buffer.from("old\n"));
    expect(readFileSync(path, "utf8")).toBe("new\n");
    expect(statSync(path).mode & 0o7777).toBe(0o751);
    expect(existsSync(path)).toBe(true);
    mkdirSync(join(dir, "d"));
    expect(readdirSync(dir).sort()).toEqual(["a.py", "d"]);
  });
});

describe("memhint rule: a rule's docs from the command line", () => {
  const docs = readFileSync(join(ROOT, "docs", "rules.md"), "utf8");

  it("--all prints docs/rules.md, byte for byte", () => {
    const r = memhint(["rule", "--all"], ROOT);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(docs);
  });

  it("prints one rule's section of docs/rules.md, found by code in any case or by name", () => {
    const r = memhint(["rule", "MH101"], ROOT);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^## MH101 comprehension-in-consumer\n\nSeverity: warning\./);
    expect(r.stdout).toContain("### Limits");
    expect(r.stdout).not.toContain("## MH102");
    expect(docs).toContain(`\n${r.stdout}\n## MH102 `);
    expect(memhint(["rule", "mh101"], ROOT).stdout).toBe(r.stdout);
    expect(memhint(["rule", "comprehension-in-consumer"], ROOT).stdout).toBe(r.stdout);
  });

  it("prints several rules in the order asked, the engine's own codes included", () => {
    const r = memhint(["rule", "MH000", "MH001", "MH002"], ROOT);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^## MH000 [\s\S]*\n\n## MH001 invalid-suppression\n[\s\S]*\n\n## MH002 unused-suppression\n/);
    expect(docs).toContain(`\n${r.stdout}\n## MH101 `);
  });

  it("refuses an unknown code with the known ones, in one line, exit 2", () => {
    const r = memhint(["rule", "MH999"], ROOT);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^memhint rule: unknown rule "MH999"; known codes: MH000, MH001, MH002, MH101, [^\n]*MH301\n$/);
    expect(memhint(["rule", "MH1O1"], ROOT).stderr).toMatch(/^memhint rule: unknown rule "MH1O1" \(did you mean MH101\?\); known codes: /);
  });

  it.each([
    [["rule"], /^memhint rule: name a rule code \(memhint rule MH101\), or --all for every rule\n/],
    [["rule", "--all", "MH101"], /^memhint rule: --all cannot be combined with rule codes \("MH101"\)\n/],
  ])("memhint %j is a usage error", (args, message) => {
    const r = memhint(args, ROOT);
    expect(r).toMatchObject({ status: 2, stdout: "" });
    expect(r.stderr).toMatch(message);
  });

  it("memhint rules MH101 points to memhint rule MH101", () => {
    const r = memhint(["rules", "mh101"], ROOT);
    expect(r).toMatchObject({ status: 2, stdout: "" });
    expect(r.stderr).toBe('memhint rules: lists every rule and takes no code; for MH101\'s docs, run "memhint rule MH101"\nRun "memhint rules --help" for usage.\n');
    expect(memhint(["rules", "extra"], ROOT).stderr).toMatch(/^memhint rules: unexpected argument "extra" \(one rule's docs: "memhint rule CODE"\)\n/);
  });

  it("takes the registry it is given (in-process)", async () => {
    const r = await memhintWith(testRules, ["rule", "mh901"], ROOT);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^## MH901 test-grow\n/);
  });
});

describe("every subcommand answers --help and words an unknown option alike", () => {
  it.each(["check", "rules", "rule", "lsp"])("memhint %s --help / -h: usage on stdout, exit 0", (command) => {
    for (const flag of ["--help", "-h"]) {
      const r = memhint([command, flag], ROOT);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: memhint ${command}[ \n]`));
    }
  });

  it("memhint lsp --help names its transports and --max-message-bytes", () => {
    const r = memhint(["lsp", "--help"], ROOT);
    for (const option of ["--stdio", "--node-ipc", "--socket=PORT", "--pipe=NAME", "--max-message-bytes=N"]) expect(r.stdout).toContain(option);
  });

  it.each(["check", "rules", "rule", "lsp"])("memhint %s --bogus: one line and a pointer to --help, exit 2", (command) => {
    const r = memhint([command, "--bogus"], ROOT, "");
    expect(r).toEqual({ status: 2, stdout: "", stderr: `memhint ${command}: unknown option --bogus\nRun "memhint ${command} --help" for usage.\n` });
  });

  it.each([
    [["check", "--fixx"], "unknown option --fixx (did you mean --fix?)"],
    [["check", "--bogus=1"], "unknown option --bogus"],
    [["check", "-z"], "unknown option -z"],
    [["check", "--format"], "--format needs a value"],
    [["check", "--fix=yes"], "--fix takes no value"],
    [["check", "--quiet=1"], "--quiet takes no value"],
    [["rules", "--format"], "--format needs a value"],
    [["lsp", "--stdi"], "unknown option --stdi (did you mean --stdio?)"],
    [["lsp", "stdio"], 'unexpected argument "stdio"'],
    [["lsp", "--socket=http"], '--socket needs a port number, got "http"'],
  ])("memhint %j", (args, message) => {
    const command = args[0];
    expect(memhint(args, ROOT, "")).toEqual({ status: 2, stdout: "", stderr: `memhint ${command}: ${message}\nRun "memhint ${command} --help" for usage.\n` });
  });

  it("memhint lsp accepts the --clientProcessId a client adds", () => {
    // stdin is closed at once, so the server ends (status 1: no shutdown request) without complaint.
    for (const args of [["--stdio", "--clientProcessId=123"], ["--clientProcessId", "123", "--stdio"]]) {
      const r = memhint(["lsp", ...args], ROOT, "");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(1);
    }
  });
});

describe("memhint check: bare and case-insensitive suppressions", () => {
  it("a bare # noqa and lower-case codes silence the finding on their line", () => {
    const dir = tempDir();
    const line = BAD.trimEnd();
    writeTree(dir, { "a.py": `${line}  # noqa\n${line}  # NOQA: mh101\n${line}  # memhint: ignore[mh101]\n${line}  # noqa: E501\n` });
    const r = memhint([...CHECK, "--format", "json", "a.py"], dir);
    expect(JSON.parse(r.stdout).map((d: { range: { start: { line: number } }; code: string }) => `${d.code}@${d.range.start.line}`)).toEqual(["MH101@4"]);
    expect(r.status).toBe(1);
  });
});
