import type { Node } from "web-tree-sitter";
import { indentBefore, lastAtMost, nextLineStartOf } from "../server/engine/positions.js";
import { unparenthesize, type Scope } from "../server/engine/model.js";
import { defineRule, type Fix, type RuleContext, type TextEdit } from "../server/engine/types.js";
import { type ClassInfo, classScopes, type MethodInfo } from "../server/engine/facts/index.js";

/**
 * Container methods that keep their argument, and which positional argument they keep
 * (`insert(i, x)` and `setdefault(k, x)` keep the second one).
 */
const STORING_METHODS: ReadonlyMap<string, number> = new Map([
  ["append", 0], ["add", 0], ["appendleft", 0], ["insert", 1], ["setdefault", 1],
]);

/**
 * Attribute names that conventionally point back at an owner. For two different attributes
 * linking two objects (`a.next = b; b.prev = a`), the one named like this is the back-reference
 * the fix makes weak; the other direction is what keeps the structure alive.
 */
const BACK_REFERENCE_NAME = /^_*(parent|prev|previous|predecessor|owner|container|outer|back|backref|up)(_|$)/i;

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

/**
 * `__loader__`, `__wrapped__`, `__self__`...: attributes a protocol defines. Making one weak breaks
 * the protocol, so a cycle through one is not this rule's to report (`self.__dict__ = self`, a
 * self-reference, still is).
 */
const PROTOCOL_ATTRIBUTE = /^__\w+__$/;

/** A first parameter with one of these names is a class, not an instance (metaclass methods, `classmethod(f)`). */
const CLASS_PARAMETER_NAMES: ReadonlySet<string> = new Set(["cls", "mcs", "mcls", "metacls"]);

/** Attribute access hooks that a property would bypass or fight with. */
const ATTRIBUTE_HOOKS = ["__getattr__", "__getattribute__", "__setattr__", "__delattr__"];

