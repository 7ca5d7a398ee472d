/**
 * MH301 beyond its fixtures. The search for the places where a method hands its instance over
 * (rules/mh301/sites.ts): the text tests in front of the syntax tree must let every real site
 * through however the code is laid out (comments, line continuations, lines inside brackets),
 * and keep out the shapes that only look like one. The fix's `weakref` import (rules/mh301/fix.ts
 * through server/engine/imports.ts).
 */
import { describe, expect, it } from "vitest";
import { LineIndex } from "../server/engine/positions.js";
import { fix, lint } from "./helpers/engine.js";

/** These tests are about shapes, not evidence: the pattern is reported without it. */
const SHAPES = { reportWithoutEvidence: true };

/** The 1-based lines of MH301's findings. */
function lines(source: string): number[] {
  const index = new LineIndex(source);
  return lint(source, ["MH301"], SHAPES).diagnostics.map((d) => index.position(d.start, "utf-16").line + 1);
}

/** A parent that keeps children created by `make`, whose `__init__` points them back (line 9). */
function created(make: string): string {
  return [
    "class Parent:",
    "    def __init__(self):",
    "        self.kids = []",
    "",
    `    def make(self):`,
    ...make.split("\n").map((l) => `        ${l}`),
    "class Kid:",
    "    def __init__(self, parent):",
    "        self.parent = parent",
    "",
  ].join("\n");
}

/** A method that points `child` back at the instance and keeps it (`line` is the link's). */
function backLink(link: string): string {
  return [
    "class Node:",
    "    def __init__(self):",
    "        self.children = []",
    "",
    "    def add(self, child):",
    ...link.split("\n").map((l) => `        ${l}`),
    "        self.children.append(child)",
    "",
  ].join("\n");
}

describe("MH301 finds a site whatever its layout", () => {
  it("with the instance as an argument of a class that keeps it", () => {
    const layouts = [
      "self.kids.append(Kid(self))",
      "self.kids.append(Kid(\n    self))",
      "self.kids.append(Kid(  # a comment\n    self))",
      "self.kids.append(Kid(self  # a comment\n))",
      "self.kids.append(Kid(self \\\n))",
      "self.kids.append(Kid(parent=self))",
      "self.kids.append(Kid(parent=  # a comment\n    self))",
      "self.kids.append(Kid(\n    parent=self,\n))",
      "self.kids.append(Kid \\\n    (self))",
    ];
    for (const make of layouts) {
      const source = created(make);
      expect(lines(source), make).toEqual([source.split("\n").indexOf("        self.parent = parent") + 1]);
    }
  });

  it("with the instance assigned to another object's attribute", () => {
    for (const link of ["child.parent = self", "child.parent = \\\n    self", "child.parent = self  # back", "child.parent = self; pass", "child.parent: Node = self"]) {
      expect(lines(backLink(link)), link).toEqual([6]);
    }
  });

  it("with the instance added to a parameter's container", () => {
    const source = [
      "class Item:",
      "    def __init__(self, owner):",
      "        self.owner = owner",
      "        owner.items.append(",
      "            # the owner keeps its items",
      "            self,",
      "        )",
      "",
    ].join("\n");
    expect(lines(source)).toEqual([3]);
  });
});

describe("MH301 sees no site where the instance is not handed over", () => {
  it("in strings, comments and other shapes", () => {
    const shapes = [
      "s = 'Kid(self)'",
      "# self.kids.append(Kid(self))",
      "s = f'{len(self)}'",
      "ok = other == self",
      "ans = self",
      "print(self)",
      "super(Parent, self).__init__()",
      "self.kids.append(other.method(self))",
      "pair = (self, other)",
      "return self",
    ];
    for (const make of shapes) {
      expect(lines(created(`${make}\nself.kids.append(Kid(None))`)), make).toEqual([]);
    }
  });

  it("in a def's parameters", () => {
    const source = [
      "class Parent:",
      "    def __init__(self):",
      "        self.kids = []",
      "",
      "    def make(self, kid=None):",
      "        def inner(self):",
      "            return self",
      "        self.kids.append(kid)",
      "",
    ].join("\n");
    expect(lines(source)).toEqual([]);
  });
});

