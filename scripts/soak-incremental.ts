/**
 * `npm run soak:incremental`: types code into functions, class bodies and the module level of many
 * standard-library files, a key at a time, then deletes it, and checks after every keystroke
 * that the incremental lint equals a full lint of the same text. Prints how many keystrokes were
 * linted incrementally and every mismatch (there must be none). Minutes long; the tests run a
 * small sample of the same.
 *
 *   npm run soak:incremental [-- --every=N --offset=K]   (every Nth file, starting at the Kth)
 */
import { readFileSync, statSync } from "node:fs";
import { allRules } from "../rules/index.js";
import { disposeLintState, lintFull, lintIncremental, type ChangedSpan, type LintState, mergeSpans, type StatefulLint } from "../server/engine/incremental.js";
import { EditableTree } from "../server/engine/editable-tree.js";
import { LineIndex, lintSource, loadPythonParser, resolveSettings } from "../server/engine/index.js";
import { pythonFiles, stdlibPath } from "./corpus.js";

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}

const EVERY = option("every", 10);
const OFFSET = option("offset", 0);

/** Code typed into function bodies: plain, read by other functions' checks, and bracketed. */
const SNIPPETS = [
  "total = sum([v * v for v in range(10)])", "self.parent = parent", "CACHE[k] = v", "del self.x", "global G",
  "items.append(x)", "for line in open(p).readlines(): pass", "x = [0] * 100_000_000", "return self()",
  "import weakref as wr", "# see __dict__", "if self._x is None: return other",
  // Statements typed in class bodies and the module, that checks of other nodes read.
  "def grow(self, n): return [n] * n", "print(type(self)())", "cls()", "CACHE.clear()", "'''Docs.'''",
];

const parser = await loadPythonParser();
const settings = resolveSettings({ select: ["ALL"] });
const skipped = new Set(["test", "tests", "idlelib", "lib2to3"]);
const files = pythonFiles(stdlibPath())
  .filter((f) => !f.split("/").some((part) => skipped.has(part)) && statSync(f).size < 150_000)
  .filter((_, i) => i % EVERY === OFFSET);

let seed = 1;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const fallbacks = new Map<string, number>();
let steps = 0;
let incremental = 0;
let mismatches = 0;
const started = performance.now();
for (const file of files) {
  let text = readFileSync(file, "utf8");
  if (text.includes("\0")) continue;
  const tree = new EditableTree(parser, text);
  let state: LintState | null = lintFull(tree.tree.copy(), text, allRules, settings, new LineIndex(text)).state;
  let span: ChangedSpan | null = null;
  const edit = (start: number, end: number, inserted: string): void => {
    const before = new LineIndex(text);
    const next = text.slice(0, start) + inserted + text.slice(end);
    const after = new LineIndex(next);
    tree.edit(start, end, inserted.length, before, after);
    text = next;
    span = mergeSpans(span, start, end, inserted.length);
    const { tree: reparsed, changed: ranges, flipped } = tree.reparse(after);
    for (const at of flipped) span = mergeSpans(span, at, at + 1, 1);
    const own = reparsed.copy();
    const attempt = state ? lintIncremental(state, own, text, after, span, ranges, settings) : null;
    let outcome: StatefulLint;
    if (attempt?.ok) {
      incremental++;
      outcome = attempt.lint;
    } else {
      if (attempt) fallbacks.set(attempt.reason, (fallbacks.get(attempt.reason) ?? 0) + 1);
      if (state) disposeLintState(state);
      outcome = lintFull(own, text, allRules, settings, after);
    }
    state = outcome.state;
    span = null;
    steps++;
    const expected = lintSource(parser, text, allRules, settings).diagnostics;
    if (JSON.stringify(expected) !== JSON.stringify(outcome.result.diagnostics)) {
      mismatches++;
      console.log(`MISMATCH ${file} at ${start}: ${JSON.stringify(text.slice(Math.max(0, start - 60), start + inserted.length + 20))}`);
    }
  };
  const lines = text.split("\n");
  // Three lines typed after an indented line (in a function or a class body), one after a
  // line of the module.
  const indented = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ {4,8}\S/.test(l)).map(([, i]) => i);
  const outer = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\S/.test(l)).map(([, i]) => i);
  for (let round = 0; round < 4; round++) {
    const anchors = round < 3 ? indented : outer;
    if (anchors.length === 0) continue;
    const row = anchors[Math.floor(random() * anchors.length)];
    const current = text.split("\n");
    let at = -1;
    for (let i = 0; i <= row && i < current.length; i++) at += current[i].length + 1;
    const indent = /^\s*/.exec(current[row] ?? "")![0];
    const typed = `\n${indent}${SNIPPETS[Math.floor(random() * SNIPPETS.length)]}`;
    for (let k = 0; k < typed.length; k++) edit(at + k, at + k, typed[k]);
    for (let k = typed.length; k > 0; k -= 5) edit(at + Math.max(0, k - 5), at + k, "");
  }
  if (state) disposeLintState(state);
  tree.delete();
}
const reasons = [...fallbacks].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
console.log(`${files.length} files, ${steps} keystrokes in ${((performance.now() - started) / 1000).toFixed(0)} s: ${incremental} linted incrementally; full lints: ${reasons}`);
console.log(`mismatches with a full lint: ${mismatches}`);
process.exitCode = mismatches > 0 ? 1 : 0;