/** Code that copies, pickles or inspects instance dictionaries sees `_x_ref` and the weakref itself. */
const WEAK_FIX_BLOCKERS = /__dict__|\bvars\s*\(|\basdict\s*\(|__getstate__|__setstate__|__reduce(_ex)?__|^\s*(import|from)\s+(copy|pickle|_pickle|cPickle|shelve|dill|cloudpickle)\b/m;

const FREED_LATE = freedLate(false);

function freedLate(single: boolean): string {
  const [they, them] = single ? ["it is", "it"] : ["they are", "them"];
  return `so ${they} freed only by the cyclic garbage collector: late, in bulk during a full collection, together with everything reachable from ${them}, and never as soon as the last outside reference goes`;
}

/** Something a method stores on its instance: `self.c.append(v)`, `self.c[k] = v`, `self.c = v`. */
interface Storage {
  container: string;
  value: Node;
  site: Node;
  via: "container" | "attribute" | "helper";
}

interface MethodScan {
  storages: Storage[];
  /** `x.attr = self`: another object pointed at this instance. */
  backLinks: { node: Node; holder: string; attr: string }[];
  /** `self.attr = param`. */
  parentLinks: { node: Node; attr: string; param: string }[];
  /** `param.c.append(self)` / `param.c[k] = self`: the instance is kept by a parameter. */
  keptByParams: { param: string; container: string; site: Node }[];
  /** `self.helper(args)`. */
  helperCalls: { name: string; args: Node[]; site: Node }[];
}

interface NameFacts {
  /** Attributes assigned a `weakref.*` object (`weakref.ref(x)`, `WeakSet()`) somewhere. */
  weak: Set<string>;
  /** Attributes that are a property or descriptor in some class of the file. */
  accessors: Set<string>;
  /** Whether the attribute is assigned a literal other than None somewhere (cannot be weakly referenced). */
  literalAssigned(attr: string): boolean;
  /** Attributes that a teardown method (`close`, `destroy`...) resets, deletes or clears. */
  released: Set<string>;
}

interface FileFacts {
  /** Per class: its `__init__`, which `__init__` parameters it keeps. */
  inits: Map<number, MethodInfo | null>;
  keptByInit: Map<number, ReadonlySet<string>>;
  scans: Map<number, MethodScan>;
  /** Attribute assignments `a.x = b` seen so far, by `owner scope start|a|b`. */
  links: Map<string, Node[]>;
  reported: Set<number>;
  names: NameFacts | null;
  fixBlocked: boolean | null;
  weakrefModule: { name: string; insert: TextEdit | null } | null | undefined;
}

const FILE_FACTS = new WeakMap<object, FileFacts>();

function factsOf(ctx: RuleContext): FileFacts {
  let facts = FILE_FACTS.get(ctx.model);
  if (!facts) {
    facts = {
      inits: new Map(), keptByInit: new Map(), scans: new Map(), links: new Map(), reported: new Set(),
      names: null, fixBlocked: null, weakrefModule: undefined,
    };
    FILE_FACTS.set(ctx.model, facts);
  }
  return facts;
}

export default defineRule({
  code: "MH301",
  name: "reference-cycle",
  severity: "warning",
  fixable: "sometimes",
  evidence: "lifetime",
  peers: [],
  docs: {
    what: "Finds classes whose instances point at each other, so that they form reference cycles: a child pointed back at the parent that keeps it (`child.parent = self` with `self.children.append(child)`; `self.parent = parent` in `__init__` where the parent class keeps the children it creates, or where `__init__` adds the instance to `parent.children`), two objects linked in both directions (`a.next = b; b.prev = a`, `other.partner = self; self.partner = other`, on instances of classes defined in the file or on `self`), and an instance that references itself (`self.me = self`).",
    why: "CPython frees an object the moment its reference count drops to zero, except when it is part of a cycle: then the count never reaches zero, and the objects wait for the cyclic garbage collector. Long-lived cycles end up in the oldest generation, which is collected rarely, so the whole structure (every node, and every list, buffer or array it references) stays in memory long after the program dropped it, then is freed in bulk during a collection that pauses the program for a time proportional to everything tracked. With `gc.disable()` it is not freed at all until something calls `gc.collect()`. A weak back-reference keeps the structure tree-shaped: dropping the root frees it at once.",
    example: "class Node:\n    def __init__(self, name):\n        self.name = name\n        self.parent = None\n        self.children = []\n\n    def add_child(self, child):\n        child.parent = self\n        self.children.append(child)\n        return child",
    useInstead: "import weakref\n\nclass Node:\n    def __init__(self, name):\n        self.name = name\n        self.parent = None\n        self.children = []\n\n    def add_child(self, child):\n        child.parent = self\n        self.children.append(child)\n        return child\n\n    @property\n    def parent(self):\n        ref = self._parent_ref\n        return ref() if ref is not None else None\n\n    @parent.setter\n    def parent(self, value):\n        self._parent_ref = weakref.ref(value) if value is not None else None",
    fixSafety: "The fix is always unsafe. It stores the back-reference as a `weakref.ref` behind a property with the attribute's old name (on the class that holds the attribute, which must be defined in the file), so reads and writes of `x.parent` keep working, `None` stays `None`, and `is` comparisons still hold. What changes: an object that was kept alive only by its back-reference now dies (a child kept while its tree was dropped sees `parent` become `None`); the instance stores `_parent_ref` instead of `parent` (`__dict__`, `vars()`, `copy` and `pickle` see the difference, and `copy.deepcopy` would leave the copy pointing at the original, so files using them get no fix); values that cannot be weakly referenced (ints, strings, tuples, instances of classes with `__slots__` lacking `__weakref__`) raise `TypeError` when assigned. No fix is offered when the class of the object stored weakly is unknown (a parameter with no annotation, unless exactly one class of the file keeps children in the container it is added to) or cannot be weakly referenced (`__slots__` without `__weakref__`, subclasses of `int`, `tuple`, `bytes`, named tuples), when the holder's class is unknown or has `__slots__`, decorators (dataclasses), attribute hooks, or a member of that name; for links with no clear back-reference (`a.peer = b; b.peer = a`, a circular list, or `self.partner = Partner(partner=self)`, where one attribute holds both directions), since making either direction weak would let the structure die; or when `weakref` is bound to something else. `weakref.proxy` is not used: a proxy is not the object (`is`, `isinstance` and hashing differ).",
    limits: "Sees cycles of two objects (or one) whose links are written in one method, function or module body, or through a helper method of the same class; longer cycles (`a.next = b; b.next = c; c.next = a`), links made through containers other than attributes of `self`, and objects of classes from other modules are not followed. Two objects linked at module or function level must both be instances of classes defined in the file. A parent that keeps its children through its own method (`parent.add(self)`) or a list literal (`self.items = [Child(self)]`) is not followed. Silent when either link already goes through `weakref` (`weakref.ref`, `weakref.proxy`, `WeakSet`, `WeakValueDictionary`, `WeakKeyDictionary`, any import style: an attribute name assigned a `weakref` object anywhere in the file counts as weak everywhere in it), when the attribute is a property or descriptor of the holder's class (or of any class in the file when the holder is unknown); for one-directional links (singly linked lists, parent pointers that no parent ever stores its children behind, `self` handed to an object that `self` does not keep). Silent when the code breaks the cycle itself: a teardown method anywhere in the file (a name made of words such as `close`, `destroy`, `dispose`, `teardown`/`tearDown`, `shutdown`, `cleanup`, `release`, `unlink`, `disconnect`, `finish`, `stop`, `connection_lost`, `__exit__`; not `__del__`, which runs only once the cycle is collected, and not `test_*` functions) sets an attribute of either link's name to None or a fresh empty object, deletes it or clears it, or a later statement of the same function (or the `finally` of a `try` around the link) replaces the link; the attribute names are matched file-wide, so a teardown of an unrelated class that resets an attribute of the same name also silences the rule. Silent for protocol attributes (`module.__loader__ = self`, any `__name__`-shaped attribute) in links between two objects, and when the object is a class rather than an instance: methods of metaclasses (subclasses of `type`, `abc.ABCMeta`, `enum.EnumMeta`), `__init_subclass__`, `__class_getitem__` and `__new__`, and methods whose first parameter is `cls`, `mcs`, `mcls` or `metacls`. No ruff or pylint rule finds reference cycles: this rule has no peer.",
  },
  nodeTypes: ["class_definition", "assignment"],
  check(node, ctx) {
    // `class` is a keyword, so no assignment starts with it: no need to ask the node its type.
    if (isClassKeyword(ctx.source, node.startIndex)) checkClass(node, ctx);
    else checkAttributeLink(node, ctx);
  },
  // Class checks read whole class texts, and file-wide facts (weak, released, literal attributes,
  // fix blockers) come from every function: too much to summarize, so after an edit the rule
  // runs again on its candidates, which the model lists without walking the tree.
  fileNodes(model, source) {
    const nodes: Node[] = [];
    for (const scope of classScopes(model.module)) nodes.push(scope.node);
    for (const m of model.attributeAssignments()) {
      LINK_SHAPE.lastIndex = model.mutationStart(m);
      if (LINK_SHAPE.test(source) && m.node.type === "assignment") nodes.push(m.node);
    }
    return nodes;
  },
});

function isClassKeyword(source: string, offset: number): boolean {
  return source.startsWith("class", offset) && !isNameCode(source.charCodeAt(offset + 5));
}

// ---- two objects linked in both directions, and self-references ------------------------------

/**
 * Loose text patterns that a syntax check confirms: a run of name characters (any non-ASCII
 * character counts, so every Python identifier matches), and the spaces and line continuations
 * allowed between two tokens of one logical line.
 */
const NAME = "[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f]+";
const GAP = "(?:[ \\t\\f]|\\\\\\r?\\n)*";

/**
 * What the source text of `name.attr = other` (or `name.attr: T = ...`) looks like from the
 * assignment's start: every assignment that can be a link passes, and most others fail without
 * a single call into the syntax tree.
 */
const LINK_SHAPE = new RegExp(`${NAME}${GAP}\\.${GAP}${NAME}${GAP}(?::|=${GAP}${NAME}${GAP}(?:[;#\\r\\n]|$))`, "y");

/**
 * At `a.y = b`, look for an earlier `b.x = a` in the same function or module body. The visitor
 * runs on every assignment, so everything before the index lookup is a cheap shape check, the
 * first one on the text alone.
 */
function checkAttributeLink(assignment: Node, ctx: RuleContext): void {
  LINK_SHAPE.lastIndex = assignment.startIndex;
  if (!LINK_SHAPE.test(ctx.source)) return;
  const left = assignment.childForFieldName("left");
  if (!left || left.type !== "attribute") return;
  const right = assignment.childForFieldName("right");
  if (!right || right.type !== "identifier") return;
  const object = left.childForFieldName("object");
  const attribute = left.childForFieldName("attribute");
  if (!object || object.type !== "identifier" || !attribute) return;
  const owner = ctx.model.ownerScopeOf(assignment);
  if (owner.kind === "class") return;
  const facts = factsOf(ctx);
  const a = object.text;
  const b = right.text;
  if (a === b) {
    checkSelfReference(assignment, a, attribute.text, ctx, facts);
    return;
  }
  const partners = facts.links.get(`${owner.start}|${b}|${a}`);
  const key = `${owner.start}|${a}|${b}`;
  const seen = facts.links.get(key);
  if (seen) seen.push(assignment);
  else facts.links.set(key, [assignment]);
  if (!partners) return;
  for (let i = partners.length - 1; i >= 0; i--) {
    if (checkLinkPair(partners[i], assignment, ctx, facts)) return;
  }
}

/** `first` is `b.x = a`, `second` is `a.y = b`, in that order in `owner`. */
function checkLinkPair(first: Node, second: Node, ctx: RuleContext, facts: FileFacts): boolean {
  const [b, x] = linkParts(first);
  const [a, y] = linkParts(second);
  // Both must run: `first` sits in a block that also holds `second`, nothing rebinds in between.
  const block = first.parent?.parent;
  if (!block || block.startIndex > second.startIndex || block.endIndex < second.endIndex) return false;
  if (reboundBetween(a, first, second, ctx) || reboundBetween(b, first, second, ctx)) return false;
  const scope = ctx.model.scopeOf(second);
  const classA = ctx.facts.classes.instanceClass(a, scope);
  const classB = ctx.facts.classes.instanceClass(b, scope);
  const onSelf = ctx.facts.classes.selfClass(a, scope) !== null || ctx.facts.classes.selfClass(b, scope) !== null;
  if (!onSelf && !(classA && classB)) return false;
  if (PROTOCOL_ATTRIBUTE.test(x) || PROTOCOL_ATTRIBUTE.test(y)) return false;
  if (isManaged(x, classB, ctx, facts) || isManaged(y, classA, ctx, facts)) return false;
  if (reassignedLater(first, b, x) || reassignedLater(second, a, y)) return false;

  let reported = second;
  let holder = classA;
  let target = classB;
  let attr = y;
  let other = first;
  let fixable = x !== y;
  if (x !== y && !BACK_REFERENCE_NAME.test(y)) {
    if (BACK_REFERENCE_NAME.test(x)) {
      [reported, holder, target, attr, other] = [first, classB, classA, x, second];
    } else {
      fixable = false;
    }
  }
  if (facts.reported.has(reported.startIndex)) return true;
  facts.reported.add(reported.startIndex);
  const both = classA && classB && classA.node.equals(classB.node) ? `two \`${classA.name}\` instances` : "the two objects";
  const fix = fixable ? weakPropertyFix(ctx, facts, holder ?? uniqueHolderOf(attr, ctx, facts), attr, target) : null;
  const advice = fixable
    ? `store the back-reference \`${attr}\` as a \`weakref.ref\` (a property can keep the attribute's name)`
    : "make one direction a `weakref.ref` (no automatic fix: neither link is clearly the back-reference)";
  ctx.report({
    node: reported,
    message: `\`${snippet(reported)}\` and \`${snippet(other)}\` (line ${lineOf(other)}) link ${both} in both directions: they form a reference cycle, ${FREED_LATE}; ${advice}`,
    fix,
  });
  return true;
}

/** `self.me = self`, or `n.me = n` on an instance of a class defined in the file. */
function checkSelfReference(assignment: Node, name: string, attr: string, ctx: RuleContext, facts: FileFacts): void {
  const scope = ctx.model.scopeOf(assignment);
  const cls = ctx.facts.classes.instanceClass(name, scope);
  if (!cls || isManaged(attr, cls, ctx, facts) || facts.reported.has(assignment.startIndex)) return;
  if (reassignedLater(assignment, name, attr)) return;
  facts.reported.add(assignment.startIndex);
  ctx.report({
    node: assignment,
    message: `\`${snippet(assignment)}\` makes each \`${cls.name}\` instance reference itself: a cycle of one object, ${freedLate(true)}; store a \`weakref.ref\` instead (a property can keep the attribute's name), or use the instance directly`,
    fix: weakPropertyFix(ctx, facts, cls, attr, cls),
  });
}

function linkParts(assignment: Node): [string, string] {
  const left = assignment.childForFieldName("left");
  return [left?.childForFieldName("object")?.text ?? "", left?.childForFieldName("attribute")?.text ?? ""];
}

function reboundBetween(name: string, first: Node, second: Node, ctx: RuleContext): boolean {
  const bindings = ctx.model.lookup(name, ctx.model.scopeOf(second));
  return bindings.some((b) => b.statement.startIndex >= first.endIndex && b.statement.startIndex < second.startIndex);
}

// ---- parents and children ------------------------------------------------------------------

/**
 * Every shape the class visitor looks for hands the instance over as a value: assigned
 * (`x.parent = self`) or passed (`Child(self)`, `parent.children.append(self)`). Text tests on
 * the class and then on each method skip the native scan of most code (`return self` and
 * `self.attr` do not count). The class test also passes any method whose instance is not `self`.
 * Both run only on the methods `methodsWithLinkSites` picks, which is what keeps the class
 * visitor cheap: scanning a method is the costly part.
 */
const CLASS_MAY_LINK = /(?:[=,]|(?<!\bdef\s+\w+\s*)\()\s*self\s*(?:[),;#]|$)|\bdef\s+\w+\s*\(\s*(?!self\b)\w/m;
const INSTANCE_HANDED_OVER = new Map<string, RegExp>();

function handsInstanceOver(method: MethodInfo, source: string): boolean {
  const self = method.selfName ?? "";
  let pattern = INSTANCE_HANDED_OVER.get(self);
  if (!pattern) {
    pattern = new RegExp(`[=,(]\\s*${self}\\s*(?:[),;#]|$)`, "m");
    INSTANCE_HANDED_OVER.set(self, pattern);
  }
  const body = method.node.childForFieldName("body");
  return !!body && pattern.test(source.slice(body.startIndex, body.endIndex));
}

function checkClass(cls: Node, ctx: RuleContext): void {
  // The site search first: it rules out most classes (and methods) without touching the tree.
  const text = ctx.source.slice(cls.startIndex, cls.endIndex);
  const facts = factsOf(ctx);
  const candidates = methodsWithLinkSites(cls, text, ctx, facts);
  if (candidates.size === 0 || !CLASS_MAY_LINK.test(text)) return;
  const info = ctx.facts.classes.info(cls);
  for (const method of info.methods) {
    if (!method.selfName || !candidates.has(method.node.startIndex) || !handsInstanceOver(method, ctx.source)) continue;
    const scan = scanMethod(method, facts);
    const storages = [...scan.storages, ...helperStorages(info, scan, facts, scan.backLinks.length > 0)];
    checkChildBackLinks(info, method.selfName, scan, storages, ctx, facts);
    checkParentLinksKeptByParent(info, method.selfName, scan, ctx, facts);
    checkCreatedChildren(info, method, storages, ctx, facts);
  }
}

// ---- which methods can link at all, found mostly on the text -----------------------------------

/**
 * A def's header: its name and what starts its parameter list (a name, `#` when a comment hides
 * it, nothing for `*args` or `()`).
 */
const DEF_HEADERS = new RegExp(`\\bdef(?:\\s|\\\\)+([^\\s(\\\\]+)(?:\\s|\\\\)*\\((?:\\s|\\\\)*(${NAME}|#)?`, "g");

/** What a class body statement that defines a method (or is decorated) starts with. */
const DEF_START = /@|(?:async(?:\s|\\)+)?def[\s\\]/y;

/** The name of every def in a text (and of any `def x` in a string or a comment). */
const DEF_NAMES = new RegExp(`\\bdef(?:\\s|\\\\)+(${NAME})`, "g");

/** The name in an undecorated def's header. */
const DEF_NAME = /(?:async(?:\s|\\)+)?def(?:\s|\\)+([^\s(\\]+)/y;

/** Whether a class's text can hold a method named `__init__`. */
const INIT_HEADER = /\bdef(?:\s|\\)+__init__(?![\w\x80-\uffff])/;

/** A line break or the end of the text, where `$` matches in a multiline regex. */
function isLineEnd(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029 || Number.isNaN(c);
}

/** What `\\s` matches, line breaks aside. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 11 || (c > 0x7f && c !== 0x2028 && c !== 0x2029 && /\s/.test(String.fromCharCode(c)));
}

/** An ASCII letter, digit or `_`, or any other non-ASCII character than a space (see `NAME`). */
function isNameCode(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
  return c === c && !isSpace(c) && c !== 0x2028 && c !== 0x2029; // NaN (past the end) is no name
}

const EQUALS = 61;
const COMMA = 44;
const OPEN = 40;
const BACKSLASH = 92;
const HASH = 35;

/**
 * Each `self` in `source[from, to)` that stands as a whole value the way `handsInstanceOver`
 * looks for it (after `=`, `,` or `(`, before `)`, `,`, `;`, a comment or the end of the line),
 * also across comments and line continuations. `opener` is the offset of the `=`, `,` or `(`,
 * or -1 when a comment stands between (the caller then asks the syntax tree). A `(self` that
 * opens a def's parameters is left out: a parameter is never a site.
 */
function handOvers(source: string, from: number, to: number, self: string, visit: (offset: number, opener: number) => void): void {
  for (let i = source.indexOf(self, from); i !== -1 && i + self.length <= to; i = source.indexOf(self, i + 1)) {
    let j = i + self.length;
    let after = j < to ? source.charCodeAt(j) : NaN;
    if (after === 46 || isNameCode(after) || (i > from && isNameCode(source.charCodeAt(i - 1)))) continue; // `self.x`, `selfish`
    while (j < to && (isSpace(after) || (after === BACKSLASH && (source.charCodeAt(j + 1) === 10 || source.charCodeAt(j + 1) === 13)))) {
      after = ++j < to ? source.charCodeAt(j) : NaN;
    }
    if (!(after === 41 || after === COMMA || after === 59 || after === HASH || after === BACKSLASH || isLineEnd(after))) continue;
    const opener = openerBefore(source, from, i);
    if (opener === null) continue;
    if (opener >= 0 && source.charCodeAt(opener) === OPEN && opensParameters(source, opener)) continue;
    visit(i, opener);
  }
}

/**
 * The `=`, `,` or `(` that the separators before `offset` follow (spaces, line continuations,
 * comments running to the end of their line); -1 when one is found only past a comment (any `#`
 * of a line may start one, so several readings are possible); null when there is none.
 */
function openerBefore(source: string, from: number, offset: number): number | null {
  let k = offset - 1;
  let crossed = false;
  for (;;) {
    for (; k >= from; k--) {
      const c = source.charCodeAt(k);
      if (isLineEnd(c)) crossed = true;
      else if (!isSpace(c) && c !== BACKSLASH) break;
    }
    if (k < from) return null;
    const c = source.charCodeAt(k);
    const opener = c === EQUALS || c === COMMA || c === OPEN;
    if (!crossed || !lineHasHash(source, k)) return opener ? k : null;
    // The line may end in a comment: any of its `#` may start it.
    let lineStart = k;
    while (lineStart > from && !isLineEnd(source.charCodeAt(lineStart - 1))) lineStart--;
    let commentOnly = false;
    let found = opener;
    for (let h = source.indexOf("#", lineStart); h !== -1 && h <= k; h = source.indexOf("#", h + 1)) {
      let m = h - 1;
      while (m >= lineStart && (isSpace(source.charCodeAt(m)) || source.charCodeAt(m) === BACKSLASH)) m--;
      const before = m >= lineStart ? source.charCodeAt(m) : -1;
      if (before === -1) commentOnly = true;
      else if (before === EQUALS || before === COMMA || before === OPEN) found = true;
    }
    if (found) return -1;
    if (!commentOnly) return null;
    k = lineStart - 1;
  }
}

/** Whether the `(` at `open` starts the parameters of `def name(` on the same line. */
function opensParameters(source: string, open: number): boolean {
  const name = skipBack(source, open);
  if (name.crossedLine || !isNameCode(source.charCodeAt(name.at))) return false;
  const keyword = skipBack(source, nameStart(source, name.at));
  const k = keyword.at;
  return !keyword.crossedLine && k >= 2 && k < name.at && source.startsWith("def", k - 2) && !isNameCode(source.charCodeAt(k - 3));
}

/**
 * The offset of the last character before `offset` that is not a space or line continuation,
 * and whether a plain line break was crossed to get there (a comment may then sit in between).
 */
function skipBack(source: string, offset: number): { at: number; crossedLine: boolean } {
  let i = offset - 1;
  let crossedLine = false;
  for (; i >= 0; i--) {
    const c = source.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12) continue;
    if (c !== 10 && c !== 13) break;
    let j = i - 1;
    if (c === 10 && source.charCodeAt(j) === 13) j--;
    if (source.charCodeAt(j) === BACKSLASH) {
      i = j; // a line continuation: the loop steps over the backslash
    } else {
      crossedLine = true;
      i = j + 1;
    }
  }
  return { at: i, crossedLine };
}

/** The start of the run of name characters that ends at `end` (inclusive). */
function nameStart(source: string, end: number): number {
  let i = end;
  while (i >= 0 && isNameCode(source.charCodeAt(i))) i--;
  return i + 1;
}

/**
 * The starts of the methods of `cls` where the instance parameter is a value that one of the
 * class checks can use: the right side of `x.attr = self` or `p.items[k] = self`, an argument of
 * `p.items.append(self)` (or `add`, `insert`...), or an argument that a class of this file keeps
 * through its `__init__` (`Child(self)` where `Child.__init__` does `self.parent = parent`). Every
 * finding of the class checks starts at such a site in the method, so a method without one is not
 * scanned. (The one exception was a false alarm: a method storing a variable bound outside it, at
 * module level or in an enclosing function, to `Child(self)`, where that `self` is another object.)
 * Occurrences come from the text, their kind mostly from the text around them; the syntax tree is
 * asked only about the few left.
 */
function methodsWithLinkSites(cls: Node, text: string, ctx: RuleContext, facts: FileFacts): Set<number> {
  const found = new Set<number>();
  const source = ctx.source;
  // The statements of the class body, fetched once an occurrence needs its method.
  let statements: Node[] | null = null;
  let starts: number[] = [];
  const exact = new Map<number, MethodInfo | null>();
  const statementsOf = (): Node[] => {
    if (!statements) {
      statements = (cls.childForFieldName("body")?.namedChildren ?? []).filter((c): c is Node => c !== null);
      starts = statements.map((c) => c.startIndex);
    }
    return statements;
  };
  const methodAt = (i: number): MethodInfo | null => {
    let method = exact.get(i);
    if (method === undefined) {
      DEF_START.lastIndex = starts[i];
      method = DEF_START.test(source) ? ctx.facts.classes.methodOf(statementsOf()[i], cls) : null;
      exact.set(i, method);
    }
    return method;
  };
  let names = instanceNames(text);
  if (!names) {
    // A def header the text does not show plainly: ask each method.
    names = new Set();
    for (let i = 0; i < statementsOf().length; i++) {
      const self = methodAt(i)?.selfName;
      if (self) names.add(self);
    }
  }
  const done = new Set<number>();
  for (const self of names) {
    handOvers(source, cls.startIndex, cls.startIndex + text.length, self, (offset, opener) => {
      if (opener >= 0 && !mayBeLinkSite(offset, opener, ctx, facts)) return;
      // The statement of the class body holding the occurrence.
      statementsOf();
      const index = lastAtMost(starts, offset);
      if (index < 0 || done.has(index)) return;
      const method = methodAt(index);
      if (!method || method.selfName !== self || !isLinkSite(offset, self, ctx, facts)) return;
      done.add(index);
      found.add(method.node.startIndex);
    });
  }
  return found;
}

/**
 * Every name that starts the parameters of a def in the class's text (nested ones too, and any
 * `def` in a string): a superset of the instance parameter names of its methods. Null when a
 * header hides it (a comment before the first parameter, type parameters).
 */
function instanceNames(text: string): Set<string> | null {
  const names = new Set<string>();
  DEF_HEADERS.lastIndex = 0;
  for (let match = DEF_HEADERS.exec(text); match; match = DEF_HEADERS.exec(text)) {
    if (match[1].includes("[") || match[2] === "#") return null;
    if (match[2] && !CLASS_PARAMETER_NAMES.has(match[2])) names.add(match[2]);
  }
  return names;
}

/**
 * See `methodsWithLinkSites`: the text before the occurrence rules out most kinds that cannot
 * count (`x == self`, `ans = self`, `f(self)` or `f(key=self)` with `f` no class of this file that
 * keeps an `__init__` parameter, `a.method(self)`, `(self, other)`), and true leaves the decision
 * to the syntax tree. `opener` is the offset of the `=`, `,` or `(` before the occurrence. Where a
 * comment or a string could hide the truth, the answer is true.
 */
function mayBeLinkSite(offset: number, opener: number, ctx: RuleContext, facts: FileFacts): boolean {
  const source = ctx.source;
  switch (source[opener]) {
    case "=": {
      // `x == self`, `x += self`, `(y := self)`: not an assignment of a value.
      if (/[=!<>+\-*/%&|^@:~]/.test(source[opener - 1] ?? "")) return false;
      const target = skipBack(source, opener);
      // `x[k] = self`, `(a.b) = self`...
      if (target.crossedLine || !isNameCode(source.charCodeAt(target.at))) return true;
      const name = nameStart(source, target.at);
      const previous = skipBack(source, name);
      const c = source[previous.at] ?? "";
      if (previous.crossedLine) {
        if (lineHasHash(source, previous.at)) return true;
      } else if (c === "." || c === ":") {
        return true; // `x.attr = self`, `x.attr: T = self`
      }
      // `f(key=self)`; anything else binds a name (`ans = self`).
      return (c === "(" || c === ",") && enclosingCallMayKeep(source, name, true, offset, ctx, facts);
    }
    case "(":
      return callMayKeep(source, opener, false, offset, ctx, facts);
    default:
      return enclosingCallMayKeep(source, opener, false, offset, ctx, facts);
  }
}

/** Whether the line holding `offset` has a `#`: a comment may end there. */
function lineHasHash(source: string, offset: number): boolean {
  for (let i = offset; i >= 0; i--) {
    const c = source.charCodeAt(i);
    if (c === HASH) return true;
    if (isLineEnd(c)) return false;
  }
  return false;
}

/**
 * `callMayKeep` for the call whose parentheses hold `offset` directly, found by walking back over
 * balanced brackets; true (ask the tree) past a quote, a comment or a few hundred characters.
 */
function enclosingCallMayKeep(source: string, offset: number, keyword: boolean, site: number, ctx: RuleContext, facts: FileFacts): boolean {
  let depth = 0;
  for (let k = offset - 1; k >= 0; k--) {
    const c = source[k];
    if (c === ")" || c === "]" || c === "}") depth++;
    else if (c === "(" || c === "[" || c === "{") {
      if (depth > 0) depth--;
      // In a list, a dict, a subscript: not an argument.
      else return c === "(" && callMayKeep(source, k, keyword, site, ctx, facts);
    } else if (c === "'" || c === '"' || c === "#" || offset - k > 400) return true;
    else if ((c === "\n" || c === "\r") && lineHasHash(source, k - 1)) return true;
  }
  return false;
}

/**
 * Whether the `(` at `open` can start a call that keeps its argument: `x.items.append(` (not for
 * keyword arguments), `Child(` of a class of this file whose `__init__` keeps a parameter, or a
 * callee the text does not show (`f(x)(`, `Generic[T](`). False for `(` that opens a
 * parenthesized expression or a tuple, and for other names.
 */
function callMayKeep(source: string, open: number, keyword: boolean, site: number, ctx: RuleContext, facts: FileFacts): boolean {
  const callee = skipBack(source, open);
  const c = source[callee.at] ?? "";
  if (callee.crossedLine && lineHasHash(source, callee.at)) return true;
  if (c === ")" || c === "]") return true;
  if (!isNameCode(source.charCodeAt(callee.at))) return false;
  const start = nameStart(source, callee.at);
  const before = skipBack(source, start);
  if (before.crossedLine && lineHasHash(source, before.at)) return true;
  if (source[before.at] === ".") return !keyword && STORING_METHODS.has(source.slice(start, callee.at + 1));
  const cls = classNodeNamed(source.slice(start, callee.at + 1), ctx.model.scopeAt(site), ctx);
  return cls !== null && keptInitParameters(cls, ctx, facts).size > 0;
}

/** The syntax tree's word on an occurrence of the instance parameter. */
function isLinkSite(offset: number, self: string, ctx: RuleContext, facts: FileFacts): boolean {
  const id = ctx.model.root.descendantForIndex(offset, offset + self.length);
  if (!id || id.startIndex !== offset || id.type !== "identifier") return false;
  const parent = id.parent;
  if (!parent) return false;
  switch (parent.type) {
    case "assignment": {
      if (!parent.childForFieldName("right")?.equals(id)) return false;
      const left = parent.childForFieldName("left");
      const target = left?.type === "subscript" ? left.childForFieldName("value") : left;
      if (target?.type !== "attribute") return false;
      const base = target.childForFieldName("object");
      return base?.type === "identifier" && base.text !== self;
    }
    case "keyword_argument": {
      const call = parent.parent?.parent;
      return !!call && call.type === "call" && !!parent.childForFieldName("value")?.equals(id) && keepsCreator(call, self, ctx, facts);
    }
    case "argument_list": {
      const call = parent.parent;
      if (call?.type !== "call") return false;
      const fn = call.childForFieldName("function");
      if (fn?.type !== "attribute") return keepsCreator(call, self, ctx, facts);
      if (!STORING_METHODS.has(fn.childForFieldName("attribute")?.text ?? "")) return false;
      const receiver = fn.childForFieldName("object");
      const base = receiver?.type === "attribute" ? receiver.childForFieldName("object") : null;
      return base?.type === "identifier" && base.text !== self;
    }
    default:
      return false;
  }
}

/** `Child(..., self, ...)` where `Child.__init__` keeps the parameter that receives `self`. */
function keepsCreator(call: Node, self: string, ctx: RuleContext, facts: FileFacts): boolean {
  const fn = call.childForFieldName("function");
  const node = fn ? unparenthesize(fn) : null;
  if (node?.type !== "identifier") return false;
  const cls = classNodeNamed(node.text, ctx.model.scopeOf(call), ctx);
  if (!cls) return false;
  const kept = keptInitParameters(cls, ctx, facts);
  if (kept.size === 0) return false;
  const init = initMethodOf(cls, ctx, facts);
  const param = init ? parameterReceiving(call, init, self) : null;
  return param !== null && kept.has(param);
}

/** The class of this file that a name refers to in `scope`, as `classReference` finds it. */
function classNodeNamed(name: string, scope: Scope, ctx: RuleContext): Node | null {
  const bindings = ctx.model.lookup(name, scope);
  return bindings.length === 1 && bindings[0].kind === "class" ? bindings[0].statement : null;
}

/** The `__init__` parameters that `__init__` stores on the instance (`self.parent = parent`). */
function keptInitParameters(cls: Node, ctx: RuleContext, facts: FileFacts): ReadonlySet<string> {
  let kept = facts.keptByInit.get(cls.startIndex);
  if (!kept) {
    const init = initMethodOf(cls, ctx, facts);
    kept = init?.selfName ? new Set(scanMethod(init, facts).parentLinks.map((link) => link.param)) : EMPTY;
    facts.keptByInit.set(cls.startIndex, kept);
  }
  return kept;
}

const EMPTY: ReadonlySet<string> = new Set();

/** The first method of the class named `__init__`, as `classInfoOf(cls).methods` lists it. */
function initMethodOf(cls: Node, ctx: RuleContext, facts: FileFacts): MethodInfo | null {
  const cached = facts.inits.get(cls.startIndex);
  if (cached !== undefined) return cached;
  let init: MethodInfo | null = null;
  if (INIT_HEADER.test(ctx.source.slice(cls.startIndex, cls.endIndex))) {
    const source = ctx.source;
    for (const statement of cls.childForFieldName("body")?.namedChildren ?? []) {
      if (!statement) continue;
      DEF_START.lastIndex = statement.startIndex;
      if (!DEF_START.test(source)) continue;
      DEF_NAME.lastIndex = statement.startIndex;
      const name = DEF_NAME.exec(source)?.[1];
      if (name !== undefined && name !== "__init__" && !name.includes("[")) continue;
      const method = ctx.facts.classes.methodOf(statement, cls);
      if (method?.name === "__init__") {
        init = method;
        break;
      }
    }
  }
  facts.inits.set(cls.startIndex, init);
  return init;
}

/** `child.parent = self` while `self` keeps `child` in a container. */
function checkChildBackLinks(info: ClassInfo, self: string, scan: MethodScan, storages: Storage[], ctx: RuleContext, facts: FileFacts): void {
  for (const link of scan.backLinks) {
    if (facts.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr)) continue;
    const kept = storages.find((s) =>
      s.via !== "attribute" && s.value.type === "identifier" && s.value.text === link.holder && !isManaged(s.container, info, ctx, facts)
      && !storageDroppedLater(s, self));
    if (!kept || reassignedLater(link.node, link.holder, link.attr)) continue;
    const scope = ctx.model.scopeOf(link.node);
    const holder = ctx.facts.classes.instanceClass(link.holder, scope) ?? uniqueHolderOf(link.attr, ctx, facts);
    if (isManaged(link.attr, holder, ctx, facts)) continue;
    facts.reported.add(link.node.startIndex);
    ctx.report({
      node: link.node,
      message: `\`${snippet(link.node)}\` points \`${link.holder}\` back at the \`${info.name}\` that keeps it (\`${snippet(kept.site)}\`, line ${lineOf(kept.site)}${kept.via === "helper" ? ", a method that stores it" : ""}): the two reference each other, ${FREED_LATE}; store the back-reference \`${link.attr}\` as a \`weakref.ref\` (a property can keep the attribute's name)`,
      fix: weakPropertyFix(ctx, facts, holder, link.attr, info),
    });
  }
}

/** `self.parent = parent` with `parent.children.append(self)` in the same method. */
function checkParentLinksKeptByParent(info: ClassInfo, self: string, scan: MethodScan, ctx: RuleContext, facts: FileFacts): void {
  if (scan.parentLinks.length === 0 || scan.keptByParams.length === 0) return;
  for (const link of scan.parentLinks) {
    if (facts.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr) || isManaged(link.attr, info, ctx, facts)) continue;
    const declared = ctx.facts.classes.instanceClass(link.param, ctx.model.scopeOf(link.node));
    const kept = scan.keptByParams.find((k) => k.param === link.param && !isManaged(k.container, declared, ctx, facts)
      && !reassignedLater(k.site, k.param, k.container));
    if (!kept || reassignedLater(link.node, self, link.attr)) continue;
    // An unannotated parent: the one class of the file that keeps children in that container.
    const parentClass = declared ?? uniqueHolderOf(kept.container, ctx, facts);
    facts.reported.add(link.node.startIndex);
    ctx.report({
      node: link.node,
      message: parentLinkMessage(link.node, info, link.attr, kept.site, null),
      fix: weakPropertyFix(ctx, facts, info, link.attr, parentClass),
    });
  }
}

/** The parent side: `self.items.append(Item(self, ...))` where `Item.__init__` does `self.owner = owner`. */
function checkCreatedChildren(info: ClassInfo, method: MethodInfo, storages: Storage[], ctx: RuleContext, facts: FileFacts): void {
  const self = method.selfName;
  if (!self || storages.length === 0) return;
  for (const stored of storages) {
    let created: Node | null = unparenthesize(stored.value);
    if (created.type === "identifier") {
      const bindings = ctx.model.lookup(created.text, ctx.model.scopeOf(created));
      created = bindings.length === 1 && bindings[0].kind === "assignment" ? bindings[0].value : null;
    }
    if (created?.type !== "call") continue;
    const childClass = ctx.facts.classes.reference(created.childForFieldName("function"), ctx.model.scopeOf(created));
    const init = childClass?.methods.find((m) => m.name === "__init__");
    if (!childClass || !init?.selfName) continue;
    const param = parameterReceiving(created, init, self);
    if (!param || isManaged(stored.container, info, ctx, facts) || storageDroppedLater(stored, self)) continue;
    for (const link of scanMethod(init, facts).parentLinks) {
      if (link.param !== param || facts.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr)) continue;
      if (isManaged(link.attr, childClass, ctx, facts) || reassignedLater(link.node, init.selfName, link.attr)) continue;
      facts.reported.add(link.node.startIndex);
      // `self.partner = Partner(partner=self)`: one attribute holds both directions, so a weak
      // `partner` would let the created object die at once.
      const symmetric = childClass.node.equals(info.node) && stored.container === link.attr;
      ctx.report({
        node: link.node,
        message: parentLinkMessage(link.node, childClass, link.attr, stored.site, `${info.name}.${method.name}`, symmetric),
        fix: symmetric ? null : weakPropertyFix(ctx, facts, childClass, link.attr, info),
      });
    }
  }
}

function parentLinkMessage(node: Node, child: ClassInfo, attr: string, site: Node, where: string | null, symmetric = false): string {
  const place = where ? ` in \`${where}\`` : "";
  const advice = symmetric
    ? `make one direction a \`weakref.ref\` (no automatic fix: \`${attr}\` holds both directions, and a weak one would let the created object die)`
    : `store the back-reference \`${attr}\` as a \`weakref.ref\` (a property can keep the attribute's name)`;
  return `\`${snippet(node)}\` points each \`${child.name}\` back at a parent that keeps it (\`${snippet(site)}\`${place}, line ${lineOf(site)}): the two reference each other, ${FREED_LATE}; ${advice}`;
}

/**
 * Whether a statement that runs after `site` in the same function or module body assigns or
 * deletes `object.attr` (a later statement of an enclosing block, or the `finally` of a `try`
 * around it): the link is replaced before the function ends (`self._current = Child(self)` ...
 * `finally: self._current = previous`). A statement in another branch of an `if` does not count.
 */
function reassignedLater(site: Node, object: string, attr: string): boolean {
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

/** A parent's storage of a child that the same method undoes later (`self.current = None`). */
function storageDroppedLater(storage: Storage, self: string): boolean {
  return storage.via !== "helper" && reassignedLater(storage.site, self, storage.container);
}

/** Which `__init__` parameter receives the expression `self` in `Child(...)`. */
function parameterReceiving(call: Node, init: MethodInfo, self: string): string | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  let index = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    if (arg.type === "keyword_argument") {
      const value = arg.childForFieldName("value");
      const name = arg.childForFieldName("name")?.text;
      if (value?.type === "identifier" && value.text === self && name) {
        return init.parameters.some((p) => p.name === name) ? name : null;
      }
      continue;
    }
    if (arg.type === "identifier" && arg.text === self) {
      const parameter = init.parameters[index];
      return parameter?.positional ? parameter.name : null;
    }
    index++;
  }
  return null;
}

