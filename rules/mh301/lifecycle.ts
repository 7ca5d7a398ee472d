/**
 * Attributes whose cycles MH301 leaves alone, because the code already manages them: made weak
 * somewhere in the file (`weakref.ref(x)`, `WeakSet()`), released by a teardown method
 * (`close`, `destroy`, `__exit__`...), replaced later in the same function, properties and
 * descriptors, protocol attributes. Also what the fix must know of them: whether an attribute is
 * ever assigned a literal, which a weak reference cannot hold.
 */
import type { Node } from "web-tree-sitter";
import { IDENTIFIER_PATTERN, isIdentifierPartAt } from "../../server/engine/facts/identifiers.js";
import { type ClassInfo, classScopes } from "../../server/engine/facts/index.js";
import { type Scope, unparenthesize } from "../../server/engine/model.js";
import type { RuleContext } from "../../server/engine/types.js";
import type { FileState } from "./state.js";

/**
 * `__loader__`, `__wrapped__`, `__self__`...: attributes a protocol defines. Making one weak breaks
 * the protocol, so a cycle through one is not this rule's to report (`self.__dict__ = self`, a
 * self-reference, still is).
 */
export const PROTOCOL_ATTRIBUTE = /^__\w+__$/;

/**
 * Methods that end an object's life (`close`, `destroy`, `connection_lost`, `tearDown`,
 * `__exit__`, `unlink`...), matched on the snake_case words of the name. A link such a method
 * drops (`self.parent = None`, `del self.children`, `self.children.clear()`) is a cycle the code
 * breaks on purpose. `__del__` is not one: it runs only once the cycle is already collected.
 */
const TEARDOWN_METHOD = /(^|_)(close|destroy|dispose|tear_?down|shut_?down|clean_?up|release|unlink|disconnect|lost|finish|finali[sz]e|stop|terminate|quit|exit|aexit)(_|$)/;

function isTeardownName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return !words.startsWith("test") && TEARDOWN_METHOD.test(words);
}

/** The name of every def in a text (and of any `def x` in a string or a comment). */
const DEF_NAMES = new RegExp(`\\bdef(?:\\s|\\\\)+(${IDENTIFIER_PATTERN})`, "gu");

export interface NameFacts {
  /** Attributes assigned a `weakref.*` object (`weakref.ref(x)`, `WeakSet()`) somewhere. */
  weak: Set<string>;
  /** Attributes that are a property or descriptor in some class of the file. */
  accessors: Set<string>;
  /** Whether the attribute is assigned a literal other than None somewhere (cannot be weakly referenced). */
  literalAssigned(attr: string): boolean;
  /** Attributes that a teardown method (`close`, `destroy`...) resets, deletes or clears. */
  released: Set<string>;
}

/**
 * Whether `attr` on an object of class `holder` may not be a plain strong attribute, or not one
 * that keeps a cycle: something in the file assigns it a `weakref.*` object, a teardown method
 * of the file drops it, or the class (or a base defined here) makes it a property or descriptor.
 * With no known holder, a property of that name in any class counts.
 */
export function isManaged(attr: string, holder: ClassInfo | null, ctx: RuleContext, state: FileState): boolean {
  const names = nameFacts(ctx, state);
  if (names.weak.has(attr) || names.released.has(attr)) return true;
  if (!holder) return names.accessors.has(attr);
  const seen = new Set<number>();
  const visit = (cls: ClassInfo): boolean => {
    if (seen.has(cls.node.startIndex)) return false;
    seen.add(cls.node.startIndex);
    if (cls.accessors.has(attr)) return true;
    const scope = ctx.model.scopeOf(cls.node);
    return cls.bases.some((base) => {
      const local = ctx.facts.classes.reference(base, scope);
      return local !== null && visit(local);
    });
  };
  return visit(holder);
}

/**
 * Attributes made weak anywhere in the file, every class's accessors, and so on: each found once
 * per file, when first asked, from the few places the text points at.
 */
