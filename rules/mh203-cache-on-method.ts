import type { Node } from "web-tree-sitter";
import type { Scope, SemanticModel } from "../server/engine/model.js";
import { defineRule } from "../server/engine/types.js";
import {
  cacheDecoratorOf, decoratorText, isEnumClass, isMetaclass, isModuleSingleton, isStubFunction, methodShapeOf, singletonReads,
} from "./mh202-unbounded-lru-cache.js";

/** The method is also decorated with the builtin `@property`. */
function isProperty(definition: Node, scope: Scope, model: SemanticModel): boolean {
  const decorated = definition.parent;
  if (decorated?.type !== "decorated_definition") return false;
  return decorated.namedChildren.some((d) => {
    const expr = d?.type === "decorator" ? d.namedChildren.find((c) => c !== null && c.type !== "comment") : null;
    return !!expr && model.qualifiedName(expr, scope) === "builtins.property";
  });
}

/** The method has decorators besides the cache and `@property` (a wrapper may expect a callable). */
function hasOtherDecorators(definition: Node, cacheDecorator: Node, scope: Scope, model: SemanticModel): boolean {
  const decorated = definition.parent;
  if (decorated?.type !== "decorated_definition") return false;
  return decorated.namedChildren.some((d) => {
    if (d?.type !== "decorator" || d.equals(cacheDecorator)) return false;
    const expr = d.namedChildren.find((c) => c !== null && c.type !== "comment");
    return !expr || model.qualifiedName(expr, scope) !== "builtins.property";
  });
}

const NAMED_TUPLE_BASES: ReadonlySet<string> = new Set(["typing.NamedTuple", "typing_extensions.NamedTuple", "collections.namedtuple"]);

/**
 * Instances without a `__dict__`: the class sets `__slots__` (without `"__dict__"`) or is a named
 * tuple. `functools.cached_property` and `self.method = ...` then fail with an error.
 */
function lacksInstanceDict(classNode: Node, model: SemanticModel): "slots" | "named tuple" | null {
  const body = classNode.childForFieldName("body");
  for (const statement of body?.namedChildren ?? []) {
    const assignment = statement?.type === "expression_statement" ? statement.namedChild(0) : null;
    if (assignment?.type !== "assignment" || assignment.childForFieldName("left")?.text !== "__slots__") continue;
    if ((assignment.childForFieldName("right")?.text ?? "").includes("__dict__")) return null;
    break;
  }
  const bases = classNode.childForFieldName("superclasses");
  const own = model.scopeOf(classNode);
  const scope = own.node.equals(classNode) && own.parent ? own.parent : own;
  const namedTuple = (bases?.namedChildren ?? []).some((base) => {
    if (!base || base.type === "keyword_argument" || base.type === "comment") return false;
    const callee = base.type === "call" ? base.childForFieldName("function") : base;
    const qualified = callee ? model.qualifiedName(callee, scope) : null;
    return !!qualified && NAMED_TUPLE_BASES.has(qualified);
  });
  if (namedTuple) return "named tuple";
  const slotted = (body?.namedChildren ?? []).some((statement) => {
    const assignment = statement?.type === "expression_statement" ? statement.namedChild(0) : null;
    return assignment?.type === "assignment" && assignment.childForFieldName("left")?.text === "__slots__";
  });
  return slotted ? "slots" : null;
}

