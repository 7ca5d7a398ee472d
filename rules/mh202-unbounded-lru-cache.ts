import type { Node } from "web-tree-sitter";
import { indentBefore } from "../server/engine/positions.js";
import { type Scope, type SemanticModel, unparenthesize } from "../server/engine/model.js";
import { parseIntegerLiteral } from "../server/engine/size.js";
import { removeImportedName } from "../server/engine/imports.js";
import { callsItself, methodAttributeNames } from "../server/engine/recursion.js";
import { defineRule, type Fix, type RuleContext, type SummaryContext, type TextEdit } from "../server/engine/types.js";

/**
 * What a `functools` cache decorator keeps. `unbounded`: `cache` or `lru_cache(maxsize=None)`;
 * `bounded`: a literal size or the default 128; `disabled`: `maxsize=0` stores nothing;
 * `unknown`: a name, an expression or splatted arguments.
 */
export type CacheBound = "unbounded" | "bounded" | "disabled" | "unknown";

export interface CacheDecorator {
  decorator: Node;
  /** The decorator's expression with parentheses removed: an identifier, attribute or call. */
  expression: Node;
  /** `functools.cache` or `functools.lru_cache`. */
  qualifiedName: string;
  bound: CacheBound;
  /** The literal `None` given as maxsize, when `bound` is `unbounded` and the decorator is a call. */
  maxsizeNone: Node | null;
  /** The decorated function. */
  definition: Node;
  /** Where the decorator's names resolve: the scope around the decorated definition. */
  scope: Scope;
  /** `@` to the end of the expression: a decorator node also covers a trailing comment. */
  start: number;
  end: number;
}

/** A `@functools.cache` / `@functools.lru_cache...` decorator of a function, in any import style. */
export function cacheDecoratorOf(decorator: Node, model: SemanticModel): CacheDecorator | null {
  const raw = decorator.namedChildren.find((c) => c !== null && c.type !== "comment");
  const definition = decorator.parent?.childForFieldName("definition");
  if (!raw || definition?.type !== "function_definition") return null;
  const expression = unparenthesize(raw);
  const scope = model.scopeOf(decorator);
  const base: Omit<CacheDecorator, "qualifiedName" | "bound" | "maxsizeNone"> = {
    decorator, expression, definition, scope, start: decorator.startIndex, end: raw.endIndex,
  };
  if (expression.type === "identifier" || expression.type === "attribute") {
    // Cheap filter before resolving: the last name must be one of the two.
    const last = expression.type === "identifier" ? expression.text : expression.childForFieldName("attribute")?.text;
    if (last !== "cache" && last !== "lru_cache" && !isImportAlias(expression, model, scope)) return null;
    const qualified = model.qualifiedName(expression, scope);
    if (qualified === "functools.cache") return { ...base, qualifiedName: qualified, bound: "unbounded", maxsizeNone: null };
    if (qualified === "functools.lru_cache") return { ...base, qualifiedName: qualified, bound: "bounded", maxsizeNone: null };
    return null;
  }
  if (expression.type !== "call") return null;
  const fn = unparenthesize(expression.childForFieldName("function") ?? expression);
  const args = expression.childForFieldName("arguments");
  const last = fn.type === "identifier" ? fn.text : fn.type === "attribute" ? fn.childForFieldName("attribute")?.text : null;
  if (last !== "lru_cache" && !isImportAlias(fn, model, scope)) return null;
  if (args?.type !== "argument_list" || model.qualifiedName(fn, scope) !== "functools.lru_cache") return null;
  let maxsize: Node | null = null;
  let positional = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") {
      return { ...base, qualifiedName: "functools.lru_cache", bound: "unknown", maxsizeNone: null };
    }
    if (arg.type === "keyword_argument") {
      if (arg.childForFieldName("name")?.text === "maxsize") maxsize = arg.childForFieldName("value");
    } else if (positional++ === 0) {
      maxsize = arg;
    }
  }
  const bound = maxsizeBound(maxsize);
  const maxsizeNone = bound === "unbounded" && maxsize ? maxsize : null;
  return { ...base, qualifiedName: "functools.lru_cache", bound, maxsizeNone };
}

