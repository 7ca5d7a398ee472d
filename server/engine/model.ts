/**
 * The semantic model, built once per parse from the node list that the lint pass fetches anyway:
 * scopes, bindings (with imports resolved to qualified names), loops, and where names are mutated.
 * Rules ask the model; they never re-derive scopes or walk the tree for bindings.
 */
import type { Node } from "web-tree-sitter";

export type ScopeKind = "module" | "class" | "function" | "lambda" | "comprehension";

export interface Scope {
  kind: ScopeKind;
  node: Node;
  start: number;
  end: number;
  parent: Scope | null;
  children: Scope[];
  bindings: Map<string, Binding[]>;
  globals: Set<string>;
  nonlocals: Set<string>;
}

export type BindingKind =
  | "import"
  | "star-import"
  | "assignment"
  | "augmented"
  | "annotation"
  | "parameter"
  | "for"
  | "comprehension-for"
  | "function"
  | "class"
  | "with"
  | "except"
  | "walrus"
  | "match"
  | "type-alias"
  | "delete";

export interface Binding {
  name: string;
  kind: BindingKind;
  /** The identifier that is bound. */
  node: Node;
  /** The assigned expression when the binding is a plain `name = value` (or `name: T = value`). */
  value: Node | null;
  /** The statement or clause that binds (assignment, for_statement, import, def...). */
  statement: Node;
  scope: Scope;
  /** For imports: the dotted name the binding refers to (`functools.lru_cache`). */
  qualifiedName: string | null;
}

export type MutationKind = "item-assign" | "item-delete" | "method-call" | "aug-assign" | "attribute-assign";

/** A use of a name that can change the object it refers to (or, for method calls, may). */
export interface Mutation {
  name: string;
  kind: MutationKind;
  /** The method name for `method-call` (`append` in `x.append(1)`). */
  method: string | null;
  /** The statement or call that mutates. */
  node: Node;
  scope: Scope;
}

export type LoopKind = "for" | "while" | "comprehension";

export interface Loop {
  kind: LoopKind;
  node: Node;
  start: number;
  end: number;
  /** The part executed on every iteration (a for loop's body, a while loop's condition and body). */
  bodyStart: number;
  bodyEnd: number;
  /** Inside the body, a part evaluated once (a comprehension's first iterable); empty otherwise. */
  onceStart: number;
  onceEnd: number;
  /** The nearest function, lambda, class or module scope around the loop. */
  owner: Scope;
  parent: Loop | null;
  children: Loop[];
}

/**
 * An edit's effect on the offsets of what it left in place:
 *   - `from`: an offset at or after `at` moves by `delta` (text inserted or removed at `at`);
 *   - `after`: an offset after `at` moves by `delta`, and one equal to `at` (the end of an edited
 *     function, and so of what ends with it) becomes `tail`.
 */
export type Shift =
  | { kind: "from"; at: number; delta: number }
  | { kind: "after"; at: number; delta: number; tail: number };

export function shiftOffset(shift: Shift, p: number): number {
  if (shift.kind === "from") return p >= shift.at ? p + shift.delta : p;
  return p > shift.at ? p + shift.delta : p === shift.at ? shift.tail : p;
}

/** A node of an earlier tree was not found again in the current one: the caller lints afresh. */
export class StaleNodeError extends Error {}

/**
 * Finds the nodes of earlier trees again in the current one. When the model is updated for an
 * edit inside one function (see `SemanticModel.afterUnitEdit`), its records of the code outside
 * keep the nodes they were built with; those trees stay alive, unedited, and each record looks
 * its node up in the current tree, at the offsets shifted by the edits since, on first use.
 */
export class Locator {
  readonly shifts: Shift[] = [];

  constructor(public root: Node) {}

  get epoch(): number {
    return this.shifts.length;
  }

  /** An offset taken at `epoch`, in the current text. */
  offset(offset: number, epoch: number): number {
    let p = offset;
    for (let i = epoch; i < this.shifts.length; i++) p = shiftOffset(this.shifts[i], p);
    return p;
  }

  /** `node`, taken at `epoch`, in the current tree. */
  relocate(node: Node, epoch: number): Node {
    if (epoch === this.shifts.length) return node;
    const start = this.offset(node.startIndex, epoch);
    const end = this.offset(node.endIndex, epoch);
    const type = node.type;
    let found: Node | null = this.root.descendantForIndex(start, end);
    while (found && found.type !== type && found.startIndex === start && found.endIndex === end) found = found.parent;
    if (!found || found.type !== type || found.startIndex !== start || found.endIndex !== end) {
      throw new StaleNodeError(`memhint: no ${type} at ${start}-${end} in the current tree`);
    }
    return found;
  }
}

