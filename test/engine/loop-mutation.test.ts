/**
 * The loop-mutation analysis on small programs: how each use of a name is classified, and when a
 * name is shown to stay unchanged while a loop body runs.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { classifyUse, freshContainerKind, stableDuringLoop } from "../../server/engine/loop-mutation.js";
import { MODEL_NODE_TYPES, SemanticModel } from "../../server/engine/model.js";
import { parser } from "../helpers/engine.js";

function analyse(source: string): { model: SemanticModel; root: Node } {
  const root = parser.parse(source).rootNode;
  const nodes = root.descendantsOfType([...MODEL_NODE_TYPES]).filter((n): n is Node => n !== null);
  return { model: new SemanticModel(root, nodes), root };
}

/** The kind of every use of `name` after the first line, in order. */
function uses(source: string, name: string): string[] {
  const { model, root } = analyse(source);
  const ids = root.descendantsOfType("identifier").filter((n): n is Node => !!n && n.text === name);
  const owner = model.resolveScope(name, model.scopeOf(ids[0]));
  if (!owner) throw new Error(`${name} is not bound`);
  return ids.slice(1).map((id) => classifyUse(id, owner, model));
}

/** Whether the iterated name of the first `for x in list(NAME)` loop is stable. */
function stable(source: string): boolean {
  const { model, root } = analyse(source);
  const loop = root.descendantsOfType("for_statement")[0];
  const name = loop?.childForFieldName("right")?.descendantsOfType("identifier").find((n) => n?.text !== "list");
  if (!loop || !name) throw new Error("no loop");
  return stableDuringLoop(name, loop, model) !== null;
}

describe("classifyUse", () => {
  it("tells reads, iteration, mutation, rebinding and escape apart", () => {
    const source = `d = {}
d[1]
d.get(1)
len(d)
1 in d
sorted(d)
for k in d: pass
d[1] = 2
del d[1]
d.pop(1)
d += {}
d = {}
f(d)
x = d
d.custom()
`;
    expect(uses(source, "d")).toEqual([
      "read", "read", "read", "iterate", "iterate", "iterate", "mutate", "mutate", "mutate", "mutate", "bind", "escape", "escape", "escape",
    ]);
  });

  it("sees through parentheses, boolean operators and conditions", () => {
    expect(uses("d = {}\nif d and (d):\n    pass\ny = d or {}\n", "d")).toEqual(["read", "read", "escape"]);
  });

  it("treats returning a function's own local as harmless", () => {
    expect(uses("def f():\n    d = {}\n    return d, 1\n", "d")).toEqual(["read"]);
  });
});

describe("freshContainerKind", () => {
  it("knows containers built in scope, and nothing else", () => {
    const { model } = analyse("a = []\nb = dict(x=1)\nc = a\nd = e = []\ng = {}\ng = []\n");
    const kind = (n: string) => freshContainerKind(n, model.module, model);
    expect([kind("a"), kind("b"), kind("c"), kind("d"), kind("g")]).toEqual(["list", "dict", null, null, null]);
  });
});

describe("stableDuringLoop", () => {
  it("accepts a body that only reads", () => {
    expect(stable("d = {}\nfor k in list(d):\n    print(k, d[k], len(d))\n")).toBe(true);
  });

  it("rejects mutation, rebinding and aliasing in the body", () => {
    expect(stable("d = {}\nfor k in list(d):\n    del d[k]\n")).toBe(false);
    expect(stable("d = {}\nfor k in list(d):\n    d = {}\n")).toBe(false);
    expect(stable("d = {}\na = d\nfor k in list(d):\n    a.pop(k)\n")).toBe(false);
    expect(stable("d = {}\na = d\nfor k in list(d):\n    a[k] = 1\n")).toBe(false);
  });

  it("lets unknown calls through only for a container that never escapes", () => {
    expect(stable("def f():\n    d = {}\n    for k in list(d):\n        g(k)\n")).toBe(true);
    expect(stable("def f(d):\n    for k in list(d):\n        g(k)\n")).toBe(false);
    expect(stable("def f():\n    d = {}\n    keep(d)\n    for k in list(d):\n        g(k)\n")).toBe(false);
    expect(stable("d = {}\ndef drop(k):\n    d.pop(k)\nfor k in list(d):\n    drop(k)\n")).toBe(false);
  });

  it("rejects a parameter the body iterates (it may be an iterator) and introspection", () => {
    expect(stable("def f(it):\n    for x in list(it):\n        print(x in it)\n")).toBe(false);
    expect(stable("d = {}\nfor k in list(d):\n    exec('d.clear()')\n")).toBe(false);
  });

  it("rejects a global when the loop can suspend", () => {
    expect(stable("d = {}\ndef gen():\n    for k in list(d):\n        yield k\n")).toBe(false);
    expect(stable("def gen():\n    d = {}\n    for k in list(d):\n        yield k\n")).toBe(true);
  });
});
