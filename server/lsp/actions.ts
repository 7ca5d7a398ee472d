/**
 * Code actions. Per memhint diagnostic: its fix as a `quickfix` (safe fixes preferred, unsafe ones
 * say so), "Ignore MHxxx on this line" and "Ignore MHxxx in this file". For the document:
 * `source.fixAll.memhint`, every safe fix in one edit (never unsafe fixes, never suppressions),
 * computed in `codeAction/resolve` when the client can resolve edits lazily.
 *
 * Quick fixes are stateless: the edits travel in the diagnostic's `data`, valid for the version
 * they name; for any other version the current findings are looked up instead.
 */
import type {
  CodeAction, CodeActionParams, Diagnostic as LspDiagnostic, TextEdit as LspTextEdit, WorkspaceEdit,
} from "vscode-languageserver";
import { CodeActionKind } from "vscode-languageserver";
import { fixSource, type PositionEncoding, type PythonParser, type Rule, type TextEdit } from "../engine/index.js";
import type { Analyzer } from "./analysis.js";
import { type DiagnosticData, type DiagnosticsService, toLspEdit } from "./diagnostics.js";
import { type DocumentStore, type OpenDocument, textOf, versionOf } from "./documents.js";
import { toOffsets } from "./encoding.js";
import { fileSuppressionEdit } from "../engine/suppression-edits.js";

export const FIX_ALL_KIND = "source.fixAll.memhint";
export const CODE_ACTION_KINDS = [CodeActionKind.QuickFix, FIX_ALL_KIND];

export interface ActionContext {
  store: DocumentStore;
  analyzer: Analyzer;
  diagnostics: DiagnosticsService;
  parser: PythonParser;
  rules: readonly Rule[];
  encoding(): PositionEncoding;
  /** The client applies versioned `documentChanges`. */
  documentChanges: boolean;
  /** The client resolves a code action's `edit` lazily. */
  resolveEdits: boolean;
  /** A rule threw while fixing (on text the fixes produced): it is disabled for the document. */
  onRuleFailure(doc: OpenDocument, code: string, error: unknown): void;
}

interface FixAllData {
  fixAll: true;
  uri: string;
  version: number;
}

function wants(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((k) => kind === k || kind.startsWith(`${k}.`));
}

function workspaceEdit(ctx: ActionContext, uri: string, version: number, edits: LspTextEdit[]): WorkspaceEdit {
  if (ctx.documentChanges) return { documentChanges: [{ textDocument: { uri, version }, edits }] };
  return { changes: { [uri]: edits } };
}

function isRange(value: unknown): boolean {
  const r = value as { start?: { line?: unknown; character?: unknown }; end?: { line?: unknown; character?: unknown } };
  return !!r && typeof r === "object" && Number.isInteger(r.start?.line) && Number.isInteger(r.start?.character)
    && Number.isInteger(r.end?.line) && Number.isInteger(r.end?.character);
}

function isEdit(value: unknown): value is LspTextEdit {
  const e = value as LspTextEdit;
  return !!e && typeof e === "object" && typeof e.newText === "string" && isRange(e.range);
}

/** The data of a diagnostic the client sent back, when it is well formed and for `version`. */
function usableData(d: LspDiagnostic, version: number): DiagnosticData | null {
  const data = d.data as DiagnosticData | undefined;
  if (!data || typeof data !== "object" || data.version !== version) return null;
  if (data.fix !== undefined && (typeof data.fix?.title !== "string" || !Array.isArray(data.fix.edits) || !data.fix.edits.every(isEdit))) return null;
  if (data.ignoreLine !== undefined && !isEdit(data.ignoreLine)) return null;
  return data;
}

function sameRange(a: LspDiagnostic["range"], b: LspDiagnostic["range"]): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character
    && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** The memhint diagnostics an action request is about, each with data valid for the current version. */
function diagnosticsFor(ctx: ActionContext, doc: OpenDocument, params: CodeActionParams): LspDiagnostic[] {
  const version = versionOf(doc);
  const sent = (Array.isArray(params.context?.diagnostics) ? params.context.diagnostics : [])
    .filter((d) => d && d.source === "memhint" && typeof d.code === "string" && isRange(d.range));
  let current: LspDiagnostic[] | null = null;
  const currentItems = (): LspDiagnostic[] => (current ??= ctx.diagnostics.current(doc).items);
  if (sent.length === 0) {
    // Some clients send no diagnostics: offer actions for the findings under the requested range.
    if (!isRange(params.range)) return [];
    const [from, to] = toOffsets(doc.lines, params.range, ctx.encoding());
    const snapshot = ctx.analyzer.analyze(doc);
    if (!snapshot) return [];
    const items = currentItems();
    return snapshot.result.diagnostics.flatMap((d, i) => (d.start <= to && from <= d.end ? [items[i]] : []));
  }
  const out: LspDiagnostic[] = [];
  for (const d of sent) {
    if (usableData(d, version)) {
      out.push(d);
      continue;
    }
    const match = currentItems().find((c) => c.code === d.code && sameRange(c.range, d.range));
    if (match) out.push(match);
  }
  return out;
}

