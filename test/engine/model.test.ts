import { describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { MODEL_NODE_TYPES, SemanticModel } from "../../server/engine/model.js";
import { parser } from "../helpers/engine.js";

function model(source: string): { model: SemanticModel; find: (text: string, type?: string, nth?: number) => Node } {
  const tree = parser.parse(source);
  const root = tree.rootNode;
  const nodes = root.descendantsOfType([...MODEL_NODE_TYPES]).filter((n): n is Node => n !== null);
  const find = (text: string, type = "identifier", nth = 0): Node => {
    const hits = root.descendantsOfType(type).filter((n): n is Node => !!n && n.text === text);
    if (!hits[nth]) throw new Error(`no ${type} ${text} #${nth}`);
    return hits[nth];
  };
  return { model: new SemanticModel(root, nodes), find };
}

describe("scopes", () => {
  it("nests module, class, function, lambda and comprehension scopes", () => {
    const { model: m, find } = model(`
class C:
    def method(self):
        f = lambda y: [z for z in y]
`);
    const z = find("z", "identifier", 0);
    const kinds: string[] = [];
    for (let s: ReturnType<typeof m.scopeOf> | null = m.scopeOf(z); s; s = s.parent) kinds.push(s.kind);
    expect(kinds).toEqual(["comprehension", "lambda", "function", "class", "module"]);
    expect(m.ownerScopeOf(z).kind).toBe("lambda");
  });

  it("binds parameters of every shape in the function scope", () => {
    const { model: m, find } = model(`def f(a, b=1, *args, c: int = 2, d: str, e, **kw): pass\n`);
    const scope = m.scopeOf(find("pass", "pass_statement"));
    expect([...scope.bindings.keys()].sort()).toEqual(["a", "args", "b", "c", "d", "e", "kw"]);
    expect(scope.bindings.get("b")?.[0].kind).toBe("parameter");
  });

  it("resolves class-body names only inside the class body, not in its methods", () => {
    const { model: m, find } = model(`
x = 1
class C:
    x = 2
    y = x
    def m(self):
        return x
`);
    expect(m.resolveScope("x", m.scopeOf(find("x", "identifier", 2)))?.kind).toBe("class");
    expect(m.resolveScope("x", m.scopeOf(find("x", "identifier", 3)))?.kind).toBe("module");
  });

  it("follows global and nonlocal declarations", () => {
    const { model: m, find } = model(`
counter = 0
def outer():
    total = 0
    def inner():
        global counter
        nonlocal total
        counter = 1
        total = 2
    return inner
`);
    const inner = m.scopeOf(find("counter", "identifier", 2));
    expect(m.resolveScope("counter", inner)).toBe(m.module);
    expect(m.module.bindings.get("counter")).toHaveLength(2);
    expect(m.resolveScope("total", inner)?.kind).toBe("function");
    expect(m.resolveScope("total", inner)).not.toBe(inner);
  });

  it("binds a walrus inside a comprehension in the enclosing function (PEP 572)", () => {
    const { model: m, find } = model(`def f(xs):\n    return [y for x in xs if (y := x)]\n`);
    const fn = m.scopeOf(find("xs", "identifier", 0));
    expect(fn.bindings.has("y")).toBe(true);
    expect(m.scopeOf(find("x", "identifier", 0)).kind).toBe("comprehension");
  });

  it("records with, except, for, match and type-alias bindings", () => {
    const { model: m } = model(`
with open("f") as fh, open("g") as (a, b):
    pass
try:
    pass
except ValueError as err:
    pass
for i, (j, k) in []:
    pass
match point:
    case [x, *rest] if x: pass
    case Point(x=px) as whole: pass
type Alias = list[int]
`);
    const kinds = Object.fromEntries([...m.module.bindings].map(([name, b]) => [name, b[0].kind]));
    expect(kinds).toMatchObject({ fh: "with", a: "with", b: "with", err: "except", i: "for", j: "for", k: "for", x: "match", rest: "match", px: "match", whole: "match", Alias: "type-alias" });
    expect(kinds).not.toHaveProperty("Point");
  });
});

describe("qualified names", () => {
  it("resolves imports and aliases", () => {
    const { model: m, find } = model(`
import functools
import numpy as np
import os.path
from functools import lru_cache as memo, cache
from collections import Counter
from . import sibling
memo
functools.lru_cache
np.zeros
os.path.join
cache
Counter
sibling.x
`);
    const q = (text: string, type = "identifier", nth = 1) => m.qualifiedName(find(text, type, nth));
    expect(q("memo")).toBe("functools.lru_cache");
    expect(q("functools.lru_cache", "attribute", 0)).toBe("functools.lru_cache");
    expect(q("np.zeros", "attribute", 0)).toBe("numpy.zeros");
    expect(q("os.path.join", "attribute", 0)).toBe("os.path.join");
    expect(q("cache")).toBe("functools.cache");
    expect(q("Counter")).toBe("collections.Counter");
    expect(q("sibling.x", "attribute", 0)).toBe(".sibling.x");
  });

  it("knows unshadowed builtins and refuses shadowed ones", () => {
    const { model: m, find } = model(`
sum([1])
def f():
    sum = len
    return sum([1]), any([1])
`);
    expect(m.qualifiedName(find("sum", "identifier", 0))).toBe("builtins.sum");
    expect(m.qualifiedName(find("sum", "identifier", 2))).toBeNull();
    expect(m.isBuiltin(find("any"), "any")).toBe(true);
  });

  it("trusts no builtin name after a star import", () => {
    const { model: m, find } = model(`from numpy import *\nsum([1])\n`);
    expect(m.hasStarImport).toBe(true);
    expect(m.qualifiedName(find("sum"))).toBeNull();
  });

  it("gives up on names rebound to something that is not the same import", () => {
    const { model: m, find } = model(`import functools\nif x:\n    functools = None\nfunctools.cache\n`);
    expect(m.qualifiedName(find("functools.cache", "attribute"))).toBeNull();
  });
});

describe("loops", () => {
  it("finds the loop whose repeated part holds a node, not its iterable", () => {
    const { model: m, find } = model(`
for a in items(1):
    body(2)
while cond(3):
    work(4)
else:
    done(5)
`);
    expect(m.loopOf(find("items(1)", "call"))).toBeNull();
    expect(m.loopOf(find("body(2)", "call"))?.kind).toBe("for");
    expect(m.loopOf(find("cond(3)", "call"))?.kind).toBe("while");
    expect(m.loopOf(find("work(4)", "call"))?.kind).toBe("while");
    expect(m.loopOf(find("done(5)", "call"))).toBeNull();
  });

  it("does not cross function boundaries and counts comprehensions only on request", () => {
    const { model: m, find } = model(`
for a in range(3):
    def helper():
        return make(1)
    xs = [make(2) for _ in range(3)]
`);
    expect(m.loopOf(find("make(1)", "call"))).toBeNull();
    expect(m.loopOf(find("make(2)", "call"))?.kind).toBe("for");
    expect(m.loopOf(find("make(2)", "call"), { includeComprehensions: true })?.kind).toBe("comprehension");
  });
});

describe("mutations and references", () => {
  it("records item assignment, deletion, augmented assignment and method calls", () => {
    const { model: m } = model(`
cache = {}
log = []
def f(k):
    global log
    cache[k] = 1
    del cache[k]
    log.append(k)
    log += [k]
    log.count(k)
    cache.attr = 1
`);
    const kinds = (name: string, all = false) => m.mutationsOf(name, m.module, { allMethodCalls: all }).map((x) => x.method ?? x.kind);
    expect(kinds("cache")).toEqual(["item-assign", "item-delete", "attribute-assign"]);
    expect(kinds("log")).toEqual(["append", "aug-assign"]);
    expect(kinds("log", true)).toEqual(["append", "aug-assign", "count"]);
  });

  it("separates a local from a global of the same name", () => {
    const { model: m, find } = model(`
items = []
def f():
    items = []
    items.append(1)
def g():
    items.append(2)
`);
    expect(m.mutationsOf("items", m.module).map((x) => x.node.text)).toEqual(["items.append(2)"]);
    const local = m.scopeOf(find("items", "identifier", 1));
    expect(m.mutationsOf("items", local).map((x) => x.node.text)).toEqual(["items.append(1)"]);
    expect(m.referencesOf("items", m.module).map((n) => n.startPosition.row)).toEqual([1, 6]);
  });
});
