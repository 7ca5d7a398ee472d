/**
 * Suppression edits, as engine text edits (UTF-16 offsets): "ignore MHxxx on this line" adds the
 * code to the line's `# memhint: ignore[...]` (or ruff-style `# noqa: ...`) comment or appends
 * one; "ignore MHxxx in this file" extends or inserts `# memhint: ignore-file[...]` in the header
 * comments. The engine's suppressions.ts defines what these comments mean, and finds them.
 */
import type { Node, Tree } from "web-tree-sitter";
import type { LineIndex, TextEdit } from "../engine/index.js";
import { type SuppressionComment, suppressionComments } from "../engine/suppressions.js";

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

/** Insert `code` into a bracketed code list (`[...]` of an ignore or ignore-file comment). */
function extendList(text: string, comment: SuppressionComment, code: string): TextEdit | null {
  const codes = comment.codes ?? [];
  if (codes.some((c) => c.code === code)) return null;
  if (codes.length === 0) return { start: comment.listStart, end: comment.listEnd, newText: code };
  const trimmedEnd = comment.listStart + text.slice(comment.listStart, comment.listEnd).trimEnd().length;
  return { start: trimmedEnd, end: trimmedEnd, newText: `, ${code}` };
}

/** The edit that makes the diagnostic's own line ignore `code`; null when no line can take a comment. */
export function lineSuppressionEdit(tree: Tree, lines: LineIndex, code: string, start: number, end: number): TextEdit | null {
  const text = lines.text;
  const first = lines.lineOf(start);
  const last = lines.lineOf(Math.max(start, end - 1));
  const comments = suppressionComments(text, tree.rootNode);
  for (const line of first === last ? [first] : [first, last]) {
    const lineStart = lines.lineStart(line);
    const lineEnd = lines.lineContentEnd(line);
    const lineText = text.slice(lineStart, lineEnd);
    const onLine = comments.filter((c) => c.start >= lineStart && c.start < lineEnd);
    const ignore = onLine.find((c) => c.kind === "ignore");
    if (ignore) {
      if (ignore.codes === null) return null; // a bare `# memhint: ignore` already ignores every code
      return extendList(text, ignore, code);
    }
    const noqa = onLine.find((c) => c.kind === "noqa");
    if (noqa) {
      if (noqa.codes === null) return null; // a bare `# noqa` already ignores every code
      if (noqa.codes.some((c) => c.code === code)) return null;
      return { start: noqa.listEnd, end: noqa.listEnd, newText: `, ${code}` };
    }
    if (!lineAcceptsComment(tree, lines, line)) continue;
    const trailing = lineText.length - lineText.trimEnd().length;
    return { start: lineEnd - trailing, end: lineEnd, newText: `  # memhint: ignore[${code}]` };
  }
  return null;
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
  if (fileIgnore) return fileIgnore.codes === null ? null : extendList(text, fileIgnore, code);
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