/**
 * What `self.helper(x)` stores: the helper's own stores of its parameters, mapped to the
 * arguments. Only a back-link (`x.parent = self`) or a created child (`self.helper(Child(self))`)
 * can make that matter, so other calls are not followed.
 */
function helperStorages(info: ClassInfo, scan: MethodScan, facts: FileFacts, hasBackLinks: boolean): Storage[] {
  const out: Storage[] = [];
  for (const call of scan.helperCalls) {
    if (!hasBackLinks && !call.args.some((a) => a.type === "call")) continue;
    const helper = info.methods.find((m) => m.name === call.name);
    if (!helper?.selfName) continue;
    for (const stored of scanMethod(helper, facts).storages) {
      if (stored.value.type !== "identifier") continue;
      const index = helper.parameters.findIndex((p) => p.name === stored.value.text && p.positional);
      const arg = index >= 0 ? call.args[index] : undefined;
      if (arg) out.push({ container: stored.container, value: arg, site: call.site, via: "helper" });
    }
  }
  return out;
}

/** One native search of a method for the assignments and calls that store or link objects. */
function scanMethod(method: MethodInfo, facts: FileFacts): MethodScan {
  const cached = facts.scans.get(method.node.startIndex);
  if (cached) return cached;
  const scan: MethodScan = { storages: [], backLinks: [], parentLinks: [], keptByParams: [], helperCalls: [] };
  facts.scans.set(method.node.startIndex, scan);
  const self = method.selfName;
  if (!self) return scan;
  const params = new Set(method.parameters.map((p) => p.name));
  const isSelf = (n: Node | null): boolean => n?.type === "identifier" && n.text === self;
  for (const node of method.node.descendantsOfType(["assignment", "call"])) {
    if (!node) continue;
    if (node.type === "call") {
      const fn = node.childForFieldName("function");
      if (fn?.type !== "attribute") continue;
      const receiver = fn.childForFieldName("object");
      const name = fn.childForFieldName("attribute")?.text ?? "";
      const args = positionalArguments(node);
      if (!receiver || !args) continue;
      const keptIndex = STORING_METHODS.get(name);
      if (keptIndex !== undefined && receiver.type === "attribute" && args.length === keptIndex + 1) {
        const base = receiver.childForFieldName("object");
        const container = receiver.childForFieldName("attribute")?.text;
        const value = args[keptIndex];
        if (base?.type !== "identifier" || !container) continue;
        if (base.text === self) scan.storages.push({ container, value, site: node, via: "container" });
        else if (params.has(base.text) && isSelf(value)) scan.keptByParams.push({ param: base.text, container, site: node });
      } else if (isSelf(receiver)) {
        scan.helperCalls.push({ name, args, site: node });
      }
      continue;
    }
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    if (!left || !right) continue;
    if (left.type === "attribute") {
      const base = left.childForFieldName("object");
      const attr = left.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !attr) continue;
      if (base.text === self) {
        if (right.type === "identifier" && params.has(right.text)) scan.parentLinks.push({ node, attr, param: right.text });
        scan.storages.push({ container: attr, value: right, site: node, via: "attribute" });
      } else if (isSelf(right)) {
        scan.backLinks.push({ node, holder: base.text, attr });
      }
    } else if (left.type === "subscript") {
      const target = left.childForFieldName("value");
      if (target?.type !== "attribute") continue;
      const base = target.childForFieldName("object");
      const container = target.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !container) continue;
      if (base.text === self) scan.storages.push({ container, value: right, site: node, via: "container" });
      else if (params.has(base.text) && isSelf(right)) scan.keptByParams.push({ param: base.text, container, site: node });
    }
  }
  return scan;
}

