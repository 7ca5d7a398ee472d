/**
 * Suppression edits, as engine text edits (UTF-16 offsets): "ignore MHxxx on this line" adds the
 * code to the line's `# memhint: ignore[...]` (or ruff-style `# noqa: ...`) comment or appends
 * one; "ignore MHxxx in this file" extends or inserts `# memhint: ignore-file[...]` in the header
 * comments. The engine's suppressions.ts defines what these comments mean.
 */
import type { Node, Tree } from "web-tree-sitter";
import type { LineIndex, TextEdit } from "../engine/index.js";

const LINE_IGNORE = /#\s*memhint\s*:\s*ignore\b(?!-)(\s*\[([^\]\n]*)\])?/g;
const NOQA = /#\s*noqa\s*:\s*([A-Za-z0-9_]+(?:[ \t]*,[ \t]*[A-Za-z0-9_]+)*)/g;
const FILE_IGNORE = /#\s*memhint\s*:\s*ignore-file\b(\s*\[([^\]\n]*)\])?/g;
const ENCODING_DECLARATION = /^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+/;

function commentAt(tree: Tree, offset: number): Node | null {
  const node = tree.rootNode.descendantForIndex(offset, offset + 1);
  return node?.type === "comment" ? node : null;
}

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

/** Insert `code` into a bracketed code list whose inner text spans [innerStart, innerEnd). */
function extendList(text: string, innerStart: number, innerEnd: number, code: string): TextEdit | null {
  const inner = text.slice(innerStart, innerEnd);
  const codes = inner.split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase());
  if (codes.includes(code)) return null;
  const trimmedEnd = innerStart + inner.trimEnd().length;
  if (codes.length === 0) return { start: innerStart, end: innerEnd, newText: code };
  return { start: trimmedEnd, end: trimmedEnd, newText: `, ${code}` };
}

/** The edit that makes the diagnostic's own line ignore `code`; null when no line can take a comment. */
export function lineSuppressionEdit(tree: Tree, lines: LineIndex, code: string, start: number, end: number): TextEdit | null {
  const text = lines.text;
  const first = lines.lineOf(start);
  const last = lines.lineOf(Math.max(start, end - 1));
  for (const line of first === last ? [first] : [first, last]) {
    const lineStart = lines.lineStart(line);
    const lineEnd = lines.lineContentEnd(line);
    const lineText = text.slice(lineStart, lineEnd);
    LINE_IGNORE.lastIndex = 0;
    for (let m = LINE_IGNORE.exec(lineText); m; m = LINE_IGNORE.exec(lineText)) {
      const at = lineStart + m.index;
      if (!commentAt(tree, at)) continue;
      if (m[1] === undefined) return null; // a bare `# memhint: ignore` already ignores every code
      const innerStart = at + m[0].indexOf("[") + 1;
      return extendList(text, innerStart, innerStart + m[2].length, code);
    }
    NOQA.lastIndex = 0;
    for (let m = NOQA.exec(lineText); m; m = NOQA.exec(lineText)) {
      const at = lineStart + m.index;
      if (!commentAt(tree, at)) continue;
      const codes = m[1].split(/[\s,]+/).map((c) => c.toUpperCase());
      if (codes.includes(code)) return null;
      const insertAt = at + m[0].length;
      return { start: insertAt, end: insertAt, newText: `, ${code}` };
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
  FILE_IGNORE.lastIndex = 0;
  for (let m = FILE_IGNORE.exec(text); m && m.index < headerEnd; m = FILE_IGNORE.exec(text)) {
    if (!commentAt(tree, m.index)) continue;
    if (m[1] === undefined) return null;
    const innerStart = m.index + m[0].indexOf("[") + 1;
    return extendList(text, innerStart, innerStart + m[2].length, code);
  }
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