export default defineRule({
  code: "MH203",
  name: "cache-on-method",
  severity: "warning",
  fixable: "never",
  peers: ["ruff B019", "pylint W1518"],
  // As for MH202: whether the class is a singleton depends on its other methods.
  functionSummary: singletonReads,
  docs: {
    what: "Finds `@functools.lru_cache` (bounded or not) and `@functools.cache` on a method that receives the instance (`self`, whatever its name), in any import style.",
    why: "The cache lives on the function, shared by the whole class, and its keys include the instance: it holds a strong reference to every `self` it has been called with, and through it everything the instance refers to. Those instances cannot be freed while their entries live: with `@cache` or `maxsize=None`, never; with a bounded cache, until enough other calls evict them, which in a quiet process may be never either. Deleting the last reference to the object frees nothing.",
    example: "import functools\n\nclass Report:\n    def __init__(self, rows):\n        self.rows = rows\n\n    @functools.cache\n    def total(self):\n        return sum(self.rows)\n\n    @functools.lru_cache(maxsize=64)\n    def column(self, name):\n        return [row[name] for row in self.rows]",
    useInstead: "import functools\n\nclass Report:\n    def __init__(self, rows):\n        self.rows = rows\n        # A per-instance cache: freed with the instance (a cycle, so by the garbage collector).\n        self.column = functools.lru_cache(maxsize=64)(self._column)\n\n    @functools.cached_property\n    def total(self):\n        return sum(self.rows)\n\n    def _column(self, name):\n        return [row[name] for row in self.rows]",
    fixSafety: "There is no fix: every remedy changes how the method is called or when the cache is dropped. For a method taking only `self`, `functools.cached_property` stores the result on the instance (callers then read `obj.total` instead of calling `obj.total()`; it needs an instance `__dict__`, so not with `__slots__`). For other methods, keep the cache on the instance (a `self._cache` dict, or `self.method = functools.lru_cache(...)(self._method)` in `__init__`, which makes a reference cycle that the garbage collector frees with the instance), or cache a module-level function keyed by a stable id of the instance instead of the instance itself.",
    limits: "Silent for `@staticmethod` and `@classmethod` in any order of the stack (and `__new__`, `__init_subclass__`, `__class_getitem__`), for methods of enum classes (members live for the whole process anyway), of metaclasses (the instances are classes, which live anyway), and of classes that are obviously singletons (instantiated exactly once, by a module-level call outside loops, and not referenced otherwise in the file); for `maxsize=0` (nothing is stored); and for functions nested in methods, which are not methods. Silent for stubs (a body of only a docstring, `...` or `pass`, as in tests of how decorators stack). A singleton instantiated in other modules, and enum or metaclass bases imported from other modules, are not seen. The hint offers `functools.cached_property` only where it works: a method taking only `self`, not a special method (Python looks those up on the class), on a class whose instances have a `__dict__` (no `__slots__`, not a named tuple), with no decorator besides the cache and `@property`.",
  },
  nodeTypes: ["decorator"],
  check(decorator, ctx) {
    const cached = cacheDecoratorOf(decorator, ctx.model);
    if (!cached || cached.bound === "disabled" || isStubFunction(cached.definition)) return;
    const method = methodShapeOf(cached.definition, ctx.model);
    if (!method || method.binding !== "instance" || !method.receiver) return;
    const { classNode } = method;
    if (isEnumClass(classNode, ctx.model) || isMetaclass(classNode, ctx.model) || isModuleSingleton(classNode, ctx.model)) return;
    const className = classNode.childForFieldName("name")?.text ?? "class";
    const methodName = cached.definition.childForFieldName("name")?.text ?? "method";
    const receiver = method.receiver.text;
    const parameters = cached.definition.childForFieldName("parameters")?.namedChildren
      .filter((p) => p && p.type !== "comment" && p.type !== "positional_separator" && p.type !== "keyword_separator") ?? [];
    const lifetime = cached.bound === "unbounded" ? "for the process lifetime" : "until their entries are evicted";
    const dunder = /^__\w+__$/.test(methodName);
    const noDict = lacksInstanceDict(classNode, ctx.model);
    let hint: string;
    if (dunder) {
      hint = `Python looks \`${methodName}\` up on the class, so cache on the instance inside the method (an attribute set on the first call), or cache a module-level function keyed by a stable id`;
    } else if (noDict === "named tuple") {
      hint = "a named tuple has no `__dict__` and takes no new slots, so `functools.cached_property` cannot store there: cache a module-level function of the tuple's fields instead";
    } else if (noDict === "slots") {
      const slot = parameters.length === 1 ? "a slot for the result and fill it on the first call" : "a slot holding a dict of results";
      hint = `the instances have \`__slots__\` and no \`__dict__\`, so \`functools.cached_property\` cannot store there: add ${slot}, or cache a module-level function keyed by a stable id`;
    } else if (parameters.length === 1 && !hasOtherDecorators(cached.definition, decorator, cached.scope, ctx.model)) {
      hint = isProperty(cached.definition, cached.scope, ctx.model)
        ? "replace `@property` and the cache with `@functools.cached_property` (stored on the instance, freed with it)"
        : `use \`@functools.cached_property\` (stored on the instance, freed with it; callers then read \`.${methodName}\` instead of calling \`.${methodName}()\`)`;
    } else {
      // `self._name` would be mangled for a name that already starts with `_`.
      const uncached = methodName.startsWith("_") ? `${methodName}_uncached` : `_${methodName}`;
      hint = `keep a per-instance cache (a \`${receiver}._cache\` dict, or \`${receiver}.${methodName} = functools.lru_cache(...)(${receiver}.${uncached})\` in \`__init__\`, a cycle the garbage collector frees), or cache a module-level function keyed by a stable id`;
    }
    const message = `\`${decoratorText(cached, ctx.source)}\` on method \`${className}.${methodName}\` keeps a strong reference to every \`${receiver}\` it is called with: instances stay alive ${lifetime}; ${hint}`;
    ctx.report({ start: cached.start, end: cached.end, message, estimatedBytes: null, fix: null });
  },
});
