/**
 * Syntax errors are findings (MH000 invalid-syntax): the CLI counts them in every format and in
 * the exit status, and memhint never reports one for a file CPython 3.11's `ast.parse` accepts,
 * which tree-sitter-python's grammar gaps would otherwise cause (checked on the whole standard
 * library).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { stdlibPath } from "../scripts/corpus.js";
import { lint } from "./helpers/engine.js";
import { discoverFixtures, readText } from "./helpers/fixtures.js";
import { random } from "./helpers/random.js";
import { memhint, tempDir, writeTree } from "./helpers/cli.js";

const codes = (source: string): string[] => lint(source).diagnostics.map((d) => d.code);

describe("MH000 in the engine", () => {
  it("reports the first syntax error, with the number of others in its message", () => {
    const result = lint("def f(:\n    pass\n\n\nx = (1,\n");
    const mh000 = result.diagnostics.filter((d) => d.code === "MH000");
    expect(mh000).toHaveLength(1);
    expect(mh000[0].start).toBe(0);
    expect(mh000[0].message).toMatch(/^invalid syntax at `def f\(:`/);
    expect(result.hasSyntaxErrors).toBe(true);
  });

  it("reports a missing token where it is missing", () => {
    const result = lint("print(1\n");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["MH000"]);
  });

  it("is silent, and counts no syntax error, for valid Python that tree-sitter-python's grammar rejects", () => {
    const gaps = [
      "from __future__ import *\nx = 1\n",
      "class A:\n    @staticmethod\n# dedented comment\n    def f():\n        return 1\n",
      "def f(bar):\n    return (bar.\n real)\n",
      "def f(a, b):\n    return (a +\n b)\n",
    ];
    for (const source of gaps) {
      const result = lint(source);
      expect(codes(source), source).not.toContain("MH000");
      expect(result.hasSyntaxErrors, source).toBe(false);
    }
  });

  it("still reports a real error next to a grammar gap", () => {
    expect(codes("from __future__ import *\ndef f(:\n    pass\n")).toContain("MH000");
    expect(codes("def f(bar):\n    return (bar.\n real)\ndef g(:\n    pass\n")).toContain("MH000");
  });

  it("is suppressed like any finding, and by --ignore", () => {
    expect(codes("def f(:  # noqa: MH000\n    pass\n")).not.toContain("MH000");
    expect(lint("def f(:\n    pass\n", undefined, { ignore: ["MH000"] }).diagnostics.map((d) => d.code)).not.toContain("MH000");
  });
});

describe("MH000 on the command line", () => {
  it("is counted in JSON and in the exit status", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": "def f(:\n    pass\n" });
    const r = memhint(["check", "--format", "json"], dir);
    const findings = JSON.parse(r.stdout) as Array<{ code: string; name: string; severity: string; range: { start: { line: number; column: number } } }>;
    expect(findings.map((f) => [f.code, f.name, f.severity, f.range.start.line, f.range.start.column])).toEqual([["MH000", "invalid-syntax", "error", 1, 1]]);
    expect(r.status).toBe(1);
  });

  it("never reports a syntax error in a standard-library file that ast.parse accepts", { timeout: 300_000 }, () => {
    const stdlib = stdlibPath();
    const r = memhint(["check", stdlib, "--no-config", "--select", "MH000", "--format", "json", "--exit-zero"], tempDir());
    // Exit 2: a few files are skipped on purpose (tokenizer test data that is not valid UTF-8).
    expect(r.stderr).not.toContain("internal error");
    expect([0, 2], r.stderr).toContain(r.status);
    const paths = [...new Set((JSON.parse(r.stdout) as Array<{ path: string }>).map((f) => f.path))];
    // Some files are invalid on purpose (lib2to3's Python 2 test data, badsyntax_*.py): those must fail in CPython too.
    expect(paths.length).toBeGreaterThan(0);
    const check = spawnSync("python3", ["-c", `
import ast, json, sys, warnings
warnings.simplefilter("ignore")
accepted = []
for path in json.load(sys.stdin):
    try:
        ast.parse(open(path, "rb").read(), path)
        accepted.append(path)
    except (SyntaxError, ValueError):
        pass
print(json.dumps(accepted))
`], { input: JSON.stringify(paths), encoding: "utf8", timeout: 120_000 });
    expect(check.status, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual([]);
  });
});

describe("MH000 on deep code", () => {
  it("walks thousands of nested levels without overflowing the stack", () => {
    const depth = 20_000;
    const result = lint(`x = ${"(".repeat(depth)}1${")".repeat(depth - 1)}\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["MH000"]);
  });
});

describe("MH000 ranges", () => {
  it("end at the line's end when the error starts there (npm run fuzz:cli, seed 1337253537 case 202, minimized)", () => {
    // A mutated standard-library file with CRLF line endings: the error starts at a line's `\r`.
    const source = "def check_syntax_warning(testcase, statement, errtext='',\r\n                         *, lineno=1, offset=None):\r\n    testcase.assertTrue(issubclass(warn.category, SyntaxWarning),\r\n                        warn.category)\r\n        check_syntax_error(testcase, statement, errtext,\r\n                           lineno=lineno, offset=offset)\r\n    \"\"\"Decorator to suppress warnings.\r\n    \"\"\"\r\n \u2028               return test(self, *args, **kwargs)\r\n    \"\"\"Context manager to check that no warnings are emitted.\r\n";
    const [d] = lint(source).diagnostics.filter((x) => x.code === "MH000");
    expect(source[d.start]).toBe("\r");
    expect(d.end).toBe(d.start);
  });

  it("stay on their line, also for an error at a line's end (CRLF), on broken copies of every fixture", () => {
    const next = random(20261207);
    let checked = 0;
    for (const fixture of discoverFixtures()) {
      const lines = readText(fixture.path).replace(/\n/g, "\r\n").split(/(?<=\n)/);
      for (let k = 0; k < 12; k++) {
        // Break it: drop a line, and indent another one deeper or not at all.
        const copy = [...lines];
        copy.splice(Math.floor(next() * copy.length), 1);
        const i = Math.floor(next() * copy.length);
        copy[i] = next() < 0.5 ? `        ${copy[i]}` : copy[i].trimStart();
        const source = copy.join("");
        for (const d of lint(source).diagnostics.filter((d) => d.code === "MH000")) {
          expect(d.end, source).toBeGreaterThanOrEqual(d.start);
          expect(source.slice(d.start, d.end), source).not.toMatch(/[\r\n]/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
