/**
 * The size model: estimates of what CPython 3.11+ (64-bit) allocates, calibrated against
 * `tracemalloc` peaks (the numbers below were measured with python3 3.11 on this project's
 * machine; test/size-estimates.test.ts re-measures them on every run and asserts ±30%).
 *
 *   [f(i) for i in range(N)]   list spine 8.46 B per element (growth by append), plus the element
 *   list(range(N)), [x] * N    spine 8 B per element (presized), plus the elements
 *   int outside -5..256        32 B (28 requested, pymalloc rounds to 8)
 *   float                      24 B
 *   tuple of k                 40 + 8k B
 *   {i for ...}, {i: i for ...} about 70 / 85 B per int element, table and ints included
 *   bytes(N), bytearray(N)     N + 33 / N + 57 B
 */
import type { Node } from "web-tree-sitter";
import { type SemanticModel, unparenthesize } from "./model.js";

export const LIST_HEADER_BYTES = 56;
export const POINTER_BYTES = 8;
/** Per-slot cost of a list grown one append at a time (over-allocation included). */
export const GROWN_LIST_SLOT_BYTES = 8.46;
export const INT_BYTES = 32;
export const FLOAT_BYTES = 24;
export const TUPLE_HEADER_BYTES = 40;
export const SET_ENTRY_BYTES = 38.5; // 70.5 B per int element minus the int itself
export const DICT_ENTRY_BYTES = 53.3; // 85.3 B per int key/value pair minus the int itself

/** Python integer literal text → number (`1_000`, `0x10`, `0o7`, `0b1`); null for others. */
export function parseIntegerLiteral(text: string): number | null {
  const t = text.replace(/_/g, "").toLowerCase();
  if (/[jl]$/.test(t)) return null;
  let value: number;
  if (t.startsWith("0x")) value = parseInt(t.slice(2), 16);
  else if (t.startsWith("0o")) value = parseInt(t.slice(2), 8);
  else if (t.startsWith("0b")) value = parseInt(t.slice(2), 2);
  else if (/^\d+$/.test(t)) value = Number(t);
  else return null;
  return Number.isFinite(value) ? value : null;
}

/**
 * The value of an integer expression made of literals, `+ - * // % ** <<`, and names bound exactly
 * once (in the scope they resolve to) to such an expression. Null when unknown.
 */
export function constantInt(expr: Node, model: SemanticModel, depth = 0): number | null {
  if (depth > 8) return null;
  const node = unparenthesize(expr);
  switch (node.type) {
    case "integer":
      return parseIntegerLiteral(node.text);
    case "unary_operator": {
      const operand = node.childForFieldName("argument");
      const value = operand ? constantInt(operand, model, depth + 1) : null;
      if (value === null) return null;
      const op = node.child(0)?.type;
      return op === "-" ? -value : op === "+" ? value : null;
    }
    case "binary_operator": {
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      const op = node.childForFieldName("operator")?.type;
      if (!left || !right || !op) return null;
      const a = constantInt(left, model, depth + 1);
      if (a === null) return null;
      const b = constantInt(right, model, depth + 1);
      if (b === null) return null;
      let value: number;
      switch (op) {
        case "+": value = a + b; break;
        case "-": value = a - b; break;
        case "*": value = a * b; break;
        case "//": if (b === 0) return null; value = Math.floor(a / b); break;
        case "%": if (b === 0) return null; value = ((a % b) + b) % b; break;
        case "**": if (b < 0 || b > 64) return null; value = a ** b; break;
        case "<<": if (b < 0 || b > 62) return null; value = a * 2 ** b; break;
        default: return null;
      }
      return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : null;
    }
    case "identifier": {
      const scope = model.scopeOf(node);
      const owner = model.resolveScope(node.text, scope);
      if (!owner) return null;
      const bindings = owner.bindings.get(node.text) ?? [];
      if (bindings.length !== 1 || bindings[0].kind !== "assignment" || !bindings[0].value) return null;
      if (model.mutationsOf(node.text, owner).some((m) => m.kind === "aug-assign")) return null;
      return constantInt(bindings[0].value, model, depth + 1);
    }
    default:
      return null;
  }
}

/** `range(stop)`, `range(start, stop)`, `range(start, stop, step)` with constant arguments. */
export function rangeLength(call: Node, model: SemanticModel): number | null {
  const node = unparenthesize(call);
  if (node.type !== "call") return null;
  const fn = node.childForFieldName("function");
  if (!fn || !model.isBuiltin(fn, "range")) return null;
  const args = node.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  const values: number[] = [];
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "keyword_argument" || arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    const value = constantInt(arg, model);
    if (value === null) return null;
    values.push(value);
  }
  let start = 0;
  let stop: number;
  let step = 1;
  if (values.length === 1) stop = values[0];
  else if (values.length === 2 || values.length === 3) {
    [start, stop] = values;
    if (values.length === 3) step = values[2];
  } else return null;
  if (step === 0) return null;
  const length = step > 0 ? Math.ceil((stop - start) / step) : Math.ceil((start - stop) / -step);
  return Math.max(0, length);
}

