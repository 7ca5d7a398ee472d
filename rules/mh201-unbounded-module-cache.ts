import type { Node } from "web-tree-sitter";
import { deleteStatementLines, mergeEdits } from "../server/engine/edits.js";
import { addImportEdit, importedReference } from "../server/engine/imports.js";
import { type Scope, type SemanticModel, unparenthesize } from "../server/engine/model.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Fix, type RuleContext, type TextEdit } from "../server/engine/types.js";

type ContainerKind = "dict" | "defaultdict" | "list" | "set";

/** How one reference to the container uses it. */
type Use =
  | { kind: "creation" }
  | { kind: "global" }
  /** Grows the container; `method` for `C.append(x)`-style calls, null for `C[k] = v` and `+=`. */
  | { kind: "add"; node: Node; method: string | null }
  | { kind: "read"; dequeCompatible: boolean }
  /** Removes entries, bounds the size, or lets code outside this view reach the object. */
  | { kind: "stop" };

interface MethodTable {
  add: ReadonlySet<string>;
  evict: ReadonlySet<string>;
  read: ReadonlySet<string>;
}

const DICT_METHODS: MethodTable = {
  add: new Set(["setdefault", "update", "__setitem__", "__ior__"]),
  evict: new Set(["pop", "popitem", "clear", "__delitem__"]),
  read: new Set(["get", "keys", "values", "items", "copy", "__contains__", "__getitem__", "move_to_end", "fromkeys"]),
};

const METHODS: Record<ContainerKind, MethodTable> = {
  dict: DICT_METHODS,
  defaultdict: DICT_METHODS,
  list: {
    add: new Set(["append", "extend", "insert", "__iadd__"]),
    evict: new Set(["pop", "remove", "clear", "__delitem__"]),
    read: new Set(["index", "count", "copy", "sort", "reverse", "__contains__", "__getitem__"]),
  },
  set: {
    add: new Set(["add", "update", "__ior__"]),
    evict: new Set([
      "discard", "remove", "pop", "clear", "difference_update", "intersection_update", "symmetric_difference_update",
      "__isub__", "__iand__", "__ixor__",
    ]),
    read: new Set([
      "copy", "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint",
      "__contains__",
    ]),
  },
};

/** Methods that read a list and behave the same on a `deque`. */
const DEQUE_COMPATIBLE_METHODS: ReadonlySet<string> = new Set(["count", "index"]);

/** Builtins that read a container they are given and neither keep it nor shrink it. */
const READING_BUILTINS: ReadonlySet<string> = new Set([
  "print", "sorted", "list", "tuple", "set", "frozenset", "dict", "sum", "min", "max", "any", "all", "enumerate",
  "reversed", "zip", "repr", "str", "bool", "iter", "isinstance", "len",
]);

/** Of those, the ones whose result is the same for a `deque` as for a list. */
const DEQUE_COMPATIBLE_BUILTINS: ReadonlySet<string> = new Set([
  "sorted", "list", "tuple", "set", "frozenset", "sum", "min", "max", "any", "all", "enumerate", "reversed", "zip",
  "bool", "iter", "len",
]);

const CREATION_CALLS: ReadonlyMap<string, ContainerKind> = new Map([
  ["builtins.dict", "dict"],
  ["builtins.list", "list"],
  ["builtins.set", "set"],
  ["collections.OrderedDict", "dict"],
]);

const CONTAINER_WORD: Record<ContainerKind, string> = { dict: "dict", defaultdict: "defaultdict", list: "list", set: "set" };

