import type { Node } from "web-tree-sitter";
import { unparenthesize, type Scope, type SemanticModel } from "../server/engine/model.js";
import {
  ARRAY_TYPECODE_BYTES, arrayObjectBytes, bytearrayObjectBytes, bytesObjectBytes, constantInt, formatBytes,
  listOfRangeBytes, ndarrayBytes, numpyDtypeBytes, presizedListBytes, rangeParameters,
} from "../server/engine/size.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type RuleContext } from "../server/engine/types.js";

/** Bytes of a str object holding ASCII text: 48-byte header, the characters and a NUL. */
const ASCII_STR_HEADER_BYTES = 49;

const NUMPY_ALLOCATORS: ReadonlySet<string> = new Set(["numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full"]);
/** What an import may rename: `from numpy import zeros as z`, `from array import array as A`. */
const IMPORTED_ALLOCATORS: ReadonlySet<string> = new Set([...NUMPY_ALLOCATORS, "array.array"]);

/** Last names of the callees this rule knows: a cheap filter before resolving names. */
const CALLEE_NAMES: ReadonlySet<string> = new Set(["bytearray", "bytes", "list", "zeros", "ones", "empty", "full"]);

export default defineRule({
  code: "MH104",
  name: "huge-allocation",
  severity: "information",
  fixable: "never",
  evidence: "size",
  // Tests allocate huge arrays on purpose.
  silentInTests: true,
  peers: [],
  messages: {
    huge: "Allocates {{evidence}} at once: {{what}}; {{hint}}",
  },
  docs: ruleDocs(new URL("./mh104-huge-allocation.md", import.meta.url)),
  // Calls and binary operators are half the nodes of a file, and only those with a `*` or an
  // allocator's name can be huge allocations: the rule finds those words in the text instead of
  // having every such node fetched.
  nodeTypes: [],
  check() {},
  scan(start, end, ctx) {
    const { source, model } = ctx;
    const root = model.root;
    // `x * n`: a `*` token whose parent is a binary operator (not `**`, `*args`, `*=`, comments).
    for (let i = source.indexOf("*", start); i >= 0 && i < end; i = source.indexOf("*", i + 1)) {
      if (source.charCodeAt(i + 1) === 42) {
        i++;
        continue;
      }
      const token = root.descendantForIndex(i, i + 1);
      const operator = token?.type === "*" ? token.parent : null;
      if (operator?.type === "binary_operator" && operator.startIndex >= start) checkRepeat(operator, ctx);
    }
    // `bytearray(n)`, `np.zeros(n)`: a call whose callee ends with an allocator's name (found
    // with one native search per name, several times faster than one alternation regex).
    for (const name of new Set([...CALLEE_NAMES, ...allocatorAliases(model)])) {
      for (let i = source.indexOf(name, start); i >= 0 && i < end; i = source.indexOf(name, i + name.length)) {
        if (isWordCode(source.charCodeAt(i - 1)) || isWordCode(source.charCodeAt(i + name.length))) continue;
        const id = root.descendantForIndex(i, i + name.length);
        if (id?.type !== "identifier") continue;
        let callee: Node = id;
        const parent = id.parent;
        if (parent?.type === "attribute" && parent.lastChild?.equals(id)) callee = parent;
        const call = callee.parent;
        if (call?.type === "call" && call.firstChild?.equals(callee) && call.startIndex >= start) checkCall(call, ctx);
      }
    }
  },
});

/** A character that continues a name (ASCII letters, digits, `_`, and anything non-ASCII). */
function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

interface Repeat {
  kind: "list" | "array" | "bytes" | "str";
  /** Items (list slots, array items, bytes, characters) after the repetition. */
  units: number;
  /** For arrays: the item size of the typecode. */
  itemBytes: number;
  typecode: string;
}

function isMultiplication(node: Node): boolean {
  // child(1) is the operator token (cheaper than a field lookup on this very common node).
  return node.type === "binary_operator" && node.child(1)?.type === "*";
}

