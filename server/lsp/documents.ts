/**
 * Open documents: their text, version and tree. Every edit is applied to the tree in place
 * (`Tree.edit`) and the next parse reuses it, so typing reparses only what changed. Parsing is
 * lazy: a burst of edits costs one reparse, done when diagnostics, actions or hovers need it.
 *
 * Documents too large or binary are kept (their text must follow later edits) but never parsed.
 */
import type { DidChangeTextDocumentParams, TextDocumentContentChangeEvent, TextDocumentItem } from "vscode-languageserver";
import { EditableTree } from "../engine/editable-tree.js";
import { LineIndex, type PositionEncoding, type PythonParser, type Tree } from "../engine/index.js";
import { type ChangedSpan, disposeLintState, type LintState, mergeSpans } from "../engine/incremental.js";
import type { Range } from "web-tree-sitter";
import type { LintSnapshot } from "./analysis.js";
import { toOffsets } from "./encoding.js";
import type { Logger } from "./log.js";

/** Documents longer than this (UTF-16 code units, about 1 MiB of text) are not linted. */
export const MAX_DOCUMENT_LENGTH = 1_000_000;

export type SkipReason = "too-large" | "binary";

export interface OpenDocument {
  readonly uri: string;
  /** The client's version of the document. */
  version: number;
  /** The text, and its lines (which convert positions). */
  lines: LineIndex;
  /** The latest tree; when it has edits pending, they are applied but not yet reparsed. */
  parsed: EditableTree | null;
  skipped: SkipReason | null;
  /** Rules that threw on this document: not run again until it is closed. */
  disabled: Set<string>;
  /** Distinguishes two openings of the same URI (versions restart). */
  readonly openSeq: number;
  /** The last analysis, valid while its version and settings generation are current. */
  lint: LintSnapshot | null;
  /** What the next lint can start from (incremental.ts), and the edits since it was made. */
  lintState: LintState | null;
  sinceLint: EditsSinceLint;
}

/** The edits since the last lint: enough to lint incrementally, or `exact: false`. */
export interface EditsSinceLint {
  span: ChangedSpan | null;
  /** False after a whole-text replacement: nothing is known of what changed. */
  exact: boolean;
  /** tree-sitter's changed ranges, from the one reparse since the last lint. */
  ranges: Range[];
  reparses: number;
}

function noEdits(): EditsSinceLint {
  return { span: null, exact: true, ranges: [], reparses: 0 };
}

/**
 * Replace the document's lint state. The old one's trees are freed after the current message is
 * answered (freeing dozens of retained trees takes milliseconds nobody should wait for).
 */
export function setLintState(doc: OpenDocument, state: LintState | null): void {
  const old = doc.lintState;
  if (old && old !== state) setImmediate(() => disposeLintState(old));
  doc.lintState = state;
  doc.sinceLint = noEdits();
}

export function textOf(doc: OpenDocument): string {
  return doc.lines.text;
}

export function versionOf(doc: OpenDocument): number {
  return doc.version;
}

