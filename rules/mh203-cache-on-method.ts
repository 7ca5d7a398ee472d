import type { Node } from "web-tree-sitter";
import { isStubFunction, parameterList } from "../server/engine/facts/index.js";
import type { Scope, SemanticModel } from "../server/engine/model.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Evidence } from "../server/engine/types.js";

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

const PINS = "Cache pins each `{{receiver}}` {{until}}: {{evidence}}; ";

export default defineRule({
  code: "MH203",
  name: "cache-on-method",
  severity: "warning",
  fixable: "never",
  evidence: "lifetime",
  optIn: true,
  peers: ["ruff B019", "pylint W1518"],
  messages: {
    cachedProperty: `${PINS}use \`functools.cached_property\``,
    perInstance: `${PINS}cache per instance`,
    slot: `${PINS}store the result in a slot`,
    slotDict: `${PINS}keep a dict of results in a slot`,
    namedTuple: `${PINS}cache a module-level function of its fields`,
    dunder: `${PINS}cache on the instance inside the method`,
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
    // An enum's members and a metaclass's classes are fixed by the code: not the pattern.
    if (classes.isEnum(classNode) || classes.isMetaclass(classNode)) return;
    const noDict = classes.lacksInstanceDict(classNode);
    // One instance, a bounded cache of a few entries or of value-like tuples: no evidence,
    // whatever madeMany says (shown only with `report-without-evidence`).
    const little = ctx.facts.evidence.pinsLittle(cached, classNode);
    const evidence: Evidence | null = little ? null : ctx.facts.evidence.madeMany(classNode);
    const missing = little ?? "no instance made many times in this file";
    const methodName = cached.definition.childForFieldName("name")?.text ?? "method";
    const parameters = parameterList(cached.definition);
    let messageId: string;
    if (/^__\w+__$/.test(methodName)) messageId = "dunder";
    else if (noDict === "named tuple") messageId = "namedTuple";
    else if (noDict === "slots") messageId = parameters.length === 1 ? "slot" : "slotDict";
    else if (parameters.length === 1 && !hasOtherDecorators(cached.definition, decorator, cached.scope, ctx.model)) {
      messageId = "cachedProperty";
    } else messageId = "perInstance";
    const data = { receiver: method.receiver.text, until: cached.bound === "unbounded" ? "for good" : "until evicted", evidence: evidence?.text ?? missing };
    ctx.report({ start: cached.start, end: cached.end, messageId, data, evidence, estimatedBytes: null, fix: null });
  },
});
