/**
 * Incremental sync: random edit sequences, applied the way the server applies them (LSP ranges
 * in each encoding → Tree.edit → reparse with the old tree), must leave exactly the text, tree
 * and diagnostics that a fresh parse of the same text gives.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRules } from "../../rules/index.js";
import { LineIndex, lintSource, resolveSettings } from "../../server/engine/index.js";
import { Analyzer } from "../../server/lsp/analysis.js";
import { DocumentStore, textOf } from "../../server/lsp/documents.js";
import type { Logger } from "../../server/lsp/log.js";
import { SettingsManager } from "../../server/lsp/settings.js";
import { stdlibPath } from "../../scripts/corpus.js";
import { parser } from "../helpers/engine.js";
import { random } from "../helpers/random.js";
import { discoverFixtures } from "../helpers/fixtures.js";

type Encoding = "utf-8" | "utf-16" | "utf-32";

const quiet: Logger = { info() {}, warn() {}, error() {}, once() {}, forget() {} };

/** Reference conversion, written independently of LineIndex: offset → LSP position. */
function positionOf(text: string, offset: number, encoding: Encoding): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = text.slice(lineStart, offset);
  const character = encoding === "utf-16" ? before.length : encoding === "utf-32" ? [...before].length : Buffer.byteLength(before, "utf8");
  return { line, character };
}

/** Snap an offset to a boundary an LSP position can name (not inside a surrogate pair or a CRLF). */
function snap(text: string, offset: number): number {
  let o = Math.max(0, Math.min(offset, text.length));
  const c = text.charCodeAt(o);
  if (o > 0 && c >= 0xdc00 && c <= 0xdfff) o--;
  if (o > 0 && text[o] === "\n" && text[o - 1] === "\r") o--;
  return o;
}

const SNIPPETS = [
  "", "x", "\n", "\r\n", "\r", "\n\r", "(", ")", "[", "]", ":", " ", "\t", "    ", "#", "'", '"', '"""', "\\\n",
  "sum([i * i for i in range(1000)])", "any([w for w in words])", "set([c for c in text])",
  "日本語", "😀", "é", "total = 1\n", "def f(xs):\n    return max([x for x in xs])\n",
  "  # memhint: ignore[MH101]", "# memhint: ignore-file\n", "for i in range(3):\n    pass\n",
  "import functools\n@functools.lru_cache(maxsize=None)\ndef g(n):\n    return n\n",
];

/** Every rule's positive fixture: real Python with findings and fixes to disturb. */
function corpus(): string {
  const parts = discoverFixtures().filter((f) => f.name.endsWith("/positive.py")).map((f) => readFileSync(f.path, "utf8"));
  return parts.join("\n");
}

/** The server's settings with MH000 on, so that syntax errors are compared too. */
function reportingSyntaxErrors(): SettingsManager {
  const manager = new SettingsManager(quiet, { show() {}, warn() {} });
  manager.setClientSettings({ syntaxErrors: true }, "test");
  return manager;
}

