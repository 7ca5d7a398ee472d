/**
 * Whether evaluating an expression lazily instead of eagerly can change what a program does.
 * Fix safety for generator rewrites asks this: "calls nothing but known pure builtins".
 */
import type { Node } from "web-tree-sitter";
import type { SemanticModel } from "./model.js";

/** Builtins that neither mutate anything nor call user code on plain data. */
const PURE_BUILTINS: ReadonlySet<string> = new Set([
  "abs", "bool", "chr", "divmod", "float", "hex", "int", "isinstance", "len", "max", "min", "oct",
  "ord", "pow", "range", "round", "str", "tuple", "frozenset", "repr", "hash", "sum", "any", "all",
  "bin", "issubclass", "callable", "id", "type", "slice", "complex", "bytes", "sorted", "reversed",
]);

export interface PurityOptions {
  /**
   * Also require that evaluation cannot raise, for consumers that may stop early or interleave
   * (any, all, zip, enumerate) or that skip the element (len → sum(1 for ...)): no calls, no
   * subscripts, no attribute access, no division.
   */
  mustNotRaise?: boolean;
}

const OPERATOR_NODES: ReadonlySet<string> = new Set([
  "binary_operator", "boolean_operator", "comparison_operator", "not_operator", "unary_operator",
  "parenthesized_expression", "tuple", "conditional_expression", "expression_list",
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
    }
    for (const child of expr.namedChildren) if (child && !isPureExpression(child, model, options)) return false;
    return true;
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
