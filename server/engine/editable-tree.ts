/**
 * A document's tree, edited in place and reparsed incrementally as the document changes (the
 * language server's documents, and the tests and soak that replay typing the same way).
 *
 * The parser reads the text with its unclosed brackets masked (unclosed.ts). An edit can open or
 * close a bracket far from where it is made, so a reparse also tells tree-sitter about every
 * bracket whose masking changed, as a one-character edit, and reports those offsets: an
 * incremental lint must count them as edited too.
 */
import { Edit, type Range, type Tree } from "web-tree-sitter";
import type { PythonParser } from "./parser.js";
import type { LineIndex } from "./positions.js";
import { type ChangedSpan, mergeSpans } from "./incremental.js";
import { type BracketScan, maskedInput, rescanBrackets, scanBrackets } from "./unclosed.js";

export interface Reparse {
  tree: Tree;
  /** tree-sitter's changed ranges from the previous tree to this one. */
  changed: Range[];
  /** Offsets (in the new text) of brackets masked or unmasked by this reparse. */
  flipped: number[];
}

export class EditableTree {
  private current: Tree;
  /** The bracket scan of the text the tree was parsed from. */
  private scan: BracketScan;
  /** Its unclosed brackets, moved by the edits since. */
  private masked: number[];
  /** The edits since the last parse, merged. */
  private span: ChangedSpan | null = null;

  constructor(private readonly parser: PythonParser, text: string) {
    this.scan = scanBrackets(text);
    this.masked = this.scan.unclosed;
    this.current = parser.parseMasked(maskedInput(text, this.masked), null);
  }

  /** The tree of the last parse (stale while edits are pending). */
  get tree(): Tree {
    return this.current;
  }

  /** Whether edits were made since the last parse. */
  get pending(): boolean {
    return this.span !== null;
  }

  /** [start, end) of the old text (`before`) was replaced by `insertedLength` characters (`after`). */
  edit(start: number, end: number, insertedLength: number, before: LineIndex, after: LineIndex): void {
    const newEnd = start + insertedLength;
    this.current.edit(new Edit({
      startIndex: start,
      oldEndIndex: end,
      newEndIndex: newEnd,
      startPosition: before.treePoint(start),
      oldEndPosition: before.treePoint(end),
      newEndPosition: after.treePoint(newEnd),
    }));
    const delta = insertedLength - (end - start);
    const moved: number[] = [];
    // A masked bracket inside the replaced text is gone, and the edit covers its offset.
    for (const at of this.masked) if (at < start) moved.push(at);
    for (const at of this.masked) if (at >= end) moved.push(at + delta);
    this.masked = moved;
    this.span = mergeSpans(this.span, start, end, insertedLength);
  }

  /** Reparse `lines.text`, the text after every edit so far. The previous tree is freed. */
  reparse(lines: LineIndex): Reparse {
    const text = lines.text;
    const span = this.span;
    const scan = span ? rescanBrackets(this.scan, text, span.start, span.oldEnd, span.newEnd) : scanBrackets(text);
    const masked = scan.unclosed;
    const flipped = symmetricDifference(this.masked, masked);
    for (const at of flipped) {
      const point = lines.treePoint(at);
      const after = { row: point.row, column: point.column + 1 };
      this.current.edit(new Edit({
        startIndex: at, oldEndIndex: at + 1, newEndIndex: at + 1, startPosition: point, oldEndPosition: after, newEndPosition: after,
      }));
    }
    const old = this.current;
    const tree = this.parser.parseMasked(maskedInput(text, masked), old);
    const changed = tree.getChangedRanges(old);
    old.delete();
    this.current = tree;
    this.scan = scan;
    this.masked = masked;
    this.span = null;
    return { tree, changed, flipped };
  }

  delete(): void {
    this.current.delete();
  }
}

/** The offsets in exactly one of two increasing lists, in increasing order. */
function symmetricDifference(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      i++;
      j++;
    }
  }
  return out;
}
