/**
 * One input of `memhint check`, start to finish: read, decode, lint (or fix, writing the file, or
 * diff), and a report of what to print. Pure of any printing, so the same function runs on the
 * main thread or in a worker (server/cli/worker.ts) and the main thread prints reports in order.
 */
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { addNoqaEdits } from "../engine/suppression-edits.js";
import { applyEdits, fixSource, LineIndex, UNUSED_SUPPRESSION_CODE, lintSource, ruleEnabled, SYNTAX_ERROR_CODE, type Diagnostic, type FixSafety, type PythonParser, type Rule, type Settings } from "../engine/index.js";
import { entryKey, readEntry, writeEntry, type CacheConfig } from "./cache.js";
import { unifiedDiff } from "./diff.js";
import { FRAME_LINES, type SourceFrame } from "./formats/full.js";
import { codeTally, plural, textLine, toJson, type JsonDiagnostic } from "./output.js";
import { cannotWrite, type DecodedSource, decodeSource, DecodeError, encodeSource, MAX_FILE_BYTES } from "./source.js";
import { readRegularFile, UnreadableFileError } from "../read-file.js";
import { isNotebookPath } from "../notebook.js";
import { MAX_NOTEBOOK_BYTES, processNotebook } from "./notebook.js";
import { FileChangedError, WriteRefusedError, writeFileAtomically } from "./write.js";

export interface Input {
  /** Absolute path, or null for stdin. */
  path: string | null;
  /** The name reported for the input (in JSON output). */
  name: string;
  /** How the name is printed in text and on stderr (quotePath). */
  display: string;
  /** The path inside the project (relative to its root), which tells test files apart. */
  projectPath: string;
}

/** What `processFile` needs from the command line (plain data: it crosses to workers). */
export interface ProcessOptions {
  fix: boolean;
  diff: boolean;
  unsafeFixes: boolean;
  /** --fix may write files that have no write permission bit. */
  allowReadOnly: boolean;
  /** --add-noqa: write a suppression comment for every finding instead of reporting it. */
  addNoqa?: boolean;
  /** Where lint results are kept between runs (server/cli/cache.ts); null: no cache. */
  cache: CacheConfig | null;
}

export interface Finding {
  code: string;
  name: string;
  safety: FixSafety | null;
  text: string;
  json: JsonDiagnostic;
  /** The source lines of its span, for the full format's code frame. */
  frame: SourceFrame;
  /** Stable while lines move: the code, the file, its line's text and which such finding it is (SARIF). */
  fingerprint: string;
  /** Where it is, as printed before the line and column, when not the file's name: `nb.ipynb:cell 3`. */
  display?: string;
}

export interface FileReport {
  /** The input's name and printed name (Input). */
  name: string;
  display: string;
  /** Lines for stderr, in order. */
  notices: string[];
  /** The input could not be checked or its fix not written (the run exits 2). */
  problem: boolean;
  /** The input was read and linted (false when it was skipped). */
  linted: boolean;
  /** It has syntax errors: findings inside them were skipped. */
  partial: boolean;
  /** Rules that threw on this input. */
  crashed: string[];
  /** "path: fixed 2 findings (MH101 x2)" when fixes were written (or, for stdin, printed). */
  fixedLine: string | null;
  fixedCount: number;
  /** The unified diff, with --diff. */
  diff: string;
  /** The findings left, in source order. */
  findings: Finding[];
  /** For stdin with --fix: the bytes to print (the fixed source, or the input unchanged). */
  output: Uint8Array | null;
}

export function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const known: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EISDIR: "is a directory",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
    ELOOP: "too many levels of symbolic links",
  };
  return (code && known[code]) ?? (error instanceof Error ? error.message : String(error));
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}

function emptyReport(input: Input): FileReport {
  return { name: input.name, display: input.display, notices: [], problem: false, linted: false, partial: false, crashed: [], fixedLine: null, fixedCount: 0, diff: "", findings: [], output: null };
}

function findings(diagnostics: readonly Diagnostic[], input: Input, lines: LineIndex): Finding[] {
  const seen = new Map<string, number>();
  return diagnostics.map((d) => findingOf(d, input, lines, seen, input.display, toJson(d, input.name, lines)));
}

/**
 * One diagnostic as a finding, shown as `display`: its one-line text, code frame and stable
 * fingerprint (`seen` counts the same code on the same line text, so that repeats differ). For a
 * notebook, `d` and `lines` are those of one cell.
 */
