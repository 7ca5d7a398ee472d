import type { Node } from "web-tree-sitter";
import { clausePart, isAsyncComprehension } from "../server/engine/comprehension.js";
import { deleteCharacter } from "../server/engine/edits.js";
import { freeNamesStableDuringLoop } from "../server/engine/loop-mutation.js";
import { unparenthesize } from "../server/engine/model.js";
import { isPureExpression } from "../server/engine/purity.js";
import { comprehensionBytes, formatBytes } from "../server/engine/size.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Fix, type RuleContext, type TextEdit } from "../server/engine/types.js";

/**
 * Consumers that need one pass over their iterable argument. `mustNotRaise`: the consumer may
 * stop early, or interleaves with the caller, so laziness also moves exceptions.
 */
const CONSUMERS: ReadonlyMap<string, { mustNotRaise: boolean; argument: "first" | "second" | "each" }> = new Map([
  ["builtins.any", { mustNotRaise: true, argument: "first" }],
  ["builtins.all", { mustNotRaise: true, argument: "first" }],
  ["builtins.sum", { mustNotRaise: false, argument: "first" }],
  ["builtins.min", { mustNotRaise: false, argument: "first" }],
  ["builtins.max", { mustNotRaise: false, argument: "first" }],
  ["builtins.set", { mustNotRaise: false, argument: "first" }],
  ["builtins.frozenset", { mustNotRaise: false, argument: "first" }],
  ["builtins.dict", { mustNotRaise: false, argument: "first" }],
  ["builtins.len", { mustNotRaise: true, argument: "first" }],
  ["builtins.enumerate", { mustNotRaise: true, argument: "first" }],
  ["builtins.zip", { mustNotRaise: true, argument: "each" }],
  ["collections.Counter", { mustNotRaise: false, argument: "first" }],
  ["heapq.nlargest", { mustNotRaise: false, argument: "second" }],
  ["heapq.nsmallest", { mustNotRaise: false, argument: "second" }],
]);

/** `min(a, b)` and `max(a, b)` compare their arguments; they iterate only a single positional. */
const SINGLE_POSITIONAL = new Set(["builtins.min", "builtins.max", "builtins.any", "builtins.all", "builtins.len", "builtins.set", "builtins.frozenset", "builtins.dict", "collections.Counter"]);

export default defineRule({
  code: "MH101",
  name: "comprehension-in-consumer",
  severity: "warning",
  fixable: "always",
  evidence: "size",
  optIn: true,
  peers: ["ruff C419", "ruff C403", "ruff C404", "pylint R1728", "pylint R1729"],
  messages: {
    toSet: "A throwaway list feeds `set()` ({{evidence}}); use a set comprehension",
    toDict: "A throwaway list feeds `dict()` ({{evidence}}); use a dict comprehension",
    counted: "A list built only to be counted ({{evidence}}); use `sum(1 for ...)`",
    iterated: "A list built only for `{{consumer}}()` ({{evidence}}); use a generator",
    reduced: "A list built only for `{{consumer}}()` ({{evidence}}); use a generator",
    shortCircuit: "A whole list for `{{consumer}}()`, which can stop early ({{evidence}}); use a generator",
  },
  docs: ruleDocs(new URL("./mh101-comprehension-in-consumer.md", import.meta.url)),
  // Comprehensions are far rarer than calls: start from them and look up at the call.
  nodeTypes: ["list_comprehension"],
  check(comprehension, ctx) {
    const args = comprehension.parent;
    const call = args?.parent;
    if (args?.type !== "argument_list" || call?.type !== "call") return;
    const fn = call.childForFieldName("function");
    if (!fn) return;
    const qualified = ctx.model.qualifiedName(fn);
    const consumer = qualified ? CONSUMERS.get(qualified) : undefined;
    if (!qualified || !consumer) return;
    const positional: Node[] = [];
    for (const arg of args.namedChildren) {
      if (!arg || arg.type === "comment") continue;
      if (arg.type === "list_splat" || arg.type === "dictionary_splat") return;
      if (arg.type !== "keyword_argument") positional.push(arg);
    }
    if (SINGLE_POSITIONAL.has(qualified) && positional.length !== 1) return;
    if (qualified === "builtins.sum" && sumsSequences(args, positional)) return;
    const index = positional.findIndex((p) => p.equals(comprehension));
    const wanted = consumer.argument === "each" ? index >= 0 : index === (consumer.argument === "second" ? 1 : 0);
    if (!wanted || isAsyncComprehension(comprehension)) return;
    if ((qualified === "builtins.zip" || qualified === "builtins.enumerate") && changedByLoopBody(call, comprehension, ctx)) return;
    reportComprehension(call, qualified, comprehension, args, positional.length, consumer.mustNotRaise, ctx);
  },
});

/**
 * `sum([...], [])`, `sum([...], start=())`: concatenating sequences is quadratic, and the list of
 * references the comprehension builds is the least of it (ruff RUF017, MH406's shape).
 */
function sumsSequences(args: Node, positional: Node[]): boolean {
  let start: Node | null = positional[1] ?? null;
  for (const arg of args.namedChildren) {
    if (arg?.type === "keyword_argument" && arg.childForFieldName("name")?.text === "start") start = arg.childForFieldName("value");
  }
  if (!start) return false;
  const node = unparenthesize(start);
  if (node.type === "list" || node.type === "tuple" || node.type === "list_comprehension") return true;
  const fn = node.type === "call" ? node.childForFieldName("function") : null;
  return fn?.type === "identifier" && (fn.text === "list" || fn.text === "tuple");
}

