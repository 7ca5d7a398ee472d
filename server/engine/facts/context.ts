/**
 * Where code runs: in tests, or once per process. Neither allocates memory that is at stake in
 * production: a test caches, allocates and makes cycles on purpose, and code that runs once
 * fills a container once, however large it is (a registry, a table built at import).
 *
 * Test code is:
 *   - any code of a test file: a file named `test_*.py`, `*_test.py` or `conftest.py`, or under a
 *     folder named `tests`, `test` or `testing` (at any depth of the path the front end gave);
 *   - a function named `test_*`, anything in a class named `Test*` or deriving from a
 *     `unittest`/Django test case, and a function decorated with `pytest.fixture`.
 *
 * Code runs once per process when it is:
 *   - at module level or in a class body there (import time), including the body of
 *     `if __name__ == "__main__":`, outside any loop over run-time data and any `while` loop;
 *   - in a function used only as a decorator of definitions that run at import time (`@register`
 *     where `register` adds the function to a registry), or, for a decorator factory used only
 *     as `@route(...)`, in the factory and in the decorator it returns (not in the wrapper that
 *     decorator makes: that runs on every call);
 *   - in a function passed only as an option callback (`callback=`/`action=` of `click`,
 *     `typer`, `argparse` or `optparse` options);
 *   - in a private (`_name`) or nested function, or `main`, called only from code that runs
 *     once, outside loops over run-time data (`main()` called from the `__main__` block, a
 *     helper `_setup` that `main` calls once); a public function may be called by other
 *     modules at any time, whatever this file does;
 *   - in `__init_subclass__`, `__set_name__` or a metaclass's `__new__`/`__init__` (they run when
 *     a class is defined), and in `__init__` of a class instantiated once at import
 *     (`ClassFacts.isModuleSingleton`);
 * and, inside such a function, outside loops over run-time data and `while` loops. Anything
 * else may run many times.
 *
 * Incremental linting: the uses of functions are found through `referencesOf`; whether a call
 * in another function sits in a loop is part of the RUNS_ONCE_FACT summary (`runsOnceReads`).
 */
import type { Node } from "web-tree-sitter";
import { type Loop, type Scope, type SemanticModel, unparenthesize } from "../model.js";
import type { SummaryContext } from "../types.js";
import { ClassFacts, enclosingClass } from "./classes.js";
import { isPrivateName, ProvenanceFacts, quietly, quoted, statementsIn } from "./provenance.js";

export interface RunsOnce {
  once: boolean;
  /** Why, as a phrase for messages: "at import time", "in `main()`, called once at import time". */
  reason: string;
}

/** The fact kind recorded when `runsOnce` is asked (see the module comment). */
export const RUNS_ONCE_FACT = "runs-once";

const TEST_FOLDERS: ReadonlySet<string> = new Set(["tests", "test", "testing"]);
const TEST_CASE_BASES: ReadonlySet<string> = new Set([
  "unittest.TestCase", "unittest.IsolatedAsyncioTestCase", "unittest.case.TestCase", "django.test.TestCase",
  "django.test.SimpleTestCase", "django.test.TransactionTestCase", "django.test.LiveServerTestCase",
]);
const FIXTURE_DECORATORS: ReadonlySet<string> = new Set(["pytest.fixture", "pytest_asyncio.fixture"]);

/** Keywords of an option whose value is a function the parser calls (once per parse). */
const CALLBACK_KEYWORDS: ReadonlySet<string> = new Set(["callback", "action"]);
/** Methods and functions that declare command-line options. */
const OPTION_DECLARATIONS: ReadonlySet<string> = new Set(["add_argument", "add_option", "option", "argument", "Option", "Argument"]);

/** Methods Python runs when a class is defined. */
const CLASS_CREATION_METHODS: ReadonlySet<string> = new Set(["__init_subclass__", "__set_name__", "__class_getitem__"]);

/** Whether a file path names a test file (see the module comment). */
export function isTestFile(path: string | null | undefined): boolean {
  if (!path) return false;
  const parts = path.split(/[\\/]+/).filter((p) => p.length > 0);
  const base = parts.pop() ?? "";
  if (/^test_.*\.pyi?$/.test(base) || /_test\.pyi?$/.test(base) || base === "conftest.py") return true;
  return parts.some((p) => TEST_FOLDERS.has(p));
}

