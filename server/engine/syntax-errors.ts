/**
 * Syntax errors as findings (MH000 invalid-syntax). Code that does not parse cannot be fully
 * checked: findings inside a syntax error are skipped, so a CI run must not pass in silence.
 *
 * tree-sitter-python rejects a few things CPython 3.11's parser accepts (its grammar gaps):
 *   - `from __future__ import *` (CPython's compiler rejects it, but `ast.parse` accepts it);
 *   - a comment dedented below a decorator, between the decorator and its `def`;
 *   - a line inside brackets indented less than the block around it, after an operator or a dot
 *     (`(bar.\n baz)`), where the scanner sees the end of the block.
 * A file whose errors all come from those is valid Python: memhint then reports nothing for it
 * (findings inside the misread code are still skipped, in silence). To tell, the errors are
 * checked once more on a copy of the text with the gaps taken out (the star replaced by a name,
 * comments blanked, continuation lines indented deeper), which is parsed again; that costs a
 * parse, and only files that have errors and one of the gaps' shapes pay it.
 */
import { Parser, type Node } from "web-tree-sitter";
import { ruleDocs } from "./docs.js";
import type { RuleDocs } from "./types.js";
import { LineIndex } from "./positions.js";
import { maskedInput, scanBrackets, unclosedBrackets } from "./unclosed.js";

export const SYNTAX_ERROR_CODE = "MH000";
export const SYNTAX_ERROR_NAME = "invalid-syntax";
export const SYNTAX_ERROR_DOCS: RuleDocs = ruleDocs(new URL("./syntax-errors.md", import.meta.url));

/** Errors counted past the first (the count in its message stops here). */
const MAX_COUNTED = 100;

export interface SyntaxProblem {
  start: number;
  end: number;
  message: string;
}

/**
 * The syntax errors of a parsed file: empty when it has none, or when every one comes from a
 * grammar gap. Like CPython, memhint reports the first one only: the parser's recovery can misread
 * what follows a mistake, so later errors may be echoes of it. Its message counts the others.
 */
export function syntaxProblems(root: Node, source: string): SyntaxProblem[] {
  if (!root.hasError) return [];
  const problems = errorsOf(root, source);
  if (problems.length === 0 || onlyGrammarGaps(root, source)) return [];
  const [first] = problems;
  const more = problems.length - 1;
  if (more === 0) return [first];
  const count = more >= MAX_COUNTED ? `${MAX_COUNTED} or more` : String(more);
  return [{ ...first, message: `${first.message} (${count} more error${more === 1 ? "" : "s"} below may follow from it)` }];
}

/**
 * The outermost ERROR nodes and the MISSING tokens, as problems. An error that starts on the line
 * where the previous one ended, or the next, is the same mistake seen again by the parser's
 * recovery: it is left out.
 */
function errorsOf(root: Node, source: string): SyntaxProblem[] {
  const found: Node[] = [];
  // An explicit stack: deeply nested code (thousands of levels) would overflow a recursive walk.
  const stack: Node[] = [root];
  while (stack.length > 0 && found.length <= MAX_COUNTED) {
    const node = stack.pop() as Node;
    if (node.isError || node.isMissing) {
      found.push(node);
      continue;
    }
    if (!node.hasError) continue;
    // Children pushed last first, so that errors are found in document order.
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) stack.push(child);
    }
  }
  found.sort((a, b) => a.startIndex - b.startIndex);
  const lines = new LineIndex(source);
  const rowOf = (offset: number): number => lines.lineOf(offset);
  const out: SyntaxProblem[] = [];
  let lastRow = -2;
  for (const node of found) {
    const start = node.isMissing ? node.startIndex : firstTokenStart(node, source);
    const row = rowOf(start);
    if (row <= lastRow + 1) {
      lastRow = Math.max(lastRow, rowOf(node.endIndex));
      continue;
    }
    lastRow = rowOf(Math.max(start, node.endIndex));
    out.push(node.isMissing
      ? { start, end: start, message: `invalid syntax: \`${node.type}\` expected here` }
      : { start, end: Math.min(Math.max(node.endIndex, start + 1), lineEnd(source, start)), message: errorMessage(start, source) });
  }
  return out;
}

/** Where the first token inside an ERROR node starts (not the blank space it may begin with). */
function firstTokenStart(node: Node, source: string): number {
  let i = node.startIndex;
  while (i < node.endIndex && /\s/.test(source[i])) i++;
  return i < node.endIndex ? i : node.startIndex;
}

