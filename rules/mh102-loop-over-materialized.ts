import type { Node } from "web-tree-sitter";
import { clausePart, isAsyncComprehension } from "../server/engine/comprehension.js";
import { freeNamesStableDuringLoop, stableDuringLoop } from "../server/engine/loop-mutation.js";
import { type SemanticModel, unparenthesize } from "../server/engine/model.js";
import { isPureExpression } from "../server/engine/purity.js";
import { INT_BYTES, comprehensionBytes, constantInt, formatBytes, iterableLength, presizedListBytes } from "../server/engine/size.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Evidence, type Fix, type RuleContext } from "../server/engine/types.js";

/** What the loop would iterate once the copy is gone. */
interface Source {
  /** Dropping the copy keeps the program's behaviour (no laziness the body could observe). */
  safe: boolean;
  /** How the message names it. */
  label: string;
  /** Replacement text when it differs from the copied expression (`d` for `d.keys()`). */
  replacement?: string;
}

/** `map(f, ...)` functions that cannot raise or run user code on any argument. */
const MAP_FUNCTIONS_SAFE: ReadonlySet<string> = new Set(["builtins.str", "builtins.repr", "builtins.bool", "builtins.type", "builtins.id"]);
/** Other builtins `map`/`filter` may call: the rule fires, the fix is unsafe (they can raise). */
const MAP_FUNCTIONS_KNOWN: ReadonlySet<string> = new Set([
  "int", "float", "len", "abs", "ord", "chr", "hex", "oct", "bin", "round", "tuple", "list", "set", "frozenset",
  "sorted", "sum", "min", "max", "any", "all", "hash", "complex", "bytes", "callable",
].map((n) => `builtins.${n}`));

export default defineRule({
  code: "MH102",
  name: "loop-over-materialized",
  severity: "warning",
  fixable: "always",
  evidence: "size",
  optIn: true,
  peers: ["ruff PERF101", "ruff C414"],
  messages: {
    listCopy: "A copy for one pass ({{evidence}}); iterate {{iterate}} instead",
    comprehension: "A list for one pass ({{evidence}}); iterate a generator expression",
    copyInSorted: "`sorted()` copies anyway ({{evidence}}); drop the `list()`",
  },
  docs: ruleDocs(new URL("./mh102-loop-over-materialized.md", import.meta.url)),
  nodeTypes: ["for_statement"],
  check(loop, ctx) {
    if (loop.child(0)?.type === "async") return;
    const right = loop.childForFieldName("right");
    if (!right) return;
    const iterable = unparenthesize(right);
    if (iterable.type === "list_comprehension") {
      checkComprehension(loop, iterable, ctx);
      return;
    }
    if (iterable.type !== "call") return;
    const fn = iterable.childForFieldName("function");
    if (fn?.type !== "identifier") return;
    if (fn.text === "list") checkListCopy(loop, iterable, fn, ctx);
    else if (fn.text === "sorted") checkSortedOfList(iterable, fn, ctx);
  },
});

/** `for x in list(source)`. */
function checkListCopy(loop: Node, call: Node, fn: Node, ctx: RuleContext): void {
  const model = ctx.model;
  if (!model.isBuiltin(fn, "list")) return;
  const argument = soleArgument(call);
  if (!argument) return;
  if (readsModuleVariableFromFunction(argument, loop, model)) return;
  const source = classifySource(argument, loop, model, 0);
  if (!source) return;
  const inner = unparenthesize(argument);
  const length = iterableLength(inner, model);
  let bytes: number | null = null;
  if (inner.type === "call" && length !== null) bytes = rangeListBytes(inner, model);
  else if (length !== null) bytes = presizedListBytes(length, 0);
  const evidence = copyEvidence(inner, bytes, length, ctx);
  const named = source.replacement ? `\`${source.replacement}\`` : source.label;
  // A long name would push the evidence out of a short message; the fix's title shows it.
  const iterate = named.length <= 20 ? named : "the original";
  ctx.report({
    node: call, messageId: "listCopy", data: { evidence: unproven(evidence, bytes), iterate },
    estimatedBytes: bytes, fix: copyRemoval(call, argument, source, loop, ctx), evidence,
  });
}

