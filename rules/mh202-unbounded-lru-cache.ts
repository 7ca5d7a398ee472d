import type { Node } from "web-tree-sitter";
import { type CacheDecorator, decoratorText, isStubFunction, parameterList } from "../server/engine/facts/index.js";
import { removeImportedName } from "../server/engine/imports.js";
import { type Scope, type SemanticModel, unparenthesize } from "../server/engine/model.js";
import { indentBefore } from "../server/engine/positions.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Evidence, type Fix, type RuleContext, type TextEdit } from "../server/engine/types.js";

/**
 * A function that never returns a value (no `return x`, no `yield`): its cache stores only
 * `None` and exists to run the body once per argument tuple (`@cache def warn_once(path): ...`).
 * Bounding it would repeat the side effect; that is a design choice, not a leak.
 */
function returnsNothing(definition: Node): boolean {
  const body = definition.childForFieldName("body");
  if (!body || definition.child(0)?.type === "async") return false; // a coroutine is a value
  const nested = body.descendantsOfType(["function_definition", "lambda", "class_definition"]).filter((n): n is Node => !!n);
  const inNested = (n: Node) => nested.some((d) => n.startIndex >= d.startIndex && n.endIndex <= d.endIndex);
  for (const node of body.descendantsOfType(["return_statement", "yield", "await"])) {
    if (!node || inNested(node)) continue;
    if (node.type !== "return_statement") return false;
    const value = node.namedChildren.find((c) => c && c.type !== "comment");
    if (value && unparenthesize(value).type !== "none") return false;
  }
  return true;
}

/**
 * The parameters whose values can grow the cache without bound. Empty when the argument space is
 * obviously small: no parameters, or only `bool`/`Literal`/enum-typed ones (and a receiver that
 * is a class, an enum member or a singleton).
 */
function unboundedParameters(cached: CacheDecorator, ctx: RuleContext): Node[] | null {
  const { classes } = ctx.facts;
  const parameters = parameterList(cached.definition);
  const method = classes.methodShape(cached.definition);
  const grows = (p: Node): boolean => !ctx.facts.isFewValuedParameter(p, cached.scope);
  let rest = parameters;
  if (method && method.binding !== "static") {
    // Bail out on a method we cannot read: no receiver parameter.
    if (!method.receiver) return null;
    rest = parameters.slice(1);
    if (method.binding !== "class" && !classes.hasFewInstances(method.classNode)) return [parameters[0], ...rest.filter(grows)];
  }
  return rest.filter(grows);
}

function lruCacheMaxsize(ctx: RuleContext): number {
  const n = ctx.settings.lruCacheMaxsize;
  return Number.isInteger(n) && n > 0 ? n : 128;
}

/** Every binding of `name` seen from `scope` imports `qualified`. */
function bindsImport(name: string, qualified: string, model: SemanticModel, scope: Scope): boolean {
  const bindings = model.lookup(name, scope);
  return bindings.length > 0 && bindings.every((b) => b.kind === "import" && b.qualifiedName === qualified);
}

/** Rewrite the decorator so the cache holds at most `maxsize` entries; null when no spelling is safe to write. */
function boundingFix(cached: CacheDecorator, maxsize: number, ctx: RuleContext): Fix | null {
  const { model } = ctx;
  const description = `Bound the cache with maxsize=${maxsize}`;
  if (cached.maxsizeNone) {
    return { description, safety: "unsafe", edits: [{ start: cached.maxsizeNone.startIndex, end: cached.maxsizeNone.endIndex, newText: String(maxsize) }] };
  }
  const { expression, scope } = cached;
  const call = `lru_cache(maxsize=${maxsize})`;
  if (cached.qualifiedName !== "functools.cache") return null;
  if (expression.type === "attribute") {
    const object = expression.childForFieldName("object");
    const attribute = expression.childForFieldName("attribute");
    if (!object || !attribute || model.qualifiedName(object, scope) !== "functools") return null;
    return { description, safety: "unsafe", edits: [{ start: attribute.startIndex, end: attribute.endIndex, newText: call }] };
  }
  if (expression.type !== "identifier") return null;
  const replace = (newText: string) => ({ start: expression.startIndex, end: expression.endIndex, newText });
  const imported = importedName(expression, model, scope);
  // The decorator is the import's only use: the import changes with it, never left unused.
  const lastUse = imported !== null && model.referencesOf(expression.text, imported.owner).every((id) => id.equals(expression) || id.equals(imported.binding));
  // Every fix of a `cache` decorator also edits the `cache` import (at least rewriting it as it
  // is), so that two of them are never applied in the same pass: each sees whether it rewrites
  // the last use, and that one takes `cache` out of the import.
  const importEdit = (): TextEdit | null => {
    if (!imported) return null;
    if (lastUse) return removeImportedName(imported.statement, imported.name, ctx.source);
    return { start: imported.name.startIndex, end: imported.name.endIndex, newText: imported.name.text };
  };
  for (const [name, qualified, newText] of [["lru_cache", "functools.lru_cache", call], ["functools", "functools", `functools.${call}`]]) {
    if (!bindsImport(name, qualified, model, scope)) continue;
    const edit = importEdit();
    if (imported && !edit) return null;
    return { description, safety: "unsafe", edits: edit ? [edit, replace(newText)] : [replace(newText)] };
  }
  // Import `lru_cache` next to `cache`, when that name is free.
  if (model.hasStarImport || model.resolveScope("lru_cache", scope) !== null) return null;
  if (!imported || imported.statement.childForFieldName("module_name")?.text !== "functools") return null;
  if (lastUse) {
    // `from functools import cache` → `from functools import lru_cache` (an alias stays).
    const original = imported.name.type === "aliased_import" ? imported.name.childForFieldName("name") : imported.name;
    if (!original) return null;
    const rename = { start: original.startIndex, end: original.endIndex, newText: "lru_cache" };
    const decorator = imported.name.type === "aliased_import" ? `${expression.text}(maxsize=${maxsize})` : call;
    return { description: `${description} (imports lru_cache instead of cache)`, safety: "unsafe", edits: [rename, replace(decorator)] };
  }
  const names = imported.statement.childrenForFieldName("name").filter((n): n is Node => n !== null);
  const last = names[names.length - 1];
  if (!last) return null;
  return {
    description: `${description} (imports lru_cache)`,
    safety: "unsafe",
    edits: [importAfter(last, ctx.source), replace(call)],
  };
}

