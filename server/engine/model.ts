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
  readonly loops: Loop[] = [];
  /** Set when the module does `from x import *`: any unbound name might come from there. */
  hasStarImport = false;
  private readonly mutations: Mutation[] = [];
  private readonly mutationCache = new Map<Scope, Map<string, Mutation[]>>();
  private readonly referenceCache = new Map<Scope, Map<string, Node[]>>();

  constructor(readonly root: Node, nodes: readonly Node[]) {
    this.module = newScope("module", root, null);
    this.build(nodes);
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

  private loopForest: Loop[] = [];

  private build(nodes: readonly Node[]): void {
    const scopeStack: Scope[] = [this.module];
    const loopStack: Loop[] = [];
    const current = (start: number): Scope => {
      while (scopeStack.length > 1 && scopeStack[scopeStack.length - 1].end <= start) scopeStack.pop();
      return scopeStack[scopeStack.length - 1];
    };
    const pushScope = (kind: ScopeKind, node: Node, parent: Scope): Scope => {
      const scope = newScope(kind, node, parent);
      parent.children.push(scope);
      scopeStack.push(scope);
      return scope;
    };
    const pushLoop = (kind: LoopKind, node: Node, bodyStart: number, bodyEnd: number, owner: Scope, once: Node | null = null): void => {
      while (loopStack.length > 0 && loopStack[loopStack.length - 1].end <= node.startIndex) loopStack.pop();
      const parent = loopStack[loopStack.length - 1] ?? null;
      const loop: Loop = {
        kind, node, start: node.startIndex, end: node.endIndex, bodyStart, bodyEnd, owner, parent, children: [],
        onceStart: once ? once.startIndex : 0, onceEnd: once ? once.endIndex : 0,
      };
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
            this.mutations.push({ name: left.text, kind: "aug-assign", method: null, node, scope });
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
        if (base.type === "identifier") this.mutations.push({ name: base.text, kind: itemKind, method: null, node: statement, scope });
        return;
      }
      case "attribute": {
        const base = t.childForFieldName("object");
        if (base?.type === "identifier") {
          this.mutations.push({ name: base.text, kind: "attribute-assign", method: null, node: statement, scope });
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
    const binding: Binding = { name, kind, node, value, statement, scope: target, qualifiedName };
    const list = target.bindings.get(name);
    if (list) list.push(binding);
    else target.bindings.set(name, [binding]);
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

function newScope(kind: ScopeKind, node: Node, parent: Scope | null): Scope {
  return {
    kind, node, start: node.startIndex, end: node.endIndex, parent, children: [],
    bindings: new Map(), globals: new Set(), nonlocals: new Set(),
  };
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