/** A record of the model that holds one node: found again in the current tree on first use. */
abstract class Located {
  private current: Node;
  private epoch: number;

  constructor(protected readonly locator: Locator, node: Node) {
    this.current = node;
    this.epoch = locator.epoch;
  }

  get node(): Node {
    if (this.epoch !== this.locator.epoch) {
      this.current = this.locator.relocate(this.current, this.epoch);
      this.epoch = this.locator.epoch;
    }
    return this.current;
  }

  /** Where the node starts now, without looking it up. */
  get nodeStart(): number {
    return this.locator.offset(this.current.startIndex, this.epoch);
  }

  /** Point the record at `node`, a node of the current tree. */
  protected setCurrent(node: Node): void {
    this.current = node;
    this.epoch = this.locator.epoch;
  }
}

class ScopeRecord extends Located implements Scope {
  readonly children: Scope[] = [];
  readonly bindings = new Map<string, Binding[]>();
  readonly globals = new Set<string>();
  readonly nonlocals = new Set<string>();
  /** Kept up to date by the model (they are read far more often than the node). */
  start: number;
  end: number;

  constructor(locator: Locator, readonly kind: ScopeKind, node: Node, readonly parent: Scope | null) {
    super(locator, node);
    this.start = node.startIndex;
    this.end = node.endIndex;
  }

  /** The module scope's node is the new root after each update. */
  setNode(node: Node): void {
    this.setCurrent(node);
  }
}

class BindingRecord implements Binding {
  private currentNode: Node;
  private currentValue: Node | null;
  private currentStatement: Node;
  private nodeEpoch: number;
  private valueEpoch: number;
  private statementEpoch: number;

  constructor(
    private readonly locator: Locator, readonly name: string, readonly kind: BindingKind, node: Node, value: Node | null,
    statement: Node, readonly scope: Scope, readonly qualifiedName: string | null,
  ) {
    this.currentNode = node;
    this.currentValue = value;
    this.currentStatement = statement;
    this.nodeEpoch = this.valueEpoch = this.statementEpoch = locator.epoch;
  }

  get node(): Node {
    if (this.nodeEpoch !== this.locator.epoch) {
      this.currentNode = this.locator.relocate(this.currentNode, this.nodeEpoch);
      this.nodeEpoch = this.locator.epoch;
    }
    return this.currentNode;
  }

  get value(): Node | null {
    if (this.currentValue && this.valueEpoch !== this.locator.epoch) {
      this.currentValue = this.locator.relocate(this.currentValue, this.valueEpoch);
      this.valueEpoch = this.locator.epoch;
    }
    return this.currentValue;
  }

  get statement(): Node {
    if (this.statementEpoch !== this.locator.epoch) {
      this.currentStatement = this.locator.relocate(this.currentStatement, this.statementEpoch);
      this.statementEpoch = this.locator.epoch;
    }
    return this.currentStatement;
  }

  /** Where the bound identifier and the statement start now, without looking the nodes up. */
  get nodeStart(): number {
    return this.locator.offset(this.currentNode.startIndex, this.nodeEpoch);
  }

  get statementStart(): number {
    return this.locator.offset(this.currentStatement.startIndex, this.statementEpoch);
  }
}

class MutationRecord extends Located implements Mutation {
  constructor(
    locator: Locator, readonly name: string, readonly kind: MutationKind, readonly method: string | null, node: Node, readonly scope: Scope,
  ) {
    super(locator, node);
  }
}

class LoopRecord extends Located implements Loop {
  readonly children: Loop[] = [];
  start: number;
  end: number;

  constructor(
    locator: Locator, readonly kind: LoopKind, node: Node, public bodyStart: number, public bodyEnd: number,
    public onceStart: number, public onceEnd: number, readonly owner: Scope, readonly parent: Loop | null,
  ) {
    super(locator, node);
    this.start = node.startIndex;
    this.end = node.endIndex;
  }
}

/** Methods that change a list, dict, set, deque or bytearray in place. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set([
  "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault", "add",
  "discard", "sort", "reverse", "appendleft", "extendleft", "popleft", "rotate",
  "difference_update", "intersection_update", "symmetric_difference_update",
  "__setitem__", "__delitem__", "__iadd__", "__ior__",
]);

/** The names of `builtins` in CPython 3.8–3.13 that rules care to resolve. */
const BUILTIN_NAMES: ReadonlySet<string> = new Set([
  "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes",
  "callable", "chr", "classmethod", "compile", "complex", "delattr", "dict", "dir", "divmod",
  "enumerate", "eval", "exec", "filter", "float", "format", "frozenset", "getattr", "globals",
  "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter", "len",
  "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord", "pow",
  "print", "property", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted",
  "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip", "__import__",
]);