/** The positional arguments of a call; null when it unpacks arguments. */
function positionalArguments(call: Node): Node[] | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  const out: Node[] = [];
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment" || arg.type === "keyword_argument") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    out.push(arg);
  }
  return out;
}

/**
 * When the object holding a back-reference has no known class (`child` is an unannotated
 * parameter), the holder is the one class of this file that uses `self.<attr>`, if there is one.
 */
function uniqueHolderOf(attr: string, ctx: RuleContext, facts: FileFacts): ClassInfo | null {
  let found: ClassInfo | null = null;
  const source = ctx.source;
  for (const scope of classScopes(ctx.model.module)) {
    // A class whose text never spells the name neither defines nor uses it.
    if (!source.slice(scope.start, scope.end).includes(attr)) continue;
    const info = ctx.facts.classes.info(scope.node);
    const uses = info.accessors.has(attr) || info.methods.some((m) => m.selfName !== null
      && source.slice(m.node.startIndex, m.node.endIndex).includes(attr)
      && m.node.descendantsOfType("attribute").some((n) =>
        n?.childForFieldName("attribute")?.text === attr && n.childForFieldName("object")?.text === m.selfName));
    if (!uses) continue;
    if (found) return null;
    found = info;
  }
  return found;
}

/**
 * Whether `attr` on an object of class `holder` may not be a plain strong attribute, or not one
 * that keeps a cycle: something in the file assigns it a `weakref.*` object, a teardown method
 * of the file drops it, or the class (or a base defined here) makes it a property or descriptor.
 * With no known holder, a property of that name in any class counts.
 */
