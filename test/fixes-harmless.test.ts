/**
 * No fix may change what a program prints or how fast it runs in big-O terms. Each program below
 * reproduces a fix that once harmed real code (a recursive memo bounded or taken away, a call
 * deleted, a snapshot removed, a weak reference to an object that cannot have one), next to a
 * control case where the fix must still be offered. Every fix (safe and unsafe) is applied with
 * the engine, and the original and fixed programs run under python3 with a time limit.
 *
 * The programs take their data from the command line (run without arguments: the values written
 * there), so that the rules see run-time data, which is evidence that memory is at stake.
 *
 * Over every fixture, fixes also must leave no whitespace-only line and no unused import.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fix, lint } from "./helpers/engine.js";
import { discoverFixtures, readText } from "./helpers/fixtures.js";
import type { Settings } from "../server/engine/types.js";

const HELPERS = join(import.meta.dirname, "helpers");

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

function runPython(source: string, timeoutMs: number): Ran {
  const dir = mkdtempSync(join(tmpdir(), "memhint-harmless-"));
  const path = join(dir, "program.py");
  writeFileSync(path, source);
  const started = performance.now();
  const r = spawnSync("python3", [path], { cwd: dir, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, PYTHONHASHSEED: "0" } });
  const seconds = (performance.now() - started) / 1000;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds, timedOut: r.error !== undefined || r.signal !== null };
}

interface Case {
  name: string;
  code: string;
  source: string;
  /** Whether some fix of `code` must be applied (a control case) or none may be. */
  fixed: boolean;
  /** Whether `code` must still report the pattern (a finding without a fix). */
  reported?: boolean;
  /**
   * Settings for the lint and the fixes: a recursive memo is no evidence of growth (issue 15's
   * seventh reason), so it is reported, without a fix, only with `reportWithoutEvidence`.
   */
  settings?: Partial<Settings>;
}

