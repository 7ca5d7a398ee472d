/**
 * The lint pass: one native fetch of the node types that the model and the enabled rules need,
 * the model built from that list, then one dispatch in document order. Suppressions, severity
 * overrides and select/ignore are applied here, once, for every front end.
 */
import type { Node, Tree } from "web-tree-sitter";
import { MODEL_NODE_TYPES, SemanticModel } from "./model.js";
import type { PythonParser } from "./parser.js";
import { LineIndex } from "./positions.js";
import { ruleEnabled } from "./settings.js";
import { SUPPRESSION_CODE, isSuppressed, parseSuppressions } from "./suppressions.js";
import type { Diagnostic, ReportArgs, Rule, RuleContext, Settings } from "./types.js";

export interface RuleFailure {
  code: string;
  error: unknown;
}

export interface LintResult {
  diagnostics: Diagnostic[];
  /** The tree has syntax errors; findings whose construct contains one were dropped. */
  hasSyntaxErrors: boolean;
  /** Rules that threw; each was disabled for the rest of this run. */
  failures: RuleFailure[];
  lines: LineIndex;
  /** The semantic model, when `keepModel` was asked: valid only while the tree lives unedited. */
  model?: SemanticModel;
}

export interface LintOptions {
  /** Rules not to run for this document (for example because they threw on it before). */
  disabled?: ReadonlySet<string>;
  /** Reuse a line index already built for this exact source. */
  lines?: LineIndex;
  /** Return the model too (the language server's inlay hints ask it sizes without a second build). */
  keepModel?: boolean;
}

export function lintTree(tree: Tree, source: string, rules: readonly Rule[], settings: Settings, options: LintOptions = {}): LintResult {
  const root = tree.rootNode;
  const lines = options.lines ?? new LineIndex(source);
  const enabled = rules.filter((r) => ruleEnabled(r.code, settings) && !options.disabled?.has(r.code));
  const byType = new Map<string, Rule[]>();
  for (const rule of enabled) {
    for (const type of rule.nodeTypes) {
      const list = byType.get(type);
      if (list) list.push(rule);
      else byType.set(type, [rule]);
    }
  }
  const types = new Set<string>(MODEL_NODE_TYPES);
  for (const type of byType.keys()) types.add(type);
  const nodes = root.descendantsOfType([...types]).filter((n): n is Node => n !== null);
  const model = new SemanticModel(root, nodes);

  const found: Diagnostic[] = [];
  const failures: RuleFailure[] = [];
  const failed = new Set<string>();
  const hasSyntaxErrors = root.hasError;
  let active: Rule = enabled[0];
  const ctx: RuleContext = {
    source,
    model,
    settings,
    report(args: ReportArgs): void {
      const start = args.node ? args.node.startIndex : args.start;
      const end = args.node ? args.node.endIndex : args.end;
      if (start === undefined || end === undefined) throw new Error(`${active.code}: report() needs a node or start and end`);
      if (hasSyntaxErrors && (args.node ? args.node.hasError : root.descendantForIndex(start, end)?.hasError)) return;
      found.push({
        code: active.code,
        name: active.name,
        severity: settings.severity[active.code] ?? active.severity,
        message: args.message,
        start,
        end,
        estimatedBytes: args.estimatedBytes ?? null,
        fix: args.fix && args.fix.edits.length > 0 ? args.fix : null,
      });
    },
  };

  for (const node of nodes) {
    const interested = byType.get(node.type);
    if (!interested) continue;
    for (const rule of interested) {
      if (failed.has(rule.code)) continue;
      active = rule;
      try {
        rule.check(node, ctx);
      } catch (error) {
        failed.add(rule.code);
        failures.push({ code: rule.code, error });
      }
    }
  }

  const knownCodes = new Set(rules.map((r) => r.code));
  knownCodes.add(SUPPRESSION_CODE);
  const suppressions = parseSuppressions(source, root, lines, knownCodes);
  const diagnostics = found.filter((d) => !isSuppressed(suppressions, d, lines));
  if (ruleEnabled(SUPPRESSION_CODE, settings)) {
    for (const p of suppressions.problems) {
      const severity = settings.severity[SUPPRESSION_CODE] ?? p.severity;
      const d = { ...p, severity };
      if (!isSuppressed({ ...suppressions, file: false }, d, lines)) diagnostics.push(d);
    }
  }
  diagnostics.sort((a, b) => a.start - b.start || a.end - b.end || a.code.localeCompare(b.code));
  const result: LintResult = { diagnostics: dedupe(diagnostics), hasSyntaxErrors, failures, lines };
  if (options.keepModel) result.model = model;
  return result;
}

/** Parse and lint a source string (the tree is freed before returning). */
export function lintSource(parser: PythonParser, source: string, rules: readonly Rule[], settings: Settings, options: LintOptions = {}): LintResult {
  const tree = parser.parse(source);
  try {
    return lintTree(tree, source, rules, settings, options);
  } finally {
    tree.delete();
  }
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const last = out[out.length - 1];
    if (last && last.code === d.code && last.start === d.start && last.end === d.end) continue;
    out.push(d);
  }
  return out;
}
