/**
 * The one place where offsets become lines and columns. The engine works in UTF-16 code-unit
 * offsets (what web-tree-sitter reports for JavaScript strings); LSP clients want UTF-16, UTF-8
 * or UTF-32 columns; the CLI prints 1-based code-point columns. Line breaks are `\n`, `\r\n` and
 * a lone `\r`, as in Python.
 */
export type PositionEncoding = "utf-16" | "utf-8" | "utf-32";

export interface LineColumn {
  /** 0-based line. */
  line: number;
  /** 0-based column in the requested unit. */
  character: number;
}

export class LineIndex {
  /** UTF-16 offset where each line starts. */
  private readonly lineStarts: number[] = [0];

  /** `lineStarts`: already computed for `text` (see `edited`); otherwise they are scanned. */
  constructor(readonly text: string, lineStarts?: number[]) {
    if (lineStarts) {
      this.lineStarts = lineStarts;
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  /**
   * The index of `text`, which is this index's text with [start, end) replaced by `inserted`.
   * Lines before the edit are kept and lines after it shifted; only the edited lines are scanned,
   * so a keystroke costs O(lines) instead of O(characters) (the language server's case).
   */
  edited(start: number, end: number, inserted: string, text: string): LineIndex {
    const delta = inserted.length - (end - start);
    const insertedEnd = start + inserted.length;
    // From the line before the edit: a `\r` just before `start` may pair with an inserted `\n`.
    const firstLine = Math.max(0, this.lineOf(start) - 1);
    const starts = this.lineStarts.slice(0, firstLine + 1);
    for (let i = starts[firstLine]; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const breakAt = i;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      // A break after the inserted text, with an unchanged character before it, is the old one.
      if (breakAt > insertedEnd) {
        const old = this.lineStarts.indexOf(i + 1 - delta, firstLine);
        if (old >= 0) {
          for (let k = old; k < this.lineStarts.length; k++) starts.push(this.lineStarts[k] + delta);
          return new LineIndex(text, starts);
        }
      }
      starts.push(i + 1);
    }
    return new LineIndex(text, starts);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** The 0-based line containing `offset`. */
  lineOf(offset: number): number {
    return Math.max(0, lastAtMost(this.lineStarts, offset));
  }

  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line, this.lineStarts.length - 1))];
  }

  /** Offset just past the line's content (before its line break). */
  lineContentEnd(line: number): number {
    if (line + 1 >= this.lineStarts.length) return this.text.length;
    let end = this.lineStarts[line + 1];
    if (end > 0 && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > 0 && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** The text of a 0-based line, without its line break. */
  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineContentEnd(line));
  }

  /** Offset → 0-based line and column in `encoding` units. */
  position(offset: number, encoding: PositionEncoding = "utf-16"): LineColumn {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineOf(clamped);
    const start = this.lineStart(line);
    return { line, character: columnUnits(this.text, start, clamped, encoding) };
  }

  /**
   * 0-based line and column in `encoding` units → offset. Out-of-range lines and columns clamp
   * to the document's end and the line's end, as the LSP specification asks.
   */
  offset(position: LineColumn, encoding: PositionEncoding = "utf-16"): number {
    if (position.line < 0) return 0;
    if (position.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[position.line];
    const end = this.lineContentEnd(position.line);
    let units = 0;
    let i = start;
    while (i < end && units < position.character) {
      const c = this.text.charCodeAt(i);
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < end && isLowSurrogate(this.text.charCodeAt(i + 1));
      const width = encoding === "utf-16" ? (pair ? 2 : 1) : encoding === "utf-32" ? 1 : utf8Width(c, pair);
      if (units + width > position.character) break; // never split a character
      units += width;
      i += pair ? 2 : 1;
    }
    return i;
  }

  /**
   * tree-sitter's point for `offset`, as `Tree.edit` needs it: rows start after `\n` only (a lone
   * `\r` starts no row for tree-sitter), columns count UTF-16 code units.
   */
  treePoint(offset: number): { row: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    // The parser reads a lone `\r` as `\n` (unclosed.ts: maskedInput), so its rows are these lines.
    const row = this.lineOf(clamped);
    return { row, column: clamped - this.lineStarts[row] };
  }

  /** 1-based line and 1-based column in Unicode code points (the CLI's positions). */
  humanPosition(offset: number): { line: number; column: number } {
    const { line, character } = this.position(offset, "utf-32");
    return { line: line + 1, column: character + 1 };
  }
}

/** The last index of the increasing list `sorted` whose value is at most `x` (-1 when none). */
export function lastAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function utf8Width(c: number, pair: boolean): number {
  if (pair) return 4;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  return 3;
}

function columnUnits(text: string, from: number, to: number, encoding: PositionEncoding): number {
  if (encoding === "utf-16") return to - from;
  let units = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < to && isLowSurrogate(text.charCodeAt(i + 1));
    units += encoding === "utf-32" ? 1 : utf8Width(c, pair);
    if (pair) i++;
  }
  return units;
}

/**
 * Where the line holding `offset` starts, in `text` (after a `\n`, `\r\n` or lone `\r`): for
 * rules, which have the source but no LineIndex.
 */
export function lineStartOf(text: string, offset: number): number {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i + 1;
  }
  return 0;
}

/** Where the line before the one starting at `lineStart` starts (0 for the first line). */
export function previousLineStartOf(text: string, lineStart: number): number {
  let end = lineStart;
  if (text.charCodeAt(end - 1) === 10) end--;
  if (text.charCodeAt(end - 1) === 13) end--;
  return end === lineStart ? 0 : lineStartOf(text, end);
}

/** Where the line after the one holding `offset` starts (the end of `text` on the last line). */
export function nextLineStartOf(text: string, offset: number): number {
  for (let i = offset; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return i + 1;
    if (c === 13) return text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
  }
  return text.length;
}

/** The text between the start of the line and `offset`: a statement's indentation. */
export function indentBefore(text: string, offset: number): string {
  return text.slice(lineStartOf(text, offset), offset);
}
