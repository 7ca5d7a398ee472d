/**
 * Suppression edits, as engine text edits (UTF-16 offsets): "ignore MHxxx on this line" adds the
 * code to the line's `# memhint: ignore[...]` (or ruff-style `# noqa: ...`) comment or appends
 * one; "ignore MHxxx in this file" extends or inserts `# memhint: ignore-file[...]` in the header
 * comments. `memhint check --add-noqa` writes the same edits, as `# noqa: MHxxx`, for every finding.
 * The engine's suppressions.ts defines what these comments mean, and finds them.
 */
import type { Node, Tree } from "web-tree-sitter";
import type { LineIndex } from "./positions.js";
import type { Diagnostic, TextEdit } from "./types.js";
import { type SuppressionComment, suppressionComments } from "./suppressions.js";

const ENCODING_DECLARATION = /^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+/;

/** Whether a comment can be appended at the end of `line`: not inside a string, no `\` continuation. */
function lineAcceptsComment(tree: Tree, lines: LineIndex, line: number): boolean {
  const start = lines.lineStart(line);
  const end = lines.lineContentEnd(line);
  if (end <= start) return false;
  const text = lines.text;
  let last = end - 1;
  while (last > start && (text[last] === " " || text[last] === "\t")) last--;
  const node = tree.rootNode.descendantForIndex(last, last + 1);
  if (node?.type === "comment") return true;
  if (text[last] === "\\") return false;
  for (let n: Node | null = node; n; n = n.parent) {
    if ((n.type === "string" || n.type === "string_content") && n.endIndex > end) return false;
  }
  return true;
}

/** Insert `codes` into a bracketed code list (`[...]` of an ignore or ignore-file comment). */
function extendList(text: string, comment: SuppressionComment, codes: readonly string[]): TextEdit | null {
  const have = comment.codes ?? [];
  const missing = codes.filter((code) => !have.some((c) => c.code === code));
  if (missing.length === 0) return null;
  if (have.length === 0) return { start: comment.listStart, end: comment.listEnd, newText: missing.join(", ") };
  const trimmedEnd = comment.listStart + text.slice(comment.listStart, comment.listEnd).trimEnd().length;
  return { start: trimmedEnd, end: trimmedEnd, newText: `, ${missing.join(", ")}` };
}

/** Which style a new comment takes: the editor's `# memhint: ignore[...]`, or ruff's `# noqa: ...` (--add-noqa). */
export type SuppressionStyle = "memhint" | "noqa";

/**
 * The line a comment for the finding at [start, end) goes on: its first line, else its last
 * (a suppression covers only those); null when neither can take a comment (both end inside a
 * multi-line string or with a `\` continuation).
 */
export function suppressionLine(tree: Tree, lines: LineIndex, start: number, end: number): number | null {
  const first = lines.lineOf(start);
  const last = lines.lineOf(Math.max(start, end - 1));
  const comments = suppressionComments(lines.text, tree.rootNode);
  for (const line of first === last ? [first] : [first, last]) {
    if (commentOn(comments, lines, line, "ignore") || commentOn(comments, lines, line, "noqa") || lineAcceptsComment(tree, lines, line)) return line;
  }
  return null;
}

function commentOn(comments: readonly SuppressionComment[], lines: LineIndex, line: number, kind: SuppressionComment["kind"]): SuppressionComment | undefined {
  const lineStart = lines.lineStart(line);
  const lineEnd = lines.lineContentEnd(line);
  return comments.find((c) => c.kind === kind && c.start >= lineStart && c.start < lineEnd);
}