/** `[x] * N`, `N * [a, b]`, `b"\0" * N`, `array.array("d", [0]) * N` (nested repeats multiply). */
function checkRepeat(node: Node, ctx: RuleContext): void {
  if (!isMultiplication(node)) return;
  // The outermost repetition of a chain (`[0] * N * M`) reports the total once.
  let outer = node;
  while (outer.parent?.type === "parenthesized_expression") outer = outer.parent;
  if (outer.parent && isMultiplication(outer.parent) && repeatOf(outer.parent, ctx.model)) return;
  const repeat = repeatOf(node, ctx.model);
  if (!repeat) return;
  const count = repeat.units.toLocaleString("en-US");
  let bytes: number;
  let what: string;
  let hint: string;
  switch (repeat.kind) {
    case "list":
      bytes = presizedListBytes(repeat.units, 0);
      what = `a list of ${count} slots`;
      hint = "store numbers unboxed (`array`, NumPy), sparse data in a dict";
      break;
    case "array":
      bytes = arrayObjectBytes(repeat.units, repeat.itemBytes);
      what = `an \`array.array('${repeat.typecode}')\` of ${count} items`;
      hint = "check the size, or work in chunks";
      break;
    case "bytes":
      bytes = bytesObjectBytes(repeat.units);
      what = `a bytes object of ${count} bytes`;
      hint = "work in chunks, or `mmap` a file";
      break;
    case "str":
      bytes = ASCII_STR_HEADER_BYTES + repeat.units;
      what = `a str of ${count} characters`;
      hint = "write the text in pieces";
      break;
  }
  report(node, bytes, what, hint, ctx);
}

function repeatOf(expr: Node, model: SemanticModel, depth = 0): Repeat | null {
  if (depth > 8) return null;
  const node = unparenthesize(expr);
  switch (node.type) {
    case "list": {
      let units = 0;
      for (const item of node.namedChildren) {
        if (!item || item.type === "comment") continue;
        if (item.type === "list_splat") return null;
        units++;
      }
      return units > 0 ? { kind: "list", units, itemBytes: 0, typecode: "" } : null;
    }
    case "string":
      return stringRepeat(node);
    case "call":
      return arrayRepeat(node, model);
    case "binary_operator": {
      if (!isMultiplication(node)) return null;
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      if (!left || !right) return null;
      for (const [sequence, times] of [[left, right], [right, left]] as const) {
        const inner = repeatOf(sequence, model, depth + 1);
        if (!inner) continue;
        const n = constantInt(times, model);
        if (n === null) return null;
        const units = inner.units * Math.max(0, n);
        return Number.isSafeInteger(units) ? { ...inner, units } : null;
      }
      return null;
    }
    default:
      return null;
  }
}

/** A plain bytes literal, or a str literal of ASCII text without escapes. */
function stringRepeat(node: Node): Repeat | null {
  const start = node.namedChildren.find((c) => c?.type === "string_start")?.text ?? "";
  const prefix = start.replace(/["']+$/, "").toLowerCase();
  const isBytes = prefix === "b";
  if (prefix !== "" && !isBytes) return null;
  let units = 0;
  for (const part of node.namedChildren) {
    if (!part) continue;
    if (part.type === "interpolation") return null;
    if (part.type !== "string_content") continue;
    let text = part.text;
    for (const escape of part.namedChildren) {
      if (escape?.type !== "escape_sequence") continue;
      if (!isBytes || escape.text.startsWith("\\\n") || escape.text.startsWith("\\\r")) return null;
      text = text.replace(escape.text, "");
      units++;
    }
    if (!/^[\x20-\x7e]*$/.test(text)) return null;
    units += text.length;
  }
  return units > 0 ? { kind: isBytes ? "bytes" : "str", units, itemBytes: 1, typecode: "" } : null;
}

/** `array.array("d", [0.0])`: a constant typecode and a list literal of items. */
function arrayRepeat(call: Node, model: SemanticModel): Repeat | null {
  const fn = call.childForFieldName("function");
  if (!fn) return null;
  const name = fn.type === "attribute" ? fn.lastNamedChild?.text : fn.text;
  if (name !== "array" && !(fn.type === "identifier" && allocatorAliases(model).has(fn.text))) return null;
  if (model.qualifiedName(fn) !== "array.array") return null;
  const args = positionalArguments(call);
  if (!args || args.length !== 2) return null;
  const [typecodeNode, initializer] = args.map(unparenthesize);
  if (typecodeNode.type !== "string" || initializer.type !== "list") return null;
  const typecode = typecodeNode.namedChildren.find((c) => c?.type === "string_content")?.text ?? "";
  const itemBytes = ARRAY_TYPECODE_BYTES.get(typecode);
  const items = repeatOf(initializer, model);
  if (itemBytes === undefined || !items) return null;
  return { kind: "array", units: items.units, itemBytes, typecode };
}

/** The positional arguments of a call without keywords or splats; null otherwise. */
function positionalArguments(call: Node): Node[] | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  const out: Node[] = [];
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "keyword_argument" || arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    out.push(arg);
  }
  return out;
}

