import type { Node } from "web-tree-sitter";
import { indentBefore } from "../server/engine/positions.js";
import type { Mutation, Scope } from "../server/engine/model.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Fix, type RuleContext } from "../server/engine/types.js";

type DefaultKind = "dict" | "list" | "set";

/** Methods that add to a list, dict or set in place. */
const GROWING_METHODS: ReadonlySet<string> = new Set([
  "append", "extend", "insert", "add", "update", "setdefault", "__setitem__", "__iadd__", "__ior__",
]);

const FRESH_VALUE: Record<DefaultKind, string> = { dict: "{}", list: "[]", set: "set()" };

/** Methods that take items out of a list, dict or set. */
const SHRINKING_METHODS: ReadonlySet<string> = new Set(["pop", "popitem", "clear", "remove", "discard", "popleft"]);

export default defineRule({
  code: "MH204",
  name: "mutable-default-cache",
  severity: "warning",
  fixable: "sometimes",
  evidence: "growth",
  optIn: true,
  peers: ["ruff B006", "pylint W0102"],
  messages: {
    sharedDefault: "the default `{{name}}={{value}}` is shared by every call and grows: {{evidence}}",
    recursive: "the default `{{name}}={{value}}` is shared by every call: it is the memo of a recursion ({{fn}} calls itself)",
  },
  docs: ruleDocs(new URL("./mh204-mutable-default-cache.md", import.meta.url)),
  nodeTypes: ["default_parameter", "typed_default_parameter"],
  check(parameter, ctx) {
    const value = parameter.childForFieldName("value");
    const nameNode = parameter.childForFieldName("name");
    if (!value || nameNode?.type !== "identifier") return;
    const kind = defaultKind(value, ctx);
    if (!kind) return;
    const fn = parameter.parent?.parent;
    if (!fn || (fn.type !== "function_definition" && fn.type !== "lambda")) return;
    const model = ctx.model;
    const scope = model.scopeAt(nameNode.startIndex);
    if (!scope.node.equals(fn)) return;
    // A function defined inside another gets a new default each time the outer one runs.
    for (let outer = scope.parent; outer; outer = outer.parent) if (outer.kind === "function" || outer.kind === "lambda") return;
    const name = nameNode.text;
    const bindings = scope.bindings.get(name) ?? [];
    if (bindings.some((b) => b.kind !== "parameter" && b.kind !== "augmented")) return;
    const mutations = model.mutationsOf(name, scope, { allMethodCalls: true });
    const growth = mutations.filter((m) => grows(m, kind));
    if (growth.length === 0) return;
    // Something takes items out again (a stack, a queue): not a store that only grows.
    if (mutations.some((m) => m.kind === "item-delete" || (m.kind === "method-call" && SHRINKING_METHODS.has(m.method ?? "")))) return;
    // Filled once (`if not cache: cache.append(load())`): not a store that grows. A bound such as
    // `if n < 250: cache[n] = v` is the evidence's to weigh (growthOfAddition: no growth).
    if (growth.every((m) => ctx.facts.evidence.filledOnce(m.node, name, fn))) return;

    const fnName = fn.type === "lambda" ? "the lambda" : `\`${fn.childForFieldName("name")?.text ?? "?"}()\``;
    const memo = kind === "dict" && looksLikeMemo(name, scope, growth, ctx);
    // A default shared with the function's own recursive calls is the recursion's memo: what it
    // keeps is what keeps the recursion fast, keyed by the recursion's (small) arguments.
    const recursive = fn.type === "function_definition" && ctx.facts.callsItself(fn);
    const evidence = ctx.facts.evidence.firstGrowth((function* () {
      for (const m of growth) yield ctx.facts.evidence.growthOfAddition(m.node, name, kind, recursive ? fn : null);
    })());
    const shape = evidence ? null : growth.map((m) => ctx.facts.evidence.shapeOfAddition(m.node, name, kind)).find((r) => r !== null);
    const data = { name, value: value.text, fn: fnName, evidence: evidence?.text ?? (shape ? `${shape}, no evidence of growth` : "no evidence that what it adds comes from run-time data") };
    // A default that the function reads back (a memo, a set of what was seen) or shares with its
    // own recursive calls is state: a fresh one per call would change what it returns, and for
    // a memo turn a polynomial recursion exponential. No fix then.
    const keepsState = memo || recursive || !!shape || readsBack(name, scope, ctx);
    ctx.report({
      node: value, messageId: recursive && !evidence ? "recursive" : "sharedDefault", data, evidence, estimatedBytes: null,
      fix: keepsState ? null : noneDefaultFix(parameter, value, name, kind, fn, scope, ctx),
    });
  },
});

function defaultKind(value: Node, ctx: RuleContext): DefaultKind | null {
  const hasItems = (n: Node): boolean => n.namedChildren.some((c) => c && c.type !== "comment");
  if (value.type === "dictionary") return hasItems(value) ? null : "dict";
  if (value.type === "list") return hasItems(value) ? null : "list";
  if (value.type !== "call") return null;
  const fn = value.childForFieldName("function");
  const args = value.childForFieldName("arguments");
  if (!fn || args?.type !== "argument_list" || hasItems(args)) return null;
  const qualified = ctx.model.qualifiedName(fn);
  if (qualified === "builtins.dict") return "dict";
  if (qualified === "builtins.list") return "list";
  if (qualified === "builtins.set") return "set";
  return null;
}

