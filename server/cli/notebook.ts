/**
 * `memhint check` on a Jupyter notebook: lint its code cells as one module (server/notebook.ts),
 * report each finding by cell and line within the cell, and write fixes and suppression comments
 * back into the cells' `source` only, through the same safe writer as Python files.
 *
 * A fix is applied only when all its edits fall inside one cell and none touches a masked
 * IPython line; any other fix is dropped (the finding is reported without one).
 */
import type { Stats } from "node:fs";
import { addNoqaEdits } from "../engine/suppression-edits.js";
import { applyFixesChecked, chooseFixes, syntaxErrorCount } from "../engine/fix.js";
import {
  applyEdits, LineIndex, lintSource, ruleEnabled, SYNTAX_ERROR_CODE, UNUSED_SUPPRESSION_CODE,
  type Diagnostic, type LintResult, type PythonParser, type Rule, type RuleFailure, type Settings, type TextEdit,
} from "../engine/index.js";
import { editCell, touchesMask, ForeignNotebookError, NotebookError, parseNotebook, partAt, unmask, virtualModule, writeNotebook, type Mask, type Notebook, type VirtualModule } from "../notebook.js";
import { entryKey, readEntry, writeEntry } from "./cache.js";
import { unifiedDiff } from "./diff.js";
import { codeTally, plural, toJson, type JsonDiagnostic } from "./output.js";
import { errnoText, findingOf, firstLine, type FileReport, type Finding, type Input, type ProcessOptions } from "./process.js";
import { MAX_FILE_BYTES } from "./source.js";
import { FileChangedError, WriteRefusedError, writeFileAtomically } from "./write.js";

/**
 * Notebooks may carry outputs (images, tables) far larger than their code: they are read up to
 * this size; the code linted is still at most MAX_FILE_BYTES.
 */
export const MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024;

/** The cells' state while fixes are applied: masked texts and masks, by position in `Notebook.cells`. */
interface CellsState {
  masked: string[];
  masks: Mask[][];
}

/** Same limit as the fix loop of Python files (server/engine/fix.ts). */
const MAX_PASSES = 100;

/**
 * Lint (fix, diff, add suppressions to) the notebook whose bytes are `bytes`. Returns null when
 * `parser` is null and the lint is not cached (processInput's contract).
 */
