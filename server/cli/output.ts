/**
 * How `memhint check` prints findings. Positions are 1-based lines and 1-based columns counted in
 * Unicode code points (LineIndex.humanPosition); a range's end is the position just after its
 * last character, as in ruff's JSON.
 *
 * Concise: `path:line:col: CODE [*] message`, where `[*]` marks a finding `--fix` fixes and `[!]`
 * one that only `--fix --unsafe-fixes` fixes. The other formats (full, SARIF, GitHub, JUnit) are
 * in ./formats/ and build on the JSON form below.
 */
import type { Diagnostic, FixSafety, LineIndex } from "../engine/index.js";

export interface JsonPosition {
  line: number;
  column: number;
}

export interface JsonRange {
  start: JsonPosition;
  end: JsonPosition;
}

export interface JsonDiagnostic {
  code: string;
  name: string;
  severity: string;
  message: string;
  path: string;
  /** In a notebook: the 1-based cell (markdown cells count); `range` is then within the cell. */
  cell?: number;
  range: JsonRange;
  estimatedBytes: number | null;
  fix: null | {
    description: string;
    safety: string;
    edits: Array<{ range: JsonRange; newText: string }>;
  };
}

export function jsonRange(lines: LineIndex, start: number, end: number): JsonRange {
  return { start: lines.humanPosition(start), end: lines.humanPosition(end) };
}

export function toJson(d: Diagnostic, path: string, lines: LineIndex): JsonDiagnostic {
  return {
    code: d.code,
    name: d.name,
    severity: d.severity,
    message: d.message,
    path,
    range: jsonRange(lines, d.start, d.end),
    estimatedBytes: d.estimatedBytes,
    fix: d.fix
      ? {
          description: d.fix.description,
          safety: d.fix.safety,
          edits: d.fix.edits.map((e) => ({ range: jsonRange(lines, e.start, e.end), newText: e.newText })),
        }
      : null,
  };
}

/** Control characters (C0, DEL, C1), bidirectional overrides and isolates, line and paragraph separators. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * A path as printed in text output and on stderr. A name holding a line break, an escape
 * character or another control or bidirectional-override character could forge output lines or
 * reach the terminal raw; such a name is printed quoted, with C-style escapes, as git quotes
 * paths. Other names print as they are. (JSON output carries the real name.)
 */
export function quotePath(name: string): string {
  if (!UNPRINTABLE.test(name)) return name;
  let out = "";
  for (const ch of name) {
    const cp = ch.codePointAt(0) as number;
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (UNPRINTABLE.test(ch)) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return `"${out}"`;
}

export function fixMarker(d: Diagnostic): string {
  if (!d.fix) return "";
  return d.fix.safety === "safe" ? "[*] " : "[!] ";
}

export function textLine(d: Diagnostic, path: string, lines: LineIndex): string {
  const { line, column } = lines.humanPosition(d.start);
  return `${path}:${line}:${column}: ${d.code} ${fixMarker(d)}${d.message}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Findings per code, for `--statistics`. */
export class Statistics {
  private readonly byCode = new Map<string, { name: string; count: number; safe: number; unsafe: number }>();

  add(d: { code: string; name: string; safety: FixSafety | null }): void {
    let entry = this.byCode.get(d.code);
    if (!entry) this.byCode.set(d.code, (entry = { name: d.name, count: 0, safe: 0, unsafe: 0 }));
    entry.count++;
    if (d.safety === "safe") entry.safe++;
    else if (d.safety === "unsafe") entry.unsafe++;
  }

  /** Most frequent first, then by code. */
  rows(): Array<{ code: string; name: string; count: number; fixable: number; unsafeFixable: number }> {
    return [...this.byCode.entries()]
      .map(([code, e]) => ({ code, name: e.name, count: e.count, fixable: e.safe, unsafeFixable: e.unsafe }))
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }

  text(): string {
    const rows = this.rows();
    const width = Math.max(1, ...rows.map((r) => String(r.count).length));
    return rows
      .map((r) => {
        const marker = r.fixable > 0 ? "[*]" : r.unsafeFixable > 0 ? "[!]" : "   ";
        return `${String(r.count).padStart(width)}  ${r.code}  ${marker} ${r.name}\n`;
      })
      .join("");
  }
}

/** "(MH101 x2, MH202)" for the findings a file's fixes resolved. */
export function codeTally(diagnostics: readonly Diagnostic[]): string {
  const counts = new Map<string, number>();
  for (const d of diagnostics) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => (n === 1 ? code : `${code} x${n}`))
    .join(", ");
}
