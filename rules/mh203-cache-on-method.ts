import type { Node } from "web-tree-sitter";
import { decoratorText, isStubFunction, parameterList } from "../server/engine/facts/index.js";
import type { Scope, SemanticModel } from "../server/engine/model.js";
import { defineRule } from "../server/engine/types.js";

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

export default defineRule({
  code: "MH203",
  name: "cache-on-method",
  severity: "warning",
  fixable: "never",
  peers: ["ruff B019", "pylint W1518"],
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
    const cached = ctx.facts.cacheDecorator(decorator);
    if (!cached || cached.bound === "disabled" || isStubFunction(cached.definition)) return;
    const { classes } = ctx.facts;
    const method = classes.methodShape(cached.definition);
    if (!method || method.binding !== "instance" || !method.receiver) return;
    const { classNode } = method;
    if (classes.isEnum(classNode) || classes.isMetaclass(classNode) || classes.isModuleSingleton(classNode)) return;
    const className = classNode.childForFieldName("name")?.text ?? "class";
    const methodName = cached.definition.childForFieldName("name")?.text ?? "method";
    const receiver = method.receiver.text;
    const parameters = parameterList(cached.definition);
    const lifetime = cached.bound === "unbounded" ? "for the process lifetime" : "until their entries are evicted";
    const dunder = /^__\w+__$/.test(methodName);
    const noDict = classes.lacksInstanceDict(classNode);
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