/**
 * A copy's size evidence: a constant estimate that reaches the threshold (`list(range(10**6))`),
 * or items that come from run-time data. The copy of a handful of names written in the code is
 * no evidence, however it is spelled.
 */
function copyEvidence(copied: Node, bytes: number | null, length: number | null, ctx: RuleContext): Evidence | null {
  if (length !== null) return ctx.facts.evidence.constantSize(bytes, ctx.settings, length);
  if (copied.type === "call" && ctx.model.isBuiltin(copied.childForFieldName("function") ?? copied, "range")) return ctx.facts.evidence.sizeOfRange(copied);
  return ctx.facts.evidence.sizeOfItems(copied);
}

/** The evidence's words; without evidence (shown only with `report-without-evidence`), what is known. */
function unproven(evidence: Evidence | null, bytes: number | null): string {
  return evidence?.text ?? (bytes === null ? "size unknown" : `≈ ${formatBytes(bytes)}`);
}

/**
 * Replace `list(argument)` with what the loop can iterate. Nested copies (`list(list(y))`) all
 * go in one fix, so that `--fix` converges in one pass however deep the chain: down to `y` when
 * the loop may iterate it directly, else down to the last copy, which is then the snapshot.
 */
function copyRemoval(call: Node, argument: Node, source: Source, loop: Node, ctx: RuleContext): Fix {
  let target = argument;
  let verdict = source;
  const { innermost, lastCopy } = nestedCopies(argument, ctx.model);
  if (lastCopy) {
    const direct = classifySource(innermost, loop, ctx.model, 0);
    if (direct) [target, verdict] = [innermost, direct];
    else [target, verdict] = [lastCopy, { safe: true, label: "" }];
  }
  const inner = unparenthesize(target);
  const text = verdict.replacement ?? ctx.source.slice(target.startIndex, target.endIndex);
  const commented = hasCommentOutside(call, target);
  return {
    description: verdict.replacement && verdict.replacement !== ctx.source.slice(inner.startIndex, inner.endIndex)
      ? `Iterate \`${verdict.replacement}\` instead of a copy`
      : lastCopy ? "Remove the nested `list()` copies" : "Remove the `list()` copy",
    safety: verdict.safe && !commented ? "safe" : "unsafe",
    edits: [{ start: call.startIndex, end: call.endIndex, newText: text }],
  };
}

/** For `list(list(...list(y)))` given the argument of the outer copy: `y`, and the last `list(y)`. */
function nestedCopies(argument: Node, model: SemanticModel): { innermost: Node; lastCopy: Node | null } {
  let innermost = argument;
  let lastCopy: Node | null = null;
  for (;;) {
    const node = unparenthesize(innermost);
    const fn = node.type === "call" ? node.childForFieldName("function") : null;
    const inner = fn?.type === "identifier" && fn.text === "list" && model.isBuiltin(fn, "list") ? soleArgument(node) : null;
    if (!inner || inner.type === "generator_expression") return { innermost, lastCopy };
    lastCopy = innermost;
    innermost = inner;
  }
}

/** `for x in [comprehension]`. */
function checkComprehension(loop: Node, comprehension: Node, ctx: RuleContext): void {
  const verdict = classifyComprehension(comprehension, loop, ctx.model);
  if (!verdict) return;
  const bytes = comprehensionBytes(comprehension, ctx.model);
  const evidence = ctx.facts.evidence.sizeOfComprehension(comprehension, ctx.settings);
  const open = comprehension.startIndex;
  const close = comprehension.endIndex - 1;
  ctx.report({
    node: comprehension,
    messageId: "comprehension",
    data: { evidence: unproven(evidence, bytes) },
    estimatedBytes: bytes,
    evidence,
    fix: {
      description: "Replace the list comprehension with a generator expression",
      safety: verdict.safe ? "safe" : "unsafe",
      edits: [{ start: open, end: open + 1, newText: "(" }, { start: close, end: close + 1, newText: ")" }],
    },
  });
}