function skipReason(text: string, maybeBinary: boolean): SkipReason | null {
  if (text.length > MAX_DOCUMENT_LENGTH) return "too-large";
  if (maybeBinary && text.includes("\u0000")) return "binary";
  return null;
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();
  private openCount = 0;

  constructor(private readonly parser: PythonParser, private readonly log: Logger) {}

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  all(): IterableIterator<OpenDocument> {
    return this.docs.values();
  }

  get size(): number {
    return this.docs.size;
  }

  open(item: TextDocumentItem): OpenDocument {
    const previous = this.docs.get(item.uri);
    if (previous) this.dispose(previous);
    const text = typeof item.text === "string" ? item.text : "";
    const doc: OpenDocument = {
      uri: item.uri,
      version: Number.isInteger(item.version) ? item.version : 0,
      lines: new LineIndex(text),
      parsed: null,
      skipped: null,
      disabled: new Set(),
      openSeq: ++this.openCount,
      lint: null,
      lintState: null,
      sinceLint: noEdits(),
    };
    this.docs.set(item.uri, doc);
    this.updateSkip(doc);
    return doc;
  }

  /** Apply a didChange; returns the document, or null when it is not open (the change is dropped). */
  change(params: DidChangeTextDocumentParams, encoding: PositionEncoding): OpenDocument | null {
    const uri = params?.textDocument?.uri;
    const doc = typeof uri === "string" ? this.docs.get(uri) : undefined;
    if (!doc) {
      this.log.once(`unopened:${uri}`, "warn", `Ignoring an edit to ${uri}, which is not open (didChange before didOpen, or after didClose)`);
      return null;
    }
    const changes = Array.isArray(params.contentChanges) ? params.contentChanges : [];
    let maybeBinary = doc.skipped === "binary";
    for (const change of changes) {
      if (!change || typeof change.text !== "string") continue;
      this.applyChange(doc, change, encoding);
      maybeBinary ||= change.text.includes("\u0000");
    }
    doc.version = Number.isInteger(params.textDocument.version) ? params.textDocument.version : doc.version + 1;
    doc.lint = null;
    this.updateSkip(doc, maybeBinary);
    return doc;
  }

  close(uri: string): OpenDocument | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    this.dispose(doc);
    this.docs.delete(uri);
    this.log.forget(`doc:${uri}:`);
    return doc;
  }

  /** The tree for the current text, reparsed incrementally when edits are pending; null when skipped. */
  tree(doc: OpenDocument): Tree | null {
    if (doc.skipped) return null;
    if (doc.parsed && !doc.parsed.pending) return doc.parsed.tree;
    const since = doc.sinceLint;
    since.reparses++;
    if (!doc.parsed) {
      doc.parsed = new EditableTree(this.parser, textOf(doc));
      since.exact = false;
      return doc.parsed.tree;
    }
    const { tree, changed, flipped } = doc.parsed.reparse(doc.lines);
    since.ranges.push(...changed);
    // A bracket masked or unmasked (editable-tree.ts) counts as edited.
    for (const at of flipped) since.span = mergeSpans(since.span, at, at + 1, 1);
    return tree;
  }

  private applyChange(doc: OpenDocument, change: TextDocumentContentChangeEvent, encoding: PositionEncoding): string {
    const old = doc.lines;
    if (!("range" in change) || !change.range) {
      // Full replacement: the old tree says nothing useful about the new text.
      this.dropTree(doc);
      doc.lines = new LineIndex(change.text);
      doc.sinceLint.exact = false;
      return change.text;
    }
    const [start, end] = toOffsets(old, change.range, encoding);
    const text = old.text.slice(0, start) + change.text + old.text.slice(end);
    doc.sinceLint.span = mergeSpans(doc.sinceLint.span, start, end, change.text.length);
    doc.lines = old.edited(start, end, change.text, text);
    doc.parsed?.edit(start, end, change.text.length, old, doc.lines);
    return text;
  }

  /** `maybeBinary`: whether the text can contain NUL (false when no edit inserted one into clean text). */
  private updateSkip(doc: OpenDocument, maybeBinary = true): void {
    const reason = skipReason(textOf(doc), maybeBinary);
    const previous = doc.skipped;
    if (reason === previous) return;
    doc.skipped = reason;
    if (reason) {
      this.dropTree(doc);
      setLintState(doc, null);
      const why = reason === "too-large"
        ? `it is larger than ${MAX_DOCUMENT_LENGTH.toLocaleString("en-US")} characters`
        : "it looks binary (it contains NUL characters)";
      this.log.info(`Not linting ${doc.uri}: ${why}`);
    } else {
      this.log.info(`Linting ${doc.uri} again: it is no longer ${previous === "too-large" ? "too large" : "binary"}`);
    }
  }

  private dropTree(doc: OpenDocument): void {
    doc.parsed?.delete();
    doc.parsed = null;
    doc.sinceLint.exact = false;
  }

  private dispose(doc: OpenDocument): void {
    this.dropTree(doc);
    doc.lint = null;
    setLintState(doc, null);
  }
}
