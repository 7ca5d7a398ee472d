/**
 * Linting an open document: the engine's lintTree on the document's (incrementally reparsed)
 * tree, cached per document version and settings generation. A rule that throws is disabled for
 * that document only, and the log says so once.
 */
import { lintTree, type LintResult, type Rule, type Settings } from "../engine/index.js";
import { type DocumentStore, type OpenDocument, textOf, versionOf } from "./documents.js";
import type { Logger } from "./log.js";
import type { SettingsManager } from "./settings.js";

export interface LintSnapshot {
  version: number;
  generation: number;
  settings: Settings;
  result: LintResult;
  /** Milliseconds spent (re)parsing and linting for this snapshot. */
  parseMs: number;
  lintMs: number;
  /** Converted LSP diagnostics, filled by diagnostics.ts on first use. */
  published?: unknown;
}

export class Analyzer {
  constructor(
    private readonly store: DocumentStore,
    private readonly rules: readonly Rule[],
    private readonly settings: SettingsManager,
    private readonly log: Logger,
  ) {}

  settingsFor(doc: OpenDocument): Settings {
    return this.settings.forDocument(doc.uri);
  }

  /** The current analysis of `doc` (computed if stale); null when the document is not linted. */
  analyze(doc: OpenDocument): LintSnapshot | null {
    if (doc.skipped) return null;
    const settings = this.settings.forDocument(doc.uri);
    const generation = this.settings.generation;
    const version = versionOf(doc);
    const cached = doc.lint;
    if (cached && cached.version === version && cached.generation === generation) return cached;
    const parseStart = performance.now();
    const tree = this.store.tree(doc);
    if (!tree) return null;
    const lintStart = performance.now();
    const text = textOf(doc);
    let result = lintTree(tree, text, this.rules, settings, { disabled: doc.disabled, lines: doc.lines, keepModel: true });
    if (result.failures.length > 0) {
      for (const failure of result.failures) {
        doc.disabled.add(failure.code);
        this.log.error(
          `Rule ${failure.code} failed on ${doc.uri} (version ${version}) and is disabled for this document until it is closed; other rules and documents are unaffected`,
          failure.error,
        );
      }
      // Lint again without the failed rules so that no half-finished findings of theirs remain.
      result = lintTree(tree, text, this.rules, settings, { disabled: doc.disabled, lines: doc.lines, keepModel: true });
    }
    const end = performance.now();
    doc.lint = { version, generation, settings, result, parseMs: lintStart - parseStart, lintMs: end - lintStart };
    return doc.lint;
  }
}