/** An aliased import (`from functools import lru_cache as memo`) hides the name: resolve it. */
function isImportAlias(expression: Node, model: SemanticModel, scope: Scope): boolean {
  if (expression.type !== "identifier") return false;
  const bindings = model.lookup(expression.text, scope);
  return bindings.length > 0 && bindings[0].kind === "import";
}

function maxsizeBound(value: Node | null): CacheBound {
  if (!value) return "bounded"; // lru_cache() and lru_cache(typed=True): maxsize=128
  const node = unparenthesize(value);
  if (node.type === "none") return "unbounded";
  if (node.type === "integer") return parseIntegerLiteral(node.text) === 0 ? "disabled" : "bounded";
  // A negative literal is treated as 0 by lru_cache.
  if (node.type === "unary_operator" && node.text.replace(/\s/g, "").startsWith("-")) {
    return node.namedChildren.some((c) => c?.type === "integer") ? "disabled" : "unknown";
  }
  return "unknown";
}

const ENUM_BASES = new Set(["enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"]);
const METACLASS_BASES = new Set(["builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"]);

/** The class definition that `expr` names, when it is a class defined once in this file. */
function classDefinitionOf(expr: Node, model: SemanticModel, scope: Scope): Node | null {
  const node = unparenthesize(expr);
  if (node.type !== "identifier") return null;
  const bindings = model.lookup(node.text, scope);
  if (bindings.length !== 1 || bindings[0].kind !== "class") return null;
  return bindings[0].statement.type === "class_definition" ? bindings[0].statement : null;
}

/** The scope a class's bases and decorators are evaluated in (the class scope starts at `class`). */
function scopeAround(definition: Node, model: SemanticModel): Scope {
  const own = model.scopeOf(definition);
  return own.node.equals(definition) && own.parent ? own.parent : own;
}

/** Whether some base of the class, or of a same-file base class, is one of `roots`. */
function derivesFrom(classNode: Node, roots: ReadonlySet<string>, model: SemanticModel, depth = 0): boolean {
  if (depth > 8) return false;
  const bases = classNode.childForFieldName("superclasses");
  if (!bases) return false;
  const scope = scopeAround(classNode, model);
  for (const base of bases.namedChildren) {
    if (!base || base.type === "keyword_argument" || base.type === "comment") continue;
    const qualified = model.qualifiedName(base, scope);
    if (qualified && roots.has(qualified)) return true;
    const inFile = classDefinitionOf(base, model, scope);
    if (inFile && !inFile.equals(classNode) && derivesFrom(inFile, roots, model, depth + 1)) return true;
  }
  return false;
}

export function isEnumClass(classNode: Node, model: SemanticModel): boolean {
  return derivesFrom(classNode, ENUM_BASES, model);
}

export function isMetaclass(classNode: Node, model: SemanticModel): boolean {
  return derivesFrom(classNode, METACLASS_BASES, model);
}

/**
 * A class instantiated exactly once, by a module-level call outside any loop or comprehension,
 * and never referenced otherwise in this file (no subclass, no second call, no `cls()` or
 * `type(self)()` inside it).
 */
export function isModuleSingleton(classNode: Node, model: SemanticModel): boolean {
  const name = classNode.childForFieldName("name");
  if (!name || scopeAround(classNode, model) !== model.module) return false;
  const bindings = model.module.bindings.get(name.text) ?? [];
  if (bindings.length !== 1 || bindings[0].kind !== "class") return false;
  // `MANAGER: Manager = Manager()`: a name in an annotation instantiates nothing.
  const uses = model.referencesOf(name.text, model.module).filter((id) => !id.equals(name) && !inAnnotation(id));
  if (uses.length !== 1) return false;
  const call = uses[0].parent;
  if (call?.type !== "call" || !call.childForFieldName("function")?.equals(uses[0])) return false;
  if (model.ownerScopeOf(call) !== model.module || model.loopOf(call, { includeComprehensions: true })) return false;
  if (call.startIndex >= classNode.startIndex && call.endIndex <= classNode.endIndex) return false;
  for (const inner of classNode.descendantsOfType(["call", "attribute"])) if (inner && instantiatesAgain(inner)) return false;
  return true;
}