/** Names bound anywhere in the file by imports of the allocators under another name. */
const importedAllocatorNames = new WeakMap<SemanticModel, ReadonlySet<string>>();

function allocatorAliases(model: SemanticModel): ReadonlySet<string> {
  let names = importedAllocatorNames.get(model);
  if (names) return names;
  const found = new Set<string>();
  const visit = (scope: Scope): void => {
    for (const [name, bindings] of scope.bindings) {
      if (bindings.some((b) => b.kind === "import" && b.qualifiedName !== null && IMPORTED_ALLOCATORS.has(b.qualifiedName))) found.add(name);
    }
    for (const child of scope.children) visit(child);
  };
  visit(model.module);
  names = found;
  importedAllocatorNames.set(model, names);
  return names;
}

function checkCall(call: Node, ctx: RuleContext): void {
  // Filter on the callee's last name and the argument's shape before resolving any name.
  const fn = call.firstChild;
  if (!fn) return;
  const last = fn.type === "identifier" ? fn.text : fn.type === "attribute" ? fn.lastChild?.text : undefined;
  if (!last) return;
  if (fn.type === "identifier" && (last === "bytearray" || last === "bytes" || last === "list")) {
    const args = call.lastChild;
    if (args?.type !== "argument_list" || args.namedChildCount !== 1) return;
    const only = args.firstNamedChild;
    if (!only || only.type === "keyword_argument" || only.type === "list_splat" || only.type === "dictionary_splat") return;
    if (last === "list") checkListOfRange(call, only, ctx);
    else checkZeroFilled(call, last, only, ctx);
    return;
  }
  if (!CALLEE_NAMES.has(last) && !(fn.type === "identifier" && allocatorAliases(ctx.model).has(last))) return;
  const qualified = ctx.model.qualifiedName(fn);
  if (qualified && NUMPY_ALLOCATORS.has(qualified)) checkNumpy(call, qualified, ctx);
}

/** `bytearray(N)`, `bytes(N)`: N zero bytes. */
function checkZeroFilled(call: Node, name: string, size: Node, ctx: RuleContext): void {
  const n = constantInt(size, ctx.model);
  if (n === null || n < 0) return;
  const bytes = name === "bytes" ? bytesObjectBytes(n) : bytearrayObjectBytes(n);
  if (bytes < ctx.settings.hugeAllocationBytes || !ctx.model.isBuiltin(call.firstChild!, name)) return;
  report(call, bytes, `a zero-filled ${name === "bytes" ? "bytes object" : "bytearray"} of ${n.toLocaleString("en-US")} bytes`, "work in chunks, or `mmap` a file", ctx);
}

/** `list(range(...))`: every slot and every int at once. */
function checkListOfRange(call: Node, argument: Node, ctx: RuleContext): void {
  const inner = unparenthesize(argument);
  if (inner.type !== "call" || inner.firstChild?.text !== "range") return;
  const range = rangeParameters(inner, ctx.model);
  const bytes = range ? listOfRangeBytes(call, ctx.model) : null;
  if (!range || bytes === null) return;
  report(call, bytes, `a list of ${range.length.toLocaleString("en-US")} ints from \`range\``, "iterate the `range` itself if one pass is enough", ctx);
}

/** `numpy.zeros/ones/empty(shape, dtype)`, `numpy.full(shape, fill_value, dtype)`. */
function checkNumpy(call: Node, qualified: string, ctx: RuleContext): void {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return;
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return;
    if (arg.type === "keyword_argument") {
      const name = arg.childForFieldName("name")?.text;
      const value = arg.childForFieldName("value");
      if (!name || !value) return;
      keywords.set(name, value);
    } else positional.push(arg);
  }
  const isFull = qualified === "numpy.full";
  const shapeNode = positional[0] ?? keywords.get("shape");
  const fillNode = isFull ? positional[1] ?? keywords.get("fill_value") : undefined;
  const dtypeNode = positional[isFull ? 2 : 1] ?? keywords.get("dtype");
  if (!shapeNode || (isFull && !fillNode)) return;
  const shape = shapeOf(shapeNode, ctx.model);
  if (!shape) return;
  let itemBytes: number | null;
  if (dtypeNode && unparenthesize(dtypeNode).type !== "none") itemBytes = numpyDtypeBytes(dtypeNode, ctx.model);
  else if (isFull) itemBytes = fillValueBytes(fillNode!, ctx.model);
  else itemBytes = 8; // float64
  if (itemBytes === null) return;
  const items = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(items)) return;
  const dims = shape.map((d) => d.toLocaleString("en-US")).join(" × ");
  report(
    call, ndarrayBytes(items, itemBytes, shape.length),
    `\`${qualified}\` of ${dims} ${itemBytes}-byte items`,
    "try a smaller dtype, chunks or `numpy.memmap`", ctx,
  );
}