export function nameFacts(ctx: RuleContext, state: FileState): NameFacts {
  if (state.names) return state.names;
  let weak: Set<string> | null = null;
  const literal = new Map<string, boolean>();
  let accessors: Set<string> | null = null;
  let released: Set<string> | null = null;
  state.names = {
    get weak() {
      weak ??= weakAttributes(ctx);
      return weak;
    },
    literalAssigned(attr: string): boolean {
      let assigned = literal.get(attr);
      if (assigned === undefined) {
        assigned = literalAssigned(attr, ctx);
        literal.set(attr, assigned);
      }
      return assigned;
    },
    get accessors() {
      if (!accessors) {
        accessors = new Set();
        for (const scope of classScopes(ctx.model.module)) {
          for (const name of ctx.facts.classes.info(scope.node).accessors) accessors.add(name);
        }
      }
      return accessors;
    },
    get released() {
      released ??= releasedAttributes(ctx);
      return released;
    },
  };
  return state.names;
}

/**
 * What `x.name = value` (or, in a class body, `name = value`) assigns: for each value (both
 * branches of `a if c else b`, and the condition), a weakref object (`weakref.ref(x)`,
 * `WeakSet()`... in any import style) or a literal (attributes only). Null: not such an assignment.
 */
function assignedKinds(node: Node, ctx: RuleContext): { name: string; weak: boolean; literal: boolean } | null {
  const left = node.childForFieldName("left");
  const right = node.childForFieldName("right");
  if (!left || !right) return null;
  const classLevel = left.type === "identifier" && node.parent?.parent?.parent?.type === "class_definition";
  const name = left.type === "attribute" ? left.childForFieldName("attribute")?.text : classLevel ? left.text : undefined;
  if (!name) return null;
  const value = unparenthesize(right);
  const values = value.type === "conditional_expression" ? value.namedChildren.filter((c): c is Node => !!c) : [value];
  let weak = false;
  let literal = false;
  for (const v of values) {
    const item = unparenthesize(v);
    if (item.type === "call") {
      if (ctx.model.qualifiedName(item.childForFieldName("function") ?? item)?.startsWith("weakref.")) weak = true;
    } else if (left.type === "attribute" && LITERAL_TYPES.has(item.type)) {
      literal = true;
    }
  }
  return { name, weak, literal };
}

const LITERAL_TYPES: ReadonlySet<string> = new Set([
  "string", "concatenated_string", "integer", "float", "true", "false", "list", "tuple", "dictionary", "set",
  "list_comprehension", "dictionary_comprehension", "set_comprehension", "binary_operator",
]);

/**
 * Attributes assigned a `weakref.*` object somewhere in the file. Such a callee starts with a
 * name an import binds to the weakref module or to something in it: only the assignments whose
 * value calls one of those names are looked at.
 */
function weakAttributes(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  const source = ctx.source;
  if (!source.includes("weakref")) return out;
  const names = new Set<string>();
  const collect = (scope: Scope): void => {
    for (const [name, bindings] of scope.bindings) {
      if (bindings.some((b) => b.kind === "import" && (b.qualifiedName === "weakref" || !!b.qualifiedName?.startsWith("weakref.")))) names.add(name);
    }
    for (const child of scope.children) collect(child);
  };
  collect(ctx.model.module);
  const seen = new Set<number>();
  for (const name of names) {
    for (let i = source.indexOf(name); i !== -1; i = source.indexOf(name, i + 1)) {
      if (isIdentifierPartAt(source, i - 1) || isIdentifierPartAt(source, i + name.length)) continue;
      const assignment = assignmentCalling(i, name.length, ctx);
      if (!assignment || seen.has(assignment.id)) continue;
      seen.add(assignment.id);
      const kinds = assignedKinds(assignment, ctx);
      if (kinds?.weak) out.add(kinds.name);
    }
  }
  return out;
}

/**
 * The assignment whose value (through parentheses and `a if c else b`) is a call whose callee
 * starts with the identifier at `offset` (`weakref.ref(x)`, `(ref)(x)`).
 */
