/**
 * Brackets left open while code is typed, kept from spreading their syntax error.
 *
 * While a line such as `total = sum([x for x in` is being typed, its brackets are open, and in
 * Python a newline inside brackets does not end the statement. tree-sitter reads on, through the
 * following statements and often through the rest of the file, and recovers with an ERROR node
 * that swallows functions and classes. Every finding in them disappears until the bracket is
 * closed, and reparsing such a tree can take 50–100 ms on a large file.
 *
 * A statement keyword at the start of a line (`def`, `return`, `class`...) can never appear
 * inside brackets in valid Python. When one does, the brackets still open before it were left
 * unclosed, and the parser is given the text with each of them replaced by `?`, a character that
 * is no Python token. The error then stays on the lines of the unfinished statement, and the rest
 * of the file parses as it did. Offsets do not move (one UTF-16 code unit for another), and valid
 * Python is never changed: without such a keyword line there is nothing to replace.
 *
 * The scan knows Python's strings (prefixes, escapes, triple quotes, f-string replacement fields
 * with nested strings as Python 3.12 allows them) and comments, so brackets and keywords inside
 * them do not count. test/engine/unclosed.test.ts holds it to that on the standard library:
 * every file it would change is one CPython rejects.
 *
 * The same reading of the text serves checks that look at the text before asking the syntax tree
 * (`findIdentifiers`: where a name stands in code, and the tokens around it).
 */
import { identifierEnd, isIdentifierPart, isIdentifierPartAt } from "./facts/identifiers.js";
import { lastAtMost } from "./positions.js";

/** Replaces an unclosed bracket in the text given to the parser. */
const UNCLOSED_MASK = "?";

/**
 * Statement keywords that cannot appear inside brackets in valid Python. (Not `if`, `else`,
 * `for`, `async`, `from`, `not`, `lambda`...: those continue expressions.)
 */
const STATEMENT_KEYWORDS: ReadonlySet<string> = new Set([
  "assert", "break", "class", "continue", "def", "del", "elif", "except", "finally", "global", "import", "nonlocal",
  "pass", "raise", "return", "try", "while", "with",
]);

const SPACE = 32;
const TAB = 9;
const FORM_FEED = 12;
const LF = 10;
const CR = 13;
const HASH = 35;
const BACKSLASH = 92;
const CLOSER_OF: Record<number, number> = { 40: 41, 91: 93, 123: 125 };

/** The characters the scan stops at: line breaks, `#`, quotes, backslash and brackets. */
const STOP = new Uint8Array(128);
for (const c of "\n\r#\"'\\()[]{}") STOP[c.charCodeAt(0)] = 1;

/** The word of lower-case ASCII letters at `at`, if no identifier character follows it. */
function wordAt(text: string, at: number): string {
  let end = at;
  while (end < text.length && end - at <= 8) {
    const c = text.charCodeAt(end);
    if (c < 97 || c > 122) break;
    end++;
  }
  if (end === at || isIdentifierPartAt(text, end)) return "";
  return text.slice(at, end);
}

function skipBlanks(text: string, at: number): number {
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (c !== SPACE && c !== TAB && c !== FORM_FEED) break;
    at++;
  }
  return at;
}

/** Whether the line from `at` (after its indentation) starts with a statement that cannot be inside brackets. */
function startsStatement(text: string, at: number): boolean {
  const word = wordAt(text, at);
  if (STATEMENT_KEYWORDS.has(word)) return true;
  // `async def` and `async with` (but `async for` continues a comprehension).
  if (word === "async") {
    const next = wordAt(text, skipBlanks(text, at + 5));
    return next === "def" || next === "with";
  }
  return false;
}

/** Whether the quote at `at` opens an f-string (or a t-string): its prefix has an `f` (`t`). */
function isFormatted(text: string, at: number): boolean {
  let formatted = false;
  let i = at - 1;
  for (; i >= 0 && at - i <= 3; i--) {
    const c = text.charCodeAt(i) | 0x20; // lower case
    if (c === 0x66 || c === 0x74) formatted = true; // f, t
    else if (c !== 0x72 && c !== 0x62 && c !== 0x75) break; // r, b, u
  }
  // The prefix is a whole word, not the end of a name such as `elf`.
  return formatted && !(i >= 0 && isIdentifierPartAt(text, i));
}

/** After a backslash at `i` in a string: the offset of the character after the escaped one. */
function afterEscape(text: string, i: number): number {
  // An escaped character, or a line continuation (\r\n counts as one).
  return text.charCodeAt(i + 1) === CR && text.charCodeAt(i + 2) === LF ? i + 3 : i + 2;
}

