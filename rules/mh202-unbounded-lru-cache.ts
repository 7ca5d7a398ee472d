import type { Node } from "web-tree-sitter";
import { type CacheDecorator, decoratorText, isStubFunction, parameterList } from "../server/engine/facts/index.js";
import { removeImportedName } from "../server/engine/imports.js";
import { type Scope, type SemanticModel, unparenthesize } from "../server/engine/model.js";
import { indentBefore } from "../server/engine/positions.js";
import { defineRule, type Fix, type RuleContext, type TextEdit } from "../server/engine/types.js";

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

function parameterName(parameter: Node): string {
  if (parameter.type === "identifier") return parameter.text;
  const first = parameter.namedChild(0);
  if (parameter.type === "list_splat_pattern" || parameter.type === "dictionary_splat_pattern") return parameter.text;
  if (first?.type === "list_splat_pattern" || first?.type === "dictionary_splat_pattern") return first.text;
  const name = parameter.childForFieldName("name") ?? parameter.namedChildren.find((c) => c?.type === "identifier");
  if (name) return name.text;
  const splat = parameter.namedChild(0);
  return splat ? splat.text : parameter.text;
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
    const fewReceivers = method.binding === "class" || classes.isEnum(method.classNode)
      || classes.isMetaclass(method.classNode) || classes.isModuleSingleton(method.classNode);
    if (!fewReceivers) return [parameters[0], ...rest.filter(grows)];
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
  peers: ["pylint W1518", "ruff UP033"],
  docs: {
    what: "Finds `@functools.cache` and `@functools.lru_cache(maxsize=None)` (also `lru_cache(None)`, and any import style or alias) on a function whose argument space is not obviously small.",
    why: "An unbounded cache never evicts: it keeps one entry per distinct argument tuple, and each entry holds the arguments and the result for the life of the process. Besides whatever the arguments and the result weigh, an entry costs a dict slot (about 50 bytes, measured with tracemalloc) and, for more than one argument or any keyword argument, a key tuple (40 + 8 bytes per argument). A cache on request data, file paths or ids grows with the traffic, not with the code. Note that ruff's UP033 rewrites `lru_cache(maxsize=None)` to `@cache`: the spelling is shorter, the growth is the same, and this rule reports both. pylint's W1518 (method-cache-max-size-none) reports `maxsize=None` only on methods.",
    example: "import functools\n\n@functools.cache\ndef user_profile(user_id):\n    return load_profile(user_id)\n\n@functools.lru_cache(maxsize=None)\ndef render(template, context_key):\n    ...",
    useInstead: "import functools\n\n@functools.lru_cache(maxsize=128)\ndef user_profile(user_id):\n    return load_profile(user_id)\n\n@functools.lru_cache(maxsize=128)\ndef render(template, context_key):\n    ...",
    fixSafety: "The fix writes `maxsize=N` (the `lruCacheMaxsize` setting, default 128): `@functools.cache` becomes `@functools.lru_cache(maxsize=N)` with the same module alias, `lru_cache(maxsize=None)` becomes `lru_cache(maxsize=N)`, `lru_cache(None)` becomes `lru_cache(N)`, and other arguments such as `typed=` are kept. For `from functools import cache`, the fix uses `lru_cache` when it is already imported from functools, else `functools.lru_cache` when `functools` is imported, else adds `lru_cache` to the same from-import; when none of these is possible (the name `lru_cache` is taken, or a star import could provide it) there is no fix. When the decorator is the last use of `cache`, the fix takes `cache` out of the import (or renames it to `lru_cache`), so no unused import is left. No fix for a function that calls itself, directly, through a function nested in it or through other functions of the file that call it back (for a method: through attributes named like methods of its class): the cache of a recursive memo is what keeps it polynomial, and a bound can make it recompute without end (a partition count `ways(400, 400)` never finishes with `maxsize=128`). The fix is always unsafe: eviction changes the hit rate, recomputes evicted results, and breaks code that relies on getting the identical cached object back (a cached singleton or a mutable result shared between callers).",
    limits: "Silent for functions without parameters (one entry), for functions whose parameters are all annotated `bool`, `None`, `Literal[...]`, an enum class defined in the same file (subclass of `enum.Enum`, `IntEnum`, `StrEnum`, `Flag` or `IntFlag`, directly or through another class of the file), or `Optional`/`Union`/`|` of these; for methods whose receiver has few values (`cls` of a classmethod, members of an enum, classes of a metaclass, the one instance of a class instantiated once at module level); for `lru_cache()` without arguments and any literal bound; and when `maxsize` is a name or an expression, since its value is not visible. Enum types imported from other modules are not recognised, so a function taking only such parameters is reported. Silent for stubs (a body of only a docstring, `...` or `pass`) and for functions that never return a value (no `return x`, no `yield`): such a cache holds only `None` and runs the body once per argument tuple (`@cache def warn_once(path): log(...)`), so bounding it would repeat the side effect. On methods taking `self`, MH203 also reports that the cache keeps the instances alive.",
  },
  nodeTypes: ["decorator"],
  check(decorator, ctx) {
    const cached = ctx.facts.cacheDecorator(decorator);
    if (!cached || cached.bound !== "unbounded") return;
    if (isStubFunction(cached.definition) || returnsNothing(cached.definition)) return;
    const growing = unboundedParameters(cached, ctx);
    if (!growing || growing.length === 0) return;
    const maxsize = lruCacheMaxsize(ctx);
    const fnName = cached.definition.childForFieldName("name")?.text ?? "function";
    const all = parameterList(cached.definition);
    const params = all.map(parameterName).join(", ");
    const which = growing.length < all.length ? ` (the space grows with ${growing.map((p) => `\`${parameterName(p)}\``).join(", ")})` : "";
    // The cache of a recursive function is what keeps it fast: bounding it is never automatic.
    const recursive = ctx.facts.callsItself(cached.definition);
    const advice = recursive
      ? `; \`${fnName}\` calls itself, so a bound makes it recompute (no automatic fix)`
      : `; bound it with \`maxsize=${maxsize}\``;
    const message = `\`${decoratorText(cached, ctx.source)}\` never evicts: \`${fnName}(${params})\` keeps one entry per distinct argument tuple${which}, each holding its arguments and result for the process lifetime${advice}`;
    ctx.report({ start: cached.start, end: cached.end, message, estimatedBytes: null, fix: recursive ? null : boundingFix(cached, maxsize, ctx) });
  },
});
