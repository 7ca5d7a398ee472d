/**
 * Jupyter notebooks (`.ipynb`, nbformat 4) as Python the engine can lint, and back.
 *
 * The code cells are joined into one virtual module, each followed by a line break of its own, so
 * a name bound in cell 1 is known in cell 3 (as when the notebook runs top to bottom). IPython
 * syntax that is not Python is masked, keeping every offset: a line magic (`%time f()`), a shell
 * escape (`!ls`), help (`?obj`, `obj?`) and the right-hand side of `x = !ls` / `x = %env` become
 * `pass` (or `0` as an expression) padded with spaces to the same length; a magic continued with
 * a backslash masks the next line too; so do automagics (`pip install numpy`). A cell magic whose
 * body is Python run in the notebook (`%%time`, `%%capture`) has its first line masked; a cell
 * with any other (`%%bash`, `%%sql`) is left out: its body may not be Python at all. Lines inside triple-quoted strings are never
 * masked (`%s` in a SQL string is not a magic).
 *
 * A virtual offset maps back to (cell, offset in the cell) exactly: masks have the original's
 * length in UTF-16 units, so only positions inside a mask differ, and no finding or fix is allowed
 * there. Writing back touches nothing but the `source` of the cells that changed, found by their
 * offsets in the file's own text; outputs, metadata, key order, indentation and the final line
 * break stay byte for byte, and `source` keeps its form (a list of lines or one string).
 *
 * Nothing here reads files or prints: the CLI (server/cli/notebook.ts) does.
 */
import type { TextEdit } from "./engine/index.js";

export class NotebookError extends Error {}

/** A notebook whose kernel is not Python: not an error, just nothing to lint. */
export class ForeignNotebookError extends NotebookError {}

/** A masked stretch of a cell: `[start, start + original.length)` in the cell's text. */
export interface Mask {
  start: number;
  original: string;
  replacement: string;
}

export interface CodeCell {
  /** 0-based index in the notebook's `cells` (markdown and raw cells count, as in Jupyter and VS Code). */
  index: number;
  /** The cell's source as one string. */
  text: string;
  /** The text with IPython syntax masked: what is linted. */
  masked: string;
  masks: Mask[];
  /** Where the `source` value sits in the notebook's text: [start, end) of its JSON. */
  sourceSpan: { start: number; end: number };
  /** `source` is a list of lines (nbformat's usual form), not one string. */
  sourceIsList: boolean;
  /** Left out of the virtual module: it starts with a cell magic. */
  skipped: boolean;
}

export interface Notebook {
  /** The notebook's text as read. */
  json: string;
  cells: CodeCell[];
}

/** The linted module and where each cell sits in it. */
export interface VirtualModule {
  text: string;
  /** The cells in it (not the skipped ones): index in `Notebook.cells`, start offset and length. */
  parts: Array<{ position: number; start: number; length: number }>;
}

/** The part of a notebook's JSON read here. */
interface NotebookJson {
  nbformat?: unknown;
  metadata?: { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } };
  cells?: unknown;
}

/** Whether a file name is a notebook's. */
export function isNotebookPath(name: string): boolean {
  return name.toLowerCase().endsWith(".ipynb");
}