export function processNotebook(
  report: FileReport, input: Input, bytes: Uint8Array, stat: Stats | null, options: ProcessOptions,
  parser: PythonParser | null, rules: readonly Rule[], settings: Settings,
): FileReport | null {
  const skip = (why: string, problem = true): FileReport => {
    report.notices.push(`${input.display}: skipped: ${why}`);
    report.problem = problem;
    if (input.path === null && options.fix) report.output = bytes;
    return report;
  };
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bom ? bytes.subarray(3) : bytes);
  } catch {
    return skip("not a valid notebook: not UTF-8 text");
  }
  let notebook: Notebook;
  try {
    notebook = parseNotebook(json);
  } catch (error) {
    if (error instanceof ForeignNotebookError) return skip(error.message, false);
    if (error instanceof NotebookError) return skip(error.message);
    throw error;
  }
  const module = virtualModule(notebook.cells);
  if (module.text.length > MAX_FILE_BYTES) return skip(`its code cells hold more than 10 MB of code; memhint does not lint files this large`);
  const cache = input.path !== null ? options.cache : null;
  const key = cache ? entryKey(cache.engine, settings, input.projectPath, bytes) : "";
  const cached = cache ? readEntry(cache, key) : null;
  if (!cached && parser === null) return null;
  const linted: LintResult = cached
    ? { ...cached, failures: [], lines: new LineIndex(module.text) }
    : lintSource(parser as PythonParser, module.text, rules, settings, { path: input.projectPath });
  if (cache && !cached && linted.failures.length === 0) writeEntry(cache, key, linted);
  report.linted = true;
  const failed = new Set<string>();
  const noteFailures = (failures: readonly RuleFailure[], during: string): void => {
    for (const failure of failures) {
      if (failed.has(failure.code)) continue;
      report.notices.push(`${input.display}: internal error in rule ${failure.code}${during}: ${firstLine(failure.error)}`);
      failed.add(failure.code);
      report.crashed.push(failure.code);
    }
  };
  noteFailures(linted.failures, "");
  report.partial = linted.hasSyntaxErrors;
  if (linted.hasSyntaxErrors && !ruleEnabled(SYNTAX_ERROR_CODE, settings)) {
    report.notices.push(`${input.display}: has syntax errors; findings near them are skipped`);
  }

  let state: CellsState = { masked: notebook.cells.map((c) => c.masked), masks: notebook.cells.map((c) => c.masks) };
  let remaining = linted.diagnostics;
  let finalModule = module;
  const write = (changed: CellsState, describe: () => string, failure: string): boolean => {
    const texts = changed.masked.map((m, i) => unmask(m, changed.masks[i]));
    const output = Buffer.from((bom ? "\ufeff" : "") + writeNotebook(notebook, texts), "utf8");
    if (options.diff) {
      report.diff = notebook.cells.map((cell, i) => unifiedDiff(`${input.display}:cell ${cell.index + 1}`, cell.text, texts[i])).join("");
      return true;
    }
    if (input.path === null) {
      report.output = output;
      return true;
    }
    try {
      writeFileAtomically(input.path, output, bytes, stat, { allowReadOnly: options.allowReadOnly });
      report.fixedLine = describe();
      return true;
    } catch (error) {
      const why = error instanceof FileChangedError || error instanceof WriteRefusedError ? error.message : `cannot write: ${errnoText(error)}`;
      report.notices.push(`${input.display}: ${failure}: ${why}`);
      report.problem = true;
      return false;
    }
  };

  if (options.addNoqa && input.path !== null && parser !== null) {
    const wanted = linted.diagnostics.filter((d) => d.code !== UNUSED_SUPPRESSION_CODE);
    const tree = parser.parse(module.text);
    let planned;
    try {
      planned = addNoqaEdits(tree, new LineIndex(module.text), wanted);
    } finally {
      tree.delete();
    }
    const local = planned.edits.filter((e) => fitsInCells(module, state, [e]));
    for (const d of planned.skipped) {
      const at = cellPosition(notebook, module, state, d.start);
      report.notices.push(`${input.display}:${at.label}:${at.line}: not suppressed: ${d.code} is on a line that cannot take a comment`);
    }
    if (local.length < planned.edits.length) {
      report.notices.push(`${input.display}: ${plural(planned.edits.length - local.length, "suppression comment")} not added: on an IPython line (magic or shell escape)`);
    }
    const edited = local.length > 0 ? editCells(module, state, local) : null;
    if (edited !== null) {
      const added = wanted.filter((d) => !planned.skipped.includes(d));
      if (write(edited, () => `${input.display}: added ${plural(local.length, "suppression comment")} (${codeTally(added)})`, "suppressions not added")) {
        state = edited;
        finalModule = virtualModule(notebook.cells, state.masked);
        remaining = lintSource(parser, finalModule.text, rules, settings, { path: input.projectPath }).diagnostics;
      }
    }
  } else if ((options.fix || options.diff) && parser !== null && localize(module, state, linted.diagnostics).some((d) => d.fix && (d.fix.safety === "safe" || options.unsafeFixes))) {
    const result = fixCells(parser, notebook, state, linted, rules, settings, options.unsafeFixes, failed, input.projectPath);
    noteFailures(result.failures, " while fixing");
    if (result.stoppedEarly) report.notices.push(`${input.display}: note: fixing stopped after ${result.passes - 1} passes with fixes left; run --fix again`);
    if (result.applied.length > 0) {
      const describe = (): string => `${input.display}: fixed ${plural(result.applied.length, "finding")} (${codeTally(result.applied)})`;
      if (write(result.state, describe, "not fixed")) {
        state = result.state;
        finalModule = result.module;
        remaining = result.remaining;
        report.fixedCount = result.applied.length;
      }
    }
  }
  if (input.path === null && options.fix && report.output === null) report.output = bytes;
  report.findings = notebookFindings(localize(finalModule, state, remaining), notebook, finalModule, state, input);
  return report;
}

/** Which cell (1-based, as printed) and line a virtual offset is at. */
function cellPosition(notebook: Notebook, module: VirtualModule, state: CellsState, offset: number): { label: string; line: number } {
  const part = partAt(module, offset);
  if (part === null) return { label: "cell ?", line: 1 };
  const lines = new LineIndex(state.masked[part.position]);
  return { label: `cell ${notebook.cells[part.position].index + 1}`, line: lines.lineOf(Math.min(offset - part.start, part.length)) + 1 };
}

/** The edits grouped by cell, in the cells' coordinates, or null when one is not inside a single cell. */
function editsByCell(module: VirtualModule, edits: readonly TextEdit[]): Map<number, TextEdit[]> | null {
  const byCell = new Map<number, TextEdit[]>();
  for (const edit of edits) {
    const part = partAt(module, edit.start);
    if (part === null || edit.end > part.start + part.length || edit.start > part.start + part.length) return null;
    const list = byCell.get(part.position) ?? [];
    list.push({ ...edit, start: edit.start - part.start, end: edit.end - part.start });
    byCell.set(part.position, list);
  }
  return byCell;
}