/** How many items an iterable yields, when that is known from constants. */
export function iterableLength(expr: Node, model: SemanticModel): number | null {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "call":
      return rangeLength(node, model);
    case "list":
    case "tuple":
    case "set": {
      let count = 0;
      for (const child of node.namedChildren) {
        if (!child || child.type === "comment") continue;
        if (child.type === "list_splat") return null;
        count++;
      }
      return count;
    }
    default:
      return null;
  }
}

/**
 * Number of elements a comprehension produces: the product of its `for` clauses' lengths, null
 * when one is unknown or when an `if` clause filters.
 */
export function comprehensionLength(comprehension: Node, model: SemanticModel): number | null {
  let count = 1;
  let clauses = 0;
  for (const child of comprehension.namedChildren) {
    if (!child) continue;
    if (child.type === "if_clause") return null;
    if (child.type !== "for_in_clause") continue;
    const right = child.childForFieldName("right");
    const length = right ? iterableLength(right, model) : null;
    if (length === null) return null;
    count *= length;
    clauses++;
  }
  return clauses > 0 ? count : null;
}

/** Bytes one element adds beyond its slot, or null when its type or size cannot be told. */
export function elementBytes(expr: Node, model: SemanticModel): number | null {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "integer":
    case "none":
    case "true":
    case "false":
    case "float":
    case "string":
      return 0; // constants are shared: the list holds pointers to one object
    case "identifier":
    case "binary_operator": {
      if (!isIntArithmetic(node, model)) return null;
      if (node.type === "binary_operator" && node.childForFieldName("operator")?.type === "%") {
        const right = node.childForFieldName("right");
        const modulus = right ? constantInt(right, model) : null;
        if (modulus !== null && modulus > 0 && modulus <= 257) return 0; // small ints are cached
      }
      return INT_BYTES;
    }
    case "call": {
      const fn = node.childForFieldName("function");
      if (fn && model.isBuiltin(fn, "float")) return FLOAT_BYTES;
      return null;
    }
    case "tuple": {
      let total = TUPLE_HEADER_BYTES;
      const seen = new Set<string>();
      for (const child of node.namedChildren) {
        if (!child || child.type === "comment") continue;
        total += POINTER_BYTES;
        if (seen.has(child.text)) continue; // the same object twice
        seen.add(child.text);
        const inner = elementBytes(child, model);
        if (inner === null) return null;
        total += inner;
      }
      return total;
    }
    default:
      return null;
  }
}

/** An expression that yields an int: loop variables over `range`, int literals and arithmetic. */
function isIntArithmetic(expr: Node, model: SemanticModel): boolean {
  const node = unparenthesize(expr);
  if (node.type === "integer") return true;
  if (node.type === "identifier") {
    const bindings = model.lookup(node.text, model.scopeOf(node));
    if (bindings.length !== 1) return false;
    const binding = bindings[0];
    if (binding.kind === "comprehension-for" || binding.kind === "for") {
      const right = binding.statement.childForFieldName("right");
      return !!right && rangeLength(right, model) !== null && binding.statement.childForFieldName("left")?.type === "identifier";
    }
    return constantInt(node, model) !== null;
  }
  if (node.type === "binary_operator") {
    const op = node.childForFieldName("operator")?.type;
    if (!op || !["+", "-", "*", "//", "%", "**", "<<", "&", "|", "^"].includes(op)) return false;
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    return !!left && !!right && isIntArithmetic(left, model) && isIntArithmetic(right, model);
  }
  if (node.type === "unary_operator") {
    const operand = node.childForFieldName("argument");
    return !!operand && isIntArithmetic(operand, model);
  }
  return false;
}

/**
 * Estimated peak bytes of materializing a comprehension (list, set or dict), or null when its
 * length or its elements' sizes are unknown.
 */
export function comprehensionBytes(comprehension: Node, model: SemanticModel): number | null {
  const count = comprehensionLength(comprehension, model);
  if (count === null) return null;
  const body = comprehension.childForFieldName("body");
  if (!body) return null;
  switch (comprehension.type) {
    case "list_comprehension": {
      const element = elementBytes(body, model);
      return element === null ? null : Math.round(LIST_HEADER_BYTES + count * (GROWN_LIST_SLOT_BYTES + element));
    }
    case "set_comprehension": {
      const element = elementBytes(body, model);
      return element === null ? null : Math.round(count * (SET_ENTRY_BYTES + element));
    }
    case "dictionary_comprehension": {
      if (body.type !== "pair") return null;
      const key = body.childForFieldName("key");
      const value = body.childForFieldName("value");
      const k = key ? elementBytes(key, model) : null;
      const v = value ? (value.text === key?.text ? 0 : elementBytes(value, model)) : null;
      return k === null || v === null ? null : Math.round(count * (DICT_ENTRY_BYTES + k + v));
    }
    default:
      return null;
  }
}

/** A list built at its final size (`list(range(N))`, `[x] * N`): 8 B a slot plus the elements. */
export function presizedListBytes(count: number, elementEach: number): number {
  return LIST_HEADER_BYTES + count * (POINTER_BYTES + elementEach);
}

/** `≈ 38.1 MiB`-style text for messages, hover and inlay hints. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value >= 100 ? value.toFixed(0) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}