function lineEnd(source: string, offset: number): number {
  for (let i = offset; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return source.length;
}

function errorMessage(start: number, source: string): string {
  const text = source.slice(start, lineEnd(source, start)).trim();
  const shown = text.length > 40 ? `${text.slice(0, 39)}…` : text;
  return shown === ""
    ? "invalid syntax: memhint skips the findings in code it cannot parse"
    : `invalid syntax at \`${shown}\`: memhint skips the findings in code it cannot parse`;
}

const FUTURE_STAR = /^([ \t]*from[ \t]+__future__[ \t]+import[ \t]+)\*/gm;
/** A comment line right after a decorator line (before its `def`), indented less than it. */
const DECORATOR_COMMENT = /^([ \t]*)@[^\r\n]*(?:\r\n?|\n)(?:[ \t]*(?:#[^\r\n]*)?(?:\r\n?|\n))*?([ \t]*)#/gm;

/** Whether the text has the shape of a grammar gap, and a copy of it without the gaps parses cleanly. */
function onlyGrammarGaps(root: Node, source: string): boolean {
  let text = source;
  let changed = false;
  if (FUTURE_STAR.test(source)) {
    text = text.replace(FUTURE_STAR, "$1_");
    changed = true;
  }
  FUTURE_STAR.lastIndex = 0;
  if (hasDedentedDecoratorComment(source)) {
    // Comments never change what Python parses: blank them all.
    const comments = root.descendantsOfType("comment").filter((c): c is Node => !!c);
    let out = "";
    let cursor = 0;
    for (const c of comments) {
      out += text.slice(cursor, c.startIndex) + " ".repeat(c.endIndex - c.startIndex);
      cursor = c.endIndex;
    }
    text = out + text.slice(cursor);
    changed = true;
  }
  const deeper = indentContinuationLines(text);
  if (deeper !== null) {
    text = deeper;
    changed = true;
  }
  if (!changed) return false;
  const parser = new Parser();
  try {
    parser.setLanguage(root.tree.language);
    // Parsed as every file is (unclosed.ts): unclosed brackets masked, lone CRs read as line breaks.
    const tree = parser.parse(maskedInput(text, unclosedBrackets(text)));
    if (!tree) return false;
    const clean = !tree.rootNode.hasError;
    tree.delete();
    return clean;
  } finally {
    parser.delete();
  }
}

function hasDedentedDecoratorComment(source: string): boolean {
  DECORATOR_COMMENT.lastIndex = 0;
  for (let m = DECORATOR_COMMENT.exec(source); m; m = DECORATOR_COMMENT.exec(source)) {
    if (m[2].length < m[1].length) return true;
    DECORATOR_COMMENT.lastIndex = m.index + 1;
  }
  return false;
}

/** Spaces added in front of continuation lines: deeper than any block. */
const DEEPER = " ".repeat(64);

/**
 * The text with every continuation line (a line that starts inside brackets, a string or after a
 * backslash) indented deeper, when some continuation line is indented less than the line its
 * statement starts on; null when none is. Inside brackets indentation means nothing to Python,
 * so this changes no syntax; inside a string it changes only the string.
 */
function indentContinuationLines(text: string): string | null {
  const restarts = new Set(scanBrackets(text).restarts);
  const indentAt = (at: number): number => {
    let i = at;
    while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    return i - at;
  };
  const blankAt = (at: number): boolean => {
    const c = text.charCodeAt(at + indentAt(at));
    return Number.isNaN(c) || c === 10 || c === 13;
  };
  const continuations: number[] = [];
  let dedented = false;
  let statementIndent = 0;
  const lineStarts = [0, ...[...text.matchAll(/\r\n|\r|\n/g)].map((m) => m.index + m[0].length)];
  for (const at of lineStarts) {
    if (at >= text.length) continue;
    if (restarts.has(at)) {
      statementIndent = indentAt(at);
      continue;
    }
    continuations.push(at);
    if (!blankAt(at) && indentAt(at) < statementIndent) dedented = true;
  }
  if (!dedented) return null;
  let out = "";
  let cursor = 0;
  for (const at of continuations) {
    out += text.slice(cursor, at) + DEEPER;
    cursor = at;
  }
  return out + text.slice(cursor);
}