/** Whether `inner` (a call or an attribute) may make another instance: `cls()`, `self()`, `type(...)()`, `x.__class__`. */
function instantiatesAgain(inner: Node): boolean {
  if (inner.type === "attribute") return inner.childForFieldName("attribute")?.text === "__class__";
  const fn = unparenthesize(inner.childForFieldName("function") ?? inner);
  if (fn.type === "identifier" && (fn.text === "cls" || fn.text === "self")) return true;
  return fn.type === "call" && fn.childForFieldName("function")?.text === "type";
}

/**
 * What `isModuleSingleton` reads of a method of the class (`fn`), or of its class-level
 * statements in [ctx.bodyStart, ctx.bodyEnd): whether they may make another instance.
 */
export function singletonReads(fn: Node | null, ctx: SummaryContext): string {
  const { bodyStart, bodyEnd } = ctx;
  // Without a function: the statements in the range, not the whole class body around them.
  const around = fn ?? ctx.model.root.descendantForIndex(bodyStart, Math.max(bodyStart, bodyEnd - 1));
  if (!around) return "";
  const inRange = (n: Node): boolean => n.startIndex >= bodyStart && n.endIndex <= bodyEnd;
  const roots = inRange(around) ? [around] : around.namedChildren.filter((c): c is Node => !!c && c.endIndex > bodyStart && c.startIndex < bodyEnd);
  for (const root of roots) {
    for (const inner of root.descendantsOfType(["call", "attribute"])) {
      if (inner && inRange(inner) && instantiatesAgain(inner)) return "may make another instance";
    }
  }
  return "";
}

/** Whether an identifier sits in a type annotation (of a variable, a parameter or a return). */
function inAnnotation(id: Node): boolean {
  for (let node: Node | null = id.parent; node; node = node.parent) {
    if (node.type === "type") return true;
    if (node.type.endsWith("statement") || node.type === "block" || node.type === "module") return false;
  }
  return false;
}

/**
 * A body of only a docstring, `...` or `pass`: a stub (a protocol, an overload, a test of how
 * decorators stack) whose cache holds nothing worth a warning.
 */
export function isStubFunction(definition: Node): boolean {
  const body = definition.childForFieldName("body");
  if (!body) return false;
  return body.namedChildren.every((statement) => {
    if (!statement || statement.type === "comment" || statement.type === "pass_statement") return true;
    if (statement.type !== "expression_statement" || statement.namedChildCount !== 1) return false;
    const expr = statement.namedChild(0)?.type;
    return expr === "ellipsis" || expr === "string";
  });
}

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

/** Methods Python calls with the class as first argument even without `@classmethod`. */
const IMPLICIT_CLASS_METHODS = new Set(["__new__", "__init_subclass__", "__class_getitem__"]);

export interface MethodShape {
  classNode: Node;
  /** `instance`: the first parameter is the instance; `class`: it is the class; `static`: none. */
  binding: "instance" | "class" | "static";
  /** The first parameter's identifier (the instance or class), when there is one. */
  receiver: Node | null;
}

/** How a function defined directly in a class body receives its first argument; null for non-methods. */
export function methodShapeOf(definition: Node, model: SemanticModel): MethodShape | null {
  const outer = scopeAround(definition, model);
  if (outer.kind !== "class") return null;
  const classNode = outer.node;
  const decorated = definition.parent?.type === "decorated_definition" ? definition.parent : null;
  let binding: MethodShape["binding"] = "instance";
  if (IMPLICIT_CLASS_METHODS.has(definition.childForFieldName("name")?.text ?? "")) binding = "class";
  for (const decorator of decorated?.namedChildren ?? []) {
    if (decorator?.type !== "decorator") continue;
    const expr = decorator.namedChildren.find((c) => c !== null && c.type !== "comment");
    const qualified = expr ? model.qualifiedName(expr, outer) : null;
    if (qualified === "builtins.staticmethod") binding = "static";
    else if (qualified === "builtins.classmethod" && binding !== "static") binding = "class";
  }
  const first = parameterList(definition)[0];
  const receiver = binding === "static" || !first ? null : receiverName(first);
  if (binding !== "static" && !receiver) return null; // `def f(*args)` or no parameters at all
  return { classNode, binding, receiver };
}

