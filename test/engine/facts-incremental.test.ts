/**
 * Provenance and runs-once answers read other functions' bodies; an incremental lint must still
 * give what a full lint gives. A probe rule quotes both answers for every `.append(x)`, and each
 * case edits another function so that an answer changes.
 */
import { describe, expect, it } from "vitest";
import { EditableTree } from "../../server/engine/editable-tree.js";
import { disposeLintState, lintFull, lintIncremental, type LintState, mergeSpans, type StatefulLint } from "../../server/engine/incremental.js";
import { lintSource } from "../../server/engine/lint.js";
import { LineIndex } from "../../server/engine/positions.js";
import { resolveSettings } from "../../server/engine/settings.js";
import { defineRule, type Diagnostic, type Rule } from "../../server/engine/types.js";
import { parser } from "../helpers/engine.js";
import { random } from "../helpers/random.js";

const probe: Rule = defineRule({
  code: "MH999",
  name: "probe",
  severity: "hint",
  messages: { m: "{{text}}" },
  docs: { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" },
  peers: [],
  nodeTypes: ["call"],
  fixable: "never",
  check(node, ctx) {
    const fn = node.childForFieldName("function");
    if (fn?.type !== "attribute" || fn.childForFieldName("attribute")?.text !== "append") return;
    const arg = node.childForFieldName("arguments")?.namedChild(0);
    if (!arg) return;
    const p = ctx.facts.provenance.of(arg);
    const once = ctx.facts.context.runsOnce(node);
    ctx.report({ node, messageId: "m", data: { text: `${p.origin} ${p.reason} | ${once.once} ${once.reason}` } });
  },
});
const rules = [probe];
const settings = resolveSettings({});

function full(text: string): Diagnostic[] {
  return lintSource(parser, text, rules, settings).diagnostics;
}

/** Lint `text`, apply the edits one by one incrementally, and compare each step with a full lint. */
function replay(text: string, edits: Array<[string, string]>): { incremental: number; messages: string[] } {
  const tree = new EditableTree(parser, text);
  let state: LintState | null = lintFull(tree.tree.copy(), text, rules, settings, new LineIndex(text)).state;
  let incremental = 0;
  const messages: string[] = [];
  for (const [from, to] of edits) {
    const at = text.indexOf(from);
    if (at < 0) throw new Error(`no ${JSON.stringify(from)}`);
    const next = text.slice(0, at) + to + text.slice(at + from.length);
    const lines = new LineIndex(next);
    tree.edit(at, at + from.length, to.length, new LineIndex(text), lines);
    text = next;
    const { tree: reparsed, changed } = tree.reparse(lines);
    const own = reparsed.copy();
    const attempt = state ? lintIncremental(state, own, text, lines, mergeSpans(null, at, at + from.length, to.length), changed, settings) : null;
    let outcome: StatefulLint;
    if (attempt?.ok) {
      incremental++;
      outcome = attempt.lint;
    } else {
      if (state) disposeLintState(state);
      outcome = lintFull(own, text, rules, settings, lines);
    }
    state = outcome.state;
    const expected = full(text);
    expect(outcome.result.diagnostics.map((d) => d.message), text).toEqual(expected.map((d) => d.message));
    messages.push(...expected.map((d) => d.message));
  }
  if (state) disposeLintState(state);
  return { incremental, messages };
}

describe("provenance and runs-once in incremental lints", () => {
  it("a caller's argument to a private function turns from constant to run-time data", () => {
    const text = `ITEMS = []\ndef _add(x):\n    ITEMS.append(x)\ndef caller():\n    y = "a"\n    z = y\n    _add(z)\n`;
    const { messages } = replay(text, [[`y = "a"`, "y = input()"], ["y = input()", `y = "b"`]]);
    expect(messages.some((m) => m.startsWith("runtime `input()`"))).toBe(true);
  });

  it("a call moves into a loop over run-time data, in another function", () => {
    const text = `import sys\nITEMS = []\ndef _setup(v):\n    ITEMS.append(v)\ndef main():\n    _setup(1)\n    print()\nmain()\n`;
    const { messages } = replay(text, [["    _setup(1)\n", "    for a in sys.argv:\n        _setup(1)\n"], ["print()", "print(1)"]]);
    expect(messages.some((m) => m.includes("false in `_setup()`, called from `main()`"))).toBe(true);
  });

  it("another method starts writing a class constant through the instance", () => {
    const text = `class C:\n    KIND = "k"\n    def add(self, out):\n        out.append(self.KIND)\n    def other(self, v):\n        pass\n`;
    const { messages } = replay(text, [["        pass\n", "        self.KIND = v\n"], ["        self.KIND = v\n", "        pass\n"]]);
    expect(messages.some((m) => m.startsWith("unknown `self.KIND`"))).toBe(true);
    expect(messages.some((m) => m.startsWith("code `self.KIND`, a class constant"))).toBe(true);
  });

  it("random edits of function bodies agree with full lints", () => {
    const text = `import sys
ITEMS = []
TABLE = {"a": 1}
def _add(x, y="c"):
    ITEMS.append((x, y))
def _setup(v):
    ITEMS.append(v)
def main():
    _setup(1)
    for k in TABLE:
        _add(k)
def api(value):
    out = []
    out.append(value)
    return out
if __name__ == "__main__":
    main()
`;
    const pieces = ["_add(sys.argv[1])\n    ", "_setup(input())\n    ", "for a in sys.argv:\n        ", "_add(k, 'd')\n    ", "x = 1\n    ", "global TABLE\n    ", "TABLE['z'] = value\n    ", "while True:\n        "];
    const rnd = random(20260601);
    const edits: Array<[string, string]> = [];
    let current = text;
    for (let i = 0; i < 80; i++) {
      // Insert a piece at the start of a random statement inside a function body.
      const starts = [...current.matchAll(/\n {4}(?=\S)/g)].map((m) => (m.index ?? 0) + 5);
      const at = starts[Math.floor(rnd() * starts.length)];
      const piece = pieces[Math.floor(rnd() * pieces.length)];
      // Anchor the edit on the rest of the line, which is unique enough once prefixed.
      const lineEnd = current.indexOf("\n", at);
      const from = current.slice(at - 5, lineEnd);
      if (current.indexOf(from) !== at - 5) continue;
      const to = `\n    ${piece}${from.slice(5)}`;
      edits.push([from, to]);
      current = current.replace(from, to);
    }
    const { incremental } = replay(text, edits);
    // (Most edits touch names some check asked about and lint the whole file; some stay incremental.)
    expect(incremental).toBeGreaterThan(0);
  });
});