/** Read a notebook's text; throws NotebookError (ForeignNotebookError for another language) with the reason. */
export function parseNotebook(json: string): Notebook {
  let doc: NotebookJson;
  try {
    doc = JSON.parse(json) as NotebookJson;
  } catch (error) {
    throw new NotebookError(`not a valid notebook: invalid JSON (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new NotebookError("not a valid notebook: the JSON is not an object");
  if (typeof doc.nbformat === "number" && doc.nbformat < 4) {
    throw new NotebookError(`nbformat ${doc.nbformat} notebooks are not supported (only nbformat 4); convert it with "jupyter nbconvert --to notebook"`);
  }
  if (!Array.isArray(doc.cells)) throw new NotebookError(`not a valid notebook: it has no "cells" list`);
  const language = languageOf(doc);
  if (language !== null && language.toLowerCase() !== "python") {
    throw new ForeignNotebookError(`its kernel's language is ${JSON.stringify(language)}, not Python`);
  }
  const spans = sourceSpans(json);
  const cells: CodeCell[] = [];
  doc.cells.forEach((cell: unknown, index: number) => {
    if (cell === null || typeof cell !== "object") throw new NotebookError(`not a valid notebook: cell ${index + 1} is not an object`);
    const c = cell as { cell_type?: unknown; source?: unknown };
    if (c.cell_type !== "code") return;
    const source = c.source;
    const isList = Array.isArray(source);
    if (!(typeof source === "string" || (isList && source.every((s) => typeof s === "string")))) {
      throw new NotebookError(`not a valid notebook: cell ${index + 1}'s "source" is not a string or a list of strings`);
    }
    const span = spans.get(index);
    if (!span) throw new NotebookError(`not a valid notebook: cannot locate cell ${index + 1}'s "source"`);
    const text = isList ? (source as string[]).join("") : (source as string);
    const { masked, masks, skipped } = maskIPython(text);
    cells.push({ index, text, masked, masks, sourceSpan: span, sourceIsList: isList, skipped });
  });
  return { json, cells };
}

function languageOf(doc: NotebookJson): string | null {
  const kernel = doc.metadata?.kernelspec?.language;
  if (typeof kernel === "string") return kernel;
  const info = doc.metadata?.language_info?.name;
  return typeof info === "string" ? info : null;
}

/** The virtual module of the cells that are linted, from their masked texts. */
export function virtualModule(cells: readonly CodeCell[], texts: readonly string[] = cells.map((c) => c.masked)): VirtualModule {
  let text = "";
  const parts: VirtualModule["parts"] = [];
  cells.forEach((cell, position) => {
    if (cell.skipped) return;
    parts.push({ position, start: text.length, length: texts[position].length });
    text += `${texts[position]}\n`;
  });
  return { text, parts };
}

/** The part holding virtual `offset` (the line break after a cell belongs to it), or null. */
export function partAt(module: VirtualModule, offset: number): VirtualModule["parts"][number] | null {
  let found = null;
  for (const part of module.parts) {
    if (part.start > offset) break;
    found = part;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Masking IPython syntax

/**
 * Cell magics whose body is Python run in the notebook's namespace: the magic's line is masked and
 * the body linted (as ruff does). Any other cell magic (`%%bash`, `%%sql`, `%%writefile`) skips the cell.
 */
const TRANSPARENT_CELL_MAGICS: ReadonlySet<string> = new Set(["time", "timeit", "capture", "prun", "debug"]);

/**
 * Automagics: IPython runs `pip install numpy` as `%pip install numpy` (with automagic on, the
 * default). A line that starts with one of these names followed by an argument is not Python.
 */
const AUTOMAGIC = /^(?:pip|conda|mamba|cd|pwd|ls|cat|mkdir|rmdir|rm|cp|mv|env|load_ext|reload_ext|matplotlib|pylab|run|who|whos|reset|store|alias|unalias|history|pdb|load|autoreload|bookmark|pushd|popd|dhist|sx|system|set_env)[ \t]+[-\w~./"'$]/;

const ASSIGNED_MAGIC = /^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)([!%].*)$/;

/** A same-length stand-in: a statement (`pass`) or an expression (`0`), padded with spaces. */
function stand(length: number, expression: boolean): string {
  const word = !expression && length >= 4 ? "pass" : "0";
  return word.padEnd(length, " ");
}

/** Whether a line (outside strings) is IPython syntax rather than Python, and what part. */
function ipythonPart(line: string): { from: number; expression: boolean } | null {
  const stripped = line.trimStart();
  const indent = line.length - stripped.length;
  if (stripped === "") return null;
  if (/^[%!?]/.test(stripped) || AUTOMAGIC.test(stripped)) return { from: indent, expression: false };
  // `obj?`, `obj.attr??`, `np.*load*?`: help. Only a name (with dots and wildcards) before the
  // `?`: a line such as `text = """Ready?` opens a string, and a `?` in a comment is a comment.
  if (/^[A-Za-z_*][\w.*]*\?{1,2}$/.test(stripped.trimEnd())) return { from: indent, expression: false };
  const assigned = ASSIGNED_MAGIC.exec(line);
  if (assigned && !assigned[1].includes("==")) return { from: assigned[1].length, expression: true };
  return null;
}

/** Mask the IPython syntax of a cell's text. */
export function maskIPython(text: string): { masked: string; masks: Mask[]; skipped: boolean } {
  const first = text.split("\n").find((l) => l.trim() !== "")?.trimStart();
  if (first !== undefined && first.startsWith("%%") && !TRANSPARENT_CELL_MAGICS.has(/^%%(\w*)/.exec(first)?.[1] ?? "")) {
    return { masked: text, masks: [], skipped: true };
  }
  const masks: Mask[] = [];
  let offset = 0;
  let state: LineState = { quote: null, depth: 0, continued: false };
  let magicContinued = false;
  for (const rawLine of text.split("\n")) {
    // A "\r" before the "\n" stays, so line ends are what they were.
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
    const atStatementStart = state.quote === null && state.depth === 0 && !state.continued;
    const part = magicContinued ? { from: line.length - line.trimStart().length, expression: false } : atStatementStart ? ipythonPart(line) : null;
    if (part !== null && part.from < line.length) {
      const original = line.slice(part.from);
      masks.push({ start: offset + part.from, original, replacement: stand(original.length, part.expression) });
      magicContinued = original.endsWith("\\");
    } else {
      magicContinued = false;
      state = stateAfter(line, state);
    }
    offset += rawLine.length + 1;
  }
  let masked = text;
  for (const m of [...masks].reverse()) masked = masked.slice(0, m.start) + m.replacement + masked.slice(m.start + m.original.length);
  return { masked, masks, skipped: false };
}

/** Where a line leaves Python's tokenizer: inside a triple-quoted string, brackets, or continued with a backslash. */
interface LineState {
  quote: string | null;
  depth: number;
  continued: boolean;
}

function stateAfter(line: string, before: LineState): LineState {
  let { quote, depth } = before;
  let i = 0;
  while (i < line.length) {
    if (quote !== null) {
      const close = line.indexOf(quote, i);
      if (close < 0) return { quote, depth, continued: false };
      // An escaped quote does not close the string.
      let slashes = 0;
      for (let k = close - 1; k >= i && line[k] === "\\"; k--) slashes++;
      i = close + (slashes % 2 === 1 ? 1 : 3);
      if (slashes % 2 === 0) quote = null;
      continue;
    }
    const ch = line[i];
    if (ch === "#") return { quote, depth, continued: false };
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
    else if (ch === '"' || ch === "'") {
      if (line.startsWith(ch.repeat(3), i)) {
        quote = ch.repeat(3);
        i += 3;
        continue;
      }
      // A one-line string: skip to its end.
      i++;
      while (i < line.length && line[i] !== ch) i += line[i] === "\\" ? 2 : 1;
    }
    i++;
  }
  return { quote, depth, continued: quote === null && line.endsWith("\\") };
}

/**
 * Whether an edit (in a cell's coordinates) touches a mask: it is not applied. An insertion right
 * before a cell magic (`%%time`) touches it too: the magic must stay the cell's first line.
 */
export function touchesMask(edit: TextEdit, masks: readonly Mask[]): boolean {
  return masks.some((m) => {
    const end = m.start + m.original.length;
    if (edit.start < end && edit.end > m.start) return true;
    if (edit.start !== edit.end) return false;
    return (edit.start > m.start && edit.start < end) || (edit.start === m.start && m.original.startsWith("%%"));
  });
}

/**
 * Apply edits in one cell's masked text; returns the new masked text and its masks moved along,
 * or null when an edit touches a mask.
 */
export function editCell(masked: string, masks: readonly Mask[], edits: readonly TextEdit[], apply: (text: string, edits: readonly TextEdit[]) => string): { masked: string; masks: Mask[] } | null {
  if (edits.some((e) => touchesMask(e, masks))) return null;
  const moved = masks.map((m) => {
    let shift = 0;
    for (const e of edits) if (e.end <= m.start) shift += e.newText.length - (e.end - e.start);
    return { ...m, start: m.start + shift };
  });
  return { masked: apply(masked, edits), masks: moved };
}

/** The cell's real text: its masked text with the masks undone. */
export function unmask(masked: string, masks: readonly Mask[]): string {
  let text = masked;
  for (const m of [...masks].sort((a, b) => b.start - a.start)) {
    if (text.slice(m.start, m.start + m.replacement.length) !== m.replacement) throw new NotebookError("a fix moved an IPython line it should not touch");
    text = text.slice(0, m.start) + m.original + text.slice(m.start + m.replacement.length);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Locating `cells[i].source` in the JSON text, and writing it back

/** Skip JSON whitespace from `i`. */
function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  return i;
}

/** The end of the JSON value starting at `i` (the text is known to be valid JSON). */
function skipValue(text: string, i: number): number {
  const ch = text[i];
  if (ch === '"') {
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    return i + 1;
  }
  if (ch === "{" || ch === "[") {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipValue(text, i);
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length && !/[\s,}\]]/.test(text[i])) i++;
  return i;
}

/** Visit the members of the object starting at `i`: key and value start; returns the object's end. */
function members(text: string, i: number, visit: (key: string, valueStart: number) => void): number {
  i = skipSpace(text, i + 1);
  while (text[i] !== "}") {
    const keyEnd = skipValue(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    visit(key, valueStart);
    i = skipSpace(text, skipValue(text, valueStart));
    if (text[i] === ",") i = skipSpace(text, i + 1);
  }
  return i + 1;
}

/** Where each cell's `source` value is in the text (a repeated key: the last, as JSON.parse reads it). */
function sourceSpans(text: string): Map<number, { start: number; end: number }> {
  const spans = new Map<number, { start: number; end: number }>();
  members(text, skipSpace(text, 0), (key, start) => {
    if (key !== "cells") return;
    spans.clear();
    let i = skipSpace(text, start + 1);
    let index = 0;
    while (text[i] !== "]") {
      const cellIndex = index;
      if (text[i] === "{") {
        members(text, i, (cellKey, valueStart) => {
          if (cellKey === "source") spans.set(cellIndex, { start: valueStart, end: skipValue(text, valueStart) });
        });
      }
      i = skipSpace(text, skipValue(text, i));
      if (text[i] === ",") i = skipSpace(text, i + 1);
      index++;
    }
  });
  return spans;
}

/** A string as the notebook writes them: with `\uXXXX` for non-ASCII when the file does so. */
function jsonString(value: string, ascii: boolean): string {
  const plain = JSON.stringify(value);
  return ascii ? plain.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : plain;
}

/** The lines of `text` as nbformat stores them: each with its "\n", the last without one when it has none. */
export function sourceLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

/**
 * The JSON of `source` for new text, in the form and layout of the old value (`old` is its JSON):
 * a list keeps its one-line or one-item-per-line layout and indentation.
 */
function sourceJson(old: string, text: string, isList: boolean, ascii: boolean): string {
  if (!isList) return jsonString(text, ascii);
  const items = sourceLines(text).map((l) => jsonString(l, ascii));
  if (items.length === 0) return "[]";
  const multiline = /^\[\s*\n/.exec(old);
  if (!multiline) return `[${items.join(old.includes('", "') || !old.includes('","') ? ", " : ",")}]`;
  const itemIndent = /^\[[ \t]*\r?\n([ \t]*)/.exec(old)?.[1] ?? "";
  const closeIndent = /\n([ \t]*)\]$/.exec(old)?.[1] ?? "";
  const eol = old.includes("\r\n") ? "\r\n" : "\n";
  return `[${eol}${items.map((item) => `${itemIndent}${item}`).join(`,${eol}`)}${eol}${closeIndent}]`;
}

/** The notebook's text with the given cells' sources replaced (`texts[i]` for `notebook.cells[i]`). */
export function writeNotebook(notebook: Notebook, texts: readonly string[]): string {
  const { json } = notebook;
  // nbformat writes non-ASCII as is; a file with \u escapes of non-ASCII characters was written with ensure_ascii.
  const ascii = /\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})/.test(json) && /^[\x00-\x7f]*$/.test(json);
  let out = "";
  let cursor = 0;
  notebook.cells.forEach((cell, i) => {
    if (texts[i] === cell.text) return;
    const old = json.slice(cell.sourceSpan.start, cell.sourceSpan.end);
    out += json.slice(cursor, cell.sourceSpan.start) + sourceJson(old, texts[i], cell.sourceIsList, ascii);
    cursor = cell.sourceSpan.end;
  });
  return out + json.slice(cursor);
}
