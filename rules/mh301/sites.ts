/**
 * Which methods of a class can link at all. Every finding of the class checks starts where a
 * method hands its instance parameter (`self`) over as a value: the right side of
 * `x.attr = self` or `p.items[k] = self`, an argument of `p.items.append(self)` (or `add`,
 * `insert`...), or an argument that a class of this file keeps through its `__init__`
 * (`Child(self)` where `Child.__init__` does `self.parent = parent`). A method without such a
 * site is not scanned, which is what keeps the class visitor cheap: scanning a method is the
 * costly part. (The one finding this ruled out was a false alarm: a method storing a variable
 * bound outside it, at module level or in an enclosing function, to `Child(self)`, where that
 * `self` is another object.)
 *
 * The sites are found on the text first, in two steps that leave the syntax tree the last word
 * on the few occurrences left:
 *   1. a search of the class's text for the instance name (strings and comments included) keeps
 *      the occurrences that have a site's shape, blank space aside (`mayBeHandedOver`): it rules
 *      out `self.x`, `self[k]`, `return self`, `def f(self`, and `f(self)` when `f` is on the
 *      same line, nearly all of them;
 *   2. for those, the engine's scan (`findIdentifiers`), run from the start of the enclosing
 *      `def` (or class) where no string or bracket is open, tells whether the occurrence is code
 *      and gives the tokens around it, which rule out most of the rest (`mayBeLinkSite`):
 *      `x == self`, `ans = self`, `f(self)` for an `f` that is no class of this file keeping an
 *      `__init__` parameter, `a.method(self)`, `(self, other)`.
 */
import type { Node } from "web-tree-sitter";
import { identifierEnd, IDENTIFIER_PATTERN, isIdentifierPartAt } from "../../server/engine/facts/identifiers.js";
import type { MethodInfo } from "../../server/engine/facts/index.js";
import { unparenthesize } from "../../server/engine/model.js";
import { lastAtMost } from "../../server/engine/positions.js";
import type { RuleContext } from "../../server/engine/types.js";
import { findIdentifiers, type IdentifierSite } from "../../server/engine/unclosed.js";
import type { FileState } from "./state.js";
import { classNodeNamed, DEF_START, initMethodOf, keptInitParameters, parameterReceiving, STORING_METHODS } from "./stores.js";

/** A first parameter with one of these names is a class, not an instance (metaclass methods, `classmethod(f)`). */
const CLASS_PARAMETER_NAMES: ReadonlySet<string> = new Set(["cls", "mcs", "mcls", "metacls"]);

/**
 * A def's header: its name and what starts its parameter list (a name, `#` when a comment hides
 * it, nothing for `*args` or `()`).
 */
const DEF_HEADERS = new RegExp(`\\bdef(?:\\s|\\\\)+([^\\s(\\\\]+)(?:\\s|\\\\)*\\((?:\\s|\\\\)*(${IDENTIFIER_PATTERN}|#)?`, "gu");

const EQUALS = 61;
const COMMA = 44;
const OPEN = 40;
const LF = 10;
const CR = 13;