/** The edit that makes `line` ignore `codes`: extends its ignore or noqa comment, or appends one; null when nothing is missing. */
export function suppressCodesOnLine(
  tree: Tree, lines: LineIndex, line: number, codes: readonly string[], style: SuppressionStyle = "memhint",
  comments: readonly SuppressionComment[] = suppressionComments(lines.text, tree.rootNode),
): TextEdit | null {
  const text = lines.text;
  const ignore = commentOn(comments, lines, line, "ignore");
  if (ignore) {
    if (ignore.codes === null) return null; // a bare `# memhint: ignore` already ignores every code
    return extendList(text, ignore, codes);
  }
  const noqa = commentOn(comments, lines, line, "noqa");
  if (noqa) {
    if (noqa.codes === null) return null; // a bare `# noqa` already ignores every code
    const missing = codes.filter((code) => !noqa.codes?.some((c) => c.code === code));
    if (missing.length === 0) return null;
    return { start: noqa.listEnd, end: noqa.listEnd, newText: `, ${missing.join(", ")}` };
  }
  const lineStart = lines.lineStart(line);
  const lineEnd = lines.lineContentEnd(line);
  const lineText = text.slice(lineStart, lineEnd);
  const trailing = lineText.length - lineText.trimEnd().length;
  const comment = style === "noqa" ? `# noqa: ${codes.join(", ")}` : `# memhint: ignore[${codes.join(", ")}]`;
  return { start: lineEnd - trailing, end: lineEnd, newText: `  ${comment}` };
}

/** The edit that makes the diagnostic's own line ignore `code`; null when no line can take a comment. */
export function lineSuppressionEdit(tree: Tree, lines: LineIndex, code: string, start: number, end: number): TextEdit | null {
  const line = suppressionLine(tree, lines, start, end);
  return line === null ? null : suppressCodesOnLine(tree, lines, line, [code]);
}

/**
 * `--add-noqa`: one edit per line that suppresses every one of `diagnostics` (in `# noqa: ...`
 * style, or extending the comment already there), and the diagnostics no comment can suppress
 * (a line inside a multi-line string or ending in a `\` continuation: a comment after the
 * string's last line would not cover them, since a suppression covers a finding's first and last
 * lines only).
 */
export function addNoqaEdits(tree: Tree, lines: LineIndex, diagnostics: readonly Diagnostic[]): { edits: TextEdit[]; skipped: Diagnostic[] } {
  const byLine = new Map<number, string[]>();
  const skipped: Diagnostic[] = [];
  for (const d of diagnostics) {
    const line = suppressionLine(tree, lines, d.start, d.end);
    if (line === null) {
      skipped.push(d);
      continue;
    }
    const codes = byLine.get(line) ?? [];
    if (!codes.includes(d.code)) codes.push(d.code);
    byLine.set(line, codes);
  }
  const comments = suppressionComments(lines.text, tree.rootNode);
  const edits: TextEdit[] = [];
  for (const [line, codes] of [...byLine].sort((a, b) => a[0] - b[0])) {
    const edit = suppressCodesOnLine(tree, lines, line, codes.sort(), "noqa", comments);
    if (edit) edits.push(edit);
  }
  return { edits, skipped };
}

/** The edit that makes the whole file ignore `code`; null when the file already ignores everything. */
export function fileSuppressionEdit(tree: Tree, lines: LineIndex, code: string): TextEdit | null {
  const text = lines.text;
  const root = tree.rootNode;
  let headerEnd = text.length;
  for (const child of root.namedChildren) {
    if (child && child.type !== "comment") {
      headerEnd = child.startIndex;
      break;
    }
  }
  const fileIgnore = suppressionComments(text, root).find((c) => c.kind === "ignore-file" && c.start < headerEnd);
  if (fileIgnore) return fileIgnore.codes === null ? null : extendList(text, fileIgnore, [code]);
  // After a shebang and an encoding declaration, which must stay on the first two lines.
  let line = 0;
  if (lines.lineText(0).startsWith("#!")) line = 1;
  for (let l = line; l < Math.min(2, lines.lineCount); l++) {
    if (ENCODING_DECLARATION.test(lines.lineText(l))) line = l + 1;
  }
  const eol = /\r\n|\r|\n/.exec(text)?.[0] ?? "\n";
  const comment = `# memhint: ignore-file[${code}]`;
  if (line >= lines.lineCount) {
    return { start: text.length, end: text.length, newText: `${eol}${comment}${eol}` };
  }
  const at = lines.lineStart(line);
  return { start: at, end: at, newText: `${comment}${eol}` };
}
