/**
 * Linting an open document: the engine's lintTree on the document's (incrementally reparsed)
 * tree, cached per document version and settings generation. A rule that throws is disabled for
 * that document only, and the log says so once.
 */
import type { LintResult, Rule, Settings } from "../engine/index.js";
import { disposeLintState, lintFull, lintIncremental, type StatefulLint } from "../engine/incremental.js";
import { type DocumentStore, type OpenDocument, setLintState, textOf, versionOf } from "./documents.js";
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
  /** "incremental", or why the whole file was linted (for MEMHINT_LSP_TIMING). */
  how: string;
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

  /** The document's path inside its project (the facts tell test files by it). */
  projectPathOf(doc: OpenDocument): string | null {
    return this.settings.projectPath(doc.uri);
  }

  /** Whether size inlay hints are shown for `doc`. */
  inlayHintsFor(doc: OpenDocument): boolean {
    return this.settings.editorFor(doc.uri).inlayHints;
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
    const since = doc.sinceLint;
    // An edit inside one function re-checks that function only (incremental.ts), exactly as a
    // full lint would; anything else, or any doubt, lints the whole file.
    const own = tree.copy(); // the lint state's own tree: the document's is edited in place
    let outcome: StatefulLint | null = null;
    let how = !doc.lintState ? "first lint" : !since.exact || !since.span ? "whole text replaced" : since.reparses !== 1 ? "several reparses" : "incremental";
    if (doc.lintState && since.exact && since.span && since.reparses === 1) {
      try {
        const incremental = lintIncremental(doc.lintState, own, text, doc.lines, since.span, since.ranges, settings, doc.disabled);
        if (incremental.ok) outcome = incremental.lint;
        else how = incremental.reason;
      } catch (error) {
        // A bug in the incremental path costs a full lint, never a wrong or missing result.
        this.log.error(`Incremental linting of ${doc.uri} failed (a memhint bug); linting the whole file instead`, error);
        how = "error";
      }
    }
    if (outcome) {
      doc.lintState = null; // consumed: its trees now belong to the new state
    } else {
      outcome = lintFull(own, text, this.rules, settings, doc.lines, doc.disabled, this.settings.projectPath(doc.uri));
    }
    let result = outcome.result;
    if (result.failures.length > 0) {
      for (const failure of result.failures) {
        doc.disabled.add(failure.code);
        this.log.error(
          `Rule ${failure.code} failed on ${doc.uri} (version ${version}) and is disabled for this document until it is closed; other rules and documents are unaffected`,
          failure.error,
        );
      }
      // Lint again without the failed rules so that no half-finished findings of theirs remain.
      outcome = lintFull(tree.copy(), text, this.rules, settings, doc.lines, doc.disabled, this.settings.projectPath(doc.uri));
      result = outcome.result;
    }
    setLintState(doc, outcome.state);
    const end = performance.now();
    doc.lint = { version, generation, settings, result, parseMs: lintStart - parseStart, lintMs: end - lintStart, how };
    return doc.lint;
  }

  /**
   * When typing pauses: lint the document in full, check that the incremental lints gave the
   * same diagnostics (they must; a difference is a memhint bug, logged), and start the next
   * incremental lints from the fresh state, which frees the trees the old one kept. Returns
   * whether the diagnostics changed.
   */
  compact(doc: OpenDocument): boolean {
    const snapshot = doc.lint;
    const state = doc.lintState;
    if (!snapshot || !state || state.steps === 0 || doc.skipped || snapshot.version !== versionOf(doc)) return false;
    const tree = this.store.tree(doc);
    if (!tree || doc.sinceLint.span || !doc.sinceLint.exact) return false;
    const outcome = lintFull(tree.copy(), textOf(doc), this.rules, snapshot.settings, doc.lines, doc.disabled, this.settings.projectPath(doc.uri));
    if (outcome.result.failures.length > 0) {
      if (outcome.state) disposeLintState(outcome.state);
      return false;
    }
    setLintState(doc, outcome.state);
    const before = JSON.stringify(snapshot.result.diagnostics);
    if (JSON.stringify(outcome.result.diagnostics) === before) {
      snapshot.result.model = outcome.result.model;
      return false;
    }
    this.log.error(
      `Incremental linting of ${doc.uri} (version ${snapshot.version}) disagreed with a full lint, which is a memhint bug; the full lint's diagnostics replace them. Please report it with the file.`,
    );
    doc.lint = { ...snapshot, result: outcome.result, how: "full lint after incremental ones disagreed", published: undefined };
    return true;
  }
}