/** The starts of the methods of `cls` that have a site (see the module comment). */
export function methodsWithLinkSites(cls: Node, ctx: RuleContext, state: FileState): Set<number> {
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
  let names = instanceNames(source.slice(cls.startIndex, cls.endIndex));
  if (!names) {
    // A def header the text does not show plainly: ask each method.
    names = new Set();
    for (let i = 0; i < statementsOf().length; i++) {
      const self = methodAt(i)?.selfName;
      if (self) names.add(self);
    }
  }
  const from = cls.startIndex;
  const to = cls.endIndex;
  const shaped: number[] = [];
  for (const name of names) {
    for (let i = source.indexOf(name, from); i !== -1 && i + name.length <= to; i = source.indexOf(name, i + 1)) {
      if (mayBeHandedOver(source, i, i + name.length, from, to, ctx, state)) shaped.push(i);
    }
  }
  if (shaped.length === 0) return found;
  if (names.size > 1) shaped.sort((a, b) => a - b);
  const done = new Set<number>();
  const visit = (site: IdentifierSite): void => {
    if (!mayBeLinkSite(site, to, ctx, state)) return;
    // The statement of the class body holding the occurrence.
    statementsOf();
    const index = lastAtMost(starts, site.start);
    if (index < 0 || done.has(index)) return;
    const method = methodAt(index);
    if (!method || method.selfName !== site.name || !isLinkSite(site.start, site.name, ctx, state)) return;
    done.add(index);
    found.add(method.node.startIndex);
  };
  const wanted = [...names];
  for (let k = 0; k < shaped.length;) {
    // Scan the innermost def (or the class) around the occurrence, up to its last shaped one.
    let scope = ctx.model.scopeAt(shaped[k]);
    while (scope.kind !== "function" && scope.kind !== "class" && scope.parent) scope = scope.parent;
    const start = Math.max(scope.start, from);
    const end = Math.min(scope.end, to);
    let last = k;
    while (last + 1 < shaped.length && shaped[last + 1] < end) last++;
    const stop = shaped[last];
    findIdentifiers(source, start, end, wanted, (site) => {
      visit(site);
      return site.start >= stop;
    });
    k = last + 1;
  }
  return found;
}

/**
 * Whether an occurrence of an instance name, at [start, end) in the class's text [from, to), may
 * be a site, from the text alone (strings and comments included): `)`, `,`, `;`, `#`, a
 * backslash, a line break or the class's end after it, blank space aside; before it `=`, `,` or
 * a line break (the scan tells), or a `(`. Every site has that shape, since comments, line
 * continuations and lines inside brackets start with `#`, `\` or a line break. After a `(` the
 * line shows what a call needs when the name before it and the token before that name are on
 * it: `def f(self` is a parameter, and `f(self)` is judged here as the scan would judge it.
 */
function mayBeHandedOver(source: string, start: number, end: number, from: number, to: number, ctx: RuleContext, state: FileState): boolean {
  let j = end;
  let c = j < to ? source.charCodeAt(j) : -1;
  while (isBlank(c)) c = ++j < to ? source.charCodeAt(j) : -1;
  if (c !== -1 && c !== 41 && c !== COMMA && c !== 59 && c !== 35 && c !== 92 && c !== LF && c !== CR) return false;
  const open = lastNonBlank(source, start, from);
  const p = open >= from ? source.charCodeAt(open) : -1;
  if (p === EQUALS || p === COMMA || p === LF || p === CR) return true;
  if (p !== OPEN) return false;
  const callee = lastNonBlank(source, open, from);
  if (callee < from || !isName(source, callee)) {
    // `)(self`, `](self` or a line break: the scan tells; `((self`, `= (self`: parentheses.
    const q = callee < from ? -1 : source.charCodeAt(callee);
    return q === 41 || q === 93 || q === LF || q === CR;
  }
  let name = callee;
  while (name > from && isIdentifierPartAt(source, name - 1)) name--;
  const before = lastNonBlank(source, name, from);
  const b = before < from ? -1 : source.charCodeAt(before);
  if (b === -1 || b === LF || b === CR) return true;
  if (b === 102 && source.startsWith("def", before - 2) && before - 2 >= from && !isIdentifierPartAt(source, before - 3)) return false;
  return callMayKeep(name, before, false, start, ctx, state);
}

