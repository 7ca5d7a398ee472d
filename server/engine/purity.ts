/**
 * Whether evaluating an expression lazily instead of eagerly can change what a program does.
 * Fix safety for generator rewrites asks this: "calls nothing but known pure builtins".
 */
import type { Node } from "web-tree-sitter";
import { type SemanticModel, unparenthesize } from "./model.js";

/** Builtins that neither mutate anything nor call user code on plain data. */
const PURE_BUILTINS: ReadonlySet<string> = new Set([
  "abs", "bool", "chr", "divmod", "float", "hex", "int", "isinstance", "len", "max", "min", "oct",
  "ord", "pow", "range", "round", "str", "tuple", "frozenset", "repr", "hash", "sum", "any", "all",
  "bin", "issubclass", "callable", "id", "type", "slice", "complex", "bytes", "sorted", "reversed",
]);

export interface PurityOptions {
  /**
   * Also require that evaluation cannot raise or run user code, for consumers that may stop
   * early or interleave (any, all, zip, enumerate) or that skip the element (len → sum(1 for
   * ...)): no calls, no subscripts, no attribute access, no division, and operators only on
   * values whose type is known (literals, variables of a `for` clause over `range()` or over a
   * literal of constants): `a == b` on objects of unknown type calls their `__eq__`, which may
   * record the call or raise, and short-circuiting skips the later calls.
   */
  mustNotRaise?: boolean;
}

const OPERATOR_NODES: ReadonlySet<string> = new Set([
  "binary_operator", "boolean_operator", "comparison_operator", "not_operator", "unary_operator",
  "parenthesized_expression", "tuple", "conditional_expression", "expression_list", "list",
]);

const LITERALS: ReadonlySet<string> = new Set(["integer", "float", "true", "false", "none", "identifier", "comment"]);

export function isPureExpression(expr: Node, model: SemanticModel, options: PurityOptions = {}): boolean {
  const type = expr.type;
  if (LITERALS.has(type)) return true;
  if (type === "string") {
    // A plain string literal; f-strings call __format__.
    return !expr.namedChildren.some((c) => c?.type === "interpolation");
  }
  if (type === "concatenated_string") return expr.namedChildren.every((c) => !c || isPureExpression(c, model, options));
  if (OPERATOR_NODES.has(type)) {
    if (options.mustNotRaise && type === "binary_operator") {
      const op = expr.childForFieldName("operator")?.type;
      if (op === "/" || op === "//" || op === "%" || op === "**" || op === "@") return false;
      // A negative shift count raises.
      if ((op === "<<" || op === ">>") && expr.childForFieldName("right")?.type !== "integer") return false;
    }
    for (const child of expr.namedChildren) if (child && !isPureExpression(child, model, options)) return false;
    return !options.mustNotRaise || operandsHaveKnownTypes(expr, model);
  }
  if (options.mustNotRaise) return false;
  if (type === "subscript") {
    for (const child of expr.namedChildren) if (child && !isPureExpression(child, model, options)) return false;
    return true;
  }
  if (type === "call") {
    const fn = expr.childForFieldName("function");
    const qualified = fn ? model.qualifiedName(fn) : null;
    if (!qualified?.startsWith("builtins.") || !PURE_BUILTINS.has(qualified.slice("builtins.".length))) return false;
    const args = expr.childForFieldName("arguments");
    if (!args) return false;
    for (const arg of args.namedChildren) {
      if (!arg) continue;
      const value = arg.type === "keyword_argument" ? arg.childForFieldName("value") : arg;
      if (!value || !isPureExpression(value, model, options)) return false;
    }
    return true;
  }
  return false;
}

/**
 * Whether an operator node calls only the dunders of builtin types: its operands are literals,
 * variables known to hold ints or strs, or operator results of such values. `is` and `is not`
 * call nothing, whatever they compare; grouping (tuples, parentheses) calls nothing itself.
 */
function operandsHaveKnownTypes(expr: Node, model: SemanticModel): boolean {
  switch (expr.type) {
    case "parenthesized_expression":
    case "expression_list":
    case "tuple":
    case "list":
      return true;
    case "comparison_operator": {
      const operators = expr.children.filter((c): c is Node => !!c && !c.isNamed).map((c) => c.type);
      if (operators.every((op) => op === "is" || op === "is not" || op === "not")) return true;
      return expr.namedChildren.every((c) => !c || c.type === "comment" || hasKnownType(c, model));
    }
    case "conditional_expression": {
      // `a if condition else b`: only the condition's truth is asked for.
      const condition = expr.namedChildren.filter((c) => c && c.type !== "comment")[1];
      return !!condition && hasKnownType(condition, model);
    }
    default:
      return expr.namedChildren.every((c) => !c || c.type === "comment" || hasKnownType(c, model));
  }
}

const KNOWN_LITERALS: ReadonlySet<string> = new Set(["integer", "float", "true", "false", "none"]);

/** A value of a builtin type whose operators run no user code (see `operandsHaveKnownTypes`). */
function hasKnownType(expr: Node, model: SemanticModel): boolean {
  const node = unparenthesize(expr);
  if (KNOWN_LITERALS.has(node.type)) return true;
  if (node.type === "string") return !node.namedChildren.some((c) => c?.type === "interpolation");
  if (node.type === "identifier") return holdsBuiltinValues(node, model);
  if (node.type === "tuple") return node.namedChildren.every((c) => !c || c.type === "comment" || hasKnownType(c, model));
  if (OPERATOR_NODES.has(node.type)) return operandsHaveKnownTypes(node, model);
  return false;
}

/**
 * A variable bound only by a comprehension's `for` clause (as a plain name) over `range(...)` or
 * over a literal whose items are all int literals or all plain string literals.
 */
function holdsBuiltinValues(identifier: Node, model: SemanticModel): boolean {
  const bindings = model.lookup(identifier.text, model.scopeOf(identifier));
  if (bindings.length !== 1 || bindings[0].kind !== "comprehension-for") return false;
  const clause = bindings[0].statement;
  if (clause.childForFieldName("left")?.type !== "identifier") return false;
  const right = clause.childForFieldName("right");
  if (!right) return false;
  const iterable = unparenthesize(right);
  if (iterable.type === "call") {
    const fn = iterable.childForFieldName("function");
    return !!fn && model.isBuiltin(fn, "range");
  }
  if (iterable.type !== "list" && iterable.type !== "tuple" && iterable.type !== "set") return false;
  const items = iterable.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (items.length === 0) return false;
  const plainString = (c: Node) => c.type === "string" && !c.namedChildren.some((p) => p?.type === "interpolation");
  return items.every((c) => c.type === "integer") || items.every(plainString);
}