function assignmentCalling(offset: number, length: number, ctx: RuleContext): Node | null {
  let node = ctx.model.root.descendantForIndex(offset, offset + length);
  if (!node || node.startIndex !== offset || node.type !== "identifier") return null;
  let parent = node.parent;
  while (parent && (parent.type === "parenthesized_expression" || (parent.type === "attribute" && parent.childForFieldName("object")?.equals(node)))) {
    node = parent;
    parent = parent.parent;
  }
  if (parent?.type !== "call" || !parent.childForFieldName("function")?.equals(node)) return null;
  parent = parent.parent;
  while (parent?.type === "parenthesized_expression") parent = parent.parent;
  if (parent?.type === "conditional_expression") {
    parent = parent.parent;
    while (parent?.type === "parenthesized_expression") parent = parent.parent;
  }
  return parent?.type === "assignment" ? parent : null;
}

/** Whether some `x.attr = <literal>` in the file assigns `attr` a literal (found from the text's `.attr`). */
function literalAssigned(attr: string, ctx: RuleContext): boolean {
  const source = ctx.source;
  const pattern = new RegExp(`\\.(?:\\s|\\\\)*(${attr.replace(/[^\w]/g, "\\$&")})(?=(?:\\s|\\\\)*[=:])`, "g");
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    const offset = match.index + match[0].length - attr.length;
    if (isIdentifierPartAt(source, offset + attr.length)) continue;
    const id = ctx.model.root.descendantForIndex(offset, offset + attr.length);
    const attribute = id?.parent;
    const assignment = attribute?.parent;
    if (!id || id.startIndex !== offset || attribute?.type !== "attribute" || assignment?.type !== "assignment") continue;
    if (!assignment.childForFieldName("left")?.equals(attribute)) continue;
    if (assignedKinds(assignment, ctx)?.literal) return true;
  }
  return false;
}

/**
 * Attributes that some teardown method of the file (`def close(self)`, `def tearDown(self)`,
 * `def connection_lost(self, exc)`...) itself sets to None or a fresh empty object
 * (`self.parent = None`, `self.children = []`, chained targets included), deletes
 * (`del self.children`) or clears (`self.children.clear()`): the code breaks the cycle when the
 * object's life ends. Functions and classes nested in the method do not count.
 */
function releasedAttributes(ctx: RuleContext): Set<string> {
  const released = new Set<string>();
  const source = ctx.source;
  const attributeName = (node: Node | null): string | null =>
    node?.type === "attribute" ? node.childForFieldName("attribute")?.text ?? null : null;
  // Every def spells its name in the text: find the teardown ones there, then their nodes, and
  // the helpers they call (`def close(self): self._break_links()`), whose resets count as theirs.
  const defs = new Map<string, Node[]>();
  DEF_NAMES.lastIndex = 0;
  for (let match = DEF_NAMES.exec(source); match; match = DEF_NAMES.exec(source)) {
    const keyword = ctx.model.root.descendantForIndex(match.index, match.index + 3);
    const fn = keyword?.parent;
    if (!keyword || keyword.startIndex !== match.index || keyword.type !== "def" || fn?.type !== "function_definition") continue;
    if (fn.childForFieldName("name")?.text !== match[1]) continue;
    const list = defs.get(match[1]);
    if (list) list.push(fn);
    else defs.set(match[1], [fn]);
  }
  const teardowns: Node[] = [];
  for (const [name, fns] of defs) if (isTeardownName(name)) teardowns.push(...fns);
  const helpers = new Set<string>();
  for (const fn of teardowns) {
    for (const call of fn.descendantsOfType("call")) {
      const callee = call?.childForFieldName("function");
      const name = callee?.type === "attribute" ? callee.childForFieldName("attribute")?.text : callee?.type === "identifier" ? callee.text : null;
      if (name && !isTeardownName(name) && defs.has(name) && call && enclosingDefinition(call) === fn.startIndex) helpers.add(name);
    }
  }
  for (const name of helpers) teardowns.push(...(defs.get(name) ?? []));
  for (const fn of teardowns) {
    // Calls matter only as `x.attr.clear()`, deletions only with `del`: skip what the text lacks.
    const text = source.slice(fn.startIndex, fn.endIndex);
    const types = ["assignment"];
    if (text.includes("del")) types.push("delete_statement");
    if (text.includes("clear")) types.push("call");
    for (const node of fn.descendantsOfType(types)) {
      if (!node) continue;
      let targets: (Node | null)[] = [];
      const type = node.type;
      if (type === "assignment") {
        if (!isReleasingValue(node)) continue;
        const left = node.childForFieldName("left");
        targets = left?.type === "pattern_list" || left?.type === "tuple_pattern" ? left.namedChildren : [left];
      } else if (type === "delete_statement") {
        targets = node.namedChildren.flatMap((c) => (c?.type === "expression_list" ? c.namedChildren : [c]));
      } else {
        const fnNode = node.childForFieldName("function");
        if (fnNode?.type === "attribute" && fnNode.childForFieldName("attribute")?.text === "clear") targets = [fnNode.childForFieldName("object")];
      }
      const attrs = targets.map(attributeName).filter((a): a is string => a !== null);
      // Only the method's own statements: not those of a function or class nested in it.
      if (attrs.length === 0 || enclosingDefinition(node) !== fn.startIndex) continue;
      for (const attr of attrs) released.add(attr);
    }
  }
  return released;
}

