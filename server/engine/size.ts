/**
 * The size model: estimates of what CPython 3.11+ (64-bit) allocates, calibrated against
 * `tracemalloc` peaks (the numbers below were measured with python3 3.11 on this project's
 * machine; test/size-estimates.test.ts re-measures them on every run and asserts ±30%).
 *
 *   [f(i) for i in range(N)]    56 + 8·capacity: CPython's append over-allocation (newsize + newsize/8
 *                               + 6, rounded down to 4) replayed exactly, 8.0–9.0 B per element;
 *                               plus the elements
 *   list(range(N)), [x] * N     56 + 8N (presized), plus the elements
 *   int, |v| < 2**60            32 B (tracemalloc sees sizeof(PyLongObject) even for one digit;
 *                               a sum past 2**30 keeps a spare carry digit, 36 B, estimated 32);
 *                               0 for -5..256 (cached small ints); bigger: 24 + 4 per 30-bit digit + 4
 *   float                       24 B
 *   bool, None, a constant      0 (shared objects: the collection holds pointers to one object)
 *   tuple of k                  40 + 8k B plus its items
 *   {e for ...}                 216 B + 16 B per table slot; the table grows ×4 (×2 above 50,000
 *                               items) when 3/5 full, and the peak comes at a resize, while the old
 *                               and the new table coexist: 57–162 B per int element depending on N,
 *                               so the growth is replayed, not averaged (70.5 B per int at N = 10⁶)
 *   {k: v for ...}              64 B + keys table (32 + 1/2/4/8 B index per slot + 24 B per usable
 *                               entry, 2/3 of the slots), regrown to 3·used when full; peak at a
 *                               resize: 60–107 B per int pair depending on N (85.3 B at N = 10⁶)
 *   bytes(N), bytearray(N)      N + 33 / N + 57 B
 *   array.array                 64 + N·itemsize B
 *   numpy array                 112 + 16·ndim + N·itemsize B
 */
import type { Node } from "web-tree-sitter";
import { type SemanticModel, unparenthesize } from "./model.js";

export const LIST_HEADER_BYTES = 56;
export const POINTER_BYTES = 8;
/** Average per-slot cost of a list grown by appends (use `grownListCapacity` when N is known). */
export const GROWN_LIST_SLOT_BYTES = 8.46;
export const INT_BYTES = 32;
export const FLOAT_BYTES = 24;
export const TUPLE_HEADER_BYTES = 40;
/** Averages at N = 10⁶ (70.5 / 85.3 B per int element minus the int); small N varies widely. */
export const SET_ENTRY_BYTES = 38.5;
export const DICT_ENTRY_BYTES = 53.3;
export const SET_OBJECT_BYTES = 216;
export const SET_SLOT_BYTES = 16;
export const DICT_OBJECT_BYTES = 64;
export const DICT_KEYS_HEADER_BYTES = 32;
/** A dict entry with non-str keys (hash, key, value); str-only dicts use 16. */
export const DICT_ENTRY_SLOT_BYTES = 24;
export const BYTES_HEADER_BYTES = 33;
export const BYTEARRAY_HEADER_BYTES = 57;
export const ARRAY_HEADER_BYTES = 64;
export const NDARRAY_HEADER_BYTES = 112;
export const SMALL_INT_MIN = -5;
export const SMALL_INT_MAX = 256;

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

// ---- ranges and ints ---------------------------------------------------------------------------

export interface RangeParameters {
  start: number;
  stop: number;
  step: number;
  /** How many values the range yields. */
  length: number;
}

/** `range(stop)`, `range(start, stop)`, `range(start, stop, step)` with constant arguments. */
export function rangeParameters(call: Node, model: SemanticModel): RangeParameters | null {
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
  const length = Math.max(0, step > 0 ? Math.ceil((stop - start) / step) : Math.ceil((start - stop) / -step));
  return { start, stop, step, length };
}