/** A constant shape: `N` or a tuple/list of constants. */
function shapeOf(expr: Node, model: SemanticModel): number[] | null {
  const node = unparenthesize(expr);
  if (node.type === "tuple" || node.type === "list") {
    const dims: number[] = [];
    for (const item of node.namedChildren) {
      if (!item || item.type === "comment") continue;
      const n = constantInt(item, model);
      if (n === null || n < 0) return null;
      dims.push(n);
    }
    return dims;
  }
  const n = constantInt(node, model);
  return n === null || n < 0 ? null : [n];
}

/** `numpy.full` without a dtype takes the fill value's: int → int64, float → float64, bool → bool. */
function fillValueBytes(expr: Node, model: SemanticModel): number | null {
  const node = unparenthesize(expr);
  if (node.type === "true" || node.type === "false") return 1;
  if (node.type === "float") return /[jJ]$/.test(node.text) ? null : 8;
  if (node.type === "unary_operator" && unparenthesize(node.childForFieldName("argument") ?? node).type === "float") return 8;
  return constantInt(node, model) !== null ? 8 : null;
}

/** Decorators that declare how much memory a test needs: CPython's `test.support`, NumPy's testing helpers. */
const MEMORY_DECORATORS: ReadonlySet<string> = new Set(["bigmemtest", "bigaddrspacetest", "precisionbigmemtest", "requires_memory"]);
/** Calls that check for enough free memory before a big test allocates (SciPy's testing helper). */
const MEMORY_CHECKS: ReadonlySet<string> = new Set(["check_free_memory"]);

function lastName(expr: Node | null): string | undefined {
  if (!expr) return undefined;
  const node = unparenthesize(expr.type === "call" ? expr.childForFieldName("function") ?? expr : expr);
  if (node.type === "identifier") return node.text;
  return node.type === "attribute" ? node.childForFieldName("attribute")?.text : undefined;
}

/**
 * The allocation sits in a function that declares its memory need: decorated with
 * `@bigmemtest(...)` / `@requires_memory(...)`, or calling `check_free_memory(...)`. The size
 * is deliberate and already stated next to it.
 */
function declaresMemoryNeed(node: Node): boolean {
  for (let fn: Node | null = node.parent; fn; fn = fn.parent) {
    if (fn.type !== "function_definition") continue;
    const decorated = fn.parent?.type === "decorated_definition" ? fn.parent : null;
    for (const decorator of decorated?.namedChildren ?? []) {
      if (decorator?.type !== "decorator") continue;
      const name = lastName(decorator.namedChildren.find((c) => c !== null && c.type !== "comment") ?? null);
      if (name && MEMORY_DECORATORS.has(name)) return true;
    }
    const body = fn.childForFieldName("body");
    if (body?.descendantsOfType("call").some((call) => { const name = lastName(call); return !!name && MEMORY_CHECKS.has(name); })) return true;
  }
  return false;
}

/**
 * Report an allocation of `bytes` that reaches MH104's own threshold (`hugeAllocationBytes`). Its
 * evidence is the constant estimate, measured against that same threshold in place of
 * `minSizeBytes` (the bar of the other rules' size evidence), which plays no part here: it
 * defaults far below it (1 MiB against 64 MiB), and a user who lowers `hugeAllocationBytes`
 * under it asks to see those smaller allocations.
 */
function report(node: Node, bytes: number, what: string, hint: string, ctx: RuleContext): void {
  if (bytes < ctx.settings.hugeAllocationBytes || declaresMemoryNeed(node)) return;
  const evidence = ctx.facts.evidence.constantSize(bytes, { ...ctx.settings, minSizeBytes: ctx.settings.hugeAllocationBytes });
  ctx.report({
    node,
    messageId: "huge",
    data: { evidence: evidence?.text ?? `≈ ${formatBytes(bytes)}`, what, hint },
    estimatedBytes: bytes,
    evidence,
  });
}
