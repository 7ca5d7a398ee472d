/**
 * Unclosed brackets (unclosed.ts): which brackets the parser sees as `?`, that valid Python is
 * never touched, that the rescan after an edit equals a fresh scan, and that an EditableTree's
 * incremental reparse equals a fresh parse while brackets open and close.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRules } from "../../rules/index.js";
import { EditableTree } from "../../server/engine/editable-tree.js";
import { lintSource } from "../../server/engine/lint.js";
import { LineIndex } from "../../server/engine/positions.js";
import { resolveSettings } from "../../server/engine/settings.js";
import { maskedInput, rescanBrackets, scanBrackets, unclosedBrackets } from "../../server/engine/unclosed.js";
import { pythonFiles, stdlibPath } from "../../scripts/corpus.js";
import { parser } from "../helpers/engine.js";
import { random } from "../helpers/random.js";

/** The offset of the last character of each needle (at its first occurrence in `text`). */
function at(text: string, ...needles: string[]): number[] {
  return needles.map((needle) => {
    const i = text.indexOf(needle);
    if (i < 0) throw new Error(`no ${needle} in the text`);
    return i + needle.length - 1;
  });
}

describe("unclosedBrackets", () => {
  it("finds the brackets still open when a line starts with a statement keyword", () => {
    const text = "def f(xs):\n    total = sum([x for x in range(3\n    return total\n";
    expect(unclosedBrackets(text)).toEqual(at(text, "sum(", "sum([", "range("));
    const crlf = "x = f(\r\nreturn\r\n";
    expect(unclosedBrackets(crlf)).toEqual([5]);
    const nested = "class A:\n    def f(self):\n        g(h[{\n    def g(self):\n        pass\n";
    expect(unclosedBrackets(nested)).toEqual(at(nested, "g(", "h[", "h[{"));
    const asyncDef = "x = (1,\nasync def g(): pass\n";
    expect(unclosedBrackets(asyncDef)).toEqual([4]);
  });

  it("leaves brackets that later lines may still close, and keywords that continue expressions", () => {
    for (const text of [
      "x = f(\n    a,\n    b\n)\nreturn x\n",
      "y = (a\n     if b\n     else c)\n",
      "z = [x\n     async for x in g()\n     if x\n     for y in x\n     ]\n",
      "w = [lambda: 1,\n     not x,\n     await y]\n",
      "v = f(\n    returned,\n    passes=1, classy=2, define=3)\n",
      "u = g(\nx = 1\n", // still open at the end, but no statement keyword: tree-sitter's own recovery
    ]) {
      expect(unclosedBrackets(text), text).toEqual([]);
    }
  });

  it("does not count brackets, keywords or quotes inside strings and comments", () => {
    for (const text of [
      's = "(" # (\nreturn 1\n',
      "s = '''(\ndef g():\n'''\nreturn s\n",
      's = """(\n',
      's = "a\\"(" + x\ndef g(): pass\n',
      "s = r'\\'(' + x\ndef g(): pass\n",
      's = "abc(\ndef g(): pass\n', // an unterminated string ends with its line
      "s = f'{x[\"(\"]}' + (\n  1)\ndef g(): pass\n",
      "x = 1 + \\\n    2\ndef g(): pass\n",
      // f-strings: Python 3.12 lets a replacement field hold strings with the same quotes, and
      // a format spec's fill character may be a quote.
      'def show(tags):\n    print(f"{"#" * 10}")\n    return tags\n',
      'x = f"{"(" if neg else ""}"\nreturn x\n',
      "s = f\"{x:'>10}\" + (\n    1)\ndef g(): pass\n",
      "s = f'{x!r:>{width}}' + F'{f\"{y}(\"}' + rf'{z}\\(' + t'{w}'\ndef g(): pass\n",
      "s = f'''{\n    x  # a comment (\n}''' + f'{{(' + '}}'\ndef g(): pass\n",
    ]) {
      expect(unclosedBrackets(text), text).toEqual([]);
    }
  });

  it("lets a closer close the nearest bracket of its kind and ignores a stray one", () => {
    const text = "x = f(a]\nreturn x\n";
    expect(unclosedBrackets(text)).toEqual([5]);
    const stray = "x = a)\nreturn x\n";
    expect(unclosedBrackets(stray)).toEqual([]);
    const skipped = "x = f(a[1)\nreturn x\n";
    expect(unclosedBrackets(skipped)).toEqual([]);
  });

  it("masks one code unit for one, so that no offset moves", () => {
    const text = "é(😀[\nreturn\n";
    const input = maskedInput(text, unclosedBrackets(text));
    expect(typeof input).toBe("function");
    let masked = "";
    while (masked.length < text.length) masked += (input as (index: number) => string)(masked.length);
    expect(masked).toBe("é?😀?\nreturn\n");
    expect(maskedInput(text, [])).toBe(text);
    // What tree-sitter reads is what the nodes say.
    const tree = parser.parse(text);
    expect(tree.rootNode.text).toBe(masked);
    tree.delete();
  });

  it("changes no file of the standard library that CPython compiles", () => {
    const files = pythonFiles(stdlibPath());
    const flagged: string[] = [];
    let scanned = 0;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      scanned++;
      if (unclosedBrackets(text).length > 0) flagged.push(file);
    }
    expect(scanned).toBeGreaterThan(1000);
    // A flagged file must be one CPython rejects (the test suite's deliberately broken files).
    const compiled = flagged.length === 0 ? [] : JSON.parse(execFileSync("python3", ["-c", `
import json, sys
ok = []
for path in json.load(sys.stdin):
    try:
        compile(open(path, 'rb').read(), path, 'exec')
        ok.append(path)
    except (SyntaxError, ValueError):
        pass
print(json.dumps(ok))
`], { input: JSON.stringify(flagged), encoding: "utf8" })) as string[];
    expect(compiled).toEqual([]);
  });
});