describe("MH301's fix reaches weakref", () => {
  const tree = (top: string, bottom = ""): string => [
    top,
    "class Node:",
    "    def __init__(self):",
    "        self.parent = None",
    "        self.children = []",
    "",
    "    def add(self, child):",
    "        child.parent = self",
    "        self.children.append(child)",
    bottom,
  ].join("\n");

  it("through an import at the top level, wherever it is", () => {
    const output = fix(tree("import weakref as wr\n", "\nimport weakref\n"), ["MH301"], true, SHAPES).output;
    expect(output).toContain("self._parent_ref = wr.ref(value)");
    expect(output.match(/^import weakref$/gm)).toHaveLength(1);
    const late = fix(tree("", "\nimport weakref\n"), ["MH301"], true, SHAPES).output;
    expect(late.match(/^import weakref$/gm)).toHaveLength(1);
    expect(late).toContain("self._parent_ref = weakref.ref(value)");
  });

  it("with an import of its own when the only one may not have run", () => {
    const output = fix(tree("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import weakref\n"), ["MH301"], true, SHAPES).output;
    expect(output.startsWith("import weakref\nfrom typing import TYPE_CHECKING\n")).toBe(true);
  });

  it("after the docstring and __future__ imports, or two lines above the code", () => {
    const header = fix(tree('"""Doc."""\nfrom __future__ import annotations\n# a comment\n'), ["MH301"], true, SHAPES).output;
    expect(header.startsWith('"""Doc."""\nfrom __future__ import annotations\nimport weakref\n# a comment\n')).toBe(true);
    const bare = fix(tree("").trimStart(), ["MH301"], true, SHAPES).output;
    expect(bare.startsWith("import weakref\n\n\nclass Node:")).toBe(true);
  });
});

describe("MH301's evidence", () => {
  const backend = (made: string): string => [
    "class Model:",
    "    def __init__(self, backend):",
    "        self.backend = backend",
    "",
    "class Backend:",
    "    def __init__(self):",
    "        self.models = []",
    "",
    "    def create(self):",
    "        model = Model(self)",
    "        self.models.append(model)",
    "        return model",
    "",
    made,
  ].join("\n");

  it("asks about the keeper of the cycle, not the children it makes", () => {
    // Models are made per call of `create()`, but the one backend lives for the process.
    expect(lint(backend("backend = Backend()\n"), ["MH301"]).diagnostics).toEqual([]);
    const many = lint(backend("def session():\n    return Backend().create()\n"), ["MH301"]).diagnostics;
    expect(many.map((d) => d.message)).toEqual([
      "`self.backend = backend` and `self.models.append(model)` make a cycle: a `Backend` is made per call of `session()`",
    ]);
  });

  it("takes a public class's own `__init__` building the cycle as made by its callers", () => {
    const source = "class Editor:\n    def __init__(self):\n        self.bar = Bar(self)\n\nclass Bar:\n    def __init__(self, editor):\n        self.editor = editor\n";
    expect(lint(source, ["MH301"]).diagnostics.map((d) => d.message)).toEqual([
      "`self.editor = editor` and `self.bar = Bar(self)` make a cycle: the public `Editor` is made by its callers",
    ]);
    expect(lint(source.replace(/Editor/g, "_Editor"), ["MH301"]).diagnostics).toEqual([]);
    expect(lint(`${source}\neditor = Editor()\n`, ["MH301"]).diagnostics).toEqual([]);
  });

  it("reports without evidence only with report-without-evidence, saying what is missing", () => {
    const found = lint(backend("backend = Backend()\n"), ["MH301"], SHAPES).diagnostics;
    expect(found.map((d) => d.message)).toEqual([
      "`self.backend = backend` and `self.models.append(model)` make a cycle: no `Backend` made many times in this file",
    ]);
  });

  it("is silent in test code", () => {
    expect(lint(backend("def session():\n    return Backend().create()\n"), ["MH301"], {}, "tests/test_models.py").diagnostics).toEqual([]);
  });

  it("takes what a teardown's helpers release as released by the teardown", () => {
    const source = (close: string): string => [
      "class Doc:",
      "    def __init__(self):",
      "        self.pages = []",
      "    def add(self, page):",
      "        page.doc = self",
      "        self.pages.append(page)",
      close,
      "def make():",
      "    return Doc()",
      "",
    ].join("\n");
    expect(lines(source("    def close(self):\n        self._drop()\n    def _drop(self):\n        self.pages = []"))).toEqual([]);
    expect(lines(source("    def close(self):\n        pass\n    def _drop(self):\n        self.pages = []"))).toEqual([5]);
  });
});