/** `for x in sorted(list(it))`: the diagnostic covers the inner copy. */
function checkSortedOfList(call: Node, fn: Node, ctx: RuleContext): void {
  const model = ctx.model;
  const args = call.childForFieldName("arguments");
  if (args?.type !== "argument_list") return;
  const items = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (items.some((c) => c.type === "list_splat" || c.type === "dictionary_splat")) return;
  const positional = items.filter((c) => c.type !== "keyword_argument");
  if (positional.length !== 1) return;
  const copy = unparenthesize(positional[0]);
  const copyFn = copy.type === "call" ? copy.childForFieldName("function") : null;
  if (copyFn?.type !== "identifier" || copyFn.text !== "list") return;
  if (!model.isBuiltin(fn, "sorted") || !model.isBuiltin(copyFn, "list")) return;
  const outerArgument = soleArgument(copy);
  if (!outerArgument) return;
  // `sorted(list(list(y)))`: every copy inside `sorted()` is redundant; they all go in one fix.
  const argument = nestedCopies(outerArgument, model).innermost;
  const length = iterableLength(unparenthesize(argument), model);
  const bytes = length !== null ? presizedListBytes(length, 0) : null;
  const evidence = copyEvidence(unparenthesize(argument), bytes, length, ctx);
  let text = ctx.source.slice(argument.startIndex, argument.endIndex);
  // `sorted(list(x for x in y))` → `sorted(x for x in y)` when the generator is the only argument.
  if (argument.type === "generator_expression" && items.length === 1) text = text.slice(1, -1);
  ctx.report({
    node: copy,
    messageId: "copyInSorted",
    data: { evidence: unproven(evidence, bytes) },
    estimatedBytes: bytes,
    evidence,
    fix: {
      description: "Remove the `list()` copy inside `sorted()`",
      safety: hasCommentOutside(copy, argument) ? "unsafe" : "safe",
      edits: [{ start: copy.startIndex, end: copy.endIndex, newText: text }],
    },
  });
}

/**
 * Whether the loop could iterate `expr` itself instead of a list copy of it, and how safely.
 * Null when the body could change what `expr` reads, or when `expr` is something whose
 * mutation cannot be tracked (attributes, subscripts, calls of user code).
 */
function classifySource(expr: Node, loop: Node, model: SemanticModel, depth: number): Source | null {
  if (depth > 4) return null;
  const node = unparenthesize(expr);
  switch (node.type) {
    case "identifier": {
      const stable = stableDuringLoop(node, loop, model);
      // Another thread or caller may change a module's variable while the loop runs.
      const safe = stable?.fresh != null && !readsModuleVariableFromFunction(node, loop, model);
      return stable ? { safe, label: `\`${node.text}\`` } : null;
    }
    case "list":
    case "tuple":
    case "set":
    case "dictionary":
    case "string":
    case "concatenated_string":
      // Evaluated once, before the loop, either way; nothing else can reach it.
      return { safe: true, label: "the literal" };
    case "list_comprehension":
      return { safe: true, label: "a list comprehension" };
    case "generator_expression": {
      const verdict = classifyComprehension(node, loop, model);
      return verdict ? { safe: verdict.safe, label: "a generator" } : null;
    }
    case "call":
      return classifyCallSource(node, loop, model, depth);
    default:
      return null;
  }
}