export function codeActions(ctx: ActionContext, params: CodeActionParams): CodeAction[] {
  const uri = params?.textDocument?.uri;
  const doc = typeof uri === "string" ? ctx.store.get(uri) : undefined;
  if (!doc || doc.skipped) return [];
  const only = Array.isArray(params.context?.only) ? params.context.only : undefined;
  const version = versionOf(doc);
  const fixes: CodeAction[] = [];
  const ignores: CodeAction[] = [];
  if (wants(only, CodeActionKind.QuickFix)) {
    const seenLine = new Set<string>();
    const seenFile = new Set<string>();
    for (const d of diagnosticsFor(ctx, doc, params)) {
      const data = usableData(d, version);
      if (!data) continue;
      const code = String(d.code);
      if (data.fix) {
        fixes.push({
          title: data.fix.safe ? data.fix.title : `${data.fix.title} (unsafe: may change behaviour)`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: data.fix.safe,
          edit: workspaceEdit(ctx, doc.uri, version, data.fix.edits),
        });
      }
      if (data.ignoreLine) {
        const key = `${code}:${JSON.stringify(data.ignoreLine)}`;
        if (!seenLine.has(key)) {
          seenLine.add(key);
          ignores.push({
            title: `Ignore ${code} on this line`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            edit: workspaceEdit(ctx, doc.uri, version, [data.ignoreLine]),
          });
        }
      }
      if (!seenFile.has(code)) {
        seenFile.add(code);
        const tree = ctx.store.tree(doc);
        const edit = tree ? fileSuppressionEdit(tree, doc.lines, code) : null;
        if (edit) {
          ignores.push({
            title: `Ignore ${code} in this file`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            edit: workspaceEdit(ctx, doc.uri, version, [toLspEdit(doc.lines, edit, ctx.encoding())]),
          });
        }
      }
    }
  }
  const actions = [...fixes, ...ignores];
  if (wants(only, FIX_ALL_KIND)) {
    const snapshot = ctx.analyzer.analyze(doc);
    if (snapshot?.result.diagnostics.some((d) => d.fix?.safety === "safe")) {
      const data: FixAllData = { fixAll: true, uri: doc.uri, version };
      const action: CodeAction = { title: "memhint: apply all safe fixes", kind: FIX_ALL_KIND, data };
      if (!ctx.resolveEdits) {
        const edit = fixAllEdit(ctx, doc);
        if (edit) actions.push({ ...action, edit });
      } else {
        actions.push(action);
      }
    }
  }
  return actions;
}

/** `codeAction/resolve`: fill in the fix-all edit (for the document as it is now). */
export function resolveCodeAction(ctx: ActionContext, action: CodeAction): CodeAction {
  const data = action?.data as FixAllData | undefined;
  if (!data || data.fixAll !== true || typeof data.uri !== "string") return action;
  const doc = ctx.store.get(data.uri);
  if (!doc || doc.skipped) return action;
  const edit = fixAllEdit(ctx, doc);
  return edit ? { ...action, edit } : action;
}

/** Every safe fix of the document, iterated to a fixed point by the engine, as one edit. */
export function fixAllEdit(ctx: ActionContext, doc: OpenDocument): WorkspaceEdit | null {
  const snapshot = ctx.analyzer.analyze(doc);
  if (!snapshot) return null;
  const text = textOf(doc);
  const result = fixSource(ctx.parser, text, ctx.rules, snapshot.settings, {
    unsafe: false, disabled: doc.disabled, firstLint: snapshot.result, path: ctx.analyzer.projectPathOf(doc),
  });
  for (const failure of result.failures) ctx.onRuleFailure(doc, failure.code, failure.error);
  if (result.output === text) return null;
  const edit = minimalEdit(text, result.output);
  return workspaceEdit(ctx, doc.uri, versionOf(doc), [toLspEdit(doc.lines, edit, ctx.encoding())]);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * One edit turning `before` into `after`: the span between their common prefix and suffix,
 * widened so that it never splits a surrogate pair or a CRLF (no position encoding can name
 * such a point).
 */
export function minimalEdit(before: string, after: string): TextEdit {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  const splits = (text: string, at: number): boolean =>
    at > 0 && at < text.length && (isHighSurrogate(text.charCodeAt(at - 1)) || (text[at - 1] === "\r" && text[at] === "\n"));
  while (prefix > 0 && (splits(before, prefix) || splits(after, prefix))) prefix--;
  while (suffix > 0 && (splits(before, before.length - suffix) || splits(after, after.length - suffix))) suffix--;
  return { start: prefix, end: before.length - suffix, newText: after.slice(prefix, after.length - suffix) };
}