export default defineRule({
  code: "MH201",
  name: "unbounded-module-cache",
  severity: "warning",
  fixable: "sometimes",
  evidence: "growth",
  optIn: true,
  peers: [],
  messages: {
    onlyGrows: "module-level {{container}} `{{name}}` only grows: {{evidence}}",
    recursive: "module-level {{container}} `{{name}}` only grows, as the memo of a recursion ({{adders}} calls itself)",
  },
  docs: ruleDocs(new URL("./mh201-unbounded-module-cache.md", import.meta.url)),
  nodeTypes: ["assignment"],
  check(assignment, ctx) {
    // Most assignments are in functions: the scope lookup needs no call into the tree.
    const model = ctx.model;
    if (model.scopeOf(assignment) !== model.module) return;
    const value = assignment.childForFieldName("right");
    if (!value || (value.type !== "dictionary" && value.type !== "list" && value.type !== "call")) return;
    const left = assignment.childForFieldName("left");
    if (left?.type !== "identifier" || assignment.parent?.type !== "expression_statement") return;
    const kind = containerKind(value, ctx);
    if (!kind) return;
    const name = left.text;
    const bindings = model.module.bindings.get(name) ?? [];
    const creation = bindings.find((b) => b.kind === "assignment");
    if (!creation || !creation.node.equals(left)) return;
    // One creation; any other binding must be an in-place `+=`/`|=` (under `global`).
    for (const b of bindings) {
      if (b === creation) continue;
      if (b.kind !== "augmented" || !isGrowingAugmented(b.statement)) return;
    }

    const uses: { id: Node; use: Use }[] = [];
    for (const id of model.referencesOf(name, model.module)) {
      const use = id.equals(left) ? ({ kind: "creation" } as const) : classifyUse(id, kind, ctx);
      if (use.kind === "stop") return;
      uses.push({ id, use });
    }
    // The additions made in functions, but for a fill while the container is empty (`if not C:`),
    // which runs once: what they add decides whether the container grows with run-time data.
    const additions: { use: AddUse; owner: Scope }[] = [];
    for (const { use } of uses) {
      if (use.kind !== "add") continue;
      const owner = model.ownerScopeOf(use.node);
      if (owner.kind !== "function" && owner.kind !== "lambda") continue;
      if (owner.kind === "function" && ctx.facts.evidence.filledOnce(use.node, name, owner.node)) continue;
      additions.push({ use, owner });
    }
    if (additions.length === 0) return;
    // A memo filled by a function that calls itself with what it adds (`memo[n] = fib(n - 1) + ...`)
    // is the recursion's memo, keyed by the recursion's (small) arguments: no evidence of growth,
    // and never bounded by a fix. Run-time data it adds from elsewhere still is.
    const recursion = (owner: Scope): Node | null => (owner.kind === "function" && ctx.facts.callsItself(owner.node) ? owner.node : null);
    const evidence = ctx.facts.evidence.firstGrowth((function* () {
      for (const { use, owner } of additions) yield ctx.facts.evidence.growthOfAddition(use.node, name, kind, recursion(owner));
    })());
    const container = CONTAINER_WORD[kind];
    if (!evidence && additions.every((a) => recursion(a.owner))) {
      ctx.report({ node: value, messageId: "recursive", data: { container, name, adders: scopeLabel(additions[0].owner) }, evidence: null, estimatedBytes: null, fix: null });
      return;
    }
    const shape = evidence ? null : additions.map((a) => ctx.facts.evidence.shapeOfAddition(a.use.node, name, kind)).find((r) => r !== null);
    const data = { container, name, evidence: evidence?.text ?? (shape ? `${shape}, no evidence of growth` : "no evidence that what is added comes from run-time data") };
    // A registry, callbacks...: bounding it would drop what the code registered. No fix then.
    const fix = shape ? null : memoizationFix(name, kind, value, uses, ctx) ?? appendLogFix(kind, value, creation.statement, uses, ctx);
    ctx.report({ node: value, messageId: "onlyGrows", data, evidence, estimatedBytes: null, fix });
  },
  // How a function uses a module-level container decides whether it is a cache, whether its keys
  // are bounded (loop headers, parameters, callers) and the memoization fix (the whole body,
  // comments included): a function that names one is summarized by its whole text.
  functionSummary(fn, { model, source, bodyStart, bodyEnd, moduleReferences }) {
    for (const id of moduleReferences) {
      const creation = model.module.bindings.get(id.text)?.find((b) => b.kind === "assignment");
      const value = creation?.value;
      if (value && (value.type === "dictionary" || value.type === "list" || value.type === "call") && containerKind(value, { model })) {
        return source.slice(bodyStart, bodyEnd);
      }
    }
    return "";
  },
});