function classifyCallSource(call: Node, loop: Node, model: SemanticModel, depth: number): Source | null {
  const fn = call.childForFieldName("function");
  if (!fn) return null;
  const args = call.childForFieldName("arguments");
  if (fn.type === "attribute") {
    const method = fn.childForFieldName("attribute")?.text ?? "";
    const object = unparenthesize(fn.childForFieldName("object") ?? fn);
    if (!["keys", "values", "items"].includes(method) || object.type !== "identifier") return null;
    if (args?.type !== "argument_list" || args.namedChildren.some((c) => c && c.type !== "comment")) return null;
    const stable = stableDuringLoop(object, loop, model);
    if (!stable || (stable.fresh !== null && stable.fresh !== "dict")) return null;
    const dict = stable.fresh === "dict";
    return {
      safe: dict,
      label: `the ${method} of \`${object.text}\``,
      replacement: method === "keys" && dict ? object.text : `${object.text}.${method}()`,
    };
  }
  const qualified = model.qualifiedName(fn);
  switch (qualified) {
    case "builtins.range":
      return { safe: true, label: "the range" };
    case "builtins.sorted":
    case "builtins.list":
      // A list just built: nothing else holds it.
      return { safe: true, label: `the list \`${fn.text}()\` just built` };
    case "builtins.enumerate":
    case "builtins.zip":
    case "builtins.reversed":
    case "builtins.map":
    case "builtins.filter": {
      if (args?.type !== "argument_list") return null;
      const items = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
      if (items.some((c) => c.type === "list_splat" || c.type === "dictionary_splat")) return null;
      const positional = items.filter((c) => c.type !== "keyword_argument");
      if (positional.length === 0) return null;
      let safe = true;
      let iterables = positional;
      if (qualified === "builtins.map" || qualified === "builtins.filter") {
        const verdict = classifyMappedFunction(positional[0], qualified, loop, model);
        if (verdict === null) return null;
        safe = verdict;
        iterables = positional.slice(1);
        if (iterables.length === 0) return null;
      } else if (qualified === "builtins.enumerate") {
        iterables = positional.slice(0, 1); // the second is `start`, evaluated once either way
      }
      for (const iterable of iterables) {
        const inner = classifySource(iterable, loop, model, depth + 1);
        if (!inner) return null;
        safe &&= inner.safe;
      }
      return { safe, label: `the \`${fn.text}()\` iterator` };
    }
    default:
      return null;
  }
}

/** `map`/`filter`'s function: null when it is user code; otherwise whether calling it lazily is safe. */
function classifyMappedFunction(function_: Node, qualified: string, loop: Node, model: SemanticModel): boolean | null {
  const node = unparenthesize(function_);
  if (node.type === "none") return qualified === "builtins.filter" ? true : null;
  if (node.type === "lambda") {
    if (!freeNamesStableDuringLoop(node, loop, model)) return null;
    const body = node.childForFieldName("body");
    return !!body && isPureExpression(body, model, { mustNotRaise: true });
  }
  const name = model.qualifiedName(node);
  if (name && MAP_FUNCTIONS_SAFE.has(name)) return true;
  if (name && MAP_FUNCTIONS_KNOWN.has(name)) return false;
  return null;
}

/**
 * A list comprehension or generator expression iterated by the loop: null when the body could
 * change what it reads; otherwise whether computing its elements lazily keeps behaviour (its
 * first iterable can be iterated in place, and its element and conditions neither call
 * anything nor raise, since they now run between iterations and stop at `break`).
 */
function classifyComprehension(comprehension: Node, loop: Node, model: SemanticModel): { safe: boolean } | null {
  if (isAsyncComprehension(comprehension)) return null;
  if (!freeNamesStableDuringLoop(comprehension, loop, model)) return null;
  const clauses = comprehension.namedChildren.filter((c): c is Node => !!c && (c.type === "for_in_clause" || c.type === "if_clause"));
  const firstIterable = clauses[0]?.type === "for_in_clause" ? clauses[0].childForFieldName("right") : null;
  if (!firstIterable) return null;
  const first = classifySource(firstIterable, loop, model, 1);
  const body = comprehension.childForFieldName("body");
  const rest = clauses.slice(1).map(clausePart);
  const pure = !!body && isPureExpression(body, model, { mustNotRaise: true })
    && rest.every((part) => isPureExpression(part, model, { mustNotRaise: true }));
  return { safe: pure && !!first?.safe };
}

/**
 * Whether `expr` reads a variable of the module (not a function, class or import) from a loop
 * inside a function. Other threads, or code the loop body triggers, can change a module's
 * containers while the loop runs: `for k, v in list(REGISTRY.items())` is the usual snapshot
 * against "dictionary changed size during iteration", so the copy stays.
 */