export function findingOf(d: Diagnostic, input: Input, lines: LineIndex, seen: Map<string, number>, display: string, json: JsonDiagnostic): Finding {
  const first = lines.lineOf(d.start);
  // A span that ends at the start of a line does not cover that line.
  const last = Math.max(first, lines.lineOf(d.end > d.start ? d.end - 1 : d.start));
  const kept = Math.min(last, first + FRAME_LINES - 1);
  const frameLines: string[] = [];
  for (let line = first; line <= kept; line++) frameLines.push(lines.lineText(line));
  const key = `${d.code}\0${input.projectPath}\0${lines.lineText(first).trim()}`;
  const occurrence = seen.get(key) ?? 0;
  seen.set(key, occurrence + 1);
  return {
    code: d.code,
    name: d.name,
    safety: d.fix ? d.fix.safety : null,
    text: textLine(d, display, lines),
    json,
    frame: { firstLine: first + 1, lines: frameLines, truncated: kept < last },
    fingerprint: createHash("sha256").update(`${key}\0${occurrence}`).digest("hex").slice(0, 32),
  };
}

/**
 * Check one input. `stdinBytes` is the input's content when it is stdin. Never throws: an
 * unexpected error becomes a notice and a problem, and the run goes on with the next file.
 */
export function processFile(
  input: Input, stdinBytes: Uint8Array | null, options: ProcessOptions,
  parser: PythonParser, rules: readonly Rule[], settings: Settings,
): FileReport {
  return processInput(input, stdinBytes, options, parser, rules, settings) as FileReport;
}

/**
 * The report of a file whose lint is in the cache (or that is skipped, unreadable or undecodable),
 * or null when it needs linting: the main thread answers these without a parser or worker threads.
 */
export function reportFromCache(input: Input, options: ProcessOptions, settings: Settings): FileReport | null {
  return options.cache === null || input.path === null ? null : processInput(input, null, options, null, [], settings);
}