/** The start of the innermost `def`, `class` or `lambda` around a node. */
function enclosingDefinition(node: Node): number {
  for (let up = node.parent; up; up = up.parent) {
    if (up.type === "function_definition" || up.type === "class_definition" || up.type === "lambda") return up.startIndex;
  }
  return -1;
}

/** `x.a = None`, `x.a = y.b = None`, `x.a = []`, `x.a = NodeList()`: the old value is dropped, nothing kept. */
function isReleasingValue(assignment: Node): boolean {
  let value = assignment.childForFieldName("right");
  while (value?.type === "assignment") value = value.childForFieldName("right");
  if (!value) return false;
  value = unparenthesize(value);
  if (value.type === "none") return true;
  if (value.type === "list" || value.type === "dictionary" || value.type === "set" || value.type === "tuple") {
    return value.namedChildren.every((c) => c?.type === "comment");
  }
  const args = value.type === "call" ? value.childForFieldName("arguments") : null;
  return args?.type === "argument_list" && args.namedChildren.every((c) => c?.type === "comment");
}

/**
 * Whether a statement that runs after `site` in the same function or module body assigns or
 * deletes `object.attr` (a later statement of an enclosing block, or the `finally` of a `try`
 * around it): the link is replaced before the function ends (`self._current = Child(self)` ...
 * `finally: self._current = previous`). A statement in another branch of an `if` does not count.
 */
export function reassignedLater(site: Node, object: string, attr: string): boolean {
  let current: Node = site;
  for (let parent = current.parent; parent; current = parent, parent = parent.parent) {
    if (parent.type === "block" || parent.type === "module") {
      for (let next = current.nextNamedSibling; next; next = next.nextNamedSibling) {
        if (rebindsAttribute(next, object, attr)) return true;
      }
    } else if (parent.type === "try_statement" && current.type === "block") {
      const cleanup = parent.namedChildren.find((c) => c?.type === "finally_clause");
      if (cleanup && rebindsAttribute(cleanup, object, attr)) return true;
    }
    if (SCOPE_NODES.has(parent.type)) return false;
  }
  return false;
}

const SCOPE_NODES: ReadonlySet<string> = new Set(["module", "function_definition", "class_definition", "lambda"]);

/** Whether `node` holds an assignment to, or a `del` of, `object.attr`. */
function rebindsAttribute(node: Node, object: string, attr: string): boolean {
  if (!node.text.includes(attr)) return false;
  const isTarget = (n: Node | null): boolean => n?.type === "attribute"
    && n.childForFieldName("attribute")?.text === attr && n.childForFieldName("object")?.text === object;
  for (const found of [node, ...node.descendantsOfType(["assignment", "delete_statement"])]) {
    if (!found) continue;
    if (found.type === "assignment") {
      const left = found.childForFieldName("left");
      const targets = left?.type === "pattern_list" || left?.type === "tuple_pattern" ? left.namedChildren : [left];
      if (targets.some(isTarget)) return true;
    } else if (found.type === "delete_statement") {
      if (found.namedChildren.some((c) => isTarget(c) || (c?.type === "expression_list" && c.namedChildren.some(isTarget)))) return true;
    }
  }
  return false;
}