/** The offset just after the string literal whose opening quote is at `at`. */
function skipString(text: string, at: number): number {
  const quote = text.charCodeAt(at);
  const triple = text.charCodeAt(at + 1) === quote && text.charCodeAt(at + 2) === quote;
  const formatted = isFormatted(text, at);
  const n = text.length;
  let i = at + (triple ? 3 : 1);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i = afterEscape(text, i);
    } else if (c === quote && (!triple || (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote))) {
      return i + (triple ? 3 : 1);
    } else if (!triple && (c === LF || c === CR)) {
      return i; // unterminated: the string ends with its line
    } else if (formatted && c === 123 && text.charCodeAt(i + 1) !== 123) {
      i = skipField(text, i + 1, triple);
    } else {
      i += formatted && c === 123 ? 2 : 1; // `{{` is a literal brace
    }
  }
  return n;
}

/**
 * The offset just after the replacement field of an f-string whose `{` is just before `at`: an
 * expression (which may hold strings with any quotes, as Python 3.12 allows), then perhaps a
 * format spec (literal text, fields nested in braces).
 */
function skipField(text: string, at: number, triple: boolean): number {
  const n = text.length;
  let depth = 0;
  let spec = false;
  let i = at;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!triple && (c === LF || c === CR)) return i;
    if (spec) {
      if (c === 123) i = skipField(text, i + 1, triple);
      else if (c === 125) return i + 1;
      else i++;
      continue;
    }
    if (c === 34 || c === 39) {
      i = skipString(text, i);
      continue;
    }
    if (c === HASH) {
      // A comment, in a field of a triple-quoted f-string (Python 3.12).
      while (i < n && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93) depth--;
    else if (c === 125) {
      if (depth === 0) return i + 1;
      depth--;
    } else if (c === 58 && depth === 0) spec = true; // `:` starts the format spec
    i++;
  }
  return n;
}

/**
 * Where the brackets left open before a statement keyword are, and where the scan can restart:
 * the line starts it reached with no bracket open (the scan from one depends on the text after
 * it only).
 */
export interface BracketScan {
  /** Offsets of the unclosed brackets, increasing (empty for valid Python). */
  readonly unclosed: number[];
  /** Line starts reached with no bracket open, increasing; 0 first. */
  readonly restarts: number[];
}

/**
 * Scan `text` from `from` (a restart point) and push to `scan`; stop early at the first restart
 * point `p` > `after` for which `converged(p)` says the rest is known. Returns the offset it
 * stopped at (text.length when it ran to the end).
 */
function scanFrom(text: string, from: number, scan: { unclosed: number[]; restarts: number[] }, after: number, converged: (at: number) => boolean): number {
  const open: number[] = [];
  const n = text.length;
  let i = from;
  scan.restarts.push(from);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || STOP[c] === 0) {
      i++;
      continue;
    }
    if (c === LF || c === CR) {
      i++;
      if (c === CR && text.charCodeAt(i) === LF) i++;
      if (open.length === 0) {
        if (i > after && i < n && converged(i)) return i;
        if (i < n) scan.restarts.push(i);
        continue;
      }
      i = skipBlanks(text, i);
      if (startsStatement(text, i)) {
        for (const at of open) scan.unclosed.push(at);
        open.length = 0;
      }
      continue;
    }
    switch (c) {
      case HASH:
        while (i < n && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
        continue;
      case 34: // "
      case 39: // '
        i = skipString(text, i);
        continue;
      case BACKSLASH: // a line continuation: the next line starts no statement
        i++;
        if (text.charCodeAt(i) === CR) i++;
        if (text.charCodeAt(i) === LF) i++;
        continue;
      case 40: // (
      case 91: // [
      case 123: // {
        open.push(i);
        break;
      case 41: // )
      case 93: // ]
      case 125: // }
        // A closer closes the nearest open bracket of its kind; one that matches none is ignored.
        for (let k = open.length - 1; k >= 0; k--) {
          if (CLOSER_OF[text.charCodeAt(open[k])] === c) {
            open.length = k;
            break;
          }
        }
        break;
    }
    i++;
  }
  return n;
}

/** Scan the whole text. */
export function scanBrackets(text: string): BracketScan {
  const scan = { unclosed: [] as number[], restarts: [] as number[] };
  scanFrom(text, 0, scan, Infinity, () => false);
  return scan;
}

/** The offsets of the brackets left open before a statement keyword, increasing. */
export function unclosedBrackets(text: string): number[] {
  return scanBrackets(text).unclosed;
}

