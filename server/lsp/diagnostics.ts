/**
 * Diagnostics: engine findings as LSP diagnostics, and when to send them. Push
 * (`textDocument/publishDiagnostics`) for clients that cannot pull; pull (`textDocument/diagnostic`)
 * when the client declares it, never both. Bursts of edits are coalesced: an edit after a quiet
 * spell is linted at once, edits arriving closer together than BURST_WINDOW_MS wait for the burst
 * to settle (at most MAX_WAIT_MS). A push never carries a version older than one already sent.
 */
import {
  type CancellationToken, type Diagnostic as LspDiagnostic, DiagnosticSeverity, type DocumentDiagnosticParams,
  type DocumentDiagnosticReport, LSPErrorCodes, ResponseError, type TextEdit as LspTextEdit,
} from "vscode-languageserver";
import type { Diagnostic, PositionEncoding, Severity, TextEdit, Tree } from "../engine/index.js";
import type { Analyzer, LintSnapshot } from "./analysis.js";
import { type DocumentStore, type OpenDocument, versionOf } from "./documents.js";
import { toRange } from "./encoding.js";
import { ruleDocsUrl } from "./links.js";
import type { LineIndex } from "../engine/index.js";
import { lineSuppressionEdit } from "../engine/suppression-edits.js";

/** Edits closer together than this belong to one burst. */
export const BURST_WINDOW_MS = 15;
/** A burst is linted at the latest this long after its first edit. */
export const MAX_WAIT_MS = 100;
/** After incremental lints, this long without edits makes a full lint check them (Analyzer.compact). */
export const COMPACT_AFTER_MS = 1000;

/** What a diagnostic carries for code actions, so that they need no state: its edits are for `version`. */
export interface DiagnosticData {
  version: number;
  fix?: { title: string; safe: boolean; edits: LspTextEdit[] };
  ignoreLine?: LspTextEdit;
}

export interface PublishedDiagnostics {
  encoding: PositionEncoding;
  resultId: string;
  items: LspDiagnostic[];
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspEdit(lines: LineIndex, edit: TextEdit, encoding: PositionEncoding): LspTextEdit {
  return { range: toRange(lines, edit.start, edit.end, encoding), newText: edit.newText };
}

export function toLspDiagnostic(d: Diagnostic, lines: LineIndex, tree: Tree | null, version: number, encoding: PositionEncoding): LspDiagnostic {
  const data: DiagnosticData = { version };
  if (d.fix) {
    data.fix = { title: d.fix.description, safe: d.fix.safety === "safe", edits: d.fix.edits.map((e) => toLspEdit(lines, e, encoding)) };
  }
  const ignore = tree ? lineSuppressionEdit(tree, lines, d.code, d.start, d.end) : null;
  if (ignore) data.ignoreLine = toLspEdit(lines, ignore, encoding);
  return {
    range: toRange(lines, d.start, d.end, encoding),
    severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Warning,
    code: d.code,
    codeDescription: { href: ruleDocsUrl(d.code) },
    source: "memhint",
    message: d.message,
    data,
  };
}

export function resultIdOf(doc: OpenDocument, snapshot: LintSnapshot | null): string {
  // A snapshot corrected by Analyzer.compact gets a new id, so that the next pull fetches it.
  const corrected = snapshot?.how.startsWith("full lint after") ? ".c" : "";
  return `${doc.openSeq}.${versionOf(doc)}.${snapshot ? snapshot.generation : "skipped"}${corrected}`;
}

export type DiagnosticMode = "push" | "pull";

interface Pending {
  timer: NodeJS.Timeout | NodeJS.Immediate | null;
  immediate: boolean;
  firstAt: number;
  waiters: Array<() => void>;
}

export class DiagnosticsService {
  private readonly pending = new Map<string, Pending>();
  private readonly lastEditAt = new Map<string, number>();
  private readonly publishedVersion = new Map<string, number>();
  private readonly compactions = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly mode: DiagnosticMode,
    private readonly store: DocumentStore,
    private readonly analyzer: Analyzer,
    private readonly encoding: () => PositionEncoding,
    private readonly send: (uri: string, version: number | undefined, diagnostics: LspDiagnostic[]) => void,
    private readonly onError: (message: string, error: unknown) => void,
    /** When set (MEMHINT_LSP_TIMING=1), told how long each published lint took. */
    private readonly timing: ((line: string) => void) | null = null,
    /** Calls back once the messages already received are handled (see backlog.ts). */
    private readonly drained: (then: () => void, deadline: number) => void = (then) => then(),
  ) {}

  /** LSP diagnostics for the document's current version (computed and cached when stale). */
  current(doc: OpenDocument): PublishedDiagnostics {
    const snapshot = this.analyzer.analyze(doc);
    const encoding = this.encoding();
    const resultId = resultIdOf(doc, snapshot);
    if (!snapshot) return { encoding, resultId, items: [] };
    const cached = snapshot.published as PublishedDiagnostics | undefined;
    if (cached && cached.encoding === encoding) return cached;
    const tree = this.store.tree(doc);
    const items = snapshot.result.diagnostics.map((d) => toLspDiagnostic(d, doc.lines, tree, snapshot.version, encoding));
    const published: PublishedDiagnostics = { encoding, resultId, items };
    snapshot.published = published;
    return published;
  }

  opened(doc: OpenDocument): void {
    this.lastEditAt.delete(doc.uri);
    this.publishedVersion.delete(doc.uri);
    this.schedule(doc.uri, 0);
  }