const CASES: Case[] = [
  {
    name: "MH202: a recursive memo (a partition count) keeps its unbounded cache",
    code: "MH202",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `from functools import lru_cache

@lru_cache(maxsize=None)
def ways(n, k):
    if n == 0:
        return 1
    if n < 0 or k == 0:
        return 0
    return ways(n - k, k) + ways(n, k - 1)

print(ways(400, 400))
`,
  },
  {
    name: "MH202: recursion through a nested helper",
    code: "MH202",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `import functools

@functools.cache
def paths(n, m):
    def step(a, b):
        return paths(a, b) if a >= 0 and b >= 0 else 0
    if n == 0 and m == 0:
        return 1
    return step(n - 1, m) + step(n, m - 1)

print(paths(120, 120) % 1000003)
`,
  },
  {
    name: "MH202: mutual recursion between two module functions",
    code: "MH202",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `from functools import cache

@cache
def even_paths(n, k):
    return 1 if n == 0 else sum(odd_paths(n - 1, j) for j in range(k))

def odd_paths(n, k):
    return 1 if n == 0 else even_paths(n - 1, k) + even_paths(n - 1, max(1, k - 1))

print(even_paths(60, 4) % 1000003)
`,
  },
  {
    name: "MH202: a nested recursive memo",
    code: "MH202",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `from functools import lru_cache

def count(n):
    @lru_cache(maxsize=None)
    def ways(i, k):
        if i == 0:
            return 1
        if i < 0 or k == 0:
            return 0
        return ways(i - k, k) + ways(i, k - 1)
    return ways(n, n)

print(count(300))
`,
  },
  {
    name: "MH202 (control): a non-recursive cache is still bounded, without leaving `cache` imported",
    code: "MH202",
    fixed: true,
    source: `from functools import cache

@cache
def normalize(path):
    return path.strip("/").lower()

print([normalize(p) for p in ["/A/", "b/", "/A/"]])
`,
  },
  {
    name: "MH204: a memo in a mutable default keeps it (fib(300))",
    code: "MH204",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `def fib(n, memo={}):
    if n in memo:
        return memo[n]
    if n < 2:
        return n
    memo[n] = fib(n - 1) + fib(n - 2)
    return memo[n]

print(fib(300))
`,
  },
  {
    name: "MH204: a set of what was seen, read back on later calls",
    code: "MH204",
    fixed: false,
    reported: true,
    source: `def first_time(word, seen=set()):
    if word in seen:
        return False
    seen.add(word)
    return True

print([first_time(w) for w in ["a", "b", "a", "c", "b"]])
`,
  },
  {
    name: "MH204 (control): an accumulator default gets the None fix",
    code: "MH204",
    fixed: true,
    source: `def tags(item, into=[]):
    into.append(item.upper())
    return into

print(tags("a", []), tags("b", []))
`,
  },
  {
    name: "MH201: a recursive memo in a module dict is not turned into a bounded lru_cache",
    code: "MH201",
    fixed: false,
    reported: true,
    settings: { reportWithoutEvidence: true },
    source: `_ways = {}

def ways(n, k):
    if (n, k) in _ways:
        return _ways[(n, k)]
    if n == 0:
        result = 1
    elif n < 0 or k == 0:
        result = 0
    else:
        result = ways(n - k, k) + ways(n, k - 1)
    _ways[(n, k)] = result
    return result

print(ways(400, 400))
`,
  },
  {
    name: "MH301: no weakref to a parent whose __slots__ lack __weakref__",
    code: "MH301",
    fixed: false,
    reported: true,
    source: `class Parent:
    __slots__ = ("children",)
    def __init__(self):
        self.children = []

class Child:
    def __init__(self, parent):
        self.parent = parent
        parent.children.append(self)

def build():
    p = Parent()
    return p, Child(p)

p, c = build()
print(c.parent is p, len(p.children))
`,
  },
  {
    name: "MH301 (control): a plain parent gets the weakref property",
    code: "MH301",
    fixed: true,
    source: `class Parent:
    def __init__(self):
        self.children = []

class Child:
    def __init__(self, parent):
        self.parent = parent
        parent.children.append(self)

def build():
    p = Parent()
    return p, Child(p)

p, c = build()
print(c.parent is p, len(p.children))
`,
  },
  {
    name: "MH101: len() of a comprehension that calls a function keeps the calls",
    code: "MH101",
    fixed: false,
    reported: true,
    source: `import sys

seen = []

def visit(x):
    seen.append(x)
    return x

xs = [3, 1, 2] + [int(a) for a in sys.argv[1:]]
print(len([visit(x) for x in xs]), seen)
`,
  },
  {
    name: "MH101 (control): len() of a comprehension of plain values is counted with sum(1 ...)",
    code: "MH101",
    fixed: true,
    source: `import sys

xs = [3, 1, 2, 5] + [int(a) for a in sys.argv[1:]]
print(len([x for x in xs if x > 1]))
`,
  },
  {
    name: "MH102: a snapshot of sys.modules that the loop body deletes from stays a list",
    code: "MH102",
    fixed: false,
    source: `import sys
import types

sys.modules["memhint_probe_a"] = types.ModuleType("memhint_probe_a")
sys.modules["memhint_probe_b"] = types.ModuleType("memhint_probe_b")
for m in [m for m in sys.modules if m.startswith("memhint_probe_")]:
    del sys.modules[m]
print(sorted(m for m in sys.modules if m.startswith("memhint_probe_")))
`,
  },
  {
    name: "MH102: a snapshot of an attribute that the loop body deletes from stays a list",
    code: "MH102",
    fixed: false,
    source: `class Registry:
    def __init__(self):
        self.mods = {"a": 1, "ab": 2, "b": 3}

r = Registry()
for m in [m for m in r.mods if m.startswith("a")]:
    del r.mods[m]
print(r.mods)
`,
  },
  {
    name: "MH101: a multi-line fix leaves no whitespace-only line",
    code: "MH101",
    fixed: true,
    source: `import sys

xs = [1, 2, 3] + [int(a) for a in sys.argv[1:]]
total = sum(
    [
        x * x
        for x in xs
    ]
)
print(total)
`,
  },
];