function containerKind(value: Node, ctx: { model: SemanticModel }): ContainerKind | null {
  if (value.type === "dictionary") return value.namedChildren.some((c) => c && c.type !== "comment") ? null : "dict";
  if (value.type === "list") return value.namedChildren.some((c) => c && c.type !== "comment") ? null : "list";
  const fn = value.childForFieldName("function");
  const args = value.childForFieldName("arguments");
  if (!fn || args?.type !== "argument_list") return null;
  const qualified = ctx.model.qualifiedName(fn);
  if (!qualified) return null;
  const argCount = args.namedChildren.filter((c) => c && c.type !== "comment").length;
  if (qualified === "collections.defaultdict") {
    // `defaultdict(list)`: a factory only; more arguments would be initial contents.
    const factory = args.namedChild(0);
    return argCount === 1 && factory?.type !== "keyword_argument" && factory?.type !== "list_splat" && factory?.type !== "dictionary_splat" ? "defaultdict" : null;
  }
  const kind = CREATION_CALLS.get(qualified);
  return kind && argCount === 0 ? kind : null;
}

function isGrowingAugmented(statement: Node): boolean {
  const op = statement.childForFieldName("operator")?.type;
  return op === "+=" || op === "|=";
}

function callOf(argumentList: Node): Node | null {
  const call = argumentList.parent;
  return call?.type === "call" && call.childForFieldName("arguments")?.equals(argumentList) ? call : null;
}

/** Climb from a subscript target through tuple targets to the statement that assigns or deletes it. */
function targetStatement(node: Node): Node | null {
  let current = node;
  for (;;) {
    const parent = current.parent;
    if (!parent) return null;
    switch (parent.type) {
      case "pattern_list":
      case "tuple_pattern":
      case "list_pattern":
      case "tuple":
      case "list":
      case "expression_list":
      case "parenthesized_expression":
        current = parent;
        continue;
      case "assignment":
      case "augmented_assignment":
        return parent.childForFieldName("left")?.equals(current) ? parent : null;
      case "delete_statement":
        return parent;
      default:
        return null;
    }
  }
}

function classifyUse(id: Node, kind: ContainerKind, ctx: RuleContext): Use {
  const parent = id.parent;
  if (!parent) return { kind: "stop" };
  const isField = (field: string): boolean => parent.childForFieldName(field)?.equals(id) ?? false;
  switch (parent.type) {
    case "global_statement":
      return { kind: "global" };
    case "augmented_assignment":
      if (!isField("left")) return { kind: "stop" };
      return isGrowingAugmented(parent) ? { kind: "add", node: parent, method: null } : { kind: "stop" };
    case "subscript": {
      if (!isField("value")) return { kind: "stop" };
      const isSlice = parent.childrenForFieldName("subscript").some((s) => s?.type === "slice");
      const statement = targetStatement(parent);
      if (statement?.type === "delete_statement" || (statement && isSlice)) return { kind: "stop" };
      if (statement) {
        // `L[i] = v` replaces an element and `D[k] += 1` needs the key already; `D[k] = v` adds
        // one, and so does anything on a missing key of a defaultdict.
        const adds = kind === "defaultdict" || (kind !== "list" && statement.type === "assignment");
        return adds ? { kind: "add", node: statement, method: null } : { kind: "read", dequeCompatible: false };
      }
      if (kind === "defaultdict") return { kind: "add", node: parent, method: null };
      return { kind: "read", dequeCompatible: !isSlice };
    }
    case "attribute": {
      if (!isField("object")) return { kind: "stop" };
      const method = parent.childForFieldName("attribute")?.text ?? "";
      const call = parent.parent;
      if (call?.type !== "call" || !call.childForFieldName("function")?.equals(parent)) return { kind: "stop" };
      const table = METHODS[kind];
      if (table.add.has(method)) return { kind: "add", node: call, method };
      if (table.read.has(method)) return { kind: "read", dequeCompatible: DEQUE_COMPATIBLE_METHODS.has(method) };
      return { kind: "stop" };
    }
    case "comparison_operator": {
      const operands = parent.namedChildren.filter((c) => c && c.type !== "comment");
      const operators = parent.children.filter((c) => c && !c.isNamed).map((c) => c?.type);
      const membership = operands.length === 2 && operands[1]?.equals(id) && (operators[0] === "in" || operators[0] === "not in");
      return { kind: "read", dequeCompatible: !!membership };
    }
    case "for_statement":
    case "for_in_clause":
      return isField("right") ? { kind: "read", dequeCompatible: true } : { kind: "stop" };
    case "if_statement":
    case "elif_clause":
    case "while_statement":
      return isField("condition") ? { kind: "read", dequeCompatible: true } : { kind: "stop" };
    case "not_operator":
      return { kind: "read", dequeCompatible: true };
    case "interpolation":
    case "expression_statement":
      return { kind: "read", dequeCompatible: false };
    case "argument_list": {
      const call = callOf(parent);
      const fn = call?.childForFieldName("function");
      if (fn?.type === "attribute" && fn.childForFieldName("object")?.type === "string" && fn.childForFieldName("attribute")?.text === "join") {
        return { kind: "read", dequeCompatible: true }; // `", ".join(C)`
      }
      const qualified = fn ? ctx.model.qualifiedName(fn) : null;
      if (!qualified?.startsWith("builtins.")) return { kind: "stop" };
      const builtin = qualified.slice("builtins.".length);
      // (`len(C)` reads; whether it bounds the growth is the evidence's to say: `sizeGuarded`.)
      if (!READING_BUILTINS.has(builtin)) return { kind: "stop" };
      return { kind: "read", dequeCompatible: DEQUE_COMPATIBLE_BUILTINS.has(builtin) };
    }
    default:
      return { kind: "stop" };
  }
}

