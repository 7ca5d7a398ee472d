/**
 * Context (server/engine/facts/context.ts): test code, and code that runs once per process.
 * Each case asks about the statement that adds to a container (marked by its text).
 */
import { describe, expect, it } from "vitest";
import { allRules } from "../../rules/index.js";
import { EditableTree } from "../../server/engine/editable-tree.js";
import { FACT_SUMMARIES, factsOf, isTestFile } from "../../server/engine/facts/index.js";
import { disposeLintState, lintFull, lintIncremental, mergeSpans } from "../../server/engine/incremental.js";
import { lintSource } from "../../server/engine/lint.js";
import { LineIndex } from "../../server/engine/positions.js";
import { resolveSettings } from "../../server/engine/settings.js";
import { bodyStartOf } from "../../server/engine/unit-summary.js";
import { parser } from "../helpers/engine.js";
import { snippet } from "./facts-snippet.js";

/** runsOnce of the last occurrence of `text` (the statement that adds, usually). */
function once(source: string, text = "REGISTRY.append(fn)", nth = -1): { once: boolean; reason: string } {
  const s = snippet(source);
  return s.facts.context.runsOnce(s.at(text, nth));
}

describe("test code", () => {
  it("test files by name and by folder, at any depth, with either separator", () => {
    for (const path of ["test_io.py", "pkg/io_test.py", "conftest.py", "tests/helpers.py", "src/pkg/testing/util.py", "C:\\proj\\test\\x.py", "a/tests/b/c/d.py"]) {
      expect(isTestFile(path), path).toBe(true);
    }
    for (const path of [null, undefined, "", "io.py", "contest.py", "latest_tests.py", "pkg/attest/x.py", "tests.py", "src/test_data_loader/x.py"]) {
      expect(isTestFile(path), String(path)).toBe(false);
    }
  });

  it("everything in a test file is test code", () => {
    const s = snippet(`CACHE = {}\nCACHE[1] = 2\n`, "project/tests/cache_helpers.py");
    expect(s.facts.context.isTestFile()).toBe(true);
    expect(s.facts.context.testReason(s.at("CACHE[1] = 2"))).toBe("in a test file");
    expect(snippet(`x = 1\n`, "project/pkg/cache.py").facts.context.isTestCode(snippet(`x = 1\n`).at("1"))).toBe(false);
  });

  it("functions named test_*, classes named Test* and unittest test cases", () => {
    const src = `import unittest
def test_load():
    data = [1] * 10
def helper():
    data = [2] * 10
class TestLoader:
    def check(self):
        data = [3] * 10
class LoaderCase(unittest.TestCase):
    def check(self):
        data = [4] * 10
class Derived(LoaderCase):
    def check(self):
        data = [5] * 10
`;
    const s = snippet(src, "pkg/loader.py");
    const ctx = s.facts.context;
    expect(ctx.testReason(s.at("[1] * 10"))).toBe("in the test `test_load()`");
    expect(ctx.isTestCode(s.at("[2] * 10"))).toBe(false);
    expect(ctx.testReason(s.at("[3] * 10"))).toBe("in the test class `TestLoader`");
    expect(ctx.testReason(s.at("[4] * 10"))).toBe("in the test class `LoaderCase`");
    expect(ctx.testReason(s.at("[5] * 10"))).toBe("in the test class `Derived`");
  });

  it("pytest fixtures, in any import style", () => {
    const src = `import pytest
from pytest import fixture as fx
@pytest.fixture
def a():
    return [1] * 10
@pytest.fixture(scope="session")
def b():
    return [2] * 10
@fx
def c():
    return [3] * 10
@other.fixture
def d():
    return [4] * 10
`;
    const s = snippet(src);
    expect(s.facts.context.testReason(s.at("[1] * 10"))).toBe("in the fixture `a()`");
    expect(s.facts.context.isTestCode(s.at("[2] * 10"))).toBe(true);
    expect(s.facts.context.isTestCode(s.at("[3] * 10"))).toBe(true);
    expect(s.facts.context.isTestCode(s.at("[4] * 10"))).toBe(false);
  });

  it("the path given to a lint reaches the facts, and stays through incremental lints", () => {
    const text = `def f():\n    x = 1\n`;
    const settings = resolveSettings({});
    const linted = lintSource(parser, text, allRules, settings, { path: "pkg/tests/x.py", keepModel: true });
    expect(factsOf(linted.model!).context.isTestFile()).toBe(true);
    expect(factsOf(lintSource(parser, text, allRules, settings, { keepModel: true }).model!).path).toBeNull();

    const tree = new EditableTree(parser, text);
    const { state } = lintFull(tree.tree.copy(), text, allRules, settings, new LineIndex(text), undefined, "tests/y.py");
    expect(factsOf(state!.model).path).toBe("tests/y.py");
    const at = text.indexOf("x = 1");
    const inserted = "y = 2\n    ";
    const next = text.slice(0, at) + inserted + text.slice(at);
    const lines = new LineIndex(next);
    tree.edit(at, at, inserted.length, new LineIndex(text), lines);
    const { tree: reparsed, changed } = tree.reparse(lines);
    const outcome = lintIncremental(state!, reparsed.copy(), next, lines, mergeSpans(null, at, at, inserted.length), changed, settings);
    if (!outcome.ok) throw new Error(`not linted incrementally: ${outcome.reason}`);
    expect(outcome.lint.state!.model).not.toBe(state!.model);
    expect(factsOf(outcome.lint.state!.model).context.isTestFile()).toBe(true);
    disposeLintState(outcome.lint.state!);
  });
});