/** The name of a plain or annotated parameter; null for `*args`, `**kwargs` and defaults. */
function receiverName(parameter: Node): Node | null {
  if (parameter.type === "identifier") return parameter;
  if (parameter.type !== "typed_parameter") return null;
  const first = parameter.namedChild(0);
  return first?.type === "identifier" ? first : null;
}

/** The parameters of a function, separators and comments left out. */
function parameterList(definition: Node): Node[] {
  const parameters = definition.childForFieldName("parameters");
  const out: Node[] = [];
  for (const p of parameters?.namedChildren ?? []) {
    if (!p || p.type === "comment" || p.type === "positional_separator" || p.type === "keyword_separator") continue;
    out.push(p);
  }
  return out;
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

const LITERAL_TYPES = new Set(["typing.Literal", "typing_extensions.Literal"]);
const OPTIONAL_TYPES = new Set(["typing.Optional", "typing_extensions.Optional"]);
const UNION_TYPES = new Set(["typing.Union", "typing_extensions.Union"]);

/** An annotation with few values: `bool`, `None`, `Literal[...]`, a same-file enum, unions of those. */
function isSmallType(annotation: Node, model: SemanticModel, scope: Scope): boolean {
  let node = unparenthesize(annotation);
  if (node.type === "type") {
    const inner = node.namedChild(0);
    if (!inner) return false;
    node = unparenthesize(inner);
  }
  switch (node.type) {
    case "none":
      return true;
    case "identifier":
    case "attribute": {
      if (model.qualifiedName(node, scope) === "builtins.bool") return true;
      const classNode = classDefinitionOf(node, model, scope);
      return classNode !== null && isEnumClass(classNode, model);
    }
    case "string": {
      // A forward reference: `"Color"`.
      const content = node.namedChildren.filter((c) => c?.type === "string_content");
      const text = content.length === 1 ? content[0]?.text ?? "" : "";
      if (!/^[A-Za-z_]\w*$/.test(text)) return false;
      const bindings = model.lookup(text, scope);
      if (bindings.length === 0) return text === "bool" && !model.hasStarImport && model.resolveScope(text, scope) === null;
      if (bindings.length !== 1 || bindings[0].kind !== "class" || bindings[0].statement.type !== "class_definition") return false;
      return isEnumClass(bindings[0].statement, model);
    }
    case "binary_operator": {
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      return node.childForFieldName("operator")?.type === "|" && !!left && !!right
        && isSmallType(left, model, scope) && isSmallType(right, model, scope);
    }
    case "subscript": {
      const value = node.childForFieldName("value");
      const items = node.childrenForFieldName("subscript").filter((c): c is Node => c !== null);
      return value !== null && isSmallGeneric(model.qualifiedName(value, scope), items, model, scope);
    }
    case "generic_type": {
      const head = node.namedChild(0);
      const parameters = node.namedChildren.find((c) => c?.type === "type_parameter");
      const items = (parameters?.namedChildren ?? []).filter((c): c is Node => c !== null && c.type !== "comment");
      return head !== null && isSmallGeneric(model.qualifiedName(head, scope), items, model, scope);
    }
    default:
      return false;
  }
}

function isSmallGeneric(qualified: string | null, items: Node[], model: SemanticModel, scope: Scope): boolean {
  if (!qualified) return false;
  if (LITERAL_TYPES.has(qualified)) return true;
  if (OPTIONAL_TYPES.has(qualified)) return items.length === 1 && isSmallType(items[0], model, scope);
  if (UNION_TYPES.has(qualified)) return items.length > 0 && items.every((item) => isSmallType(item, model, scope));
  return false;
}

/** A parameter whose values are few (so the cache can only hold a few entries). */
function isSmallParameter(parameter: Node, model: SemanticModel, scope: Scope): boolean {
  if (parameter.type !== "typed_parameter" && parameter.type !== "typed_default_parameter") return false;
  const first = parameter.namedChild(0);
  if (first?.type === "list_splat_pattern" || first?.type === "dictionary_splat_pattern") return false;
  const annotation = parameter.childForFieldName("type");
  return annotation !== null && isSmallType(annotation, model, scope);
}

/**
 * The parameters whose values can grow the cache without bound. Empty when the argument space is
 * obviously small: no parameters, or only `bool`/`Literal`/enum-typed ones (and a receiver that
 * is a class, an enum member or a singleton).
 */
function unboundedParameters(cached: CacheDecorator, model: SemanticModel): Node[] | null {
  const parameters = parameterList(cached.definition);
  const method = methodShapeOf(cached.definition, model);
  let rest = parameters;
  if (method && method.binding !== "static") {
    // Bail out on a method we cannot read: no receiver parameter.
    if (!method.receiver) return null;
    rest = parameters.slice(1);
    const fewReceivers = method.binding === "class" || isEnumClass(method.classNode, model)
      || isMetaclass(method.classNode, model) || isModuleSingleton(method.classNode, model);
    if (!fewReceivers) return [parameters[0], ...rest.filter((p) => !isSmallParameter(p, model, cached.scope))];
  }
  return rest.filter((p) => !isSmallParameter(p, model, cached.scope));
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

/** Decorator source on one line without comments, shortened for messages. */
export function decoratorText(cached: CacheDecorator, source: string): string {
  let text = "";
  let cursor = cached.start;
  for (const comment of cached.decorator.descendantsOfType("comment")) {
    if (!comment || comment.startIndex >= cached.end) continue;
    text += source.slice(cursor, comment.startIndex);
    cursor = comment.endIndex;
  }
  text = (text + source.slice(cursor, cached.end)).replace(/\s+/g, " ").replace(/\(\s+/g, "(").replace(/,?\s+\)/g, ")");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export default defineRule({
  code: "MH202",
  name: "unbounded-lru-cache",
  severity: "warning",
  fixable: "sometimes",
  peers: ["pylint W1518", "ruff UP033"],
  // A cached method's class being a singleton, and the method calling itself, depend on the
  // class's other methods.
  functionSummary: (fn, ctx) => `${singletonReads(fn, ctx)}|${methodAttributeNames(fn, ctx.model, ctx.bodyStart, ctx.bodyEnd)}`,
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
    const cached = cacheDecoratorOf(decorator, ctx.model);
    if (!cached || cached.bound !== "unbounded") return;
    if (isStubFunction(cached.definition) || returnsNothing(cached.definition)) return;
    const growing = unboundedParameters(cached, ctx.model);
    if (!growing || growing.length === 0) return;
    const maxsize = lruCacheMaxsize(ctx);
    const fnName = cached.definition.childForFieldName("name")?.text ?? "function";
    const all = parameterList(cached.definition);
    const params = all.map(parameterName).join(", ");
    const which = growing.length < all.length ? ` (the space grows with ${growing.map((p) => `\`${parameterName(p)}\``).join(", ")})` : "";
    // The cache of a recursive function is what keeps it fast: bounding it is never automatic.
    const recursive = callsItself(cached.definition, ctx.model);
    const advice = recursive
      ? `; \`${fnName}\` calls itself, so a bound makes it recompute (no automatic fix)`
      : `; bound it with \`maxsize=${maxsize}\``;
    const message = `\`${decoratorText(cached, ctx.source)}\` never evicts: \`${fnName}(${params})\` keeps one entry per distinct argument tuple${which}, each holding its arguments and result for the process lifetime${advice}`;
    ctx.report({ start: cached.start, end: cached.end, message, estimatedBytes: null, fix: recursive ? null : boundingFix(cached, maxsize, ctx) });
  },
});