/**
 * The scan of `text`, made from `old`, the scan of the text before [start, oldEnd) was replaced
 * by [start, newEnd): it restarts at the last restart point before the edit and stops where it
 * reaches a restart point of the old scan, past the edit; the rest is the old scan's, moved.
 */
export function rescanBrackets(old: BracketScan, text: string, start: number, oldEnd: number, newEnd: number): BracketScan {
  const delta = newEnd - oldEnd;
  // A restart point before the edit, not at its start: a line break that ends just before the
  // edit may not end there any more (a `\n` inserted after a `\r` joins it into one).
  const k = lastAtMost(old.restarts, start - 1);
  const from = k >= 0 ? old.restarts[k] : 0;
  const scan = {
    unclosed: old.unclosed.slice(0, lastAtMost(old.unclosed, from - 1) + 1),
    restarts: old.restarts.slice(0, Math.max(0, k)),
  };
  const converged = (at: number): boolean => {
    const j = lastAtMost(old.restarts, at - delta);
    return j >= 0 && old.restarts[j] === at - delta;
  };
  const stop = scanFrom(text, from, scan, newEnd, converged);
  if (stop < text.length) {
    for (let j = lastAtMost(old.unclosed, stop - delta - 1) + 1; j < old.unclosed.length; j++) scan.unclosed.push(old.unclosed[j] + delta);
    for (let j = lastAtMost(old.restarts, stop - delta - 1) + 1; j < old.restarts.length; j++) scan.restarts.push(old.restarts[j] + delta);
  }
  return scan;
}

// ---- identifiers in their surroundings, for checks that read the text before the tree ----------

/**
 * An occurrence of one of the names `findIdentifiers` looks for, with the significant tokens
 * around it. Tokens are Python's, except that each operator character is a token of its own
 * (`==` is two) and a number may be several (`1.5` is `1`, `.`, `5`). A string literal is one
 * token, which starts at its opening quote (its prefix belongs to it); a run of identifier
 * characters (a name or a keyword) is one. Blank space, comments and line continuations are not
 * significant, nor is a line break inside brackets; a line break that ends a logical line is a
 * token, at its offset.
 */
export interface IdentifierSite {
  readonly name: string;
  /** Where the identifier starts (it ends `name.length` later). */
  readonly start: number;
  /** Starts of the three significant tokens before it, nearest first; -1 before the scan's start. */
  readonly before: readonly [number, number, number];
  /** Start of the first significant token after it; the end of the scan when there is none. */
  readonly after: number;
  /** The innermost bracket open around it, or -1. */
  readonly bracket: number;
  /** Starts of the two significant tokens before that bracket, nearest first (-1: none). */
  readonly beforeBracket: readonly [number, number];
}

/** How `findIdentifiers` reads an ASCII character (anything else: a token of its own). */
const OTHER = 0;
const BLANK = 1;
const NAME = 2;
const QUOTE = 3;
const COMMENT = 4;
const CONTINUATION = 5;
const LINE_BREAK = 6;
const OPENER = 7;
const CLOSER = 8;
const KIND = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isIdentifierPart(c)) KIND[c] = NAME;
}
for (const [chars, kind] of [[" \t\f", BLANK], ["\"'", QUOTE], ["#", COMMENT], ["\\", CONTINUATION], ["\n\r", LINE_BREAK], ["([{", OPENER], [")]}", CLOSER]] as const) {
  for (const c of chars) KIND[c.charCodeAt(0)] = kind;
}

/** Whether text[start, end), just before a quote, is a string prefix (`r`, `b`, `f`, `rb`...). */
function isStringPrefix(text: string, start: number, end: number): boolean {
  if (end - start > 3) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20; // lower case
    if (c !== 0x72 && c !== 0x62 && c !== 0x75 && c !== 0x66 && c !== 0x74) return false; // r, b, u, f, t
  }
  return true;
}

/**
 * Visit each identifier in text[start, end) that is one of `names` and stands in code (not in a
 * string or a comment), with the significant tokens around it and the bracket it sits in, in
 * text order, until `visit` returns true. `start` must be where a statement starts (no string or bracket open there). Reads
 * strings, comments and brackets as `scanBrackets` does, including its reading of brackets left
 * open before a statement keyword, which the parser is told are errors: they are closed there.
 * Keywords are names here (`def` is found); names inside an f-string's replacement fields are
 * not (the string is one token).
 */