export function rangeLength(call: Node, model: SemanticModel): number | null {
  return rangeParameters(call, model)?.length ?? null;
}

/** Inclusive bounds of the values an int expression can take. */
export interface IntBounds {
  min: number;
  max: number;
}

function rangeBounds(range: RangeParameters): IntBounds | null {
  if (range.length === 0) return null;
  const last = range.start + (range.length - 1) * range.step;
  return { min: Math.min(range.start, last), max: Math.max(range.start, last) };
}

/** How many values of a range are cached small ints (-5..256), which cost nothing to hold. */
function cachedValuesInRange(range: RangeParameters): number {
  if (range.length === 0) return 0;
  const { start, step } = range;
  const [low, high] = step > 0
    ? [Math.ceil((SMALL_INT_MIN - start) / step), Math.floor((SMALL_INT_MAX - start) / step)]
    : [Math.ceil((start - SMALL_INT_MAX) / -step), Math.floor((start - SMALL_INT_MIN) / -step)];
  return Math.max(0, Math.min(range.length - 1, high) - Math.max(0, low) + 1);
}

/** Bytes of one int object whose value lies within `bounds` (unknown bounds: a typical int). */
export function intObjectBytes(bounds: IntBounds | null): number {
  if (!bounds) return INT_BYTES;
  if (bounds.min >= SMALL_INT_MIN && bounds.max <= SMALL_INT_MAX) return 0;
  const magnitude = Math.max(Math.abs(bounds.min), Math.abs(bounds.max));
  if (magnitude < 2 ** 60) return INT_BYTES;
  // Arithmetic allocates one spare digit for a carry and never shrinks the object.
  return 24 + 4 * (Math.ceil(Math.log2(magnitude + 1) / 30) + 1);
}

/** Bytes of the int objects a range yields when all of them are kept (`list(range(N))`). */
export function rangeIntObjectsBytes(range: RangeParameters): number {
  return (range.length - cachedValuesInRange(range)) * intObjectBytes(rangeBounds(range));
}

/** The range a loop variable iterates, when it is the sole target of a `for` over `range(...)`. */
function loopRangeOf(identifier: Node, model: SemanticModel): { range: RangeParameters; clause: Node } | null {
  const bindings = model.lookup(identifier.text, model.scopeOf(identifier));
  if (bindings.length !== 1) return null;
  const binding = bindings[0];
  if (binding.kind !== "comprehension-for" && binding.kind !== "for") return null;
  const left = binding.statement.childForFieldName("left");
  const right = binding.statement.childForFieldName("right");
  if (left?.type !== "identifier" || !right) return null;
  const range = rangeParameters(right, model);
  return range ? { range, clause: binding.statement } : null;
}

/**
 * Bounds of an int expression built from literals, constant names, and variables looping over a
 * constant `range`, with `+ - * // % ** << &` and unary minus. Null when unknown.
 */