/** The from-import that binds `expression` (an identifier), with the name node in it. */
function importedName(expression: Node, model: SemanticModel, scope: Scope): { statement: Node; name: Node; binding: Node; owner: Scope } | null {
  const owner = model.resolveScope(expression.text, scope);
  const bindings = owner ? owner.bindings.get(expression.text) ?? [] : [];
  if (!owner || bindings.length !== 1 || bindings[0].kind !== "import") return null;
  const statement = bindings[0].statement;
  if (statement.type !== "import_from_statement") return null;
  const binding = bindings[0].node;
  const name = statement.childrenForFieldName("name").find((n) => n !== null && n.startIndex <= binding.startIndex && binding.endIndex <= n.endIndex);
  return name ? { statement, name, binding, owner } : null;
}

/** Add `lru_cache` after the last imported name, on its own line when the import has one name per line. */
function importAfter(last: Node, source: string): TextEdit {
  const indent = indentBefore(source, last.startIndex);
  const trailing = /^,[ \t]*(#[^\r\n]*)?(?:\r\n?|\n)/.exec(source.slice(last.endIndex));
  if (trailing && /^[ \t]+$/.test(indent)) {
    const at = last.endIndex + trailing[0].length;
    return { start: at, end: at, newText: `${indent}lru_cache,\n` }; // (the engine writes the file's line ending)
  }
  return { start: last.endIndex, end: last.endIndex, newText: ", lru_cache" };
}

export default defineRule({
  code: "MH202",
  name: "unbounded-lru-cache",
  severity: "warning",
  fixable: "sometimes",
  evidence: "growth",
  optIn: true,
  peers: ["pylint W1518", "ruff UP033"],
  messages: {
    unbounded: "the cache of `{{fn}}()` never evicts: {{evidence}}",
    recursive: "the cache of `{{fn}}()` never evicts, but it is the memo of a recursion (`{{fn}}()` calls itself): no fix",
  },
  docs: ruleDocs(new URL("./mh202-unbounded-lru-cache.md", import.meta.url)),
  nodeTypes: ["decorator"],
  check(decorator, ctx) {
    const cached = ctx.facts.cacheDecorator(decorator);
    if (!cached || cached.bound !== "unbounded") return;
    if (isStubFunction(cached.definition) || returnsNothing(cached.definition)) return;
    const growing = unboundedParameters(cached, ctx);
    if (!growing || growing.length === 0) return;
    const maxsize = lruCacheMaxsize(ctx);
    const fn = cached.definition.childForFieldName("name")?.text ?? "function";
    // The cache of a recursive function is the recursion's memo: it is what keeps it fast, and
    // its keys are the recursion's (small) arguments, so it is no evidence of growth, and a bound
    // is never written automatically.
    const recursive = ctx.facts.callsItself(cached.definition);
    const evidence = recursive ? null : argumentGrowth(cached, growing, ctx);
    ctx.report({
      start: cached.start, end: cached.end, messageId: recursive ? "recursive" : "unbounded",
      data: { fn, evidence: evidence?.text ?? "no evidence that its arguments come from run-time data" },
      evidence, estimatedBytes: null, fix: recursive ? null : boundingFix(cached, maxsize, ctx),
    });
  },
});

/**
 * Growth: some argument of the cached function comes from run-time data (what this file passes
 * it, or a parameter of a public function), at calls that may run many times. Not for the
 * receiver (an instance kept alive is MH203's concern), nor for a function defined inside
 * another: its cache lives only as long as that function object, made anew on each call.
 */
function argumentGrowth(cached: CacheDecorator, growing: Node[], ctx: RuleContext): Evidence | null {
  for (let up = cached.definition.parent; up; up = up.parent) if (up.type === "function_definition" || up.type === "lambda") return null;
  const body = cached.definition.childForFieldName("body");
  if (!body) return null;
  const receiver = ctx.facts.classes.methodShape(cached.definition)?.receiver ?? null;
  const parameters = growing.filter((p) => !(receiver && p.startIndex <= receiver.startIndex && receiver.endIndex <= p.endIndex));
  const evidence = ctx.facts.evidence;
  return evidence.firstGrowth((function* () {
    for (const p of parameters) yield evidence.growthOfParameter(p, body, "arguments");
  })());
}