export function findIdentifiers(
  text: string, start: number, end: number, names: readonly string[], visit: (site: IdentifierSite) => boolean | void,
): void {
  // The last three significant tokens, nearest first.
  let t1 = -1;
  let t2 = -1;
  let t3 = -1;
  const open: number[] = [];
  /** For each open bracket, the two tokens before it. */
  const openBefore: number[] = [];
  /** The occurrence found last, until the token after it is known. */
  let pending: { -readonly [K in keyof IdentifierSite]: IdentifierSite[K] } | null = null;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    let kind = c < 128 ? KIND[c] : isIdentifierPartAt(text, i) ? NAME : OTHER;
    let token = i;
    let found: string | null = null;
    switch (kind) {
      case BLANK:
        i++;
        continue;
      case COMMENT:
        while (i < end && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
        continue;
      case LINE_BREAK:
        i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
        if (open.length > 0) {
          if (!startsStatement(text, skipBlanks(text, i))) continue;
          open.length = 0;
          openBefore.length = 0;
        }
        break;
      case CONTINUATION: {
        const next = text.charCodeAt(i + 1);
        if (next === LF || next === CR) {
          i += next === CR && text.charCodeAt(i + 2) === LF ? 3 : 2;
          continue;
        }
        i++;
        kind = OTHER;
        break;
      }
      case NAME: {
        const nameEnd = identifierEnd(text, i, end);
        const q = text.charCodeAt(nameEnd);
        if ((q === 34 || q === 39) && isStringPrefix(text, i, nameEnd)) {
          token = nameEnd;
          i = skipString(text, nameEnd);
          break;
        }
        for (const name of names) {
          if (name.length === nameEnd - i && text.startsWith(name, i)) found = name;
        }
        i = nameEnd;
        break;
      }
      case QUOTE:
        i = skipString(text, i);
        break;
      default:
        i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
    if (pending) {
      pending.after = token;
      if (visit(pending) === true) return;
      pending = null;
    }
    if (kind === OPENER) {
      open.push(token);
      openBefore.push(t1, t2);
    } else if (kind === CLOSER) {
      // A closer closes the nearest open bracket of its kind; one that matches none is ignored.
      for (let k = open.length - 1; k >= 0; k--) {
        if (CLOSER_OF[text.charCodeAt(open[k])] === c) {
          open.length = k;
          openBefore.length = 2 * k;
          break;
        }
      }
    }
    if (found !== null) {
      const depth = open.length;
      pending = {
        name: found,
        start: token,
        before: [t1, t2, t3],
        after: end,
        bracket: depth > 0 ? open[depth - 1] : -1,
        beforeBracket: depth > 0 ? [openBefore[2 * depth - 2], openBefore[2 * depth - 1]] : [-1, -1],
      };
    }
    t3 = t2;
    t2 = t1;
    t1 = token;
  }
  if (pending) visit(pending);
}

/** What tree-sitter reads: a string, or a function giving the text from an offset on. */
export type ParserInput = string | ((index: number) => string);

/**
 * `text` as the parser reads it: the characters at `offsets` (increasing) replaced by
 * UNCLOSED_MASK, and each lone `\r` by `\n`. Python reads a lone `\r` as a line break (old Mac
 * line endings), tree-sitter-python does not: without this such a file is one long line. Both
 * replace one code unit by one, so offsets do not move. Returns `text` itself when nothing is
 * replaced, else a reader of its pieces (no copy of a large text is made on every keystroke:
 * above 128 KiB that costs a millisecond).
 */
export function maskedInput(text: string, offsets: readonly number[]): ParserInput {
  const carriageReturns = text.includes("\r");
  if (offsets.length === 0 && !carriageReturns) return text;
  return (index: number): string => {
    const k = lastAtMost(offsets, index);
    if (k >= 0 && offsets[k] === index) return UNCLOSED_MASK;
    const next = k + 1 < offsets.length ? offsets[k + 1] : text.length;
    // (tree-sitter copies at most 10 KiB per read.)
    const end = Math.min(next, index + 4096);
    const piece = text.slice(index, end);
    return carriageReturns ? loneCarriageReturnsAsNewlines(piece, text.charCodeAt(end)) : piece;
  };
}

/** `piece` with each `\r` not followed by `\n` replaced by `\n`; `after` is the code unit after it. */
function loneCarriageReturnsAsNewlines(piece: string, after: number): string {
  if (!piece.includes("\r")) return piece;
  let out = piece.replace(/\r(?!\n)/g, "\n");
  // A `\r` ending the piece pairs with a `\n` that starts the next one.
  if (after === LF && out.endsWith("\n") && piece.endsWith("\r")) out = `${out.slice(0, -1)}\r`;
  return out;
}