/** Node types the model needs from the lint pass's single native fetch. */
export const MODEL_NODE_TYPES: readonly string[] = [
  "function_definition", "class_definition", "lambda",
  "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression",
  "for_in_clause", "for_statement", "while_statement",
  "assignment", "augmented_assignment", "named_expression", "delete_statement",
  "import_statement", "import_from_statement", "global_statement", "nonlocal_statement",
  "with_item", "except_clause", "case_clause", "type_alias_statement",
];

const SCOPE_KIND_OF: Record<string, ScopeKind> = {
  function_definition: "function",
  class_definition: "class",
  lambda: "lambda",
  list_comprehension: "comprehension",
  set_comprehension: "comprehension",
  dictionary_comprehension: "comprehension",
  generator_expression: "comprehension",
};

export const COMPREHENSION_TYPES: ReadonlySet<string> = new Set([
  "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression",
]);

interface Interval<T> {
  start: number;
  end: number;
  children: T[];
}

/** The innermost interval of a nested, start-sorted forest that contains `offset`. */
function innermost<T extends Interval<T>>(forest: T[], offset: number, outer: T | null): T | null {
  let found = outer;
  let level = forest;
  for (;;) {
    let lo = 0;
    let hi = level.length - 1;
    let hit: T | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const item = level[mid];
      if (item.start > offset) hi = mid - 1;
      else if (item.end <= offset) lo = mid + 1;
      else {
        hit = item;
        break;
      }
    }
    if (!hit) return found;
    found = hit;
    level = hit.children;
  }
}

/** Identifiers bound by an assignment target, `for` target or `as` target. */
export function targetNames(target: Node, out: Node[] = []): Node[] {
  switch (target.type) {
    case "identifier":
      out.push(target);
      break;
    case "pattern_list":
    case "tuple_pattern":
    case "list_pattern":
    case "tuple":
    case "list":
    case "expression_list":
    case "parenthesized_expression":
    case "list_splat_pattern":
    case "list_splat":
    case "as_pattern_target":
      for (const child of target.namedChildren) if (child) targetNames(child, out);
      break;
    default:
      break; // attributes and subscripts bind no name
  }
  return out;
}

/** Unwrap parentheses: `((x))` → `x`. */
export function unparenthesize(node: Node): Node {
  let current = node;
  while (current.type === "parenthesized_expression" && current.namedChildCount === 1) {
    const inner = current.namedChild(0);
    if (!inner || inner.type === "comment") break;
    current = inner;
  }
  return current;
}

export class SemanticModel {
  readonly module: Scope;
  /** Set when the module does `from x import *`: any unbound name might come from there. */
  hasStarImport = false;
  private readonly locator: Locator;
  private loops: Loop[] = [];
  private loopForest: Loop[] = [];
  private mutations: MutationRecord[] = [];
  private readonly mutationCache = new Map<Scope, Map<string, Mutation[]>>();
  private readonly referenceCache = new Map<Scope, Map<string, Node[]>>();
  /** During `afterRangeEdit`: binding lists of outer scopes that the edited range added to. */
  private touched: Set<Binding[]> | null = null;
  /**
   * The module-level names whose references or mutations were asked for (`referencesOf`,
   * `mutationsOf`), by any check since this model's lineage was built in full: a check that never
   * asked about a name cannot depend on where it is used (unit-summary.ts).
   */
  readonly queriedModuleNames: Set<string>;
  /**
   * The kinds of facts (facts/index.ts) that read function bodies and were asked for, by any
   * check since this model's lineage was built in full: an incremental lint compares what each
   * of them reads of an edited function (unit-summary.ts).
   */
  readonly queriedFacts: Set<string>;

  constructor(readonly root: Node, nodes: readonly Node[], previous?: SemanticModel) {
    if (previous) {
      // Adopt the updated structures of `previous` (see afterUnitEdit); nothing is built here.
      this.locator = previous.locator;
      this.module = previous.module;
      this.hasStarImport = previous.hasStarImport;
      this.loops = previous.loops;
      this.loopForest = previous.loopForest;
      this.mutations = previous.mutations;
      this.queriedModuleNames = previous.queriedModuleNames;
      this.queriedFacts = previous.queriedFacts;
      return;
    }
    this.queriedModuleNames = new Set();
    this.queriedFacts = new Set();
    this.locator = new Locator(root);
    this.module = new ScopeRecord(this.locator, "module", root, null);
    this.build(nodes, [this.module]);
  }