type AddUse = Extract<Use, { kind: "add" }>;

function scopeLabel(scope: Scope): string {
  if (scope.kind === "lambda") return "a lambda";
  const name = scope.node.childForFieldName("name")?.text ?? "?";
  return `\`${name}()\``;
}

// ---- fixes -----------------------------------------------------------------------------------


function statementsOf(block: Node | null): Node[] {
  return block ? block.namedChildren.filter((c): c is Node => !!c && c.type !== "comment") : [];
}

/** The expression of an `expression_statement` holding a plain `name = value` / `x[k] = value`. */
function assignmentOf(statement: Node | undefined): { left: Node; right: Node } | null {
  if (statement?.type !== "expression_statement" || statement.namedChildCount !== 1) return null;
  const assignment = statement.namedChild(0);
  if (assignment?.type !== "assignment" || assignment.childForFieldName("type")) return null;
  const left = assignment.childForFieldName("left");
  const right = assignment.childForFieldName("right");
  return left && right && right.type !== "assignment" ? { left, right } : null;
}

function returnedValue(statement: Node | undefined): Node | null {
  if (statement?.type !== "return_statement") return null;
  const value = statement.namedChildren.filter((c) => c && c.type !== "comment");
  return value.length === 1 && value[0] ? unparenthesize(value[0]) : null;
}

/** An `if` with exactly one branch: its condition and its statements. */
function simpleIf(statement: Node | undefined): { condition: Node; body: Node[] } | null {
  if (statement?.type !== "if_statement" || statement.childrenForFieldName("alternative").length > 0) return null;
  const condition = statement.childForFieldName("condition");
  return condition ? { condition: unparenthesize(condition), body: statementsOf(statement.childForFieldName("consequence")) } : null;
}

interface MemoPattern {
  cache: string;
  key: readonly string[];
}

/** Parameter names a key expression lists, in order: `k`, `(a, b)`, `a, b`. */
function keyNames(nodes: readonly Node[]): string[] | null {
  const flat = nodes.length === 1 ? unparenthesize(nodes[0]) : null;
  const items = flat && flat.type === "tuple" ? flat.namedChildren.filter((c) => c && c.type !== "comment") : flat ? [flat] : nodes;
  const names: string[] = [];
  for (const item of items) {
    if (item?.type !== "identifier") return null;
    names.push(item.text);
  }
  return names;
}