/** The cells with `edits` (virtual offsets) applied, or null when one spans cells or touches a mask. */
function editCells(module: VirtualModule, state: CellsState, edits: readonly TextEdit[]): CellsState | null {
  const byCell = editsByCell(module, edits);
  if (byCell === null) return null;
  const next: CellsState = { masked: [...state.masked], masks: [...state.masks] };
  for (const [position, cellEdits] of byCell) {
    const edited = editCell(state.masked[position], state.masks[position], cellEdits, applyEdits);
    if (edited === null) return null;
    next.masked[position] = edited.masked;
    next.masks[position] = edited.masks;
  }
  return next;
}

/**
 * Whether the edits of one fix (virtual offsets) all stay inside one cell and off its masks. A
 * fix spread over cells (an import added to the first cell for a finding in another) is dropped:
 * cells run in any order, and the user reads a fix in the cell of its finding.
 */
function fitsInCells(module: VirtualModule, state: CellsState, edits: readonly TextEdit[]): boolean {
  const byCell = editsByCell(module, edits);
  return byCell !== null && byCell.size <= 1 && [...byCell].every(([position, cellEdits]) => !cellEdits.some((e) => touchesMask(e, state.masks[position])));
}

/** The diagnostics with the fixes a notebook cannot take (across cells, on a masked line) removed. */
function localize(module: VirtualModule, state: CellsState, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.fix && !fitsInCells(module, state, d.fix.edits) ? { ...d, fix: null } : d));
}

/** fixSource's loop over the virtual module, applying only fixes that stay inside one cell. */
function fixCells(
  parser: PythonParser, notebook: Notebook, start: CellsState, firstLint: LintResult, rules: readonly Rule[], settings: Settings,
  unsafe: boolean, failed: ReadonlySet<string>, path: string,
): { state: CellsState; module: VirtualModule; applied: Diagnostic[]; remaining: Diagnostic[]; failures: RuleFailure[]; passes: number; stoppedEarly: boolean } {
  let state = start;
  let module = virtualModule(notebook.cells, state.masked);
  const applied: Diagnostic[] = [];
  const failures: RuleFailure[] = [];
  const disabled = new Set(failed);
  const tree = parser.parse(module.text);
  const baseline = syntaxErrorCount(tree);
  tree.delete();
  for (let pass = 1; ; pass++) {
    const result = pass === 1 ? firstLint : lintSource(parser, module.text, rules, settings, { disabled, path });
    for (const failure of result.failures) {
      if (disabled.has(failure.code)) continue;
      disabled.add(failure.code);
      failures.push(failure);
    }
    const chosen = chooseFixes(localize(module, state, result.diagnostics), unsafe);
    const done = () => ({ state, module, applied, remaining: result.diagnostics, failures, passes: pass, stoppedEarly: pass > MAX_PASSES && chosen.length > 0 });
    if (chosen.length === 0 || pass > MAX_PASSES) return done();
    const { output, applied: fixes } = applyFixesChecked(parser, module.text, chosen.map((d) => d.fix as NonNullable<Diagnostic["fix"]>), baseline);
    if (fixes.length === 0 || output === module.text) return done();
    const next = editCells(module, state, fixes.flatMap((f) => f.edits));
    if (next === null) return done();
    state = next;
    module = virtualModule(notebook.cells, state.masked);
    if (module.text !== output) throw new Error("notebook fix: the cells do not add up to the fixed module");
    applied.push(...chosen.filter((d) => fixes.includes(d.fix as NonNullable<Diagnostic["fix"]>)));
  }
}

/** The findings of a notebook, each placed in its cell: lines and columns within the cell. */
function notebookFindings(diagnostics: readonly Diagnostic[], notebook: Notebook, module: VirtualModule, state: CellsState, input: Input): Finding[] {
  const seen = new Map<string, number>();
  const linesOf = new Map<number, LineIndex>();
  const out: Finding[] = [];
  for (const d of diagnostics) {
    const part = partAt(module, d.start);
    if (part === null) continue;
    let lines = linesOf.get(part.position);
    if (!lines) linesOf.set(part.position, (lines = new LineIndex(unmask(state.masked[part.position], state.masks[part.position]))));
    const clamp = (offset: number): number => Math.max(0, Math.min(offset - part.start, part.length));
    const local: Diagnostic = {
      ...d,
      start: clamp(d.start),
      end: clamp(d.end),
      fix: d.fix ? { ...d.fix, edits: d.fix.edits.map((e) => ({ ...e, start: clamp(e.start), end: clamp(e.end) })) } : null,
    };
    const cell = notebook.cells[part.position].index + 1;
    const display = `${input.display}:cell ${cell}`;
    out.push({ ...findingOf(local, input, lines, seen, display, withCell(toJson(local, input.name, lines), cell)), display });
  }
  return out;
}

/** The JSON form with `cell` after `path`. */
function withCell(json: JsonDiagnostic, cell: number): JsonDiagnostic {
  const { code, name, severity, message, path, ...rest } = json;
  return { code, name, severity, message, path, cell, ...rest };
}
