/**
 * Turning a file's bytes into the string the engine lints, and back.
 *
 * Python source is UTF-8 unless a PEP 263 cookie (`# -*- coding: latin-1 -*-` on line 1 or 2)
 * says otherwise. memhint decodes:
 *   - UTF-8, with or without a BOM (the BOM is stripped for linting and written back by fixes);
 *   - any encoding the cookie names that Node's TextDecoder knows (latin-1, cp1252, shift_jis,
 *     koi8-r...): linted, but fixes are not written, since memhint only writes UTF-8;
 *     a file in such an encoding whose bytes are all ASCII is handled as UTF-8.
 * It refuses, with a reason: files containing NUL bytes (binary; CPython refuses them too),
 * invalid UTF-8, an unknown declared encoding, a BOM with a non-UTF-8 cookie.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface DecodedSource {
  /** The text to lint, without a BOM. */
  text: string;
  bom: boolean;
  /** null for UTF-8; otherwise the encoding the file declares. */
  foreignEncoding: string | null;
  /** For a file with a foreign encoding: every byte is ASCII (false for UTF-8 files: not needed). */
  ascii: boolean;
}

/**
 * Why fixed text cannot be written back, or null when it can: memhint writes UTF-8 only, which is
 * also right for a file in another ASCII-compatible encoding when both versions are pure ASCII.
 */
export function cannotWrite(source: DecodedSource, output: string): string | null {
  if (source.foreignEncoding === null) return null;
  if (source.ascii && /^[\x00-\x7f]*$/.test(output)) return null;
  return `the file is encoded in ${source.foreignEncoding} and memhint writes UTF-8 only`;
}

export class DecodeError extends Error {}

const UTF8_NAMES = new Set(["utf-8", "utf8", "u8", "utf", "cp65001", "utf-8-sig"]);
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const BLANK_OR_COMMENT = /^[ \t\f]*(?:[#\r\n]|$)/;

/** The encoding a PEP 263 cookie declares in the first two lines, or null. */
export function declaredEncoding(bytes: Uint8Array): { name: string; line: number } | null {
  // The cookie is ASCII; read the first two lines as latin-1 so any bytes decode.
  let end = 0;
  const lines: string[] = [];
  for (let line = 0; line < 2 && end < bytes.length; line++) {
    let i = end;
    while (i < bytes.length && bytes[i] !== 10 && bytes[i] !== 13) i++;
    lines.push(String.fromCharCode(...bytes.subarray(end, Math.min(i, end + 1000))));
    if (bytes[i] === 13 && bytes[i + 1] === 10) i++;
    end = i + 1;
  }
  if (lines.length > 0 && lines[0].startsWith("\u00ef\u00bb\u00bf")) lines[0] = lines[0].slice(3);
  for (let i = 0; i < lines.length; i++) {
    const match = COOKIE.exec(lines[i]);
    if (match) return { name: match[1], line: i + 1 };
    if (!BLANK_OR_COMMENT.test(lines[i])) return null; // line 2 counts only after a comment or blank line 1
  }
  return null;
}

function normalizeEncoding(name: string): string {
  return name.toLowerCase().replace(/_/g, "-");
}

/**
 * A strict decoder for a Python codec name, trying the spellings the WHATWG Encoding Standard
 * (Node's TextDecoder) knows: `latin-1` → `latin1`, `euc_jp` → `euc-jp`, `iso8859_15` → `iso-8859-15`.
 */
function decoderFor(name: string): TextDecoder | null {
  const n = name.toLowerCase();
  const candidates = [n, n.replace(/_/g, "-"), n.replace(/[-_]/g, ""), n.replace(/^iso[-_]?8859[-_]?(\d+)$/, "iso-8859-$1")];
  for (const label of candidates) {
    try {
      return new TextDecoder(label, { fatal: true });
    } catch {
      // not a label TextDecoder knows; try the next spelling
    }
  }
  return null;
}

function isUtf8Name(name: string): boolean {
  const n = normalizeEncoding(name);
  return UTF8_NAMES.has(n) || n.startsWith("utf-8-");
}

/** Byte offset of the first invalid UTF-8 sequence, or -1 when the bytes are valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; cp = b & 0x07; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function lineAndColumnOfByte(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10 || (bytes[i] === 13 && bytes[i + 1] !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, byte ${offset - lineStart + 1} of the line`;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

const hex = (b: number): string => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`;

/** Decode a Python file's bytes; throws DecodeError with the reason it cannot be linted. */
export function decodeSource(bytes: Uint8Array): DecodedSource {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DecodeError(`contains a NUL byte at ${lineAndColumnOfByte(bytes, nul)} (a binary file?)`);
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const cookie = declaredEncoding(bytes);
  const foreign = cookie !== null && !isUtf8Name(cookie.name);
  const ascii = foreign && isAscii(bytes);
  if (cookie && foreign) {
    if (bom) throw new DecodeError(`starts with a UTF-8 byte order mark but line ${cookie.line} declares the encoding "${cookie.name}"`);
    if (!ascii) {
      const decoder = decoderFor(cookie.name);
      if (!decoder) throw new DecodeError(`line ${cookie.line} declares the encoding "${cookie.name}", which memhint cannot decode`);
      try {
        return { text: decoder.decode(bytes), bom: false, foreignEncoding: cookie.name, ascii };
      } catch {
        throw new DecodeError(`not valid ${cookie.name} (the encoding declared on line ${cookie.line})`);
      }
    }
  }
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
    return { text, bom, foreignEncoding: foreign ? cookie.name : null, ascii };
  } catch {
    const at = firstInvalidUtf8(body) + (bom ? 3 : 0);
    throw new DecodeError(`not valid UTF-8: byte ${hex(bytes[at])} at ${lineAndColumnOfByte(bytes, at)}`);
  }
}

/** The bytes to write for fixed text, keeping the BOM the file had. */
export function encodeSource(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, "utf8");
  return bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}