export function intBounds(expr: Node, model: SemanticModel, depth = 0): IntBounds | null {
  if (depth > 8) return null;
  const node = unparenthesize(expr);
  const safe = (b: IntBounds): IntBounds | null =>
    Number.isFinite(b.min) && Number.isFinite(b.max) && Math.abs(b.min) <= Number.MAX_SAFE_INTEGER && Math.abs(b.max) <= Number.MAX_SAFE_INTEGER ? b : null;
  switch (node.type) {
    case "integer":
    case "identifier": {
      const value = constantInt(node, model);
      if (value !== null) return { min: value, max: value };
      if (node.type !== "identifier") return null;
      const loop = loopRangeOf(node, model);
      return loop ? rangeBounds(loop.range) : null;
    }
    case "unary_operator": {
      const operand = node.childForFieldName("argument");
      const inner = operand ? intBounds(operand, model, depth + 1) : null;
      if (!inner) return null;
      const op = node.child(0)?.type;
      if (op === "-") return { min: -inner.max, max: -inner.min };
      if (op === "+") return inner;
      if (op === "~") return { min: -inner.max - 1, max: -inner.min - 1 };
      return null;
    }
    case "binary_operator": {
      const op = node.childForFieldName("operator")?.type;
      const leftNode = node.childForFieldName("left");
      const rightNode = node.childForFieldName("right");
      if (!op || !leftNode || !rightNode) return null;
      const a = intBounds(leftNode, model, depth + 1);
      const b = intBounds(rightNode, model, depth + 1);
      if (!a || !b) return null;
      switch (op) {
        case "+": return safe({ min: a.min + b.min, max: a.max + b.max });
        case "-": return safe({ min: a.min - b.max, max: a.max - b.min });
        case "*": {
          const products = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
          // `x * x` is a square: never negative.
          const square = unparenthesize(leftNode).text === unparenthesize(rightNode).text;
          return safe({ min: square ? Math.max(0, Math.min(...products)) : Math.min(...products), max: Math.max(...products) });
        }
        case "//":
          if (b.min !== b.max || b.min <= 0) return null;
          return { min: Math.floor(a.min / b.min), max: Math.floor(a.max / b.min) };
        case "%": {
          if (b.min !== b.max || b.min === 0) return null;
          const m = b.min;
          if (m > 0) return a.min >= 0 && a.max < m ? a : { min: 0, max: m - 1 };
          return { min: m + 1, max: 0 };
        }
        case "**": {
          if (b.min !== b.max || b.min < 0 || b.min > 64) return null;
          const k = b.min;
          if (a.min >= 0) return safe({ min: a.min ** k, max: a.max ** k });
          const magnitude = Math.max(-a.min, Math.abs(a.max)) ** k;
          return safe(k % 2 === 0 ? { min: 0, max: magnitude } : { min: a.min ** k, max: a.max ** k });
        }
        case "<<":
          if (b.min !== b.max || b.min < 0 || b.min > 62) return null;
          return safe({ min: a.min * 2 ** b.min, max: a.max * 2 ** b.min });
        case "&":
          if (a.min >= 0 && b.min >= 0) return { min: 0, max: Math.min(a.max, b.max) };
          if (b.min === b.max && b.min >= 0) return { min: 0, max: b.min };
          if (a.min === a.max && a.min >= 0) return { min: 0, max: a.min };
          return null;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

// ---- collections ---------------------------------------------------------------------------------

/** Slots a list holds after `count` appends to an empty list (CPython's list_resize). */
export function grownListCapacity(count: number): number {
  let capacity = 0;
  while (capacity < count) {
    const newSize = capacity + 1;
    capacity = (newSize + Math.floor(newSize / 8) + 6) & ~3;
    if (capacity > 2 ** 30) return Math.ceil(count * 1.125); // beyond 32-bit masks: the asymptote
  }
  return capacity;
}

/** A list built by appends (a list comprehension): the over-allocated spine plus the elements. */
export function grownListBytes(count: number, elementEach: number): number {
  return LIST_HEADER_BYTES + POINTER_BYTES * grownListCapacity(count) + count * elementEach;
}

/** A list built at its final size (`list(range(N))`, `[x] * N`): 8 B a slot plus the elements. */
export function presizedListBytes(count: number, elementEach: number): number {
  return LIST_HEADER_BYTES + count * (POINTER_BYTES + elementEach);
}

/**
 * Peak bytes of a set built by adding `count` distinct elements of `elementEach` bytes one at a
 * time (CPython's set_add_entry / set_table_resize): the peak is either at the end or during a
 * resize, when the old and the new table are both allocated.
 */
export function setPeakBytes(count: number, elementEach: number): number {
  let mask = 7;
  let table = 0; // the first 8 slots live inside the set object
  let peak = 0;
  for (;;) {
    const used = Math.ceil((mask * 3) / 5); // the add that makes fill*5 >= mask*3 resizes
    if (used > count) break;
    const minUsed = used > 50_000 ? used * 2 : used * 4;
    let slots = 8;
    while (slots <= minUsed) slots *= 2;
    const newTable = slots > 8 ? slots * SET_SLOT_BYTES : 0;
    peak = Math.max(peak, used * elementEach + table + newTable);
    table = newTable;
    mask = slots - 1;
  }
  return Math.round(SET_OBJECT_BYTES + Math.max(peak, count * elementEach + table));
}

function dictKeysBytes(log2Size: number): { bytes: number; usable: number } {
  const slots = 2 ** log2Size;
  const usable = Math.floor((slots * 2) / 3);
  const indexBytes = log2Size < 8 ? 1 : log2Size < 16 ? 2 : log2Size < 32 ? 4 : 8;
  return { bytes: DICT_KEYS_HEADER_BYTES + slots * indexBytes + DICT_ENTRY_SLOT_BYTES * usable, usable };
}

/**
 * Peak bytes of a dict built by inserting `count` distinct non-str keys, each insertion bringing
 * `pairEach` bytes of new key and value objects (CPython 3.11 insertdict / dictresize).
 */
export function dictPeakBytes(count: number, pairEach: number): number {
  if (count === 0) return DICT_OBJECT_BYTES;
  let { bytes: table, usable } = dictKeysBytes(3);
  let peak = 0;
  while (usable < count) {
    const inserting = usable + 1; // the insert that finds no usable entry resizes first
    const minSize = Math.max(8, usable * 3);
    const next = dictKeysBytes(Math.ceil(Math.log2(minSize)));
    peak = Math.max(peak, inserting * pairEach + table + next.bytes);
    table = next.bytes;
    usable = next.usable;
  }
  return Math.round(DICT_OBJECT_BYTES + Math.max(peak, count * pairEach + table));
}

// ---- comprehensions ------------------------------------------------------------------------------

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

function forClauses(comprehension: Node): Node[] {
  return comprehension.namedChildren.filter((c): c is Node => c?.type === "for_in_clause");
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

const CONSTANT_TYPES: ReadonlySet<string> = new Set(["integer", "none", "true", "false", "float", "string", "concatenated_string", "ellipsis"]);

/**
 * Literals, tuples of literals and small numeric literal arithmetic: the compiler folds them into
 * one shared constant. (It does not fold big results, such as `"x" * 10**6` or `2**1000`.)
 */
function isFoldedConstant(expr: Node): boolean {
  const node = unparenthesize(expr);
  if (CONSTANT_TYPES.has(node.type)) return !node.descendantsOfType("interpolation").some((n) => n !== null);
  if (node.type === "tuple") return node.namedChildren.every((c) => !c || c.type === "comment" || isFoldedConstant(c));
  return isSmallNumericLiteral(node);
}

function isSmallNumericLiteral(node: Node): boolean {
  const value = numericLiteralValue(node);
  return value !== null && Math.abs(value) < 2 ** 60;
}

/** The value of numeric literal arithmetic, as a double (enough to tell a small result). */
function numericLiteralValue(expr: Node): number | null {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "integer":
      return parseIntegerLiteral(node.text);
    case "float": {
      const value = Number(node.text.replace(/_/g, ""));
      return Number.isFinite(value) ? value : null;
    }
    case "unary_operator": {
      const operand = node.childForFieldName("argument");
      const value = operand ? numericLiteralValue(operand) : null;
      const op = node.child(0)?.type;
      return value === null ? null : op === "-" ? -value : op === "+" ? value : op === "~" ? -value - 1 : null;
    }
    case "binary_operator": {
      const op = node.childForFieldName("operator")?.type;
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      const a = left ? numericLiteralValue(left) : null;
      const b = right ? numericLiteralValue(right) : null;
      if (a === null || b === null) return null;
      let value: number;
      switch (op) {
        case "+": value = a + b; break;
        case "-": value = a - b; break;
        case "*": value = a * b; break;
        case "/": if (b === 0) return null; value = a / b; break;
        case "//": if (b === 0) return null; value = Math.floor(a / b); break;
        case "%": if (b === 0) return null; value = a - Math.floor(a / b) * b; break;
        case "**": value = a ** b; break;
        case "<<": value = a * 2 ** b; break;
        default: return null;
      }
      return Number.isFinite(value) ? value : null;
    }
    default:
      return null;
  }
}

/**
 * Bytes one element adds beyond its slot, or null when its type or size cannot be told. Objects
 * the element only points at (constants, a name bound outside the comprehension, the variable of
 * an outer `for` clause, which changes once per inner loop) cost nothing per element.
 */
export function elementBytes(expr: Node, model: SemanticModel): number | null {
  const node = unparenthesize(expr);
  if (isFoldedConstant(node)) return 0;
  switch (node.type) {
    case "identifier": {
      // A name bound outside this comprehension is one object, shared by every element.
      const scope = model.scopeOf(node);
      if (scope.kind !== "comprehension" || model.resolveScope(node.text, scope) !== scope) {
        // ... unless a walrus inside the comprehension rebinds it on every iteration.
        const rebound = model.lookup(node.text, scope).some((b) => b.kind === "walrus" && b.node.startIndex >= scope.start && b.node.endIndex <= scope.end);
        return rebound ? null : 0;
      }
      const bindings = scope.bindings.get(node.text) ?? [];
      if (bindings.length !== 1 || bindings[0].kind !== "comprehension-for") return null;
      const clause = bindings[0].statement;
      const loop = loopRangeOf(node, model);
      if (loop) {
        // An outer clause's variable changes once per inner loop: amortized, it costs nothing.
        const clauses = clause.parent ? forClauses(clause.parent) : [];
        const innermost = clauses.length > 0 && clauses[clauses.length - 1].equals(clause);
        return innermost ? intObjectBytes(rangeBounds(loop.range)) : 0;
      }
      const right = clause.childForFieldName("right");
      const iterable = right ? unparenthesize(right) : null;
      const literalItems = iterable && (iterable.type === "list" || iterable.type === "tuple")
        && iterable.namedChildren.every((c) => !c || c.type === "comment" || isFoldedConstant(c));
      return literalItems ? 0 : null;
    }
    case "binary_operator":
    case "unary_operator":
      if (isIntArithmetic(node, model)) return intObjectBytes(intBounds(node, model));
      return isFloatArithmetic(node, model) ? FLOAT_BYTES : null;
    case "not_operator":
      return 0; // always True or False
    case "comparison_operator":
      return isBoolComparison(node, model) ? 0 : null;
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
        if (child.type === "list_splat") return null;
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
  if (node.type === "identifier") return loopRangeOf(node, model) !== null || constantInt(node, model) !== null;
  if (node.type === "binary_operator") {
    const op = node.childForFieldName("operator")?.type;
    if (!op || !["+", "-", "*", "//", "%", "**", "<<", "&", "|", "^"].includes(op)) return false;
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    if (!left || !right || !isIntArithmetic(left, model) || !isIntArithmetic(right, model)) return false;
    // `i ** -1` is a float.
    return op !== "**" || (intBounds(right, model)?.min ?? -1) >= 0;
  }
  if (node.type === "unary_operator") {
    const operand = node.childForFieldName("argument");
    return !!operand && isIntArithmetic(operand, model);
  }
  return false;
}

/** An expression that yields a float: true division, or arithmetic with a float operand. */
function isFloatArithmetic(expr: Node, model: SemanticModel): boolean {
  const node = unparenthesize(expr);
  const numeric = (n: Node): boolean => isIntArithmetic(n, model) || isFloatArithmetic(n, model);
  if (node.type === "float") return true;
  if (node.type === "call") {
    const fn = node.childForFieldName("function");
    return !!fn && model.isBuiltin(fn, "float");
  }
  if (node.type === "unary_operator") {
    const operand = node.childForFieldName("argument");
    return !!operand && node.child(0)?.type !== "~" && isFloatArithmetic(operand, model);
  }
  if (node.type !== "binary_operator") return false;
  const op = node.childForFieldName("operator")?.type;
  const left = node.childForFieldName("left");
  const right = node.childForFieldName("right");
  if (!op || !left || !right || !numeric(left) || !numeric(right)) return false;
  if (op === "/") return true;
  return ["+", "-", "*", "//", "%", "**"].includes(op) && (isFloatArithmetic(left, model) || isFloatArithmetic(right, model));
}

/** `in`, `not in`, `is`, `is not` always give a bool; `<` and friends do on ints and floats. */
function isBoolComparison(node: Node, model: SemanticModel): boolean {
  const operators = node.children.filter((c): c is Node => !!c && !c.isNamed).map((c) => c.type);
  if (operators.every((op) => op === "in" || op === "not in" || op === "is" || op === "is not" || op === "not")) return true;
  return node.namedChildren.every((c) => !c || c.type === "comment" || isIntArithmetic(c, model) || isFloatArithmetic(c, model));
}

/**
 * Whether distinct iterations give distinct values (so a set or dict keeps every one): the
 * variable of the comprehension's only `for` clause over a range, shifted, negated, scaled by a
 * non-zero constant, squared when never negative, or a tuple or `float()` holding such a value.
 */
function isInjective(expr: Node, loopVariable: string, model: SemanticModel): boolean {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "identifier":
      return node.text === loopVariable;
    case "unary_operator": {
      const operand = node.childForFieldName("argument");
      return !!operand && isInjective(operand, loopVariable, model);
    }
    case "binary_operator": {
      const op = node.childForFieldName("operator")?.type;
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      if (!op || !left || !right) return false;
      const leftConstant = constantInt(left, model);
      const rightConstant = constantInt(right, model);
      const nonNegative = (n: Node): boolean => (intBounds(n, model)?.min ?? -1) >= 0;
      switch (op) {
        case "+":
        case "-":
          return (rightConstant !== null && isInjective(left, loopVariable, model))
            || (leftConstant !== null && isInjective(right, loopVariable, model));
        case "*":
          if (rightConstant !== null) return rightConstant !== 0 && isInjective(left, loopVariable, model);
          if (leftConstant !== null) return leftConstant !== 0 && isInjective(right, loopVariable, model);
          return unparenthesize(left).text === unparenthesize(right).text && isInjective(left, loopVariable, model) && nonNegative(left);
        case "**":
          return rightConstant !== null && rightConstant >= 1 && isInjective(left, loopVariable, model) && nonNegative(left);
        case "<<":
          return rightConstant !== null && rightConstant >= 0 && isInjective(left, loopVariable, model);
        default:
          return false;
      }
    }
    case "tuple":
      return node.namedChildren.some((c) => !!c && isInjective(c, loopVariable, model));
    case "call": {
      const fn = node.childForFieldName("function");
      const args = node.childForFieldName("arguments");
      const only = args?.namedChildren.filter((c) => c && c.type !== "comment") ?? [];
      if (!fn || !model.isBuiltin(fn, "float") || only.length !== 1 || !only[0]) return false;
      const bounds = intBounds(only[0], model);
      return !!bounds && Math.max(-bounds.min, bounds.max) <= 2 ** 53 && isInjective(only[0], loopVariable, model);
    }
    default:
      return false;
  }
}

/** The comprehension's only `for` clause's variable, when it loops over a constant range. */
function soleRangeVariable(comprehension: Node, model: SemanticModel): string | null {
  const clauses = forClauses(comprehension);
  if (clauses.length !== 1) return null;
  const left = clauses[0].childForFieldName("left");
  const right = clauses[0].childForFieldName("right");
  return left?.type === "identifier" && right && rangeParameters(right, model) ? left.text : null;
}

/** Average bytes of the ints a sole range variable takes, small cached ints counted as free. */
function loopVariableAverageBytes(comprehension: Node, model: SemanticModel): number | null {
  const right = forClauses(comprehension)[0]?.childForFieldName("right");
  const range = right ? rangeParameters(right, model) : null;
  return range && range.length > 0 ? rangeIntObjectsBytes(range) / range.length : null;
}

/**
 * Estimated peak bytes of materializing a comprehension (list, set or dict), or null when its
 * length or its elements' sizes are unknown, or (set, dict) when elements may repeat.
 */
export function comprehensionBytes(comprehension: Node, model: SemanticModel): number | null {
  const count = comprehensionLength(comprehension, model);
  if (count === null) return null;
  const body = comprehension.childForFieldName("body");
  if (!body) return null;
  switch (comprehension.type) {
    case "list_comprehension": {
      // `[i for i in range(N)]`: count exactly the values that are cached small ints.
      const clauses = forClauses(comprehension);
      const variable = soleRangeVariable(comprehension, model);
      if (variable !== null && unparenthesize(body).text === variable) {
        const range = rangeParameters(clauses[0].childForFieldName("right")!, model)!;
        return grownListBytes(count, 0) + rangeIntObjectsBytes(range);
      }
      const element = elementBytes(body, model);
      return element === null ? null : grownListBytes(count, element);
    }
    case "set_comprehension": {
      const variable = soleRangeVariable(comprehension, model);
      if (variable === null || !isInjective(body, variable, model)) return null;
      const element = unparenthesize(body).text === variable ? loopVariableAverageBytes(comprehension, model) : elementBytes(body, model);
      return element === null ? null : setPeakBytes(count, element);
    }
    case "dictionary_comprehension": {
      if (body.type !== "pair") return null;
      const variable = soleRangeVariable(comprehension, model);
      const key = body.childForFieldName("key");
      const value = body.childForFieldName("value");
      if (variable === null || !key || !value || !isInjective(key, variable, model)) return null;
      const k = unparenthesize(key).text === variable ? loopVariableAverageBytes(comprehension, model) : elementBytes(key, model);
      const v = value.text === key.text ? 0 : elementBytes(value, model);
      return k === null || v === null ? null : dictPeakBytes(count, k + v);
    }
    default:
      return null;
  }
}

// ---- other allocations ---------------------------------------------------------------------------

/** `list(range(...))` with constant arguments: the presized list and every int it holds. */
export function listOfRangeBytes(call: Node, model: SemanticModel): number | null {
  const node = unparenthesize(call);
  if (node.type !== "call") return null;
  const fn = node.childForFieldName("function");
  const args = node.childForFieldName("arguments");
  if (!fn || !args || args.type !== "argument_list" || !model.isBuiltin(fn, "list")) return null;
  const only = args.namedChildren.filter((c) => c && c.type !== "comment");
  if (only.length !== 1 || !only[0]) return null;
  const range = rangeParameters(only[0], model);
  return range ? presizedListBytes(range.length, 0) + rangeIntObjectsBytes(range) : null;
}

export function bytesObjectBytes(length: number): number {
  return BYTES_HEADER_BYTES + length;
}

export function bytearrayObjectBytes(length: number): number {
  return BYTEARRAY_HEADER_BYTES + length;
}

/** `array.array` item sizes per typecode on 64-bit Linux and macOS (`l`/`L` are 4 on Windows). */
export const ARRAY_TYPECODE_BYTES: ReadonlyMap<string, number> = new Map([
  ["b", 1], ["B", 1], ["u", 4], ["w", 4], ["h", 2], ["H", 2], ["i", 4], ["I", 4],
  ["l", 8], ["L", 8], ["q", 8], ["Q", 8], ["f", 4], ["d", 8],
]);

export function arrayObjectBytes(items: number, itemBytes: number): number {
  return ARRAY_HEADER_BYTES + items * itemBytes;
}

/** NumPy scalar types by name (`numpy.int8`, `"int8"`) → item size; `longdouble` varies, so absent. */
const NUMPY_TYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ["bool", 1], ["bool_", 1], ["int8", 1], ["uint8", 1], ["byte", 1], ["ubyte", 1],
  ["int16", 2], ["uint16", 2], ["short", 2], ["ushort", 2], ["float16", 2], ["half", 2],
  ["int32", 4], ["uint32", 4], ["intc", 4], ["uintc", 4], ["float32", 4], ["single", 4],
  ["int64", 8], ["uint64", 8], ["intp", 8], ["uintp", 8], ["int_", 8], ["uint", 8], ["longlong", 8],
  ["ulonglong", 8], ["float64", 8], ["double", 8], ["float_", 8], ["complex64", 8], ["csingle", 8],
  ["complex128", 16], ["cdouble", 16], ["complex_", 16], ["object_", 8], ["datetime64", 8], ["timedelta64", 8],
]);

/** Array-protocol type strings: `"f8"`, `"<i4"`, `"u1"`, `"?"`, and one-letter codes. */
const NUMPY_CHAR_CODES: ReadonlyMap<string, number> = new Map([
  ["?", 1], ["b", 1], ["B", 1], ["h", 2], ["H", 2], ["e", 2], ["i", 4], ["I", 4], ["f", 4],
  ["l", 8], ["L", 8], ["q", 8], ["Q", 8], ["d", 8], ["F", 8], ["D", 16], ["p", 8], ["P", 8], ["O", 8],
]);

/** Python builtins accepted as dtypes: `bool` is numpy.bool_, `int` numpy.int_ (int64), `float` float64. */
const BUILTIN_DTYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ["builtins.bool", 1], ["builtins.int", 8], ["builtins.float", 8], ["builtins.complex", 16], ["builtins.object", 8],
]);