/** The offset of the last character before `offset` that is not a space, tab or form feed (from - 1 if none). */
function lastNonBlank(source: string, offset: number, from: number): number {
  let k = offset - 1;
  while (k >= from && isBlank(source.charCodeAt(k))) k--;
  return k;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 12;
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

/** Whether a token is a name (or a keyword, or a number): it starts with an identifier character. */
function isName(source: string, token: number): boolean {
  return token >= 0 && isIdentifierPartAt(source, token);
}

/**
 * Whether the occurrence can be a site, from the tokens around it: it must stand as a whole
 * value, before `)`, `,`, `;` or the end of its line (of the class), and after `=`, `,` or `(`,
 * in a shape a site can have. True leaves the decision to the syntax tree.
 */
function mayBeLinkSite(site: IdentifierSite, end: number, ctx: RuleContext, state: FileState): boolean {
  const source = ctx.source;
  const next = site.after < end ? source.charCodeAt(site.after) : -1;
  if (next !== -1 && next !== 41 && next !== COMMA && next !== 59 && next !== 10 && next !== 13) return false;
  const [opener, target, beforeTarget] = site.before;
  switch (opener < 0 ? -1 : source.charCodeAt(opener)) {
    case EQUALS: {
      // `x == self`, `x += self`, `(y := self)`: not an assignment of a value.
      if (target === opener - 1 && /[=!<>+\-*/%&|^@:~]/.test(source[target])) return false;
      // `x[k] = self`, `(a.b) = self`...
      if (!isName(source, target)) return true;
      const c = beforeTarget < 0 ? "" : source[beforeTarget];
      if (c === "." || c === ":") return true; // `x.attr = self`, `x.attr: T = self`
      // `f(key=self)`; anything else binds a name (`ans = self`).
      return (c === "(" || c === ",") && enclosingCallMayKeep(site, true, ctx, state);
    }
    case OPEN:
      // The parameters of `def f(self`.
      if (isName(source, target) && source.startsWith("def", beforeTarget) && identifierEnd(source, beforeTarget) === beforeTarget + 3) return false;
      return callMayKeep(target, beforeTarget, false, site.start, ctx, state);
    case COMMA:
      return enclosingCallMayKeep(site, false, ctx, state);
    default:
      return false;
  }
}

/** `callMayKeep` for the call whose parentheses hold the occurrence directly (not a list, a dict or a subscript). */
function enclosingCallMayKeep(site: IdentifierSite, keyword: boolean, ctx: RuleContext, state: FileState): boolean {
  if (site.bracket < 0 || ctx.source.charCodeAt(site.bracket) !== OPEN) return false;
  return callMayKeep(site.beforeBracket[0], site.beforeBracket[1], keyword, site.start, ctx, state);
}

/**
 * Whether a `(` after the tokens `callee` and `beforeCallee` can start a call that keeps its
 * argument: `x.items.append(` (not for keyword arguments), `Child(` of a class of this file whose
 * `__init__` keeps a parameter, or a callee the text does not show (`f(x)(`, `Generic[T](`).
 * False for a `(` that opens a parenthesized expression or a tuple, and for other names.
 */
function callMayKeep(callee: number, beforeCallee: number, keyword: boolean, site: number, ctx: RuleContext, state: FileState): boolean {
  const source = ctx.source;
  if (callee < 0) return false;
  const c = source[callee];
  if (c === ")" || c === "]") return true;
  if (!isName(source, callee)) return false;
  const name = source.slice(callee, identifierEnd(source, callee));
  if (beforeCallee >= 0 && source[beforeCallee] === ".") return !keyword && STORING_METHODS.has(name);
  const cls = classNodeNamed(name, ctx.model.scopeAt(site), ctx);
  return cls !== null && keptInitParameters(cls, ctx, state).size > 0;
}

/** The syntax tree's word on an occurrence of the instance parameter. */
function isLinkSite(offset: number, self: string, ctx: RuleContext, state: FileState): boolean {
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
      return !!call && call.type === "call" && !!parent.childForFieldName("value")?.equals(id) && keepsCreator(call, self, ctx, state);
    }
    case "argument_list": {
      const call = parent.parent;
      if (call?.type !== "call") return false;
      const fn = call.childForFieldName("function");
      if (fn?.type !== "attribute") return keepsCreator(call, self, ctx, state);
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
function keepsCreator(call: Node, self: string, ctx: RuleContext, state: FileState): boolean {
  const fn = call.childForFieldName("function");
  const node = fn ? unparenthesize(fn) : null;
  if (node?.type !== "identifier") return false;
  const cls = classNodeNamed(node.text, ctx.model.scopeOf(call), ctx);
  if (!cls) return false;
  const kept = keptInitParameters(cls, ctx, state);
  if (kept.size === 0) return false;
  const init = initMethodOf(cls, ctx, state);
  const param = init ? parameterReceiving(call, init, self) : null;
  return param !== null && kept.has(param);
}