function isManaged(attr: string, holder: ClassInfo | null, ctx: RuleContext, facts: FileFacts): boolean {
  const names = nameFacts(ctx, facts);
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
function nameFacts(ctx: RuleContext, facts: FileFacts): NameFacts {
  if (facts.names) return facts.names;
  let weak: Set<string> | null = null;
  const literal = new Map<string, boolean>();
  let accessors: Set<string> | null = null;
  let released: Set<string> | null = null;
  facts.names = {
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
  return facts.names;
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
      if ((i > 0 && isNameCode(source.charCodeAt(i - 1))) || isNameCode(source.charCodeAt(i + name.length))) continue;
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
    if (isNameCode(source.charCodeAt(offset + attr.length))) continue;
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
  // Every def spells its name in the text: find the teardown ones there, then their nodes.
  DEF_NAMES.lastIndex = 0;
  for (let match = DEF_NAMES.exec(source); match; match = DEF_NAMES.exec(source)) {
    if (!isTeardownName(match[1])) continue;
    const keyword = ctx.model.root.descendantForIndex(match.index, match.index + 3);
    const fn = keyword?.parent;
    if (!keyword || keyword.startIndex !== match.index || keyword.type !== "def" || fn?.type !== "function_definition") continue;
    if (fn.childForFieldName("name")?.text !== match[1]) continue;
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

const LITERAL_TYPES: ReadonlySet<string> = new Set([
  "string", "concatenated_string", "integer", "float", "true", "false", "list", "tuple", "dictionary", "set",
  "list_comprehension", "dictionary_comprehension", "set_comprehension", "binary_operator",
]);

// ---- the fix: a weakref.ref behind a property with the attribute's name -------------------------

function weakPropertyFix(ctx: RuleContext, facts: FileFacts, holder: ClassInfo | null, attr: string, target: ClassInfo | null): Fix | null {
  if (!holder || attr.startsWith("__")) return null;
  if (!propertyCanReplace(holder, attr, ctx, facts)) return null;
  // `weakref.ref(value)` raises TypeError for instances without a `__weakref__` slot: the class
  // of what is stored must be known, and able to be weakly referenced.
  if (!target || !ctx.facts.classes.supportsWeakReferences(target)) return null;
  if (nameFacts(ctx, facts).literalAssigned(attr)) return null;
  facts.fixBlocked ??= WEAK_FIX_BLOCKERS.test(ctx.source);
  if (facts.fixBlocked) return null;
  const source = ctx.source;
  if (source.includes(`_${attr}_ref`) || new RegExp(`\\bdel\\b[^\\n]*\\.${attr}\\b`).test(source)) return null;
  const weakref = weakrefModule(ctx, facts);
  const property = propertyInsertion(holder, attr, weakref?.name ?? "", source);
  if (!weakref || !property) return null;
  return {
    description: `Store \`${attr}\` as a weakref.ref behind a \`${attr}\` property on \`${holder.name}\``,
    safety: "unsafe",
    edits: weakref.insert ? [weakref.insert, property] : [property],
  };
}

/** A property named `attr` on `holder` would be what every `x.attr` reads and writes. */
function propertyCanReplace(holder: ClassInfo, attr: string, ctx: RuleContext, facts: FileFacts, depth = 0): boolean {
  if (depth > 8 || holder.decorators.length > 0 || holder.slots || holder.unusualBases) return false;
  if (holder.members.has(attr) || holder.members.has(`_${attr}_ref`) || ATTRIBUTE_HOOKS.some((h) => holder.members.has(h))) return false;
  const scope = ctx.model.scopeOf(holder.node);
  return holder.bases.every((base) => {
    const qualified = ctx.model.qualifiedName(base, scope);
    if (qualified === "builtins.object" || qualified === "abc.ABC") return true;
    const local = ctx.facts.classes.reference(base, scope);
    return local !== null && propertyCanReplace(local, attr, ctx, facts, depth + 1);
  });
}

/** The name `weakref` is reachable under at module level, and the import to add when it is not. */
function weakrefModule(ctx: RuleContext, facts: FileFacts): { name: string; insert: TextEdit | null } | null {
  if (facts.weakrefModule !== undefined) return facts.weakrefModule;
  const module = ctx.model.module;
  let found: { name: string; insert: TextEdit | null } | null = null;
  for (const [name, bindings] of module.bindings) {
    if (bindings.every((b) => b.kind === "import" && b.qualifiedName === "weakref")) {
      found = { name, insert: null };
      if (name === "weakref") break;
    }
  }
  if (!found && !module.bindings.has("weakref") && !ctx.model.hasStarImport) {
    const insert = importInsertion(ctx);
    found = insert ? { name: "weakref", insert } : null;
  }
  facts.weakrefModule = found;
  return found;
}

/** `import weakref` after the module docstring and `from __future__` imports. */
function importInsertion(ctx: RuleContext): TextEdit | null {
  let after: number | null = null;
  let first: Node | null = null;
  let index = 0;
  for (const child of ctx.model.root.namedChildren) {
    if (!child || child.type === "comment") continue;
    const docstring = index === 0 && child.type === "expression_statement" && child.namedChildCount === 1 && child.namedChild(0)?.type === "string";
    index++;
    if (docstring || child.type === "future_import_statement") {
      after = child.endIndex;
      continue;
    }
    first = child;
    break;
  }
  const eol = "\n"; // (the engine writes the file's line ending)
  if (after !== null) return { start: after, end: after, newText: `${eol}import weakref` };
  if (!first || first.startPosition.column !== 0) return null;
  const imports = first.type === "import_statement" || first.type === "import_from_statement";
  return { start: first.startIndex, end: first.startIndex, newText: `import weakref${eol}${imports ? "" : eol + eol}` };
}

/** The property and its setter, appended to the class body with the body's indentation. */
function propertyInsertion(holder: ClassInfo, attr: string, weakref: string, source: string): TextEdit | null {
  const cls = holder.node;
  const body = cls.childForFieldName("body");
  if (!body || body.startPosition.row === cls.startPosition.row) return null;
  const indent = indentBefore(source, body.startIndex);
  const classIndent = indentBefore(source, cls.startIndex);
  if (!/^[ \t]+$/.test(indent) || !/^[ \t]*$/.test(classIndent) || !indent.startsWith(classIndent) || indent === classIndent) return null;
  const unit = indent.slice(classIndent.length);
  // Just before the line break of the line holding `offset` (any of `\n`, `\r\n`, `\r`).
  const endOfLine = (offset: number): number => {
    let end = nextLineStartOf(source, offset);
    if (source[end - 1] === "\n") end--;
    if (source[end - 1] === "\r") end--;
    return end;
  };
  let lineEnd = endOfLine(body.endIndex);
  if (!/^[ \t]*(#.*)?$/.test(source.slice(body.endIndex, lineEnd))) return null;
  // Comment lines right below the last statement stay with it.
  for (let next = nextLineStartOf(source, lineEnd); next < source.length && /^[ \t]*#/.test(source.slice(next, endOfLine(next))); next = nextLineStartOf(source, next)) {
    lineEnd = endOfLine(next);
  }
  const i = indent;
  const text = [
    "", "",
    `${i}@property`,
    `${i}def ${attr}(self):`,
    `${i}${unit}ref = self._${attr}_ref`,
    `${i}${unit}return ref() if ref is not None else None`,
    "",
    `${i}@${attr}.setter`,
    `${i}def ${attr}(self, value):`,
    `${i}${unit}self._${attr}_ref = ${weakref}.ref(value) if value is not None else None`,
  ].join("\n"); // (the engine writes the file's line ending)
  return { start: lineEnd, end: lineEnd, newText: text };
}

// ---- message helpers ---------------------------------------------------------------------------

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** The first line of a construct, shortened for a message. */
function snippet(node: Node): string {
  const firstLine = node.text.split("\n")[0].trim();
  return firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine;
}
