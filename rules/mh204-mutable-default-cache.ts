import type { Node } from "web-tree-sitter";
import type { Mutation, Scope } from "../server/engine/model.js";
import { defineRule, type Fix, type RuleContext } from "../server/engine/types.js";

type DefaultKind = "dict" | "list" | "set";

/** Methods that add to a list, dict or set in place. */
const GROWING_METHODS: ReadonlySet<string> = new Set([
  "append", "extend", "insert", "add", "update", "setdefault", "__setitem__", "__iadd__", "__ior__",
]);

const FRESH_VALUE: Record<DefaultKind, string> = { dict: "{}", list: "[]", set: "set()" };

export default defineRule({
  code: "MH204",
  name: "mutable-default-cache",
  severity: "warning",
  fixable: "sometimes",
  peers: ["ruff B006", "pylint W0102"],
  docs: {
    what: "Finds a parameter whose default is a new mutable container (`{}`, `[]`, `set()`, `dict()`, `list()`) that the function adds to: item assignment on a dict, `.append`, `.extend`, `.insert`, `.add`, `.update`, `.setdefault`, `+=` or `|=`.",
    why: "A default value is evaluated once, when `def` runs, and the same object is used by every call that omits the argument. Whatever the function adds to it stays there, so the default grows for the life of the process (and callers see each other's data). Used on purpose as a memo, it is a cache with no bound.",
    example: "def tokens(text, seen={}):\n    if text in seen:\n        return seen[text]\n    seen[text] = text.split()\n    return seen[text]",
    useInstead: "def tokens(text, seen=None):\n    if seen is None:\n        seen = {}\n    if text in seen:\n        return seen[text]\n    seen[text] = text.split()\n    return seen[text]\n\n\n# or, when the default was meant as a memo:\n@functools.lru_cache(maxsize=128)\ndef tokens(text):\n    return text.split()",
    fixSafety: "Unsafe: calls that omit the argument get a fresh container instead of the shared one, which is the point, but it changes what a function that relied on the shared object (a memo, an accumulator) returns; callers that pass `None` explicitly now get a fresh container instead of an error. The fix replaces the default with `None` and inserts `if param is None:` with a fresh container as the body's first statement (after the docstring), indented like the body. When the function looks like a memo (a membership test or `.get` on the parameter plus item assignment) the message points to `functools.lru_cache` instead, which the fix does not write. No fix for lambdas, annotated parameters (the annotation would need `Optional`), or bodies written on the `def` line.",
    limits: "Only direct growth in the function (or functions nested in it) counts: a default that is only read, returned, or passed to another function is left alone, as is a parameter rebound anywhere in the function (`param = dict(param)`). Silent for functions defined inside other functions (each run of the outer function creates a new default), for immutable defaults (`()`, `frozenset()`, `None`), non-empty literals, other container types (`collections.defaultdict(...)`, `collections.deque()`), and when `dict`, `list` or `set` is shadowed.",
  },
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
    const growth = model.mutationsOf(name, scope).filter((m) => grows(m, kind));
    if (growth.length === 0) return;

    const fnName = fn.type === "lambda" ? "the lambda" : `\`${fn.childForFieldName("name")?.text ?? "?"}()\``;
    const memo = kind === "dict" && looksLikeMemo(name, scope, growth, ctx);
    const advice = memo
      ? `; it is used as a memo: \`@functools.lru_cache(maxsize=${ctx.settings.lruCacheMaxsize})\` bounds it`
      : fn.type === "lambda"
        ? `; use a \`def\` that defaults to \`None\` and creates the ${kind} in its body`
        : `; default to \`None\` and create the ${kind} in the body`;
    const message = `the default \`${name}=${value.text}\` is created once, when ${fn.type === "lambda" ? "the lambda is" : "the function is"} defined, and ${fnName} adds to it on every call that omits the argument, so it grows for the life of the process${advice}`;
    ctx.report({ node: value, message, estimatedBytes: null, fix: noneDefaultFix(parameter, value, name, kind, fn, scope, ctx) });
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

/** `key in param` or `param.get(key)` next to item assignment: the default is a memo. */
function looksLikeMemo(name: string, scope: Scope, growth: Mutation[], ctx: RuleContext): boolean {
  if (!growth.some((m) => m.kind === "item-assign" || m.method === "setdefault")) return false;
  return ctx.model.referencesOf(name, scope).some((id) => {
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

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf("\n", offset - 1) + 1;
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

  const defIndent = source.slice(lineStart(source, fn.startIndex), fn.startIndex);
  const bodyIndent = source.slice(lineStart(source, first.startIndex), first.startIndex);
  const targetIndent = source.slice(lineStart(source, target.startIndex), target.startIndex);
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