function grows(m: Mutation, kind: DefaultKind): boolean {
  switch (m.kind) {
    case "method-call":
      return GROWING_METHODS.has(m.method ?? "");
    case "item-assign":
      // `D[k] = v` adds a key; `L[i] = v` replaces an element and `D[k] += 1` needs the key already.
      return kind === "dict" && m.node.type === "assignment";
    case "aug-assign": {
      const op = m.node.childForFieldName("operator")?.type;
      return op === "+=" || op === "|=";
    }
    default:
      return false;
  }
}

/**
 * `key in param`, `param.get(key)` or a read of `param[key]` (as in `try: return param[key]`)
 * next to item assignment: the default is a memo.
 */
function looksLikeMemo(name: string, scope: Scope, growth: Mutation[], ctx: RuleContext): boolean {
  if (!growth.some((m) => m.kind === "item-assign" || m.method === "setdefault")) return false;
  const assigned = new Set(growth.map((m) => m.node.childForFieldName("left")).filter((l): l is Node => l?.type === "subscript").map((l) => l.text));
  return ctx.model.referencesOf(name, scope).some((id) => {
    const subscript = id.parent;
    if (subscript?.type === "subscript" && subscript.childForFieldName("value")?.equals(id) && assigned.has(subscript.text)) {
      // A read of the entry the function stores, not the store itself.
      const statement = subscript.parent;
      if (!(statement?.type === "assignment" && statement.childForFieldName("left")?.equals(subscript))) return true;
    }
    const parent = id.parent;
    if (parent?.type === "comparison_operator") {
      const operands = parent.namedChildren.filter((c) => c && c.type !== "comment");
      const operator = parent.children.find((c) => c && !c.isNamed)?.type;
      return (operator === "in" || operator === "not in") && operands[operands.length - 1]?.equals(id);
    }
    return parent?.type === "attribute" && parent.childForFieldName("attribute")?.text === "get"
      && parent.parent?.type === "call";
  });
}

/**
 * Whether the function reads the container back: any use of the parameter other than adding to
 * or taking from it and returning or yielding it as it is (`x in seen`, `seen[k]`, `len(seen)`,
 * iterating it, passing it on, testing it). What it returns then depends on earlier calls.
 */
function readsBack(name: string, scope: Scope, ctx: RuleContext): boolean {
  return ctx.model.referencesOf(name, scope).some((id) => {
    const parent = id.parent;
    if (!parent || parent.type === "default_parameter" || parent.type === "typed_default_parameter") return false;
    if (isMutationObject(id)) return false;
    return !((parent.type === "return_statement" || parent.type === "yield") && parent.namedChildren.length === 1);
  });
}

/** `id` is the object of a method call, the value of an assigned subscript, or an augmented target. */
function isMutationObject(id: Node): boolean {
  const parent = id.parent;
  if (!parent) return false;
  if (parent.type === "attribute" && parent.childForFieldName("object")?.equals(id)) {
    const method = parent.childForFieldName("attribute")?.text ?? "";
    return parent.parent?.type === "call" && (GROWING_METHODS.has(method) || SHRINKING_METHODS.has(method));
  }
  if (parent.type === "subscript" && parent.childForFieldName("value")?.equals(id)) {
    const statement = parent.parent;
    return statement?.type === "assignment" && !!statement.childForFieldName("left")?.equals(parent);
  }
  return parent.type === "augmented_assignment" && !!parent.childForFieldName("left")?.equals(id);
}

/**
 * `param={}` → `param=None` plus `if param is None: param = {}` as the body's first statement
 * (after the docstring), indented like the body. Null when that cannot be written plainly.
 */
function noneDefaultFix(parameter: Node, value: Node, name: string, kind: DefaultKind, fn: Node, scope: Scope, ctx: RuleContext): Fix | null {
  if (fn.type !== "function_definition" || parameter.type !== "default_parameter") return null;
  const source = ctx.source;
  // `set` must still be the builtin inside the body, where the fresh value is created.
  if (kind === "set" && ctx.model.lookup("set", scope).length > 0) return null;
  const statements = (fn.childForFieldName("body")?.namedChildren ?? []).filter((c): c is Node => !!c && c.type !== "comment");
  const first = statements[0];
  if (!first) return null;
  const isDocstring = first.type === "expression_statement" && first.namedChildCount === 1 && first.namedChild(0)?.type === "string";
  const target = isDocstring ? statements[1] : first;
  if (!target) return null;

  const defIndent = indentBefore(source, fn.startIndex);
  const bodyIndent = indentBefore(source, first.startIndex);
  const targetIndent = indentBefore(source, target.startIndex);
  // A body on the `def` line, or a statement after `;`, has no line of its own to insert before.
  if (!/^[ \t]*$/.test(defIndent) || !/^[ \t]+$/.test(bodyIndent) || targetIndent !== bodyIndent) return null;
  if (!bodyIndent.startsWith(defIndent) || bodyIndent.length === defIndent.length) return null;
  const unit = bodyIndent.slice(defIndent.length);

  const guard = `if ${name} is None:\n${bodyIndent}${unit}${name} = ${FRESH_VALUE[kind]}\n${bodyIndent}`;
  return {
    description: `Default \`${name}\` to None and create a fresh ${kind} in the body`,
    safety: "unsafe",
    edits: [
      { start: value.startIndex, end: value.endIndex, newText: "None" },
      { start: target.startIndex, end: target.startIndex, newText: guard },
    ],
  };
}
