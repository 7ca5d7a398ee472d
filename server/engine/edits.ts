/**
 * Edits that fixes share: deleting whole statements, merging insertions. Offsets are UTF-16 code
 * units into the source, as everywhere in the engine.
 */
import type { Node } from "web-tree-sitter";
import { lineStartOf, nextLineStartOf, previousLineStartOf } from "./positions.js";
import type { TextEdit } from "./types.js";

/**
 * An edit deleting the whole lines of `statement` (trailing comment included), or null when the
 * statement shares a line with other code. With `absorbBlankLines`, a statement standing between
 * blank lines takes the blank lines above it along, so the gap around it does not double.
 */
export function deleteStatementLines(statement: Node, source: string, absorbBlankLines = false): TextEdit | null {
  let start = lineStartOf(source, statement.startIndex);
  if (source.slice(start, statement.startIndex).trim() !== "") return null;
  const end = nextLineStartOf(source, statement.endIndex);
  const tail = source.slice(statement.endIndex, end).trim();
  if (tail !== "" && !tail.startsWith("#")) return null;
  const nextLine = source.slice(end, nextLineStartOf(source, end));
  if (absorbBlankLines && end < source.length && nextLine.trim() === "") {
    while (start > 0) {
      const previous = previousLineStartOf(source, start);
      if (source.slice(previous, start).trim() !== "") break;
      start = previous;
    }
  }
  return { start, end, newText: "" };
}

/** Merge an insertion with an edit starting at the same offset: the fix engine needs disjoint edits. */
export function mergeEdits(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: TextEdit[] = [];
  for (const edit of sorted) {
    const last = out[out.length - 1];
    if (last && last.start === last.end && last.start === edit.start) {
      out[out.length - 1] = { start: last.start, end: edit.end, newText: last.newText + edit.newText };
    } else {
      out.push(edit);
    }
  }
  return out;
}

/**
 * Delete the one character at `offset` (a bracket a fix drops). When nothing but blank space is
 * left on its line, the whole line goes with it, so the fix leaves no whitespace-only line.
 */
export function deleteCharacter(source: string, offset: number): TextEdit {
  const start = lineStartOf(source, offset);
  const next = nextLineStartOf(source, offset);
  const rest = source.slice(start, offset) + source.slice(offset + 1, next);
  if (/^[ \t\f]*(\r\n|\r|\n)?$/.test(rest) && next > offset + 1) return { start, end: next, newText: "" };
  return { start: offset, end: offset + 1, newText: "" };
}
