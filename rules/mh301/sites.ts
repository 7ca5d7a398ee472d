/**
 * Which methods of a class can link at all: the places where the instance parameter (`self`) is
 * handed over as a value (`x.parent = self`, `p.items.append(self)`, `Child(self)`). The class
 * checks scan only the methods that have one, and find them mostly on the text.
 */
import type { Node } from "web-tree-sitter";
import type { MethodInfo } from "../../server/engine/facts/index.js";
import { unparenthesize } from "../../server/engine/model.js";
import { lastAtMost } from "../../server/engine/positions.js";
import type { RuleContext } from "../../server/engine/types.js";
import type { FileState } from "./state.js";
import { classNodeNamed, DEF_START, initMethodOf, keptInitParameters, parameterReceiving, STORING_METHODS } from "./stores.js";

/** A first parameter with one of these names is a class, not an instance (metaclass methods, `classmethod(f)`). */
const CLASS_PARAMETER_NAMES: ReadonlySet<string> = new Set(["cls", "mcs", "mcls", "metacls"]);

/**
 * A loose text pattern that a syntax check confirms: a run of name characters (any non-ASCII
 * character counts, so every Python identifier matches).
 */
export const NAME = "[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f]+";

/**
 * Every shape the class visitor looks for hands the instance over as a value: assigned
 * (`x.parent = self`) or passed (`Child(self)`, `parent.children.append(self)`). Text tests on
 * the class and then on each method skip the native scan of most code (`return self` and
 * `self.attr` do not count). The class test also passes any method whose instance is not `self`.
 * Both run only on the methods `methodsWithLinkSites` picks, which is what keeps the class
 * visitor cheap: scanning a method is the costly part.
 */
export const CLASS_MAY_LINK = /(?:[=,]|(?<!\bdef\s+\w+\s*)\()\s*self\s*(?:[),;#]|$)|\bdef\s+\w+\s*\(\s*(?!self\b)\w/m;
const INSTANCE_HANDED_OVER = new Map<string, RegExp>();

export function handsInstanceOver(method: MethodInfo, source: string): boolean {
  const self = method.selfName ?? "";
  let pattern = INSTANCE_HANDED_OVER.get(self);
  if (!pattern) {
    pattern = new RegExp(`[=,(]\\s*${self}\\s*(?:[),;#]|$)`, "m");
    INSTANCE_HANDED_OVER.set(self, pattern);
  }
  const body = method.node.childForFieldName("body");
  return !!body && pattern.test(source.slice(body.startIndex, body.endIndex));
}

/**
 * A def's header: its name and what starts its parameter list (a name, `#` when a comment hides
 * it, nothing for `*args` or `()`).
 */
const DEF_HEADERS = new RegExp(`\\bdef(?:\\s|\\\\)+([^\\s(\\\\]+)(?:\\s|\\\\)*\\((?:\\s|\\\\)*(${NAME}|#)?`, "g");

/** A line break or the end of the text, where `$` matches in a multiline regex. */
function isLineEnd(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029 || Number.isNaN(c);
}

/** What `\\s` matches, line breaks aside. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 11 || (c > 0x7f && c !== 0x2028 && c !== 0x2029 && /\s/.test(String.fromCharCode(c)));
}

/** An ASCII letter, digit or `_`, or any other non-ASCII character than a space (see `NAME`). */
export function isNameCode(c: number): boolean {
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
export function methodsWithLinkSites(cls: Node, text: string, ctx: RuleContext, state: FileState): Set<number> {
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
      if (opener >= 0 && !mayBeLinkSite(offset, opener, ctx, state)) return;
      // The statement of the class body holding the occurrence.
      statementsOf();
      const index = lastAtMost(starts, offset);
      if (index < 0 || done.has(index)) return;
      const method = methodAt(index);
      if (!method || method.selfName !== self || !isLinkSite(offset, self, ctx, state)) return;
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
function mayBeLinkSite(offset: number, opener: number, ctx: RuleContext, state: FileState): boolean {
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
      return (c === "(" || c === ",") && enclosingCallMayKeep(source, name, true, offset, ctx, state);
    }
    case "(":
      return callMayKeep(source, opener, false, offset, ctx, state);
    default:
      return enclosingCallMayKeep(source, opener, false, offset, ctx, state);
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
function enclosingCallMayKeep(source: string, offset: number, keyword: boolean, site: number, ctx: RuleContext, state: FileState): boolean {
  let depth = 0;
  for (let k = offset - 1; k >= 0; k--) {
    const c = source[k];
    if (c === ")" || c === "]" || c === "}") depth++;
    else if (c === "(" || c === "[" || c === "{") {
      if (depth > 0) depth--;
      // In a list, a dict, a subscript: not an argument.
      else return c === "(" && callMayKeep(source, k, keyword, site, ctx, state);
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
function callMayKeep(source: string, open: number, keyword: boolean, site: number, ctx: RuleContext, state: FileState): boolean {
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