/** processFile; without a parser, null for any input that would need one. */
function processInput(
  input: Input, stdinBytes: Uint8Array | null, options: ProcessOptions,
  parser: PythonParser | null, rules: readonly Rule[], settings: Settings,
): FileReport | null {
  const report = emptyReport(input);
  const skip = (why: string, bytes?: Uint8Array): FileReport => {
    report.notices.push(`${input.display}: skipped: ${why}`);
    report.problem = true;
    // With --fix, stdout carries the source back (an editor replaces its buffer with it): unchanged.
    if (input.path === null && options.fix && bytes) report.output = bytes;
    return report;
  };

  let bytes: Uint8Array;
  let stat: Stats | null = null;
  const notebook = isNotebookPath(input.name);
  const maxBytes = notebook ? MAX_NOTEBOOK_BYTES : MAX_FILE_BYTES;
  if (input.path === null) {
    bytes = stdinBytes ?? new Uint8Array();
  } else {
    try {
      ({ bytes, stat } = readRegularFile(input.path, maxBytes));
    } catch (error) {
      if (error instanceof UnreadableFileError) {
        return skip(error.reason === "too-large" ? `${error.message}; memhint does not lint files this large` : error.message);
      }
      return skip(`cannot read: ${errnoText(error)}`);
    }
  }
  if (bytes.length > maxBytes) {
    return skip(`larger than ${maxBytes / 1024 / 1024} MB (${bytes.length} bytes); memhint does not lint files this large`);
  }
  if (notebook) {
    try {
      return processNotebook(report, input, bytes, stat, options, parser, rules, settings);
    } catch (error) {
      if (parser === null) return null;
      report.notices.push(`${input.display}: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      report.problem = true;
      if (input.path === null && options.fix) report.output = bytes;
      return report;
    }
  }
  let source;
  try {
    source = decodeSource(bytes);
  } catch (error) {
    if (error instanceof DecodeError) return skip(error.message, bytes);
    if (parser === null) return null;
    throw error;
  }

  try {
    const text = source.text;
    // Files only: stdin is usually an editor's unsaved buffer, not worth keeping.
    const cache = input.path !== null ? options.cache : null;
    const key = cache ? entryKey(cache.engine, settings, input.projectPath, bytes) : "";
    const cached = cache ? readEntry(cache, key) : null;
    if (!cached && parser === null) return null;
    const linted = cached
      ? { ...cached, failures: [], lines: new LineIndex(text) }
      : lintSource(parser as PythonParser, text, rules, settings, { path: input.projectPath });
    // A rule that crashed is not remembered: the next run tries it again.
    if (cache && !cached && linted.failures.length === 0) writeEntry(cache, key, linted);
    report.linted = true;
    const failed = new Set<string>();
    for (const failure of linted.failures) {
      report.notices.push(`${input.display}: internal error in rule ${failure.code}: ${firstLine(failure.error)}`);
      failed.add(failure.code);
      report.crashed.push(failure.code);
    }
    // With MH000 selected each syntax error is a finding; without, a notice says findings may be missing.
    report.partial = linted.hasSyntaxErrors;
    if (linted.hasSyntaxErrors && !ruleEnabled(SYNTAX_ERROR_CODE, settings)) {
      report.notices.push(`${input.display}: has syntax errors; findings near them are skipped`);
    }

    if (options.addNoqa && input.path !== null && parser !== null) {
      return addNoqa(report, input, input.path, text, linted.diagnostics, { bytes, source, stat }, options, parser, rules, settings);
    }
    let remaining: Diagnostic[] = linted.diagnostics;
    let lines: LineIndex = linted.lines;
    let output = text;
    const applicable = (d: Diagnostic): boolean => d.fix !== null && (d.fix.safety === "safe" || options.unsafeFixes);
    if ((options.fix || options.diff) && linted.diagnostics.some(applicable)) {
      const result = fixSource(parser as PythonParser, text, rules, settings, { unsafe: options.unsafeFixes, disabled: failed, firstLint: linted, path: input.projectPath });
      for (const failure of result.failures) {
        if (failed.has(failure.code)) continue;
        report.notices.push(`${input.display}: internal error in rule ${failure.code} while fixing: ${firstLine(failure.error)}`);
        failed.add(failure.code);
        report.crashed.push(failure.code);
      }
      if (result.stoppedEarly) {
        report.notices.push(`${input.display}: note: fixing stopped after ${result.passes - 1} passes with fixes left; run --fix again`);
      }
      const refusal = result.output === text ? null : cannotWrite(source, result.output);
      let accepted = false;
      if (result.output === text || result.applied.length === 0) {
        // The fixes were rejected (each would have added a syntax error): nothing changes.
      } else if (refusal !== null) {
        report.notices.push(`${input.display}: not fixed: ${refusal}`);
      } else if (options.diff) {
        const bom = source.bom ? "\ufeff" : "";
        report.diff = unifiedDiff(input.display, bom + text, bom + result.output);
        accepted = true;
      } else if (input.path === null) {
        accepted = true;
      } else {
        try {
          writeFileAtomically(input.path, encodeSource(result.output, source.bom), bytes, stat, { allowReadOnly: options.allowReadOnly });
          accepted = true;
        } catch (error) {
          const why = error instanceof FileChangedError || error instanceof WriteRefusedError ? error.message : `cannot write: ${errnoText(error)}`;
          report.notices.push(`${input.display}: not fixed: ${why}`);
          report.problem = true;
        }
      }
      if (accepted) {
        output = result.output;
        remaining = result.remaining;
        lines = new LineIndex(output);
        report.fixedCount = result.applied.length;
        if (options.fix) report.fixedLine = `${input.display}: fixed ${plural(result.applied.length, "finding")} (${codeTally(result.applied)})`;
      }
    }
    if (input.path === null && options.fix) report.output = output === text ? bytes : encodeSource(output, source.bom);
    report.findings = findings(remaining, input, lines);
    return report;
  } catch (error) {
    if (parser === null) return null; // an entry that cannot be reported: the file is linted instead
    report.notices.push(`${input.display}: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    report.problem = true;
    if (input.path === null && options.fix) report.output = bytes;
    return report;
  }
}

/**
 * --add-noqa: a `# noqa: MHxxx` for each finding (MH002's excepted: a comment about itself), written
 * as --fix writes; the findings reported are those of the file as written (the ones no comment can
 * suppress, each also said in a notice).
 */
function addNoqa(
  report: FileReport, input: Input, path: string, text: string, diagnostics: readonly Diagnostic[],
  original: { bytes: Uint8Array; source: DecodedSource; stat: Stats | null }, options: ProcessOptions,
  parser: PythonParser, rules: readonly Rule[], settings: Settings,
): FileReport {
  const wanted = diagnostics.filter((d) => d.code !== UNUSED_SUPPRESSION_CODE);
  const tree = parser.parse(text);
  let planned;
  try {
    planned = addNoqaEdits(tree, new LineIndex(text), wanted);
  } finally {
    tree.delete();
  }
  const before = new LineIndex(text);
  for (const d of planned.skipped) {
    report.notices.push(`${input.display}:${before.lineOf(d.start) + 1}: not suppressed: ${d.code} is on a line that cannot take a comment (inside a multi-line string, or continued with \\)`);
  }
  let output = text;
  if (planned.edits.length > 0) {
    const fixed = applyEdits(text, planned.edits);
    const refusal = cannotWrite(original.source, fixed);
    try {
      if (refusal !== null) throw new WriteRefusedError(refusal);
      writeFileAtomically(path, encodeSource(fixed, original.source.bom), original.bytes, original.stat, { allowReadOnly: options.allowReadOnly });
      output = fixed;
      report.fixedLine = `${input.display}: added ${plural(planned.edits.length, "suppression comment")} (${codeTally(wanted.filter((d) => !planned.skipped.includes(d)))})`;
    } catch (error) {
      const why = error instanceof FileChangedError || error instanceof WriteRefusedError ? error.message : `cannot write: ${errnoText(error)}`;
      report.notices.push(`${input.display}: suppressions not added: ${why}`);
      report.problem = true;
    }
  }
  const relinted = output === text ? null : lintSource(parser, output, rules, settings, { path: input.projectPath });
  const remaining = relinted ? relinted.diagnostics : [...diagnostics];
  report.findings = findings(remaining, input, relinted ? relinted.lines : before);
  return report;
}
