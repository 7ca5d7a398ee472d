import type { Node } from "web-tree-sitter";
import { decoratorText, isStubFunction, parameterList } from "../server/engine/facts/index.js";
import type { Scope, SemanticModel } from "../server/engine/model.js";
import { ruleDocs } from "../server/engine/docs.js";
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
  evidence: "lifetime",
  peers: ["ruff B019", "pylint W1518"],
  messages: {
    keepsInstances: "`{{decorator}}` on method `{{className}}.{{methodName}}` keeps a strong reference to every `{{receiver}}` it is called with: instances stay alive {{lifetime}}; {{hint}}",
  },
  docs: ruleDocs(new URL("./mh203-cache-on-method.md", import.meta.url)),
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
    const data = { decorator: decoratorText(cached, ctx.source), className, methodName, receiver, lifetime, hint };
    ctx.report({ start: cached.start, end: cached.end, messageId: "keepsInstances", data, estimatedBytes: null, fix: null });
  },
});