  changed(doc: OpenDocument): void {
    this.cancelCompaction(doc.uri);
    const now = performance.now();
    const last = this.lastEditAt.get(doc.uri);
    this.lastEditAt.set(doc.uri, now);
    const inBurst = last !== undefined && now - last < BURST_WINDOW_MS;
    this.schedule(doc.uri, inBurst ? BURST_WINDOW_MS : 0);
  }

  closed(uri: string): void {
    this.cancelCompaction(uri);
    const pending = this.pending.get(uri);
    if (pending) this.cancel(uri, pending);
    this.lastEditAt.delete(uri);
    this.publishedVersion.delete(uri);
    if (this.mode === "push") this.send(uri, undefined, []);
  }

  /** Settings changed: lint every open document again (push) or let the caller ask clients to pull. */
  relintAll(): void {
    if (this.mode !== "push") return;
    for (const doc of this.store.all()) this.schedule(doc.uri, 0);
  }

  /** Pull mode: resolves once the document's edits have settled, or rejects when the request is cancelled. */
  async settled(uri: string, token: CancellationToken): Promise<void> {
    for (;;) {
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, "request cancelled");
      const pending = this.pending.get(uri);
      if (!pending) return;
      await new Promise<void>((resolve) => {
        const subscription = token.onCancellationRequested(() => resolve());
        pending.waiters.push(() => {
          subscription.dispose();
          resolve();
        });
      });
    }
  }

  /** Answer a `textDocument/diagnostic` request. */
  async pull(params: DocumentDiagnosticParams, token: CancellationToken): Promise<DocumentDiagnosticReport> {
    const uri = params?.textDocument?.uri;
    if (typeof uri !== "string" || !this.store.get(uri)) return { kind: "full", items: [] };
    await this.settled(uri, token);
    const doc = this.store.get(uri);
    if (!doc) return { kind: "full", items: [] };
    const { resultId, items } = this.current(doc);
    if (doc.lint?.how === "incremental") this.scheduleCompaction(uri);
    if (params.previousResultId === resultId) return { kind: "unchanged", resultId };
    return { kind: "full", resultId, items };
  }

  private schedule(uri: string, delay: number): void {
    const now = performance.now();
    let pending = this.pending.get(uri);
    if (pending) {
      if (pending.immediate && delay === 0) return; // already due at once
      this.clearTimer(pending);
      if (now - pending.firstAt >= MAX_WAIT_MS) delay = 0;
    } else {
      pending = { timer: null, immediate: false, firstAt: now, waiters: [] };
      this.pending.set(uri, pending);
    }
    const entry = pending;
    const fire = (): void => {
      entry.timer = null;
      // Edits already received but not yet handled join this lint instead of each getting one.
      this.drained(() => {
        if (this.pending.get(uri) !== entry || entry.timer !== null) return; // cancelled or rescheduled meanwhile
        this.pending.delete(uri);
        for (const resolve of entry.waiters.splice(0)) resolve();
        if (this.mode === "push") this.publish(uri);
      }, entry.firstAt + MAX_WAIT_MS);
    };
    entry.immediate = delay === 0;
    entry.timer = delay === 0 ? setImmediate(fire) : setTimeout(fire, Math.min(delay, Math.max(0, MAX_WAIT_MS - (now - entry.firstAt))));
  }

  private scheduleCompaction(uri: string): void {
    this.cancelCompaction(uri);
    const timer = setTimeout(() => {
      this.compactions.delete(uri);
      const doc = this.store.get(uri);
      if (!doc || this.pending.has(uri)) return;
      try {
        if (this.analyzer.compact(doc) && this.mode === "push") this.publish(uri);
      } catch (error) {
        this.onError(`Checking the incremental lints of ${uri} failed`, error);
      }
    }, COMPACT_AFTER_MS);
    timer.unref();
    this.compactions.set(uri, timer);
  }

  private cancelCompaction(uri: string): void {
    const timer = this.compactions.get(uri);
    if (timer) clearTimeout(timer);
    this.compactions.delete(uri);
  }

  private clearTimer(pending: Pending): void {
    if (pending.timer === null) return;
    if (pending.immediate) clearImmediate(pending.timer as NodeJS.Immediate);
    else clearTimeout(pending.timer as NodeJS.Timeout);
    pending.timer = null;
  }

  private cancel(uri: string, pending: Pending): void {
    this.clearTimer(pending);
    this.pending.delete(uri);
    for (const resolve of pending.waiters.splice(0)) resolve();
  }

  private publish(uri: string): void {
    const doc = this.store.get(uri);
    if (!doc) return;
    try {
      const version = versionOf(doc);
      const last = this.publishedVersion.get(uri);
      if (last !== undefined && version < last) return;
      const { items } = this.current(doc);
      this.publishedVersion.set(uri, version);
      // (Before the diagnostics, so that a client timing them has the split when they arrive.)
      if (this.timing && doc.lint) this.timing(`timing ${uri} v${version}: parse ${doc.lint.parseMs.toFixed(2)} ms, lint ${doc.lint.lintMs.toFixed(2)} ms (${doc.lint.how})`);
      this.send(uri, version, items);
      if (doc.lint?.how === "incremental") this.scheduleCompaction(uri);
    } catch (error) {
      this.onError(`Linting ${uri} failed`, error);
    }
  }
}