describe("code that runs once", () => {
  it("module-level statements run at import time, class bodies too", () => {
    expect(once(`REGISTRY = []\nfn = 1\nREGISTRY.append(fn)\n`)).toEqual({ once: true, reason: "at module level, at import time" });
    expect(once(`REGISTRY = []\nclass C:\n    fn = 1\n    REGISTRY.append(fn)\n`)).toEqual({ once: true, reason: "in the body of class `C`, at import time" });
  });

  it("the `__main__` block", () => {
    expect(once(`REGISTRY = []\nif __name__ == "__main__":\n    fn = 1\n    REGISTRY.append(fn)\n`)).toEqual({ once: true, reason: "in the `__main__` block" });
  });

  it("a module-level loop over run-time data, or a `while` loop, is still growth; a loop over constants is not", () => {
    expect(once(`import sys\nREGISTRY = []\nfor fn in sys.argv:\n    REGISTRY.append(fn)\n`)).toEqual({ once: false, reason: "in a loop over `sys.argv`, run-time data" });
    expect(once(`REGISTRY = []\nif __name__ == "__main__":\n    for fn in open("x"):\n        REGISTRY.append(fn)\n`).once).toBe(false);
    expect(once(`REGISTRY = []\nwhile True:\n    fn = input()\n    REGISTRY.append(fn)\n`)).toEqual({ once: false, reason: "in a `while` loop" });
    expect(once(`REGISTRY = []\nfor fn in ("a", "b"):\n    REGISTRY.append(fn)\n`).once).toBe(true);
    expect(once(`import sys\nREGISTRY = [fn for fn in sys.argv]\n`, "fn", 0).once).toBe(false);
  });

  it("a decorator applied at import time (to functions and methods), but not one applied in a function", () => {
    const src = `REGISTRY = []\ndef register(fn):\n    REGISTRY.append(fn)\n    return fn\n@register\ndef a(): pass\nclass C:\n    @register\n    def m(self): pass\n`;
    expect(once(src)).toEqual({ once: true, reason: "in `register()`, a decorator applied at import time" });
    expect(once(`${src}def make():\n    @register\n    def inner(): pass\n`).once).toBe(false);
    expect(once(`${src}for i in range(3):\n    @register\n    def b(): pass\n`).once).toBe(false);
  });

  it("a decorator factory: the factory and the decorator run once, the wrapper on every call", () => {
    const src = `ROUTES = {}
SEEN = []
def route(path):
    ROUTES[path] = None
    def decorator(fn):
        ROUTES[path] = fn
        def wrapper(*args):
            SEEN.append(args)
            return fn(*args)
        return wrapper
    return decorator
@route("/a")
def a(): pass
`;
    expect(once(src, "ROUTES[path] = None")).toEqual({ once: true, reason: "in `route()`, a decorator factory used at import time" });
    expect(once(src, "ROUTES[path] = fn")).toEqual({ once: true, reason: "in `decorator()`, made by a decorator factory at import time" });
    expect(once(src, "SEEN.append(args)").once).toBe(false);
    // Used bare (not as a factory): no longer a factory.
    expect(once(`${src}@route\ndef b(): pass\n`, "ROUTES[path] = fn").once).toBe(false);
  });

  it("option callbacks of click and argparse", () => {
    const src = `import argparse, click
REGISTRY = []
def remember(ctx, param, fn):
    REGISTRY.append(fn)
    return fn
@click.command()
@click.option("--x", callback=remember)
def cli(x): pass
`;
    expect(once(src)).toEqual({ once: true, reason: "in `remember()`, an option callback" });
    const parser = `import argparse\nREGISTRY = []\nclass Collect(argparse.Action): pass\ndef collect(fn):\n    REGISTRY.append(fn)\ndef build():\n    p = argparse.ArgumentParser()\n    p.add_argument("--x", action=collect)\n`;
    expect(once(parser).once).toBe(true);
  });

  it("a function called only from code that runs once: main() from the __main__ block, and what main calls once", () => {
    const src = `import sys
REGISTRY = []
def _setup(fn):
    REGISTRY.append(fn)
def main():
    _setup(1)
    for arg in sys.argv:
        _handle(arg)
def _handle(fn):
    REGISTRY.append(fn)
def api(fn):
    REGISTRY.append(fn)
if __name__ == "__main__":
    main()
    api(2)
`;
    expect(once(src, "REGISTRY.append(fn)", 0)).toEqual({ once: true, reason: "in `_setup()`, called only from `main()`" });
    expect(once(src, "_setup(1)")).toEqual({ once: true, reason: "in `main()`, called only from the `__main__` block" });
    expect(once(src, "REGISTRY.append(fn)", 1)).toEqual({ once: false, reason: "in `_handle()`, called from `main()`, in a loop over `sys.argv`, run-time data" });
    // A public function: other modules may call it, whatever this file does.
    expect(once(src, "REGISTRY.append(fn)", 2)).toEqual({ once: false, reason: "in `api()`, which other modules may call" });
  });

  it("functions that may run many times: never called here, called at run time, recursive, methods, lambdas", () => {
    expect(once(`REGISTRY = []\ndef add(fn):\n    REGISTRY.append(fn)\n`)).toEqual({ once: false, reason: "in `add()`, not called in this file" });
    expect(once(`REGISTRY = []\ndef add(fn):\n    REGISTRY.append(fn)\ndef api(x):\n    add(x)\n`).once).toBe(false);
    expect(once(`REGISTRY = []\ndef add(fn):\n    REGISTRY.append(fn)\n    add(fn)\nadd(1)\n`).once).toBe(false);
    expect(once(`REGISTRY = []\nclass C:\n    def add(self, fn):\n        REGISTRY.append(fn)\n`).once).toBe(false);
    expect(once(`REGISTRY = []\nf = lambda fn: REGISTRY.append(fn)\n`)).toEqual({ once: false, reason: "in a lambda" });
    expect(once(`REGISTRY = []\ndef add(fn):\n    REGISTRY.append(fn)\nhandlers = [add]\n`).once).toBe(false);
  });

  it("methods Python runs when a class is defined, and __init__ of an object made once at import", () => {
    const base = `REGISTRY = []\nclass Plugin:\n    def __init_subclass__(cls, **kw):\n        fn = cls\n        REGISTRY.append(fn)\n`;
    expect(once(base)).toEqual({ once: true, reason: "in `Plugin.__init_subclass__()`, run when a class is defined" });
    const meta = `REGISTRY = []\nclass Meta(type):\n    def __new__(mcs, name, bases, ns):\n        fn = name\n        REGISTRY.append(fn)\n        return super().__new__(mcs, name, bases, ns)\n`;
    expect(once(meta).once).toBe(true);
    const singleton = `REGISTRY = []\nclass Manager:\n    def __init__(self):\n        fn = 1\n        REGISTRY.append(fn)\nMANAGER = Manager()\n`;
    expect(once(singleton)).toEqual({ once: true, reason: "in `Manager.__init__()`, for the one object made at import" });
    expect(once(`${singleton}OTHER = Manager()\n`).once).toBe(false);
  });

  it("a loop over run-time data inside a function that runs once is still growth", () => {
    const src = `REGISTRY = []\ndef register(fn):\n    for line in open(fn.__doc__):\n        REGISTRY.append(line)\n    return fn\n@register\ndef a(): pass\n`;
    expect(once(src, "REGISTRY.append(line)")).toEqual({ once: false, reason: "in a loop over `open(fn.__doc__)`, run-time data" });
  });

  it("records its fact kind; the summary tells a call site moved into a loop", () => {
    const before = `import sys\ndef _setup(x): pass\ndef main():\n    _setup(1)\n`;
    const after = `import sys\ndef _setup(x): pass\ndef main():\n    for a in sys.argv:\n        _setup(1)\n`;
    const summary = (source: string): string => {
      const s = snippet(source);
      s.facts.context.runsOnce(s.at("pass"));
      expect(s.model.queriedFacts.has("runs-once")).toBe(true);
      const fn = s.root.descendantsOfType("function_definition").find((f) => f?.childForFieldName("name")?.text === "main")!;
      return FACT_SUMMARIES["runs-once"](fn, { model: s.model, source, bodyStart: bodyStartOf(fn)!, bodyEnd: fn.endIndex, moduleReferences: [] });
    };
    expect(summary(before)).toBe("_setup call");
    expect(summary(after)).toBe("_setup call in for runtime");
  });
});