/** `__name__ == "__main__"` (either way round). */
function isMainGuard(condition: Node | null): boolean {
  if (!condition) return false;
  return /^(__name__\s*==\s*(['"])__main__\2|(['"])__main__\3\s*==\s*__name__)$/.test(unparenthesize(condition).text);
}

/** How a function is used, seen from one reference to it. */
type Use = "decorator" | "factory" | "callback" | "call" | "other";

interface Once extends RunsOnce {
  /** For functions used only as `@factory(...)`: the functions directly in it run once too. */
  factory?: boolean;
}

/** How many callers deep `runsOnce` follows (far beyond real code: past it, answers could depend on the order of questions). */
const MAX_DEPTH = 32;

/** Test code and code that runs once, for one lint (answers cached by function). */
export class ContextFacts {
  private readonly functions = new Map<number, Once>();
  private readonly active = new Set<number>();

  constructor(
    private readonly model: SemanticModel,
    private readonly classes: ClassFacts,
    private readonly provenance: ProvenanceFacts,
    readonly path: string | null,
    private readonly onAsked: () => void = () => undefined,
  ) {}

  /** Whether this file is a test file (by its path). */
  isTestFile(): boolean {
    return isTestFile(this.path);
  }

  /** Whether `node` is test code (see the module comment). */
  isTestCode(node: Node): boolean {
    return this.testReason(node) !== null;
  }

  /** Why `node` is test code ("in the test `test_load()`"), or null when it is not. */
  testReason(node: Node): string | null {
    if (this.isTestFile()) return "in a test file";
    for (let n: Node | null = node; n; n = n.parent) {
      if (n.type === "function_definition") {
        const name = n.childForFieldName("name")?.text ?? "";
        if (name.startsWith("test_")) return `in the test ${quoted(`${name}()`)}`;
        if (this.isFixture(n)) return `in the fixture ${quoted(`${name}()`)}`;
      } else if (n.type === "class_definition") {
        const name = n.childForFieldName("name")?.text ?? "";
        if (name.startsWith("Test") || this.isTestCase(n, 0)) return `in the test class ${quoted(name)}`;
      }
    }
    return null;
  }

  private isFixture(fn: Node): boolean {
    const decorated = fn.parent?.type === "decorated_definition" ? fn.parent : null;
    if (!decorated) return false;
    const scope = this.model.scopeOf(decorated);
    for (const decorator of decorated.namedChildren) {
      if (decorator?.type !== "decorator") continue;
      const expression = decorator.namedChildren.find((c) => c !== null && c.type !== "comment");
      const callee = expression?.type === "call" ? expression.childForFieldName("function") : expression;
      if (callee && FIXTURE_DECORATORS.has(this.model.qualifiedName(callee, scope) ?? "")) return true;
    }
    return false;
  }

  private isTestCase(classNode: Node, depth: number): boolean {
    if (depth > 8) return false;
    const scope = this.classes.scopeAround(classNode);
    for (const base of classNode.childForFieldName("superclasses")?.namedChildren ?? []) {
      if (!base || base.type === "keyword_argument" || base.type === "comment") continue;
      if (TEST_CASE_BASES.has(this.model.qualifiedName(base, scope) ?? "")) return true;
      const local = this.classes.definitionOf(base, scope);
      if (local && !local.equals(classNode) && this.isTestCase(local, depth + 1)) return true;
    }
    return false;
  }

  /**
   * Whether the statement or expression `node` runs once per process (see the module comment),
   * with the reason either way.
   */
  runsOnce(node: Node): RunsOnce {
    this.onAsked();
    const fn = this.functionScopeAround(node);
    const verdict = fn ? this.functionRunsOnce(fn, 0) : this.importTime(node);
    if (!verdict.once) return { once: false, reason: verdict.reason };
    const loop = this.repeatedBy(node);
    return loop ?? { once: true, reason: verdict.reason };
  }

  /** The innermost function or lambda whose body holds `node` (a `def` itself is in the scope around it). */
  private functionScopeAround(node: Node): Scope | null {
    for (let s: Scope | null = this.model.scopeOf(node); s; s = s.parent) {
      if (s.start === node.startIndex && s.node.equals(node)) continue;
      if (s.kind === "function" || s.kind === "lambda") return s;
    }
    return null;
  }

  /** Module-level or class-level code: why it runs at import time. */
  private importTime(node: Node): RunsOnce {
    for (let n: Node | null = node.parent; n; n = n.parent) {
      if ((n.type === "if_statement") && isMainGuard(n.childForFieldName("condition"))) {
        const consequence = n.childForFieldName("consequence");
        if (consequence && node.startIndex >= consequence.startIndex && node.endIndex <= consequence.endIndex) {
          return { once: true, reason: "in the `__main__` block" };
        }
      }
      if (n.type === "class_definition") return { once: true, reason: `in the body of class ${quoted(n.childForFieldName("name")?.text ?? "")}, at import time` };
    }
    return { once: true, reason: "at module level, at import time" };
  }

  /** When a loop around `node` (in its own function or module) makes it run many times. */
  private repeatedBy(node: Node): RunsOnce | null {
    const innermost = this.model.loopOf(node, { includeComprehensions: true });
    for (let loop: Loop | null = innermost; loop && loop.owner === innermost?.owner; loop = loop.parent) {
      const at = node.startIndex;
      if (at < loop.bodyStart || at >= loop.bodyEnd || (at >= loop.onceStart && at < loop.onceEnd)) continue;
      if (loop.kind === "while") return { once: false, reason: "in a `while` loop" };
      for (const iterable of this.iterablesOf(loop)) {
        const items = this.provenance.itemsOf(iterable);
        if (items.origin === "runtime") return { once: false, reason: `in a loop over ${quoted(iterable.text, 24)}, run-time data` };
      }
    }
    return null;
  }

  private iterablesOf(loop: Loop): Node[] {
    const node = loop.node;
    if (loop.kind === "for") {
      const right = node.childForFieldName("right");
      return right ? [right] : [];
    }
    const out: Node[] = [];
    for (const clause of node.namedChildren) {
      const right = clause?.type === "for_in_clause" ? clause.childForFieldName("right") : null;
      if (right) out.push(right);
    }
    return out;
  }

  /** Whether the body of a function (or lambda) runs once per process. */
  private functionRunsOnce(scope: Scope, depth: number): Once {
    const known = this.functions.get(scope.start);
    if (known) return known;
    if (this.active.has(scope.start)) return { once: false, reason: "in a function that may call itself" };
    if (depth > MAX_DEPTH) return { once: false, reason: "in a function called through too many others" };
    this.active.add(scope.start);
    let verdict: Once;
    try {
      verdict = this.computeFunction(scope, depth);
    } finally {
      this.active.delete(scope.start);
    }
    this.functions.set(scope.start, verdict);
    return verdict;
  }

  private computeFunction(scope: Scope, depth: number): Once {
    const fn = scope.node;
    if (fn.type !== "function_definition") return { once: false, reason: "in a lambda" };
    const name = fn.childForFieldName("name");
    const around = scope.parent ?? this.model.module;
    const className = around.kind === "class" ? around.node.childForFieldName("name")?.text : null;
    const label = quoted(`${className ? `${className}.` : ""}${name?.text ?? ""}()`);
    const many: Once = { once: false, reason: `in ${label}, which may run many times` };
    if (!name) return many;
    if (around.kind === "class") {
      const classNode = around.node;
      if (CLASS_CREATION_METHODS.has(name.text)) return { once: true, reason: `in ${label}, run when a class is defined` };
      if ((name.text === "__new__" || name.text === "__init__") && this.classes.isMetaclass(classNode)) {
        return { once: true, reason: `in a metaclass's ${label}, run when a class is defined` };
      }
      if (name.text === "__init__" && enclosingClass(fn) && this.classes.isModuleSingleton(classNode)) {
        return { once: true, reason: `in ${label}, for the one object made at import` };
      }
    }
    // A function directly in a decorator factory: the decorator it returns.
    if (around.kind === "function") {
      const outer = this.functionRunsOnce(around, depth + 1);
      if (outer.once && outer.factory) return { once: true, reason: `in ${label}, made by a decorator factory at import time` };
    }
    const bindings = around.bindings.get(name.text) ?? [];
    if (bindings.length !== 1 || bindings[0].kind !== "function") return many;
    const uses = this.model.referencesOf(name.text, around).filter((id) => id.startIndex !== name.startIndex);
    // (A method is called through attributes, which references do not show.)
    if (around.kind === "class" && uses.length === 0) return many;
    if (uses.length === 0) return { once: false, reason: `in ${label}, not called in this file` };
    // Other modules may call a public function whenever they like: only its decorator and
    // callback uses say something, not the calls this file makes.
    const callable = around.kind === "function" || isPrivateName(name.text) || name.text === "main";
    const kinds = new Set<Use>();
    let callerReason = "";
    for (const use of uses) {
      const kind = this.useOf(use);
      if (kind === "other") return many;
      if (kind === "call") {
        if (!callable) return { once: false, reason: `in ${label}, which other modules may call` };
        const caller = this.runsOnceAt(use, depth);
        if (!caller.once) return { once: false, reason: `in ${label}, called ${caller.where}, ${caller.reason}` };
        callerReason ||= caller.where;
      }
      kinds.add(kind);
    }
    if (kinds.has("factory")) {
      return kinds.size === 1 ? { once: true, reason: `in ${label}, a decorator factory used at import time`, factory: true } : many;
    }
    if (kinds.has("decorator")) return { once: true, reason: `in ${label}, a decorator applied at import time` };
    if (kinds.has("callback")) return { once: true, reason: `in ${label}, an option callback` };
    return { once: true, reason: `in ${label}, called only ${callerReason}` };
  }

  /** Whether the code at a call runs once: its function's verdict and the loops around it; `where` says where it is. */
  private runsOnceAt(use: Node, depth: number): RunsOnce & { where: string } {
    const fn = this.functionScopeAround(use);
    const verdict = fn ? this.functionRunsOnce(fn, depth + 1) : this.importTime(use);
    const where = fn?.node.type === "function_definition"
      ? `from ${quoted(`${fn.node.childForFieldName("name")?.text ?? ""}()`)}`
      : verdict.reason === "in the `__main__` block" ? "from the `__main__` block" : "at import time";
    if (!verdict.once) return { once: false, reason: verdict.reason, where };
    return { ...(this.repeatedBy(use) ?? verdict), where };
  }

  /** How a reference uses the function it names. */
  private useOf(use: Node): Use {
    const parent = use.parent;
    if (!parent) return "other";
    if (parent.type === "decorator") return this.atImportTime(parent) ? "decorator" : "other";
    if (parent.type === "call" && parent.childForFieldName("function")?.startIndex === use.startIndex) {
      if (parent.parent?.type === "decorator") return this.atImportTime(parent.parent) ? "factory" : "other";
      return "call";
    }
    if (parent.type === "keyword_argument" && parent.childForFieldName("value")?.startIndex === use.startIndex
      && CALLBACK_KEYWORDS.has(parent.childForFieldName("name")?.text ?? "")) {
      const call = parent.parent?.parent;
      if (call?.type === "call" && this.declaresOption(call)) return "callback";
    }
    return "other";
  }

  /** A decorator of a definition at module or class level, outside loops. */
  private atImportTime(decorator: Node): boolean {
    return this.functionScopeAround(decorator) === null && this.model.loopOf(decorator, { includeComprehensions: true }) === null;
  }

  /** `click.option(...)`, `parser.add_argument(...)` and the like. */
  private declaresOption(call: Node): boolean {
    const fn = call.childForFieldName("function");
    if (!fn) return false;
    const qualified = this.model.qualifiedName(fn);
    if (qualified && /^(click|typer|argparse|optparse)\./.test(qualified)) return true;
    const last = fn.type === "attribute" ? fn.childForFieldName("attribute")?.text : fn.type === "identifier" ? fn.text : null;
    return OPTION_DECLARATIONS.has(last ?? "");
  }
}

/**
 * What `runsOnce` reads of one function's body (or of the statements in [ctx.bodyStart,
 * ctx.bodyEnd) when `fn` is null): for each use of a function of the module or of a class body,
 * the loops around it and whether each iterates run-time data.
 */
export function runsOnceReads(fn: Node | null, ctx: SummaryContext): string {
  const { model, bodyStart, bodyEnd } = ctx;
  const roots = fn ? [fn] : statementsIn(model, bodyStart, bodyEnd);
  const uses: Node[] = [];
  for (const root of roots) {
    for (const id of root.descendantsOfType("identifier")) {
      if (!id || id.startIndex < bodyStart || id.endIndex > bodyEnd) continue;
      const owner = model.resolveScope(id.text, model.scopeOf(id));
      if (!owner || (owner.kind !== "module" && owner.kind !== "class")) continue;
      const bindings = owner.bindings.get(id.text) ?? [];
      if (bindings.length > 0 && bindings.every((b) => b.kind === "function")) uses.push(id);
    }
  }
  if (uses.length === 0) return "";
  const parts: string[] = [];
  quietly(model, () => {
    const provenance = new ProvenanceFacts(model, new ClassFacts(model));
    for (const use of uses) {
      const loops: string[] = [];
      const innermost = model.loopOf(use, { includeComprehensions: true });
      for (let loop: Loop | null = innermost; loop && loop.owner === innermost?.owner; loop = loop.parent) {
        if (loop.kind === "while") loops.push("while");
        else {
          const iterables = loop.kind === "for" ? [loop.node.childForFieldName("right")] : loop.node.namedChildren
            .filter((c) => c?.type === "for_in_clause").map((c) => c?.childForFieldName("right") ?? null);
          loops.push(`${loop.kind} ${iterables.map((i) => (i ? provenance.itemsOf(i).origin : "?")).join(",")}`);
        }
      }
      parts.push(`${use.text} ${use.parent?.type ?? ""}${loops.length > 0 ? ` in ${loops.join(" < ")}` : ""}`);
    }
  });
  return parts.join("\n");
}