describe("incremental reparse equals a fresh parse", () => {
  const base = corpus();
  const settings = resolveSettings();

  for (const seed of [1, 2, 3]) {
    it(`random edit sequence, seed ${seed}`, () => {
      const next = random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
      const store = new DocumentStore(parser, quiet);
      const analyzer = new Analyzer(store, allRules, reportingSyntaxErrors(), quiet);
      const uri = `untitled:seed-${seed}.py`;
      let expected = seed % 2 === 0 ? base.replace(/\n/g, "\r\n") : base;
      const doc = store.open({ uri, languageId: "python", version: 1, text: expected });
      let version = 1;
      for (let step = 0; step < 70; step++) {
        const encoding = pick<Encoding>(["utf-8", "utf-16", "utf-32"]);
        const changes = [];
        for (let k = 1 + Math.floor(next() * 2.5); k > 0; k--) {
          const start = snap(expected, Math.floor(next() * (expected.length + 1)));
          const span = next() < 0.7 ? Math.floor(next() * 4) : Math.floor(next() * 120);
          const end = snap(expected, Math.max(start, start + span));
          const from = snap(expected, Math.floor(next() * expected.length));
          const insert = next() < 0.1 ? expected.slice(from, from + Math.floor(next() * 60)) : pick(SNIPPETS);
          const clean = snap(insert, insert.length) === insert.length ? insert : insert.slice(0, -1);
          changes.push({ range: { start: positionOf(expected, start, encoding), end: positionOf(expected, end, encoding) }, text: clean });
          expected = expected.slice(0, start) + clean + expected.slice(end);
        }
        store.change({ textDocument: { uri, version: ++version }, contentChanges: changes }, encoding);
        expect(textOf(doc)).toBe(expected);
        // The line index, updated edit by edit, equals one built from scratch.
        const scratch = new LineIndex(expected);
        expect(doc.lines.lineCount).toBe(scratch.lineCount);
        for (let line = 0; line < scratch.lineCount; line++) {
          if (doc.lines.lineStart(line) !== scratch.lineStart(line)) expect.fail(`seed ${seed}, step ${step}: line ${line} starts at ${doc.lines.lineStart(line)}, not ${scratch.lineStart(line)}`);
        }
        if (step % 3 !== 2) continue; // several edits between parses, as in a burst
        const incremental = analyzer.analyze(doc)!.result.diagnostics;
        // Rules that threw on this document are disabled for it (the server's policy): compare like with like.
        const fresh = lintSource(parser, expected, allRules, settings, { disabled: doc.disabled }).diagnostics;
        expect(incremental, `seed ${seed}, step ${step}`).toEqual(fresh);
        if (step % 15 === 14) {
          const tree = parser.parse(expected);
          expect(store.tree(doc)!.rootNode.toString()).toBe(tree.rootNode.toString());
          tree.delete();
        }
      }
      store.close(uri);
    });
  }

  it("lints typing inside methods incrementally, exactly as a full lint, and compacts when idle", () => {
    const store = new DocumentStore(parser, quiet);
    const analyzer = new Analyzer(store, allRules, reportingSyntaxErrors(), quiet);
    const uri = "untitled:typing.py";
    const stdlib = stdlibPath();
    const doc = store.open({ uri, languageId: "python", version: 1, text: readFileSync(join(stdlib, "fractions.py"), "utf8") });
    let version = 1;
    analyzer.analyze(doc);
    const how = new Map<string, number>();
    const next = random(42);
    for (let round = 0; round < 4; round++) {
      // After a `return` line of a method: a new line, then a statement a key at a time.
      const lines = textOf(doc).split("\n");
      const returns = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ {8}return /.test(l));
      const [line, row] = returns[Math.floor(next() * returns.length)];
      const typed = `\n        ${pick(["total = sum([v * v for v in range(10**6)])", "items = [x for x in xs]", "self.parent = parent"], next)}`;
      for (let k = 0; k < typed.length; k++) {
        const at = k === 0 ? { line: row, character: line.length } : { line: row + 1, character: k - 1 };
        store.change({ textDocument: { uri, version: ++version }, contentChanges: [{ range: { start: at, end: at }, text: typed[k] }] }, "utf-16");
        const snapshot = analyzer.analyze(doc)!;
        how.set(snapshot.how, (how.get(snapshot.how) ?? 0) + 1);
        expect(snapshot.result.diagnostics, `round ${round}, key ${k}`).toEqual(lintSource(parser, textOf(doc), allRules, settings).diagnostics);
      }
    }
    const total = [...how.values()].reduce((a, b) => a + b, 0);
    expect((how.get("incremental") ?? 0) / total, JSON.stringify([...how])).toBeGreaterThan(0.6);
    // One more line, with no bracket to leave open: each key linted incrementally.
    const end = textOf(doc).split("\n").findIndex((l) => /^ {8}return /.test(l));
    const lineLength = textOf(doc).split("\n")[end].length;
    for (const [k, key] of [..."\n        done = 1"].entries()) {
      const at = k === 0 ? { line: end, character: lineLength } : { line: end + 1, character: k - 1 };
      store.change({ textDocument: { uri, version: ++version }, contentChanges: [{ range: { start: at, end: at }, text: key }] }, "utf-16");
      expect(analyzer.analyze(doc)!.how).toBe("incremental");
    }
    // Idle: a full lint agrees (nothing to publish again) and the next lints start from it.
    expect(doc.lintState!.steps).toBeGreaterThan(0);
    expect(analyzer.compact(doc)).toBe(false);
    expect(doc.lintState!.steps).toBe(0);
    store.close(uri);
  });
});

function pick<T>(xs: readonly T[], next: () => number): T {
  return xs[Math.floor(next() * xs.length)];
}
