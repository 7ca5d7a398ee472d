/**
 * The `full` output format: each finding's concise line, then a code frame with the span
 * underlined and the fix, if any, as a help line (the layout of ruff's and rustc's diagnostics):
 *
 *     a.py:3:9: MH101 [*] `sum` reads the list once
 *       |
 *     3 |     x = sum([i for i in data])
 *       |             ^^^^^^^^^^^^^^^^^^ MH101
 *       |
 *       = help: pass a generator
 *
 * Columns on screen are not code points: a tab moves to the next multiple of 4 and a wide
 * (CJK, fullwidth) character takes two cells, so the source line is printed with its tabs
 * expanded and the carets are placed by cell. Control and bidirectional-override characters in
 * the source are printed as U+FFFD, so a source file cannot drive the terminal.
 */
import type { JsonDiagnostic } from "../output.js";

/** The source lines a finding's span covers (at most FRAME_LINES of them), for the code frame. */
export interface SourceFrame {
  /** 1-based number of the first line. */
  firstLine: number;
  lines: string[];
  /** The span goes on past the lines kept. */
  truncated: boolean;
}

export const FRAME_LINES = 4;
const TAB_STOP = 4;

const UNSAFE_IN_FRAME = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200d\ufe00-\ufe0f]$/u;

/** East Asian Wide and Fullwidth characters (UAX #11), which terminals draw two cells wide. */
function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x231a && cp <= 0x231b) || (cp >= 0x2329 && cp <= 0x232a)
    || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf)
    || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) || (cp >= 0xa960 && cp <= 0xa97f)
    || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe10 && cp <= 0xfe19)
    || (cp >= 0xfe30 && cp <= 0xfe6f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6)
    || (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff)
    || (cp >= 0x20000 && cp <= 0x2fffd) || (cp >= 0x30000 && cp <= 0x3fffd);
}

/**
 * `line` as printed, and the screen cell where each code point starts (`cells[i]` for the i-th
 * code point; `cells[length]` is the width of the whole line).
 */
export function layoutLine(line: string): { text: string; cells: number[] } {
  let text = "";
  const cells: number[] = [];
  let cell = 0;
  for (const ch of line) {
    cells.push(cell);
    if (ch === "\t") {
      const width = TAB_STOP - (cell % TAB_STOP);
      text += " ".repeat(width);
      cell += width;
    } else if (UNSAFE_IN_FRAME.test(ch)) {
      text += "\ufffd";
      cell += 1;
    } else if (ZERO_WIDTH.test(ch)) {
      text += ch;
    } else {
      text += ch;
      cell += isWide(ch.codePointAt(0) as number) ? 2 : 1;
    }
  }
  cells.push(cell);
  return { text, cells };
}

export interface Palette {
  header(text: string): string;
  code(text: string): string;
  gutter(text: string): string;
  underline(text: string): string;
  help(text: string): string;
}

const sgr = (open: string) => (text: string): string => (text === "" ? "" : `\u001b[${open}m${text}\u001b[0m`);
export const COLOURS: Palette = { header: sgr("1"), code: sgr("1;31"), gutter: sgr("1;34"), underline: sgr("1;31"), help: sgr("1;36") };
const plain = (text: string): string => text;
export const NO_COLOURS: Palette = { header: plain, code: plain, gutter: plain, underline: plain, help: plain };

/** One finding in the full format, ending with a blank line. `display` is the printed path. */
export function renderFull(d: JsonDiagnostic, display: string, frame: SourceFrame, palette: Palette): string {
  const { start, end } = d.range;
  const marker = d.fix ? (d.fix.safety === "safe" ? "[*] " : "[!] ") : "";
  let out = `${palette.header(`${display}:${start.line}:${start.column}:`)} ${palette.code(d.code)} ${marker}${d.message}\n`;
  const lastNumber = frame.firstLine + frame.lines.length - 1 + (frame.truncated ? 1 : 0);
  const width = String(lastNumber).length;
  const blank = `${" ".repeat(width)} ${palette.gutter("|")}`;
  out += `${blank}\n`;
  frame.lines.forEach((raw, i) => {
    const number = frame.firstLine + i;
    const { text, cells } = layoutLine(raw);
    const codePoints = cells.length - 1;
    const from = number === start.line ? Math.min(start.column - 1, codePoints) : 0;
    const to = number === end.line ? Math.min(end.column - 1, codePoints) : codePoints;
    out += `${palette.gutter(`${String(number).padStart(width)} |`)}${text === "" ? "" : ` ${text}`}\n`;
    const isLast = i === frame.lines.length - 1;
    const startCell = cells[from];
    // A zero-width span (an insertion point, the end of a file) still gets one caret.
    const carets = Math.max(cells[Math.max(to, from)] - startCell, number === start.line && number === end.line ? 1 : 0);
    if (carets > 0 || isLast) {
      const label = isLast && !frame.truncated ? ` ${d.code}` : "";
      out += `${blank} ${" ".repeat(startCell)}${palette.underline(`${"^".repeat(carets)}${label}`)}\n`;
    }
  });
  if (frame.truncated) out += `${palette.gutter(`${" ".repeat(width)} |`)} ...\n`;
  if (d.fix) {
    out += `${blank}\n`;
    const how = d.fix.safety === "safe" ? "" : " (unsafe: applied with --fix --unsafe-fixes)";
    out += `${" ".repeat(width)} ${palette.help("=")} ${palette.help("help:")} ${d.fix.description}${how}\n`;
  }
  return `${out}\n`;
}
