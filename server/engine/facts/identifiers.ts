/**
 * Which characters make up a Python identifier: the one definition that the text scans of the
 * engine (unclosed.ts) and of the rules use, so that a name is read the same way everywhere.
 *
 * Python accepts `_`, ASCII letters and digits, and the non-ASCII characters of Unicode's
 * XID_Start (first character) and XID_Continue (the others): PEP 3131, checked on the text as
 * written (the NFKC normalisation comes after). JavaScript's `\p{XID_Start}` and
 * `\p{XID_Continue}` are those same properties (`\p{ID_Start}` and `\p{ID_Continue}` differ by a
 * few characters that NFKC would change, such as U+037A), taken from the Unicode version Node.js
 * ships, which is newer than Python's: Node 20's tables accept every character Python 3.11
 * (Unicode 14) does, and about 14,000 more that later Unicode versions assigned (and four that
 * Unicode 15.1, Python 3.13's, made continue identifiers: U+200C, U+200D, U+30FB, U+FF65). Code
 * that parses with the Python it targets never holds the others outside strings and comments.
 *
 * CPython's tokenizer first glues every non-ASCII character into a name and only then rejects
 * the ones outside XID_Continue, so for code that Python accepts, "any non-ASCII character" and
 * this definition read the same names; they differ only on code Python rejects.
 */

/** ASCII characters that can continue an identifier: letters, digits, `_`. */
const ASCII_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_PART[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 ? 1 : 0;
}

/** Regular expression sources (for the `u` flag): a character that can continue an identifier, and an identifier. */
export const IDENTIFIER_PART_PATTERN = "\\p{XID_Continue}";
export const IDENTIFIER_PATTERN = `[_\\p{XID_Start}]${IDENTIFIER_PART_PATTERN}*`;

const XID_START = /^\p{XID_Start}$/u;
const XID_CONTINUE = new RegExp(`^${IDENTIFIER_PART_PATTERN}$`, "u");

/** Whether the code point can start a Python identifier. */
export function isIdentifierStart(codePoint: number): boolean {
  if (codePoint < 128) return ASCII_PART[codePoint] === 1 && (codePoint < 48 || codePoint > 57);
  return XID_START.test(String.fromCodePoint(codePoint));
}

/**
 * Whether the code point can be part of a Python identifier (after its first character). Past
 * the end of a string `charCodeAt` gives NaN, which is no part.
 */
export function isIdentifierPart(codePoint: number): boolean {
  if (codePoint < 128) return ASCII_PART[codePoint] === 1;
  return codePoint === codePoint && XID_CONTINUE.test(String.fromCodePoint(codePoint));
}

/**
 * Whether the UTF-16 code unit at `at` is part of an identifier, reading a surrogate pair as the
 * character it encodes (a lone surrogate, or an offset outside the text, is no part).
 */
export function isIdentifierPartAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 128) return ASCII_PART[c] === 1;
  if (c >= 0xdc00 && c <= 0xdfff && at > 0) {
    // The second half of a pair: the character started one code unit earlier.
    const high = text.charCodeAt(at - 1);
    if (high >= 0xd800 && high <= 0xdbff) return isIdentifierPart(text.codePointAt(at - 1) ?? NaN);
  }
  return isIdentifierPart(text.codePointAt(at) ?? NaN);
}

/** The offset just after the run of identifier characters that starts at `at` (`at` when there is none), up to `limit`. */
export function identifierEnd(text: string, at: number, limit = text.length): number {
  let i = at;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (ASCII_PART[c] === 0) break;
      i++;
      continue;
    }
    const codePoint = text.codePointAt(i) ?? NaN;
    if (!isIdentifierPart(codePoint)) break;
    i += codePoint > 0xffff ? 2 : 1;
  }
  return i;
}