/** Text that opens, closes and breaks things. */
const PIECES = ["(", ")", "[", "]", "{", "}", "'", '"', '"""', "#", "\\", "\n", "\r\n", "\n    return x\n", "\ndef g():\n", " for ", "x", " "];

function randomEdit(text: string, next: () => number): { start: number; end: number; inserted: string } {
  const start = Math.floor(next() * (text.length + 1));
  const end = next() < 0.3 ? Math.min(text.length, start + Math.floor(next() * 12)) : start;
  const inserted = next() < 0.8 ? PIECES[Math.floor(next() * PIECES.length)] : "";
  return { start, end, inserted };
}

const SAMPLES = ["_pydecimal.py", "base64.py", "textwrap.py", "tokenize.py"].map((f) => join(stdlibPath(), f));

describe("rescanBrackets", () => {
  it("equals a fresh scan after random edits", () => {
    for (const [n, file] of SAMPLES.entries()) {
      const next = random(100 + n);
      let text = readFileSync(file, "utf8");
      let scan = scanBrackets(text);
      for (let step = 0; step < 150; step++) {
        const { start, end, inserted } = randomEdit(text, next);
        const edited = text.slice(0, start) + inserted + text.slice(end);
        const again = rescanBrackets(scan, edited, start, end, start + inserted.length);
        const fresh = scanBrackets(edited);
        expect(again.unclosed, `${file} step ${step}`).toEqual(fresh.unclosed);
        expect(again.restarts, `${file} step ${step}`).toEqual(fresh.restarts);
        text = edited;
        scan = again;
      }
    }
  });
});

describe("EditableTree", () => {
  it("reparses to the tree a fresh parse gives while brackets open and close", () => {
    for (const [n, file] of SAMPLES.slice(1).entries()) {
      const next = random(200 + n);
      let text = readFileSync(file, "utf8");
      const tree = new EditableTree(parser, text);
      try {
        for (let step = 0; step < 60; step++) {
          // Two edits per reparse, as a burst of typing gives.
          for (let k = 0; k < 2; k++) {
            const { start, end, inserted } = randomEdit(text, next);
            const edited = text.slice(0, start) + inserted + text.slice(end);
            tree.edit(start, end, inserted.length, new LineIndex(text), new LineIndex(edited));
            text = edited;
          }
          const { tree: reparsed } = tree.reparse(new LineIndex(text));
          const fresh = parser.parse(text);
          expect(reparsed.rootNode.toString(), `${file} step ${step}`).toBe(fresh.rootNode.toString());
          fresh.delete();
        }
      } finally {
        tree.delete();
      }
    }
  });

  it("reports the brackets it masked or unmasked", () => {
    const text = "def f():\n    x = 1\n    return x\n";
    const tree = new EditableTree(parser, text);
    try {
      const open = text.replace("x = 1", "x = g(1");
      tree.edit(text.indexOf("1\n"), text.indexOf("1\n"), 2, new LineIndex(text), new LineIndex(open));
      // "(" is masked as it is inserted (inside the edit, so nothing new for the lint).
      expect(tree.reparse(new LineIndex(open)).flipped).toEqual([open.indexOf("g(") + 1]);
      const closed = open.replace("g(1", "g(1)");
      const atClose = open.indexOf("g(1") + 3;
      tree.edit(atClose, atClose, 1, new LineIndex(open), new LineIndex(closed));
      // Closing it unmasks it: a one-character edit away from the ")" typed.
      expect(tree.reparse(new LineIndex(closed)).flipped).toEqual([open.indexOf("g(") + 1]);
    } finally {
      tree.delete();
    }
  });
});

describe("a bracket left open while typing", () => {
  const settings = resolveSettings({ select: ["ALL"] });
  const source = [
    "class Box:",
    "    def first(self):",
    "        return 1",
    "",
    "    def second(self, n):",
    "        return sum([k * k for k in range(n)])",
    "",
    "",
    "def third(n):",
    "    return max([k for k in range(n)])",
    "",
  ].join("\n");

  it("keeps the findings of the functions after it", () => {
    const before = lintSource(parser, source, allRules, settings);
    expect(before.diagnostics.map((d) => d.code)).toEqual(["MH101", "MH101"]);
    const typing = source.replace("        return 1", "        digits = [int(c) for c in str(abs(\n        return 1");
    const after = lintSource(parser, typing, allRules, settings);
    expect(after.hasSyntaxErrors).toBe(true);
    const shift = typing.length - source.length;
    // The unfinished line is the one syntax error (MH000); the findings after it are kept.
    const [syntax, ...rest] = after.diagnostics;
    expect(syntax.code).toBe("MH000");
    expect(typing.slice(syntax.start, syntax.end)).toContain("digits = [int(c)");
    expect(rest.map((d) => [d.code, d.start - shift])).toEqual(before.diagnostics.map((d) => [d.code, d.start]));
    // Without the masking, tree-sitter's recovery swallows them.
    const raw = parser.parseMasked(typing, null);
    const functions = raw.rootNode.descendantsOfType("function_definition").length;
    raw.delete();
    const masked = parser.parse(typing);
    expect(masked.rootNode.descendantsOfType("function_definition").length).toBe(3);
    masked.delete();
    expect(functions).toBeLessThan(3);
  });
});