function sameKey(nodes: readonly Node[], p: MemoPattern): boolean {
  const names = keyNames(nodes);
  return !!names && names.length === p.key.length && names.every((n, i) => n === p.key[i]);
}

function isCache(node: Node, p: MemoPattern): boolean {
  const n = unparenthesize(node);
  return n.type === "identifier" && n.text === p.cache;
}

/** `C[key]`. */
function isCacheItem(node: Node, p: MemoPattern): boolean {
  const n = unparenthesize(node);
  if (n.type !== "subscript") return false;
  const value = n.childForFieldName("value");
  return !!value && isCache(value, p) && sameKey(n.childrenForFieldName("subscript").filter((s): s is Node => !!s), p);
}

/** `key in C` (or `key not in C` when `negated`). */
function isMembership(condition: Node, p: MemoPattern, negated: boolean): boolean {
  if (condition.type !== "comparison_operator") return false;
  const operands = condition.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  const operators = condition.children.filter((c) => c && !c.isNamed).map((c) => c?.type);
  return operands.length === 2 && operators.length === 1 && operators[0] === (negated ? "not in" : "in")
    && sameKey([operands[0]], p) && isCache(operands[1], p);
}

/** `v = C.get(key)`: returns `v`. */
function cacheGet(statement: Node | undefined, p: MemoPattern): string | null {
  const a = assignmentOf(statement);
  if (!a || a.left.type !== "identifier" || a.right.type !== "call") return null;
  const fn = a.right.childForFieldName("function");
  const args = a.right.childForFieldName("arguments");
  if (fn?.type !== "attribute" || fn.childForFieldName("attribute")?.text !== "get") return null;
  const object = fn.childForFieldName("object");
  const argList = args?.namedChildren.filter((c): c is Node => !!c && c.type !== "comment") ?? [];
  if (!object || !isCache(object, p) || argList.length !== 1 || !sameKey(argList, p)) return null;
  return a.left.text;
}

/** `v is None` / `v is not None`. */
function isNoneTest(condition: Node, variable: string, negated: boolean): boolean {
  if (condition.type !== "comparison_operator") return false;
  const operands = condition.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  const operators = condition.children.filter((c) => c && !c.isNamed).map((c) => c?.type);
  return operands.length === 2 && operators.length === 1 && operators[0] === (negated ? "is not" : "is")
    && operands[0].type === "identifier" && operands[0].text === variable && operands[1].type === "none";
}

function mentions(node: Node, name: string): boolean {
  if (node.type === "identifier") return node.text === name;
  return node.descendantsOfType("identifier").some((id) => id?.text === name);
}

interface MemoRewrite {
  edits: TextEdit[];
  /** How many references to the cache the recognised shape contains. */
  cacheReferences: number;
}

/**
 * The function body's memoization shape, rewritten to compute the value directly. Null unless the
 * statements after the docstring are exactly one of the recognised shapes.
 */
