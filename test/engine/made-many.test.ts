/**
 * Lifetime evidence (server/engine/facts/evidence.ts, `madeMany`): instances of a class made many
 * times in the file. Used by MH203 (a cache on a method pins `self`) and MH301 (reference cycles).
 */
import { describe, expect, it } from "vitest";
import { snippet } from "./facts-snippet.js";

/** madeMany's text for the class `name` of `source`, or null. */
function made(source: string, name = "C", path: string | null = null): string | null {
  const s = snippet(source, path);
  const cls = s.at(name, 0).parent;
  if (cls?.type !== "class_definition") throw new Error(`${name} is not a class name`);
  return s.facts.evidence.madeMany(cls)?.text ?? null;
}

describe("madeMany", () => {
  it("counts calls in loops and per call of a function that may run many times", () => {
    expect(made(`class C: pass\ndef make():\n    return C()\n`)).toBe("a `C` is made per call of `make()`");
    expect(made(`class C: pass\ndef make(n):\n    return [C() for _ in range(n)]\n`)).toBe("a `C` is made in a comprehension");
    expect(made(`import sys\nclass C: pass\nfor a in sys.argv:\n    C()\n`)).toBe("a `C` is made in a `for` loop");
    expect(made(`class Item: pass\ndef make():\n    return Item()\n`, "Item")).toBe("an `Item` is made per call of `make()`");
  });

  it("counts calls in the class's own methods, by name or not (factories, `type(self)(...)`)", () => {
    expect(made(`class C:\n    def copy(self):\n        return C()\n`)).toBe("a `C` is made per call of `C.copy()`");
    expect(made(`class C:\n    @classmethod\n    def parse(cls, s):\n        return cls()\n`)).toBe("a `C` is made per call of `C.parse()`");
    expect(made(`class C:\n    def __add__(self, o):\n        return type(self)()\n`)).toBe("a `C` is made per call of `C.__add__()`");
    expect(made(`class C:\n    def clone(self):\n        return self.__class__()\n`)).toBe("a `C` is made per call of `C.clone()`");
  });

  it("counts instances of subclasses of the file", () => {
    expect(made(`class C: pass\nclass D(C): pass\ndef make():\n    return D()\n`)).toBe("a `D` is made per call of `make()`");
  });

  it("does not count import time, the `__main__` block, code that runs once, or tests", () => {
    expect(made(`class C: pass\na = C()\nb = C()\n`)).toBeNull();
    expect(made(`class C: pass\nALL = [C() for _ in ("a", "b")]\n`)).toBeNull();
    expect(made(`class C: pass\ndef main():\n    return C()\nif __name__ == "__main__":\n    main()\n`)).toBeNull();
    expect(made(`class C: pass\ndef test_c():\n    for _ in range(3):\n        C()\n`)).toBeNull();
    expect(made(`class C: pass\ndef make():\n    return C()\n`, "C", "tests/test_c.py")).toBeNull();
    expect(made(`class C: pass\n`)).toBeNull();
  });

  it("does not count an instance stored for the life of the process (singletons, registries)", () => {
    expect(made(`class C:\n    _i = None\n    @classmethod\n    def get(cls):\n        if cls._i is None:\n            cls._i = cls()\n        return cls._i\n`)).toBeNull();
    expect(made(`class C: pass\nR = {}\ndef get(k):\n    R[k] = C()\n`)).toBeNull();
    expect(made(`class C: pass\n_one = None\ndef get():\n    global _one\n    _one = C()\n`)).toBeNull();
    expect(made(`class C: pass\nclass Box: pass\nBOX = Box()\ndef reset():\n    BOX.c = C()\n`)).toBeNull();
    // A local variable or an attribute of a new object is not stored for life.
    expect(made(`class C: pass\ndef get(owner):\n    owner.c = C()\n`)).toBe("a `C` is made per call of `get()`");
  });

  it("does not count an instance its maker registers in a module-level or class container", () => {
    expect(made(`class C: pass\nR = {}\ndef get(k):\n    c = C()\n    R[k] = c\n    return c\n`)).toBeNull();
    expect(made(`class C: pass\nALL = []\ndef get():\n    c = C()\n    ALL.append(c)\n    return c\n`)).toBeNull();
    expect(made(`class C:\n    seen = set()\n    @classmethod\n    def make(cls):\n        c = cls()\n        cls.seen.add(c)\n        return c\n`)).toBeNull();
    // A local list, or a container the caller passed, keeps it no longer than the call.
    expect(made(`class C: pass\ndef get(n):\n    out = []\n    c = C()\n    out.append(c)\n    return out\n`)).toBe("a `C` is made per call of `get()`");
    expect(made(`class C: pass\ndef get(into):\n    c = C()\n    into.append(c)\n`)).toBe("a `C` is made per call of `get()`");
  });

  it("with `registries`, does not count an instance registered in its maker's own containers either", () => {
    const backend = `class C: pass\nclass Backend:\n    def __init__(self):\n        self.items = {}\n    def create(self, key):\n        c = C()\n        self.items[key] = c\n        return c\n`;
    expect(made(backend)).toBe("a `C` is made per call of `Backend.create()`");
    const s = snippet(backend);
    expect(s.facts.evidence.madeMany(s.at("C", 0).parent!, { registries: true })).toBeNull();
  });
});

/** madeByCallers's text for the class `name` of `source`, or null. */
function byCallers(source: string, name = "C", path: string | null = null): string | null {
  const s = snippet(source, path);
  const cls = s.at(name, 0).parent;
  if (cls?.type !== "class_definition") throw new Error(`${name} is not a class name`);
  return s.facts.evidence.madeByCallers(cls)?.text ?? null;
}

describe("madeByCallers", () => {
  it("counts a public top-level class that this file never makes nor hands over at import time", () => {
    expect(byCallers(`class C:\n    pass\n`)).toBe("the public `C` is made by its callers");
    expect(byCallers(`class C: pass\nclass D(C): pass\ndef check(x):\n    return isinstance(x, C) or C.__name__\n`)).toBe("the public `C` is made by its callers");
    expect(byCallers(`class C: pass\ndef make(kind):\n    return kind()\ndef demo():\n    return make(C)\n`)).toBe("the public `C` is made by its callers");
  });

  it("does not count private or nested classes, classes made or registered in the file, enums or tests", () => {
    expect(byCallers(`class _C: pass\n`, "_C")).toBeNull();
    expect(byCallers(`def f():\n    class C: pass\n    return C\n`)).toBeNull();
    expect(byCallers(`class C: pass\nc = C()\n`)).toBeNull();
    expect(byCallers(`class C: pass\nclass D(C): pass\nd = D()\n`)).toBeNull();
    expect(byCallers(`class C: pass\nbackends = dict(default=C)\n`)).toBeNull();
    expect(byCallers(`class C:\n    @classmethod\n    def make(cls):\n        return cls()\n`)).toBeNull();
    expect(byCallers(`import enum\nclass C(enum.Enum):\n    A = 1\n`)).toBeNull();
    expect(byCallers(`class C: pass\n`, "C", "tests/test_c.py")).toBeNull();
  });
});
