/**
 * `functools` cache decorators: `@functools.cache`, `@lru_cache(maxsize=None)`, any import
 * style or alias, what bound each gives the cache, and facts about the cached function that
 * the cache rules (MH202, MH203) share.
 */
import type { Node } from "web-tree-sitter";
import { type Scope, type SemanticModel, unparenthesize } from "../model.js";
import { parseIntegerLiteral } from "../size.js";

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
  /** How many entries a `bounded` cache keeps: the literal maxsize, or 128 by default; null otherwise. */
  maxsize: number | null;
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
  const base: Omit<CacheDecorator, "qualifiedName" | "bound" | "maxsizeNone" | "maxsize"> = {
    decorator, expression, definition, scope, start: decorator.startIndex, end: raw.endIndex,
  };
  if (expression.type === "identifier" || expression.type === "attribute") {
    // Cheap filter before resolving: the last name must be one of the two.
    const last = expression.type === "identifier" ? expression.text : expression.childForFieldName("attribute")?.text;
    if (last !== "cache" && last !== "lru_cache" && !isImportAlias(expression, model, scope)) return null;
    const qualified = model.qualifiedName(expression, scope);
    if (qualified === "functools.cache") return { ...base, qualifiedName: qualified, bound: "unbounded", maxsizeNone: null, maxsize: null };
    if (qualified === "functools.lru_cache") return { ...base, qualifiedName: qualified, bound: "bounded", maxsizeNone: null, maxsize: 128 };
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
      return { ...base, qualifiedName: "functools.lru_cache", bound: "unknown", maxsizeNone: null, maxsize: null };
    }
    if (arg.type === "keyword_argument") {
      if (arg.childForFieldName("name")?.text === "maxsize") maxsize = arg.childForFieldName("value");
    } else if (positional++ === 0) {
      maxsize = arg;
    }
  }
  const bound = maxsizeBound(maxsize);
  const maxsizeNone = bound === "unbounded" && maxsize ? maxsize : null;
  const literal = maxsize ? unparenthesize(maxsize) : null;
  const size = bound !== "bounded" ? null : literal?.type === "integer" ? parseIntegerLiteral(literal.text) : 128;
  return { ...base, qualifiedName: "functools.lru_cache", bound, maxsizeNone, maxsize: size };
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