function rewriteMemoBody(statements: Node[], p: MemoPattern, source: string): MemoRewrite | null {
  const text = (n: Node): string => source.slice(n.startIndex, n.endIndex);
  const replace = (from: Node, to: Node, newText: string): TextEdit => ({ start: from.startIndex, end: to.endIndex, newText });

  // if key not in C: C[key] = value / return C[key]
  const first = simpleIf(statements[0]);
  if (statements.length === 2 && first && isMembership(first.condition, p, true) && first.body.length === 1) {
    const store = assignmentOf(first.body[0]);
    const result = returnedValue(statements[1]);
    if (store && result && isCacheItem(store.left, p) && isCacheItem(result, p)) {
      return { edits: [replace(statements[0], statements[1], `return ${text(store.right)}`)], cacheReferences: 3 };
    }
  }

  // v = C.get(key) / if v is None: v = value; C[key] = v / return v
  const got = cacheGet(statements[0], p);
  const second = simpleIf(statements[1]);
  if (got && second && statements.length === 3 && isNoneTest(second.condition, got, false) && second.body.length === 2) {
    const compute = assignmentOf(second.body[0]);
    const store = assignmentOf(second.body[1]);
    const result = returnedValue(statements[2]);
    if (compute && store && result && compute.left.type === "identifier" && compute.left.text === got && !mentions(compute.right, got)
      && isCacheItem(store.left, p) && store.right.type === "identifier" && store.right.text === got
      && result.type === "identifier" && result.text === got) {
      return { edits: [replace(statements[0], statements[2], `return ${text(compute.right)}`)], cacheReferences: 2 };
    }
  }

  // if key in C: return C[key]   or   v = C.get(key); if v is not None: return v
  // ...computation... / C[key] = value; return C[key]   or   C[key] = v; return v
  let head: Node[];
  let headReferences: number;
  let hitVariable: string | null = null;
  const hitResult = first?.body.length === 1 ? returnedValue(first.body[0]) : null;
  if (first && isMembership(first.condition, p, false) && hitResult && isCacheItem(hitResult, p)) {
    head = statements.slice(0, 1);
    headReferences = 2;
  } else if (got && second && isNoneTest(second.condition, got, true) && second.body.length === 1
    && returnedValue(second.body[0])?.type === "identifier" && returnedValue(second.body[0])?.text === got) {
    head = statements.slice(0, 2);
    headReferences = 1;
    hitVariable = got;
  } else {
    return null;
  }
  if (statements.length < head.length + 2) return null;
  const storeStatement = statements[statements.length - 2];
  const returnStatement = statements[statements.length - 1];
  const middle = statements.slice(head.length, statements.length - 2);
  const store = assignmentOf(storeStatement);
  const result = returnedValue(returnStatement);
  if (!store || !result || !isCacheItem(store.left, p)) return null;
  if (hitVariable) {
    // After the hit test is gone, the variable must be assigned before it is read again.
    const rest = [...middle, storeStatement, returnStatement];
    const firstUse = rest.find((s) => mentions(s, hitVariable as string));
    if (firstUse) {
      const a = assignmentOf(firstUse);
      if (!a || a.left.type !== "identifier" || a.left.text !== hitVariable || mentions(a.right, hitVariable) || firstUse === storeStatement) return null;
    }
  }
  const removeHead = deleteRange(head[0], head[head.length - 1], source);
  if (!removeHead) return null;
  if (isCacheItem(result, p)) {
    if (source.slice(storeStatement.endIndex, returnStatement.startIndex).trim() !== "") return null;
    return {
      edits: [removeHead, replace(storeStatement, returnStatement, `return ${text(store.right)}`)],
      cacheReferences: headReferences + 2,
    };
  }
  if (store.right.type === "identifier" && result.type === "identifier" && store.right.text === result.text) {
    const removeStore = deleteRange(storeStatement, storeStatement, source);
    if (!removeStore) return null;
    return { edits: [removeHead, removeStore], cacheReferences: headReferences + 1 };
  }
  return null;
}

/** Delete the lines from `first` to `last` (statements of one block, each alone on its lines). */
function deleteRange(first: Node, last: Node, source: string): TextEdit | null {
  const a = deleteStatementLines(first, source);
  const b = first.equals(last) ? a : deleteStatementLines(last, source);
  return a && b ? { start: a.start, end: b.end, newText: "" } : null;
}

/**
 * `C = {}` used only by one module-level function whose body is a recognised memo: decorate the
 * function with `functools.lru_cache(maxsize=N)`, drop the dict and the cache logic.
 */