function readsModuleVariableFromFunction(expr: Node, loop: Node, model: SemanticModel): boolean {
  if (model.ownerScopeOf(loop) === model.module) return false;
  for (const id of iteratedNames(expr, 0)) {
    if (model.resolveScope(id.text, model.scopeOf(id)) !== model.module) continue;
    const bindings = model.module.bindings.get(id.text) ?? [];
    if (bindings.some((b) => b.kind !== "function" && b.kind !== "class" && b.kind !== "import")) return true;
  }
  return false;
}

/** The variables whose containers iterating `expr` walks: `d` in `d.items()`, `enumerate(d)`, `(f(x) for x in d)`. */
function iteratedNames(expr: Node, depth: number): Node[] {
  const node = unparenthesize(expr);
  if (depth > 4) return [];
  if (node.type === "identifier") return [node];
  if (node.type === "generator_expression" || node.type === "list_comprehension") {
    const first = node.namedChildren.find((c) => c?.type === "for_in_clause")?.childForFieldName("right");
    return first ? iteratedNames(first, depth + 1) : [];
  }
  if (node.type !== "call") return [];
  const fn = node.childForFieldName("function");
  const args = node.childForFieldName("arguments");
  if (fn?.type === "attribute") {
    const method = fn.childForFieldName("attribute")?.text ?? "";
    const object = fn.childForFieldName("object");
    return object && ["keys", "values", "items"].includes(method) ? iteratedNames(object, depth + 1) : [];
  }
  if (fn?.type !== "identifier" || args?.type !== "argument_list") return [];
  const positional = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment" && c.type !== "keyword_argument");
  switch (fn.text) {
    case "enumerate":
    case "reversed":
      return positional[0] ? iteratedNames(positional[0], depth + 1) : [];
    case "zip":
      return positional.flatMap((p) => iteratedNames(p, depth + 1));
    case "map":
    case "filter":
      return positional.slice(1).flatMap((p) => iteratedNames(p, depth + 1));
    default:
      return [];
  }
}

/** The only argument of a call: `list(x)`, or the generator of `list(x for x in y)`. */
function soleArgument(call: Node): Node | null {
  const args = call.childForFieldName("arguments");
  if (!args) return null;
  if (args.type === "generator_expression") return args;
  const items = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (items.length !== 1) return null;
  const [only] = items;
  if (only.type === "keyword_argument" || only.type === "list_splat" || only.type === "dictionary_splat") return null;
  return only;
}

/** A comment in `outer` but not in `inner` would be deleted by replacing `outer` with `inner`. */
function hasCommentOutside(outer: Node, inner: Node): boolean {
  return outer.descendantsOfType("comment").some((c) => !!c && (c.startIndex < inner.startIndex || c.startIndex >= inner.endIndex));
}

/**
 * Peak bytes of `list(range(...))` with constant arguments: the presized spine plus an int
 * object for every value outside CPython's small-int cache (-5..256).
 */
function rangeListBytes(call: Node, model: SemanticModel): number | null {
  const length = iterableLength(call, model);
  const args = call.childForFieldName("arguments");
  if (length === null || args?.type !== "argument_list") return null;
  const values = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment").map((a) => constantInt(a, model));
  if (values.some((v) => v === null)) return null;
  const [start, step] = values.length === 1 ? [0, 1] : [values[0] as number, (values[2] ?? 1) as number];
  let small = 0;
  if (length > 0) {
    // Indices k with -5 <= start + k*step <= 256.
    const lo = step > 0 ? Math.ceil((-5 - start) / step) : Math.ceil((256 - start) / step);
    const hi = step > 0 ? Math.floor((256 - start) / step) : Math.floor((-5 - start) / step);
    small = Math.max(0, Math.min(hi, length - 1) - Math.max(lo, 0) + 1);
  }
  return presizedListBytes(length, 0) + INT_BYTES * (length - small);
}
