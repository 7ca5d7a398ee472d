/**
 * Position encodings: which one to speak, and the thin LSP-typed wrappers over the engine's
 * LineIndex, which alone converts offsets to lines and columns.
 */
import type { Position, Range } from "vscode-languageserver";
import type { LineIndex, PositionEncoding } from "../engine/index.js";

const SUPPORTED: readonly PositionEncoding[] = ["utf-16", "utf-8", "utf-32"];

/**
 * The first encoding in the client's order of preference that memhint speaks; UTF-16 when the
 * client offers none (LSP's default, which every client must support).
 */
export function negotiatePositionEncoding(offered: readonly string[] | undefined): PositionEncoding {
  for (const candidate of offered ?? []) {
    const found = SUPPORTED.find((e) => e === candidate);
    if (found) return found;
  }
  return "utf-16";
}

export function toPosition(lines: LineIndex, offset: number, encoding: PositionEncoding): Position {
  return lines.position(offset, encoding);
}

export function toRange(lines: LineIndex, start: number, end: number, encoding: PositionEncoding): Range {
  return { start: lines.position(start, encoding), end: lines.position(end, encoding) };
}

/** An LSP position to an offset; out-of-range lines and columns clamp, as the specification asks. */
export function toOffset(lines: LineIndex, position: Position, encoding: PositionEncoding): number {
  const line = Number.isFinite(position?.line) ? Math.trunc(position.line) : 0;
  const character = Number.isFinite(position?.character) ? Math.max(0, Math.trunc(position.character)) : 0;
  return lines.offset({ line, character }, encoding);
}

/** An LSP range to ordered offsets (a reversed range is taken as written the other way round). */
export function toOffsets(lines: LineIndex, range: Range, encoding: PositionEncoding): [number, number] {
  const a = toOffset(lines, range.start, encoding);
  const b = toOffset(lines, range.end, encoding);
  return a <= b ? [a, b] : [b, a];
}