  /**
   * The model after an edit confined to one outermost function (a `def` in the module or in
   * classes, not in another function): `unit` is its range before the edit (decorators included),
   * `functionStart` where its `def` starts, `shift` how the offsets after it (and the ends of what
   * encloses it) move, and `unitNodes` the lint pass's node types fetched from the edited function
   * in `root`'s tree.
   * Everything outside is kept: scopes, loops, bindings and mutations are shifted, not rebuilt,
   * and their nodes are found again in the new tree on first use. This model is consumed: use
   * only the one returned (a new object, so per-model caches of rules start empty).
   *
   * The caller guarantees that the text and the tree outside the function are unchanged and that
   * no loop or function encloses it.
   */
  static afterUnitEdit(
    old: SemanticModel, root: Node, unit: { start: number; end: number; functionStart: number }, shift: Shift, unitNodes: readonly Node[],
  ): SemanticModel {
    let own: Scope | null = old.scopeAt(unit.functionStart);
    while (own && !(own.kind === "function" && own.start === unit.functionStart)) own = own.parent;
    const parent = own?.parent;
    if (!own || !parent) throw new StaleNodeError("memhint: the edited function has no scope");
    return SemanticModel.afterRangeEdit(old, root, parent, unit, shift, unitNodes);
  }

  /**
   * The model after an edit that replaced what [range.start, range.end) held directly in the
   * scope `parent` (a class or the module): the scopes, bindings, loops and mutations recorded
   * there are built again from `nodes`, the lint pass's node types fetched from the new text of
   * the range; everything else is kept as in afterUnitEdit. This model is consumed.
   */
  static afterRangeEdit(
    old: SemanticModel, root: Node, parent: Scope, range: { start: number; end: number }, shift: Shift, nodes: readonly Node[],
  ): SemanticModel {
    const inUnit = (offset: number): boolean => offset >= range.start && offset < range.end;
    for (let i = parent.children.length - 1; i >= 0; i--) if (inUnit(parent.children[i].start)) parent.children.splice(i, 1);
    const chain: Scope[] = [];
    for (let s: Scope | null = parent; s; s = s.parent) chain.unshift(s);
    // What the range bound in the scopes around it: a function's own name, `global` names.
    for (const scope of chain) {
      for (const [name, list] of scope.bindings) {
        if (!list.some((b) => inUnit((b as BindingRecord).statementStart))) continue;
        const kept = list.filter((b) => !inUnit((b as BindingRecord).statementStart));
        if (kept.length > 0) scope.bindings.set(name, kept);
        else scope.bindings.delete(name);
      }
    }
    old.mutations = old.mutations.filter((m) => !inUnit(m.nodeStart));
    old.loops = old.loops.filter((l) => !inUnit(l.start));
    old.loopForest = old.loopForest.filter((l) => !inUnit(l.start));
    old.applyShift(root, shift);
    const model = new SemanticModel(root, [], old);
    model.touched = new Set();
    model.build(nodes, chain);
    for (const list of model.touched) list.sort((a, b) => (a as BindingRecord).nodeStart - (b as BindingRecord).nodeStart);
    model.touched = null;
    parent.children.sort((a, b) => a.start - b.start);
    model.loopForest.sort((a, b) => a.start - b.start);
    return model;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** The innermost scope containing `offset`. */
  scopeAt(offset: number): Scope {
    return innermost(this.module.children, offset, this.module) ?? this.module;
  }

  scopeOf(node: Node): Scope {
    return this.scopeAt(node.startIndex);
  }

  /** The nearest enclosing scope that is not a comprehension. */
  ownerScopeOf(node: Node): Scope {
    let scope: Scope = this.scopeOf(node);
    while (scope.kind === "comprehension" && scope.parent) scope = scope.parent;
    return scope;
  }

  /**
   * The innermost loop whose repeated part contains `node`, within the same function (a loop in
   * an outer function does not repeat a nested function's body). Comprehensions count as loops
   * only when asked.
   */
  loopOf(node: Node, options: { includeComprehensions?: boolean } = {}): Loop | null {
    const offset = node.startIndex;
    const owner = this.ownerScopeOf(node);
    let loop = innermost(this.loopForest, offset, null);
    while (loop) {
      if (loop.owner !== owner) return null;
      const repeats = offset >= loop.bodyStart && offset < loop.bodyEnd && !(offset >= loop.onceStart && offset < loop.onceEnd);
      if (repeats && (loop.kind !== "comprehension" || options.includeComprehensions)) return loop;
      loop = loop.parent;
    }
    return null;
  }

  /** The scope that owns `name` as seen from `scope`, per Python's rules; null for builtins. */
  resolveScope(name: string, scope: Scope): Scope | null {
    let current: Scope | null = scope;
    let first = true;
    while (current) {
      if (current.globals.has(name)) return this.module.bindings.has(name) ? this.module : null;
      if (!current.nonlocals.has(name) && (first || current.kind !== "class") && current.bindings.has(name)) {
        return current;
      }
      first = false;
      current = current.parent;
    }
    return null;
  }

  /** Every binding of the variable that `name` refers to in `scope` (empty: builtin or undefined). */
  lookup(name: string, scope: Scope): Binding[] {
    const owner = this.resolveScope(name, scope);
    return owner ? owner.bindings.get(name) ?? [] : [];
  }

  /**
   * The dotted name an expression refers to: `memo` after `from functools import lru_cache as
   * memo` is `functools.lru_cache`, `np.zeros` after `import numpy as np` is `numpy.zeros`, an
   * unshadowed `sum` is `builtins.sum`. Null when it is anything else or cannot be known.
   */
  qualifiedName(expr: Node, scope: Scope = this.scopeOf(expr)): string | null {
    const node = unparenthesize(expr);
    if (node.type === "identifier") {
      const name = node.text;
      const bindings = this.lookup(name, scope);
      if (bindings.length === 0) {
        if (this.resolveScope(name, scope)) return null;
        if (this.hasStarImport || !BUILTIN_NAMES.has(name)) return null;
        return `builtins.${name}`;
      }
      const first = bindings[0].qualifiedName;
      if (first === null) return null;
      return bindings.every((b) => b.kind === "import" && b.qualifiedName === first) ? first : null;
    }
    if (node.type === "attribute") {
      const object = node.childForFieldName("object");
      const attribute = node.childForFieldName("attribute");
      if (!object || !attribute) return null;
      const base = this.qualifiedName(object, scope);
      return base && !base.startsWith("builtins.") ? `${base}.${attribute.text}` : null;
    }
    return null;
  }

  /** True when `expr` is the unshadowed builtin `name`. */
  isBuiltin(expr: Node, name: string, scope?: Scope): boolean {
    return this.qualifiedName(expr, scope) === `builtins.${name}`;
  }

  /**
   * Mutations of the variable `name` owned by `owner` (the scope `resolveScope` returns), from
   * anywhere in the file. Method calls are included only for methods in MUTATING_METHODS unless
   * `allMethodCalls` is set.
   */
  mutationsOf(name: string, owner: Scope, options: { allMethodCalls?: boolean } = {}): Mutation[] {
    if (owner === this.module) this.queriedModuleNames.add(name);
    let byName = this.mutationCache.get(owner);
    if (!byName) this.mutationCache.set(owner, (byName = new Map()));
    let all = byName.get(name);
    if (!all) {
      all = [...this.mutations, ...this.methodCallsIn(owner.node, name)]
        .filter((m) => m.name === name && this.resolveScope(name, m.scope) === owner)
        .sort((a, b) => a.node.startIndex - b.node.startIndex);
      byName.set(name, all);
    }
    return options.allMethodCalls ? all : all.filter((m) => m.kind !== "method-call" || MUTATING_METHODS.has(m.method ?? ""));
  }

  /** Every `x.attr = ...` (and `del x.attr`) in the file, in no particular order. */
  attributeAssignments(): Mutation[] {
    return this.mutations.filter((m) => m.kind === "attribute-assign");
  }

  /** Where a binding's statement starts, without looking its node up in the current tree. */
  bindingStatementStart(b: Binding): number {
    return b instanceof BindingRecord ? b.statementStart : b.statement.startIndex;
  }

  /** Where a mutation's statement starts, without looking its node up in the current tree. */
  mutationStart(m: Mutation): number {
    return m instanceof MutationRecord ? m.nodeStart : m.node.startIndex;
  }

  /**
   * `name.method(...)` calls inside `within`, found on request by a native search: calls are the
   * most common node type, and only candidates of a few rules need them.
   */
  private methodCallsIn(within: Node, name: string): Mutation[] {
    const found: Mutation[] = [];
    for (const call of within.descendantsOfType("call")) {
      const fn = call?.firstChild;
      if (!call || fn?.type !== "attribute") continue;
      const object = fn.firstChild;
      if (object?.type !== "identifier" || object.text !== name) continue;
      const method = fn.lastChild;
      if (method?.type !== "identifier") continue;
      found.push({ name, kind: "method-call", method: method.text, node: call, scope: this.scopeAt(call.startIndex) });
    }
    return found;
  }

  /**
   * Every identifier that reads or writes the variable `name` owned by `owner`, in document order
   * (the bindings themselves included). Computed on first request by a native search of the
   * owner's subtree, so rules only pay for it on candidates.
   */
  referencesOf(name: string, owner: Scope): Node[] {
    if (owner === this.module) this.queriedModuleNames.add(name);
    let byName = this.referenceCache.get(owner);
    if (!byName) this.referenceCache.set(owner, (byName = new Map()));
    const cached = byName.get(name);
    if (cached) return cached;
    const found: Node[] = [];
    for (const identifier of owner.node.descendantsOfType("identifier")) {
      if (!identifier || identifier.text !== name) continue;
      const parent = identifier.parent;
      // `obj.name` and `f(name=1)` are not the variable.
      if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.equals(identifier)) continue;
      if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.equals(identifier)) continue;
      if (this.resolveScope(name, this.scopeAt(identifier.startIndex)) === owner) found.push(identifier);
    }
    byName.set(name, found);
    return found;
  }

  // ---- construction --------------------------------------------------------------------------

  /**
   * The model after an edit that changed no node, only where nodes are (blank lines or
   * indentation-free whitespace between statements). This model is consumed, as in afterUnitEdit.
   */
  static afterShift(old: SemanticModel, root: Node, shift: Shift): SemanticModel {
    old.applyShift(root, shift);
    return new SemanticModel(root, [], old);
  }

  /** Move the scopes and loops that are kept to their new offsets; nodes follow on first use. */
  private applyShift(root: Node, shift: Shift): void {
    const at = shift.at;
    const move = (p: number): number => shiftOffset(shift, p);
    const shiftScopes = (scope: Scope): void => {
      scope.start = move(scope.start);
      scope.end = move(scope.end);
      for (const child of scope.children) if (child.end >= at) shiftScopes(child);
    };
    shiftScopes(this.module);
    this.module.end = root.endIndex;
    for (const loop of this.loops) {
      if (loop.end < at) continue;
      loop.start = move(loop.start);
      loop.end = move(loop.end);
      loop.bodyStart = move(loop.bodyStart);
      loop.bodyEnd = move(loop.bodyEnd);
      if (loop.onceEnd > 0) {
        loop.onceStart = move(loop.onceStart);
        loop.onceEnd = move(loop.onceEnd);
      }
    }
    this.locator.shifts.push(shift);
    this.locator.root = root;
    (this.module as ScopeRecord).setNode(root);
  }

  /** `enclosing`: the scopes around the nodes, outermost (the module) first. */
  private build(nodes: readonly Node[], enclosing: Scope[]): void {
    const scopeStack: Scope[] = [...enclosing];
    const loopStack: Loop[] = [];
    const current = (start: number): Scope => {
      while (scopeStack.length > 1 && scopeStack[scopeStack.length - 1].end <= start) scopeStack.pop();
      return scopeStack[scopeStack.length - 1];
    };
    const pushScope = (kind: ScopeKind, node: Node, parent: Scope): Scope => {
      const scope = new ScopeRecord(this.locator, kind, node, parent);
      parent.children.push(scope);
      scopeStack.push(scope);
      return scope;
    };
    const pushLoop = (kind: LoopKind, node: Node, bodyStart: number, bodyEnd: number, owner: Scope, once: Node | null = null): void => {
      while (loopStack.length > 0 && loopStack[loopStack.length - 1].end <= node.startIndex) loopStack.pop();
      const parent = loopStack[loopStack.length - 1] ?? null;
      const loop = new LoopRecord(
        this.locator, kind, node, bodyStart, bodyEnd, once ? once.startIndex : 0, once ? once.endIndex : 0, owner, parent,
      );
      (parent ? parent.children : this.loopForest).push(loop);
      this.loops.push(loop);
      loopStack.push(loop);
    };
    const ownerOf = (scope: Scope): Scope => {
      let s = scope;
      while (s.kind === "comprehension" && s.parent) s = s.parent;
      return s;
    };

    const chainValues = new Map<number, Node | null>();
    for (const node of nodes) {
      const type = node.type;
      const scope = current(node.startIndex);
      switch (type) {
        case "function_definition":
        case "class_definition": {
          const name = node.childForFieldName("name");
          if (name) this.bind(scope, name, type === "function_definition" ? "function" : "class", node, null);
          const inner = pushScope(SCOPE_KIND_OF[type], node, scope);
          if (type === "function_definition") this.bindParameters(inner, node.childForFieldName("parameters"));
          break;
        }
        case "lambda": {
          const inner = pushScope("lambda", node, scope);
          this.bindParameters(inner, node.childForFieldName("parameters"));
          break;
        }
        case "list_comprehension":
        case "set_comprehension":
        case "dictionary_comprehension":
        case "generator_expression": {
          const inner = pushScope("comprehension", node, scope);
          // The first iterable is evaluated once, outside; everything after it repeats.
          const firstFor = node.namedChildren.find((c) => c?.type === "for_in_clause");
          const firstIterable = firstFor?.childForFieldName("right");
          pushLoop("comprehension", node, node.startIndex, node.endIndex, ownerOf(inner), firstIterable ?? null);
          break;
        }
        case "for_in_clause": {
          const left = node.childForFieldName("left");
          if (left) for (const id of targetNames(left)) this.bind(scope, id, "comprehension-for", node, null);
          break;
        }
        case "for_statement":
        case "while_statement": {
          const body = node.childForFieldName("body");
          const bodyStart = type === "while_statement"
            ? (node.childForFieldName("condition") ?? body ?? node).startIndex
            : (body ?? node).startIndex;
          pushLoop(type === "for_statement" ? "for" : "while", node, bodyStart, (body ?? node).endIndex, ownerOf(scope));
          if (type === "for_statement") {
            const left = node.childForFieldName("left");
            if (left) for (const id of targetNames(left)) this.bind(scope, id, "for", node, null);
          }
          break;
        }
        case "assignment": {
          const left = node.childForFieldName("left");
          const right = node.childForFieldName("right");
          // `a = b = ... = v`: the chain's value is found once, by its outermost assignment
          // (pre-order), so long chains stay linear.
          let value = chainValues.get(node.id) ?? right;
          if (value?.type === "assignment") {
            const inner: number[] = [];
            while (value?.type === "assignment") {
              inner.push(value.id);
              value = value.childForFieldName("right");
            }
            for (const id of inner) chainValues.set(id, value ?? null);
          }
          if (!left) break;
          const hasValue = right !== null;
          this.recordTarget(scope, left, node, hasValue ? "assignment" : "annotation", value ?? null, "item-assign");
          break;
        }
        case "augmented_assignment": {
          const left = node.childForFieldName("left");
          if (!left) break;
          if (left.type === "identifier") {
            this.bind(scope, left, "augmented", node, null);
            this.mutations.push(new MutationRecord(this.locator, left.text, "aug-assign", null, node, scope));
          } else {
            this.recordTarget(scope, left, node, "augmented", null, "item-assign");
          }
          break;
        }
        case "named_expression": {
          const name = node.childForFieldName("name");
          // PEP 572: a walrus in a comprehension binds in the enclosing function scope.
          if (name) this.bind(ownerOf(scope), name, "walrus", node, node.childForFieldName("value"));
          break;
        }
        case "delete_statement":
          for (const target of node.namedChildren) if (target) this.recordTarget(scope, target, node, "delete", null, "item-delete");
          break;
        case "import_statement":
          for (const item of node.childrenForFieldName("name")) {
            if (!item) continue;
            if (item.type === "aliased_import") {
              const alias = item.childForFieldName("alias");
              const dotted = item.childForFieldName("name");
              if (alias && dotted) this.bind(scope, alias, "import", node, null, dotted.text);
            } else if (item.type === "dotted_name") {
              const head = item.namedChild(0);
              if (head) this.bind(scope, head, "import", node, null, head.text);
            }
          }
          break;
        case "import_from_statement": {
          const moduleName = node.childForFieldName("module_name")?.text ?? "";
          if (node.namedChildren.some((c) => c?.type === "wildcard_import")) {
            if (scope === this.module) this.hasStarImport = true;
            break;
          }
          const prefix = moduleName.endsWith(".") ? moduleName : `${moduleName}.`;
          for (const item of node.childrenForFieldName("name")) {
            if (!item) continue;
            if (item.type === "aliased_import") {
              const alias = item.childForFieldName("alias");
              const dotted = item.childForFieldName("name");
              if (alias && dotted) this.bind(scope, alias, "import", node, null, prefix + dotted.text);
            } else if (item.type === "dotted_name") {
              const head = item.namedChild(0);
              if (head) this.bind(scope, head, "import", node, null, prefix + item.text);
            }
          }
          break;
        }
        case "global_statement":
        case "nonlocal_statement":
          for (const id of node.namedChildren) {
            if (id?.type === "identifier") (type === "global_statement" ? scope.globals : scope.nonlocals).add(id.text);
          }
          break;
        case "with_item": {
          const value = node.childForFieldName("value");
          if (value?.type === "as_pattern") {
            const alias = value.childForFieldName("alias");
            if (alias) for (const id of targetNames(alias)) this.bind(scope, id, "with", node, null);
          }
          break;
        }
        case "except_clause": {
          for (const child of node.namedChildren) {
            if (child?.type !== "as_pattern") continue;
            const alias = child.childForFieldName("alias");
            if (alias) for (const id of targetNames(alias)) this.bind(scope, id, "except", node, null);
          }
          break;
        }
        case "case_clause":
          // Capture patterns bind names; find them natively inside the patterns only.
          for (const child of node.namedChildren) {
            if (child?.type !== "case_pattern") continue;
            for (const id of child.descendantsOfType("identifier")) {
              if (id && isCaptureIdentifier(id)) this.bind(scope, id, "match", node, null);
            }
          }
          break;
        case "type_alias_statement": {
          const left = node.childForFieldName("left");
          const id = left?.type === "type" ? left.namedChild(0) : left;
          if (id?.type === "identifier") this.bind(scope, id, "type-alias", node, null);
          break;
        }
        default:
          break;
      }
    }
  }

  private recordTarget(
    scope: Scope, target: Node, statement: Node, kind: BindingKind, value: Node | null, itemKind: MutationKind,
  ): void {
    const t = unparenthesize(target);
    switch (t.type) {
      case "identifier":
        this.bind(scope, t, kind, statement, value);
        return;
      case "subscript": {
        const base = unparenthesize(t.childForFieldName("value") ?? t);
        if (base.type === "identifier") this.mutations.push(new MutationRecord(this.locator, base.text, itemKind, null, statement, scope));
        return;
      }
      case "attribute": {
        const base = t.childForFieldName("object");
        if (base?.type === "identifier") {
          this.mutations.push(new MutationRecord(this.locator, base.text, "attribute-assign", null, statement, scope));
        }
        return;
      }
      default:
        for (const child of t.namedChildren) if (child) this.recordTarget(scope, child, statement, kind, null, itemKind);
    }
  }

  private bindParameters(scope: Scope, parameters: Node | null): void {
    if (!parameters) return;
    for (const parameter of parameters.namedChildren) {
      const id = parameter ? parameterName(parameter) : null;
      if (parameter && id) this.bind(scope, id, "parameter", parameter, null);
    }
  }

  private bind(scope: Scope, node: Node, kind: BindingKind, statement: Node, value: Node | null, qualifiedName: string | null = null): void {
    const name = node.text;
    // `global x` / `nonlocal x` send the binding to the scope that owns the name.
    let target = scope;
    if (scope.globals.has(name)) target = this.module;
    else if (scope.nonlocals.has(name)) target = this.resolveScope(name, scope.parent ?? scope) ?? scope;
    const binding = new BindingRecord(this.locator, name, kind, node, value, statement, target, qualifiedName);
    let list = target.bindings.get(name);
    if (list) list.push(binding);
    else target.bindings.set(name, (list = [binding]));
    this.touched?.add(list);
  }
}