/** The item size of a NumPy dtype given as `np.int8`, `numpy.float32`, `"int32"`, `"f8"` or `bool`; null when unknown. */
export function numpyDtypeBytes(expr: Node, model: SemanticModel): number | null {
  const node = unparenthesize(expr);
  if (node.type === "string") {
    if (node.namedChildren.some((c) => c?.type === "interpolation" || c?.type === "escape_sequence")) return null;
    const text = node.namedChildren.find((c) => c?.type === "string_content")?.text ?? "";
    if (NUMPY_TYPE_BYTES.has(text)) return NUMPY_TYPE_BYTES.get(text)!;
    if (BUILTIN_DTYPE_BYTES.has(`builtins.${text}`)) return BUILTIN_DTYPE_BYTES.get(`builtins.${text}`)!;
    const code = /^[<>=|]?([a-zA-Z?])(\d*)$/.exec(text);
    if (!code) return null;
    const [, kind, digits] = code;
    if (digits === "") return NUMPY_CHAR_CODES.get(kind) ?? null;
    const size = Number(digits);
    const sizes: Record<string, number[]> = { b: [1], i: [1, 2, 4, 8], u: [1, 2, 4, 8], f: [2, 4, 8], c: [8, 16] };
    return sizes[kind]?.includes(size) ? size : null;
  }
  const qualified = model.qualifiedName(node);
  if (!qualified) return null;
  if (BUILTIN_DTYPE_BYTES.has(qualified)) return BUILTIN_DTYPE_BYTES.get(qualified)!;
  const match = /^numpy\.([A-Za-z0-9_]+)$/.exec(qualified);
  return match ? NUMPY_TYPE_BYTES.get(match[1]) ?? null : null;
}

export function ndarrayBytes(items: number, itemBytes: number, dimensions: number): number {
  return NDARRAY_HEADER_BYTES + 16 * dimensions + items * itemBytes;
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