/**
 * `for k, v in zip(keys, [rv[k] for k in keys]): rv[k] = v`: a lazy `zip` or `enumerate` runs the
 * element between iterations of the loop it feeds, so when that loop's body may change what the
 * comprehension reads, the list is the snapshot that keeps the result right.
 */
function changedByLoopBody(call: Node, comprehension: Node, ctx: RuleContext): boolean {
  let node = call;
  for (let parent = node.parent; parent; node = parent, parent = parent.parent) {
    if (parent.type === "parenthesized_expression" || parent.type === "argument_list") continue;
    if (parent.type === "call") {
      const name = ctx.model.qualifiedName(parent.childForFieldName("function") ?? parent);
      if (name === "builtins.zip" || name === "builtins.enumerate") continue;
      return false;
    }
    if (parent.type === "for_statement" && parent.childForFieldName("right")?.equals(node)) {
      return !freeNamesStableDuringLoop(comprehension, parent, ctx.model);
    }
    return false;
  }
  return false;
}


function reportComprehension(
  call: Node, consumer: string, comprehension: Node, args: Node, positionalCount: number, mustNotRaise: boolean, ctx: RuleContext,
): void {
  const name = consumer.replace(/^builtins\./, "");
  const bytes = comprehensionBytes(comprehension, ctx.model);
  const evidence = ctx.facts.evidence.sizeOfComprehension(comprehension, ctx.settings);
  // Without evidence the finding shows only with `report-without-evidence`: say what is known.
  const data = { evidence: evidence?.text ?? (bytes === null ? "size unknown" : `≈ ${formatBytes(bytes)}`), consumer: name };
  const body = comprehension.childForFieldName("body");
  // The first iterable is evaluated eagerly in both forms; only what follows it becomes lazy.
  const clauses = comprehension.namedChildren
    .filter((c): c is Node => !!c && (c.type === "for_in_clause" || c.type === "if_clause"))
    .map(clausePart)
    .slice(1);
  const conditionsPure = clauses.every((c) => isPureExpression(c, ctx.model));
  const elementPure = !!body && isPureExpression(body, ctx.model, { mustNotRaise });
  const pure = elementPure && clauses.every((c) => isPureExpression(c, ctx.model, { mustNotRaise }));
  const source = ctx.source;
  const open = comprehension.startIndex;
  const close = comprehension.endIndex - 1;
  const inner = source.slice(open + 1, close);
  const sole = positionalCount === 1 && args.namedChildren.filter((c) => c && c.type !== "comment").length === 1
    && /^\s*\)$/.test(source.slice(comprehension.endIndex, args.endIndex));

  let messageId: string;
  let fix: Fix;
  if (name === "set" && sole) {
    messageId = "toSet";
    const safety = losesComment(call, [[open + 1, close]]) ? "unsafe" : "safe";
    fix = { description: "Replace with a set comprehension", safety, edits: [{ start: call.startIndex, end: call.endIndex, newText: `{${inner}}` }] };
  } else if (name === "dict" && sole && body?.type === "tuple" && tupleItems(body).length === 2) {
    const [key, value] = tupleItems(body);
    messageId = "toDict";
    const newText = `{${source.slice(key.startIndex, key.endIndex)}: ${source.slice(value.startIndex, value.endIndex)}${source.slice(body.endIndex, close)}}`;
    const kept: Array<[number, number]> = [[key.startIndex, key.endIndex], [value.startIndex, value.endIndex], [body.endIndex, close]];
    const safety = losesComment(call, kept) ? "unsafe" : "safe";
    fix = { description: "Replace with a dict comprehension", safety, edits: [{ start: call.startIndex, end: call.endIndex, newText }] };
  } else if (name === "len") {
    if (!sole || !body) return;
    messageId = "counted";
    const sumVisible = ctx.model.lookup("sum", ctx.model.scopeOf(call)).length === 0 && !ctx.model.hasStarImport;
    // `sum(1 for ...)` drops the element: only when computing it does nothing (no call, no side
    // effect) may it go; `len([visit(x) for x in xs])` runs `visit` on every element.
    if (!sumVisible || !elementPure) {
      ctx.report({ node: comprehension, messageId, data, evidence, estimatedBytes: bytes, fix: null });
      return;
    }
    const rest = source.slice(body.endIndex, close);
    fix = {
      description: "Count with sum(1 for ...)",
      safety: elementPure && conditionsPure && !losesComment(call, [[body.endIndex, close]]) ? "safe" : "unsafe",
      edits: [{ start: call.startIndex, end: call.endIndex, newText: `sum(1${rest})` }],
    };
  } else {
    // (`reduced`: the consumers other tools' codes name, `sum`, `min` and `max`: suppressions.ts.)
    messageId = name === "any" || name === "all" ? "shortCircuit" : name === "sum" || name === "min" || name === "max" ? "reduced" : "iterated";
    const edits: TextEdit[] = sole
      ? [deleteCharacter(source, open), deleteCharacter(source, close)]
      : [{ start: open, end: open + 1, newText: "(" }, { start: close, end: close + 1, newText: ")" }];
    fix = { description: "Replace the list comprehension with a generator expression", safety: pure ? "safe" : "unsafe", edits };
  }
  ctx.report({ node: comprehension, messageId, data, evidence, estimatedBytes: bytes, fix });
}

/** A comment in `call` outside the `kept` ranges would be deleted by rewriting the call. */
function losesComment(call: Node, kept: ReadonlyArray<readonly [number, number]>): boolean {
  return call.descendantsOfType("comment").some((c) => !!c && !kept.some(([start, end]) => c.startIndex >= start && c.endIndex <= end));
}

function tupleItems(tuple: Node): Node[] {
  return tuple.namedChildren.filter((c): c is Node => !!c && c.type !== "comment" && c.type !== "list_splat");
}