describe("fixes never change what a program prints or its complexity", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const findings = lint(c.source, [c.code], c.settings).diagnostics;
      if (c.reported) expect(findings.length, "the pattern is still reported").toBeGreaterThan(0);
      const result = fix(c.source, undefined, true, c.settings);
      const applied = result.applied.filter((d) => d.code === c.code);
      if (c.fixed) expect(applied.length, `a ${c.code} fix is applied`).toBeGreaterThan(0);
      else expect(applied, `no ${c.code} fix may be applied`).toEqual([]);
      expect(result.output.split(/\r\n|\r|\n/).filter((l) => /^[ \t]+$/.test(l))).toEqual([]);
      const before = runPython(c.source, 20_000);
      expect(before.status, before.stderr).toBe(0);
      const after = runPython(result.output, Math.max(10_000, before.seconds * 1500 + 5_000));
      expect(after.timedOut, `the fixed program ran over its time limit (the original took ${before.seconds.toFixed(2)} s)`).toBe(false);
      expect(after.status, after.stderr).toBe(0);
      expect(after.stdout).toBe(before.stdout);
    });
  }
});

describe("fixes leave no whitespace-only line and no unused import", () => {
  const fixtures = discoverFixtures();
  const dir = mkdtempSync(join(tmpdir(), "memhint-imports-"));
  const outputs: Array<{ name: string; before: string; after: string }> = [];
  for (const fixture of fixtures) {
    for (const unsafe of [false, true]) {
      const source = readText(fixture.path);
      const result = fix(source, undefined, unsafe);
      if (result.applied.length === 0) continue;
      outputs.push({ name: `${fixture.name}${unsafe ? " (unsafe)" : ""}`, before: source, after: result.output });
    }
  }

  it("fixes some fixtures", () => {
    expect(outputs.length).toBeGreaterThan(20);
  });

  it("adds no whitespace-only line", () => {
    const blank = (text: string): number => text.split(/\r\n|\r|\n/).filter((l) => /^[ \t]+$/.test(l)).length;
    for (const o of outputs) expect(blank(o.after), o.name).toBeLessThanOrEqual(blank(o.before));
  });

  it("leaves no import unused that was used before", () => {
    const paths: string[] = [];
    outputs.forEach((o, i) => {
      for (const [kind, text] of [["before", o.before], ["after", o.after]] as const) {
        const path = join(dir, `${i}-${kind}.py`);
        writeFileSync(path, text);
        paths.push(path);
      }
    });
    const r = spawnSync("python3", [join(HELPERS, "unused_imports.py"), ...paths], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const unused = JSON.parse(r.stdout) as Record<string, string[] | null>;
    let compared = 0;
    outputs.forEach((o, i) => {
      const before = unused[join(dir, `${i}-before.py`)];
      if (before === null) return; // a fixture with syntax errors (MH000)
      const added = (unused[join(dir, `${i}-after.py`)] ?? ["<does not parse>"]).filter((name) => !before.includes(name));
      expect(added, o.name).toEqual([]);
      compared++;
    });
    expect(compared).toBeGreaterThan(20);
  });
});

describe("fixes converge in one pass however deep a chain", () => {
  // These test how fixes converge, not evidence: three names are no evidence of size.
  const ANY_SIZE = { reportWithoutEvidence: true };
  it("removes every nested list() copy of a for loop at once (150 levels)", () => {
    const depth = 150;
    const source = `ys = [3, 1, 2]\nfor x in ${"list(".repeat(depth)}ys${")".repeat(depth)}:\n    print(x)\n`;
    const result = fix(source, ["MH102"], false, ANY_SIZE);
    expect(result.output).toBe("ys = [3, 1, 2]\nfor x in ys:\n    print(x)\n");
    expect(result.passes).toBe(2); // one pass fixes, the next finds nothing left
  });

  it("keeps the last copy when the body changes what is copied", () => {
    const source = "ys = [3, 1, 2]\nfor x in list(list(list(ys))):\n    ys.append(x)\nprint(ys)\n";
    const result = fix(source, ["MH102"], false, ANY_SIZE);
    expect(result.output).toBe("ys = [3, 1, 2]\nfor x in list(ys):\n    ys.append(x)\nprint(ys)\n");
  });

  it("removes every copy inside sorted() at once", () => {
    const source = `ys = [3, 1, 2]\nfor x in sorted(${"list(".repeat(40)}ys${")".repeat(40)}):\n    print(x)\n`;
    expect(fix(source, ["MH102"], false, ANY_SIZE).output).toBe("ys = [3, 1, 2]\nfor x in sorted(ys):\n    print(x)\n");
  });
});
