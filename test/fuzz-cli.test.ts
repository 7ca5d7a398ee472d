/**
 * A small sample of the CLI fuzzer (`npm run fuzz:cli`, scripts/fuzz-cli-lib.ts): a fixed seed,
 * a few dozen mutated standard-library files, each mode once (plain, JSON, --fix, --unsafe-fixes,
 * --diff, --jobs, stdin; FIFOs, a link to /dev/zero and a link loop in some folders), run through
 * the built binary and judged by the fuzzer's oracles. Then the oracles themselves, shown to fail
 * what they are there to catch.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkFindings, checkFixedFile, checkProcess, describeFailure, fuzzEnv, generateCase, loadCorpus, runCase,
  type Failure, type FuzzCase, type Mode, type PyError, type Run,
} from "../scripts/fuzz-cli-lib.js";

const SEED = 20_240_612;
const env = await fuzzEnv();
afterAll(() => rmSync(env.workDir, { recursive: true, force: true }));

const MODES: Array<Partial<Mode>> = [
  { action: "lint", input: "folder", format: "json", jobs: 2 },
  { action: "lint", input: "paths", format: "text", jobs: 0 },
  { action: "fix", input: "folder", format: "text", jobs: 1 },
  { action: "fix-unsafe", input: "folder", format: "json", jobs: 2 },
  { action: "fix-unsafe", input: "paths", format: "text", jobs: 0 },
  { action: "diff", input: "folder", jobs: 0 },
  { action: "diff-unsafe", input: "paths", jobs: 2 },
  { action: "lint", input: "stdin", format: "json" },
  { action: "fix-unsafe", input: "stdin", format: "text", stdinName: "pkg/mod.py" },
  { action: "diff-unsafe", input: "stdin", stdinName: null },
];

describe("the CLI fuzzer, a sample", () => {
  const corpus = loadCorpus(60_000);
  const cases = MODES.map((mode, i) => generateCase(SEED, i, corpus, {
    maxFiles: 6, mode, specials: i % 3 === 0 ? ["fifo", "dev-zero", "fifo-gitignore", "link-loop"] : [],
  }));

  it("draws a few dozen files over the modes", () => {
    const files = cases.reduce((n, c) => n + c.files.length, 0);
    expect(files).toBeGreaterThanOrEqual(20);
    expect(files).toBeLessThanOrEqual(60);
  });

  it.each(cases.map((c) => [`${c.index}: ${c.mode.action}/${c.mode.input}`, c] as const))("case %s passes every oracle", (_label, c) => {
    const result = runCase(env, c);
    expect(result.failures, describeFailure(result)).toEqual([]);
  });
});

describe("the fuzzer's oracles", () => {
  const run = (over: Partial<Run>): Run => ({
    args: ["check", "--no-config", "."], status: 0, signal: null, timedOut: false, stdout: Buffer.alloc(0), stderr: "", ms: 1, budgetMs: 7_000, ...over,
  });
  const collect = (check: (fail: (f: Failure) => void) => void): string[] => {
    const failures: Failure[] = [];
    check((f) => failures.push(f));
    return failures.map((f) => f.oracle);
  };

  it("a crash or a hang fails", () => {
    expect(collect((fail) => checkProcess(run({}), "lint", fail))).toEqual([]);
    expect(collect((fail) => checkProcess(run({ status: 3 }), "lint", fail))).toEqual(["no crash"]);
    expect(collect((fail) => checkProcess(run({ status: null, signal: "SIGSEGV" }), "lint", fail))).toEqual(["no crash"]);
    expect(collect((fail) => checkProcess(run({ status: 2, stderr: "a.py: internal error in rule MH101: boom\n" }), "lint", fail))).toEqual(["no crash"]);
    const trace = "TypeError: x is undefined\n    at f (file:///memhint/dist/server/cli/check.js:10:5)\n";
    expect(collect((fail) => checkProcess(run({ status: 2, stderr: trace }), "lint", fail))).toEqual(["no crash"]);
    expect(collect((fail) => checkProcess(run({ status: null, signal: "SIGKILL", timedOut: true }), "lint", fail))).toEqual(["no hang"]);
  });

  const oneFile = (mode: Partial<Mode>): FuzzCase => ({
    seed: 0, index: 0, specials: [], files: [],
    mode: { action: "lint", format: "json", jobs: 0, input: "folder", stdinName: null, ...mode },
  });

  it("JSON that does not parse, a range outside the file and a status that disagrees with the output fail", () => {
    const contents = new Map([["a.py", Buffer.from("x = sum([i for i in y])\r\nz = 1\r\n")]]);
    const finding = (start: [number, number], end: [number, number], path = "a.py"): string => JSON.stringify([{
      code: "MH101", name: "n", severity: "warning", message: "m", path, estimatedBytes: null, fix: null,
      range: { start: { line: start[0], column: start[1] }, end: { line: end[0], column: end[1] } },
    }]);
    const judge = (stdout: string, status = 1, mode: Partial<Mode> = {}): string[] =>
      collect((fail) => checkFindings(run({ status, stdout: Buffer.from(stdout) }), oneFile(mode), contents, fail));
    expect(judge(finding([1, 9], [1, 24]))).toEqual([]);
    expect(judge(finding([3, 1], [3, 1]))).toEqual([]); // the empty line after the last break
    expect(judge(finding([1, 9], [1, 25]))).toEqual(["range inside file"]); // past the line's end
    expect(judge(finding([4, 1], [4, 1]))).toEqual(["range inside file"]);
    expect(judge(finding([1, 9], [1, 3]))).toEqual(["range inside file"]);
    expect(judge(finding([1, 9], [1, 24], "b.py"))).toEqual(["output"]);
    expect(judge("[{")).toEqual(["output"]);
    expect(judge("[]", 1)).toEqual(["output"]);
    expect(judge("a.py:1:30: MH101 [*] m\n", 1, { format: "text" })).toEqual(["range inside file"]);
    expect(judge("a.py:1:9: MH101 [*] m\n", 0, { format: "text" })).toEqual(["output"]);
  });

  it("a fix that breaks a file, adds a syntax error, changes its line endings or BOM, or goes unreported fails", () => {
    const judge = (before: string, after: string, verdicts: [PyError | null, PyError | null] = [null, null], reported = true): string[] => {
      const map = new Map([["before:a.py", verdicts[0]], ["after:a.py", verdicts[1]]]);
      return collect((fail) => checkFixedFile(env, "a.py", Buffer.from(before, "latin1"), Buffer.from(after, "latin1"), reported, map, fail));
    };
    const crlf = "x = sum([i for i in y])\r\n";
    expect(judge(crlf, "x = sum(i for i in y)\r\n")).toEqual([]);
    expect(judge(crlf, "x = sum(i for i in y)\r\n", [null, null], false)).toEqual(["fixed lines"]);
    expect(judge(crlf, crlf, [null, null], true)).toEqual(["fixed lines"]);
    expect(judge(crlf, "import gc\nx = sum(i for i in y)\r\n")).toEqual(["line endings kept"]);
    expect(judge("x = 1\ry = sum([i for i in y])\r", "x = 1\ry = sum(i for i in y)\n")).toEqual(["line endings kept"]);
    expect(judge(`\xef\xbb\xbf${crlf}`, "x = sum(i for i in y)\r\n")).toEqual(["line endings kept"]);
    expect(judge(crlf, "x = sum(i for i in y\r\n", [null, { line: 1, message: "SyntaxError: '(' was never closed" }])).toEqual(["still compiles"]);
    expect(judge("x = \0sum([i for i in y])\n", "x = \0sum(i for i in y)\n")).toEqual(["undecodable untouched"]);
    // With a syntax error: a second one fails (tree-sitter counts more errors; python3's first
    // error moves before where the old one went), the same one alone does not.
    const broken = "x = 1 $ 2\n\ny = sum([i for i in z])\n";
    const first: PyError = { line: 1, message: "SyntaxError: invalid syntax" };
    expect(judge(broken, "x = 1 $ 2\n\ny = sum(i for i in z)\n", [first, first])).toEqual([]);
    expect(judge(broken, "x = 1 $ 2\n\ny = sum(i for i in z\n", [first, first])).toEqual(["no new syntax errors"]);
    const late: PyError = { line: 5, message: "SyntaxError: invalid syntax" };
    const unclosed: PyError = { line: 1, message: "SyntaxError: '(' was never closed" };
    expect(judge("x = sum([i for i in y])\nz = 1\n\n\ndef f(:\n", "x = sum(i for i in y\nz = 1\n\n\ndef f(:\n", [late, unclosed])).toContain("no new syntax errors");
  });
});