/** The identifier a parameter binds (`x`, `x=1`, `x: int`, `*args`, `**kw`), or null (`/`, `*`). */
export function parameterName(parameter: Node): Node | null {
  switch (parameter.type) {
    case "identifier":
      return parameter;
    case "default_parameter":
    case "typed_default_parameter":
      return parameter.childForFieldName("name");
    case "typed_parameter":
    case "list_splat_pattern":
    case "dictionary_splat_pattern": {
      const id = parameter.namedChildren.find((c) => c?.type === "identifier");
      if (id) return id;
      // `*args: int` is a typed_parameter around a list_splat_pattern.
      const splat = parameter.type === "typed_parameter" ? parameter.namedChild(0) : null;
      return splat?.namedChildren.find((c) => c?.type === "identifier") ?? null;
    }
    default:
      return null;
  }
}

/**
 * In a match pattern, an identifier binds when it is a bare capture (a one-part dotted name
 * standing as a pattern or as a keyword pattern's value), a `*rest`, or an `as` name.
 */
function isCaptureIdentifier(id: Node): boolean {
  const parent = id.parent;
  if (!parent || id.text === "_") return false;
  if (parent.type === "splat_pattern") return true;
  if (parent.type === "as_pattern") return parent.lastNamedChild?.equals(id) ?? false;
  if (parent.type !== "dotted_name" || parent.namedChildCount !== 1) return false;
  const holder = parent.parent;
  if (holder?.type === "case_pattern") return true;
  return holder?.type === "keyword_pattern" && (holder.lastNamedChild?.equals(parent) ?? false);
}