function memoizationFix(name: string, kind: ContainerKind, value: Node, uses: { id: Node; use: Use }[], ctx: RuleContext): Fix | null {
  if (kind !== "dict") return null;
  const model = ctx.model;
  const source = ctx.source;
  const others = uses.filter((u) => u.use.kind !== "creation");
  if (others.length === 0) return null;
  const owner = model.ownerScopeOf(others[0].id);
  if (owner.kind !== "function" || owner.parent !== model.module || others.some((u) => model.ownerScopeOf(u.id) !== owner)) return null;
  const fn = owner.node;
  if (fn.parent?.type !== "module" || fn.child(0)?.type === "async") return null;
  // A memo of a recursive function must keep every entry: a bound would make it recompute.
  if (ctx.facts.callsItself(fn)) return null;
  if (fn.descendantsOfType(["yield", "await"]).length > 0) return null;
  const parameters = fn.childForFieldName("parameters");
  const key: string[] = [];
  for (const parameter of parameters?.namedChildren ?? []) {
    if (!parameter || parameter.type === "comment") continue;
    const id = parameter.type === "identifier" ? parameter : parameter.type === "typed_parameter" ? parameter.namedChild(0) : null;
    if (id?.type !== "identifier") return null;
    key.push(id.text);
  }
  // A parameter rebound in the body would key the dict differently from lru_cache.
  if (key.length === 0 || key.some((k) => (owner.bindings.get(k) ?? []).some((b) => b.kind !== "parameter"))) return null;

  const statements = statementsOf(fn.childForFieldName("body"));
  const docstring = statements[0]?.type === "expression_statement" && statements[0].namedChildCount === 1 && statements[0].namedChild(0)?.type === "string";
  const rewrite = rewriteMemoBody(docstring ? statements.slice(1) : statements, { cache: name, key }, source);
  if (!rewrite || rewrite.cacheReferences !== others.length) return null;
  // Comments inside the cache logic would be lost with it.
  const comments = fn.descendantsOfType("comment").filter((c): c is Node => !!c);
  if (rewrite.edits.some((e) => comments.some((c) => c.startIndex >= e.start && c.startIndex < e.end))) return null;

  const creationStatement = value.parent?.parent;
  if (creationStatement?.type !== "expression_statement" || creationStatement.parent?.type !== "module") return null;
  let decorator = importedReference(model, "functools.lru_cache", fn.startIndex);
  const addImport = decorator ? null : addImportEdit(model, "functools");
  if (!decorator && !addImport) return null;
  let removeCreation = deleteStatementLines(creationStatement, source, true);
  // The new import may go exactly where the dict was: then delete just its line and merge.
  if (removeCreation && addImport && addImport.start >= removeCreation.start && addImport.start <= removeCreation.end) {
    removeCreation = deleteStatementLines(creationStatement, source);
  }
  if (!removeCreation) return null;
  const edits: TextEdit[] = [...rewrite.edits, removeCreation];
  if (addImport) {
    edits.push(addImport);
    decorator = "functools.lru_cache";
  }
  const maxsize = ctx.settings.lruCacheMaxsize;
  edits.push({ start: fn.startIndex, end: fn.startIndex, newText: `@${decorator}(maxsize=${maxsize})\n` });
  const fnName = fn.childForFieldName("name")?.text ?? "the function";
  return {
    description: `Replace \`${name}\` with @${decorator}(maxsize=${maxsize}) on \`${fnName}()\``,
    safety: "unsafe",
    edits: mergeEdits(edits),
  };
}

/** A list that is only appended to and read like a sequence: `collections.deque(maxlen=N)`. */
function appendLogFix(kind: ContainerKind, value: Node, creation: Node, uses: { id: Node; use: Use }[], ctx: RuleContext): Fix | null {
  if (kind !== "list" || creation.childForFieldName("type")) return null;
  for (const { use } of uses) {
    if (use.kind === "add" && use.method !== "append") return null;
    if (use.kind === "read" && !use.dequeCompatible) return null;
  }
  const edits: TextEdit[] = [];
  let deque = importedReference(ctx.model, "collections.deque", value.startIndex);
  if (!deque) {
    const addImport = addImportEdit(ctx.model, "collections");
    if (!addImport) return null;
    edits.push(addImport);
    deque = "collections.deque";
  }
  const maxlen = ctx.settings.lruCacheMaxsize;
  edits.push({ start: value.startIndex, end: value.endIndex, newText: `${deque}(maxlen=${maxlen})` });
  return { description: `Keep only the last ${maxlen} entries with ${deque}(maxlen=${maxlen})`, safety: "unsafe", edits: mergeEdits(edits) };
}
