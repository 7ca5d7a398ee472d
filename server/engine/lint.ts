/**
 * The lint pass: one native fetch of the node types that the model and the enabled rules need,
 * the model built from that list, then one dispatch in document order. Suppressions, severity
 * overrides and select/ignore are applied here, once, for every front end.
 */
import type { Node, Tree } from "web-tree-sitter";
import { type Facts, factsOf, setFilePath } from "./facts/index.js";
import { MODEL_NODE_TYPES, SemanticModel, StaleNodeError } from "./model.js";
import type { PythonParser } from "./parser.js";
import { LineIndex } from "./positions.js";
import { ruleEnabled } from "./settings.js";
import { BUILTIN_CODES } from "./builtin-rules.js";
import { SUPPRESSION_CODE, UNUSED_SUPPRESSION_CODE, isSuppressed, parseSuppressions, unusedSuppressions } from "./suppressions.js";
import { SYNTAX_ERROR_CODE, SYNTAX_ERROR_NAME, syntaxProblems } from "./syntax-errors.js";
import type { Diagnostic, Fix, ReportArgs, Rule, RuleContext, Settings } from "./types.js";

export interface RuleFailure {
  code: string;
  error: unknown;
}

export interface LintResult {
  diagnostics: Diagnostic[];
  /**
   * The code has syntax errors (not counting tree-sitter's grammar gaps, syntax-errors.ts);
   * findings whose construct contains one were dropped. Reported as MH000 when it is selected.
   * An incremental lint with MH000 not selected (the editor's default) does not tell grammar
   * gaps apart, which takes a reparse of the file on every keystroke with an error in it: there
   * it is whether the tree has an error at all.
   */
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
  /** The file's path (as given on the command line or by the editor); null or absent: unknown (stdin). */
  path?: string | null;
}

/** The enabled rules of one lint, indexed by the node types they want. */
export interface Dispatch {
  enabled: Rule[];
  byType: Map<string, Rule[]>;
  /** Node types fetched: the model's and the enabled rules'. */
  types: string[];
  /** Codes of the enabled rules that read the whole file (Rule.fileNodes). */
  fileRules: Set<string>;
  /** `byType` without those: what an incremental lint runs on the edited function. */
  localByType: Map<string, Rule[]>;
  knownCodes: Set<string>;
}

export function dispatchFor(rules: readonly Rule[], settings: Settings, disabled?: ReadonlySet<string>): Dispatch {
  const enabled = rules.filter((r) => ruleEnabled(r.code, settings, !!r.optIn) && !disabled?.has(r.code));
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
  const knownCodes = new Set(rules.map((r) => r.code));
  for (const code of BUILTIN_CODES) knownCodes.add(code);
  const fileRules = new Set(enabled.filter((r) => r.fileNodes).map((r) => r.code));
  const localByType = new Map<string, Rule[]>();
  for (const [type, list] of byType) {
    const local = list.filter((r) => !r.fileNodes);
    if (local.length > 0) localByType.set(type, local);
  }
  return { enabled, byType, types: [...types], knownCodes, fileRules, localByType };
}

/** A rule's report, before suppressions and the syntax-error filter. */
export interface Finding {
  diagnostic: Diagnostic;
  /** Where the node whose check reported it starts. */
  origin: number;
  /** The type of the node reported on (null: a range); it decides `hasError`. */
  anchorType: string | null;
  /** The reported construct contains a syntax error: not shown. */
  hasError: boolean;
  /** The rule's message id (another tool's suppression may cover only that shape). */
  messageId: string;
}

/** Run the rules on `nodes` (in document order), appending to `findings` and `failures`. */
export function runRules(
  nodes: readonly Node[], dispatch: Dispatch, source: string, model: SemanticModel, settings: Settings, root: Node,
  findings: Finding[], failures: RuleFailure[],
): void {
  const failed = new Set<string>(failures.map((f) => f.code));
  const rootHasError = root.hasError;
  const eol = lineEndingOf(source);
  let active: Rule = dispatch.enabled[0];
  let origin = 0;
  const ctx: RuleContext = {
    source,
    model,
    facts: factsOf(model),
    settings,
    report: (args) => {
      if (atStake(active, args, ctx.facts, settings)) findings.push(findingOf(active, args, settings, root, rootHasError, origin, eol));
    },
  };
  for (const node of nodes) {
    const interested = dispatch.byType.get(node.type);
    if (!interested) continue;
    origin = node.startIndex;
    for (const rule of interested) {
      if (failed.has(rule.code)) continue;
      active = rule;
      try {
        rule.check(node, ctx);
      } catch (error) {
        if (error instanceof StaleNodeError) throw error;
        failed.add(rule.code);
        failures.push({ code: rule.code, error });
      }
    }
  }
}

/** Run the rules' text scans (Rule.scan) over source[start, end), appending to `findings` and `failures`. */
export function runScans(
  start: number, end: number, dispatch: Dispatch, source: string, model: SemanticModel, settings: Settings, root: Node,
  findings: Finding[], failures: RuleFailure[],
): void {
  const eol = lineEndingOf(source);
  const facts = factsOf(model);
  for (const rule of dispatch.enabled) {
    if (!rule.scan || failures.some((f) => f.code === rule.code)) continue;
    const rootHasError = root.hasError;
    const ctx: RuleContext = {
      source, model, facts, settings,
      report: (args) => {
        if (atStake(rule, args, facts, settings)) findings.push(findingOf(rule, args, settings, root, rootHasError, null, eol));
      },
    };
    try {
      rule.scan(start, end, ctx);
    } catch (error) {
      if (error instanceof StaleNodeError) throw error;
      failures.push({ code: rule.code, error });
    }
  }
}

/**
 * The line ending a file uses, from its first line break: fixes write theirs, so that a fix never
 * mixes `\n` into a file with `\r\n` (or lone `\r`) line endings.
 */
export function lineEndingOf(source: string): "\n" | "\r\n" | "\r" {
  const cr = source.indexOf("\r");
  if (cr < 0) return "\n";
  const lf = source.indexOf("\n");
  if (lf >= 0 && lf < cr) return "\n";
  return source.charCodeAt(cr + 1) === 10 ? "\r\n" : "\r";
}

/** `fix` with every line break in its new text written as `eol`. */
function withLineEnding(fix: Fix, eol: string): Fix {
  if (eol === "\n" && !fix.edits.some((e) => e.newText.includes("\r"))) return fix;
  return { ...fix, edits: fix.edits.map((e) => ({ ...e, newText: e.newText.replace(/\r\n|\r|\n/g, eol) })) };
}

/** The longest a message should be; the explanation belongs in hover and the rule's docs. */
export const MESSAGE_BUDGET = 120;

/**
 * The rule's message `args.messageId` with its placeholders filled from `args.data`, then fitted
 * to {@link MESSAGE_BUDGET}.
 */
export function formatMessage(rule: Pick<Rule, "code" | "messages">, args: Pick<ReportArgs, "messageId" | "data">): string {
  const template = Object.hasOwn(rule.messages, args.messageId) ? rule.messages[args.messageId] : undefined;
  if (template === undefined) throw new Error(`${rule.code}: no message "${args.messageId}"`);
  return fitMessage(template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    const value = args.data?.[name];
    if (value === undefined) throw new Error(`${rule.code}: message "${args.messageId}" needs "${name}"`);
    return String(value);
  }));
}

/** Shortest a quoted name or code span is cut to, so that it still says what it is. */
const SPAN_FLOOR = 14;

/**
 * `message` within `budget` characters: while it is longer, the longest `code span` (the names
 * and code the rule quoted: long class, function and parameter names) is cut with "…", keeping
 * a call's `()`, and never below {@link SPAN_FLOOR} characters. The words stay whole.
 */
export function fitMessage(message: string, budget = MESSAGE_BUDGET): string {
  let text = message;
  while (text.length > budget) {
    let longest: RegExpExecArray | null = null;
    for (const m of text.matchAll(/`([^`]+)`/g)) if (!longest || m[1].length > longest[1].length) longest = m as RegExpExecArray;
    if (!longest || longest[1].length <= SPAN_FLOOR) break;
    const span = longest[1].replace(/…(\(\))?$/, "$1");
    const call = span.endsWith("()") ? "()" : "";
    const keep = Math.max(SPAN_FLOOR - 1 - call.length, longest[1].length - (text.length - budget) - 1 - call.length);
    const cut = `${span.slice(0, keep).trimEnd()}…${call}`;
    if (cut.length >= longest[1].length) break;
    text = `${text.slice(0, longest.index)}\`${cut}\`${text.slice(longest.index + longest[0].length)}`;
  }
  return text;
}

/**
 * Whether a report shows memory at stake, by the engine's one policy (CATALOG.md, "Evidence"),
 * so that no rule decides it alone:
 *   - a finding needs evidence (a size, growth from run-time data, objects kept alive), unless
 *     `reportWithoutEvidence`;
 *   - in test code (facts/context.ts), growth and lifetime rules, and rules `silentInTests`, are
 *     silent, and size rules need a constant size estimate, unless `checkTestCode`;
 *   - growth made by code that runs once per process is none, unless `checkRunOnceCode`.
 */
function atStake(rule: Rule, args: ReportArgs, facts: Facts, settings: Settings): boolean {
  const evidence = args.evidence ?? null;
  if (!evidence && !settings.reportWithoutEvidence) return false;
  const node = args.node ?? (args.start !== undefined ? facts.model.root.descendantForIndex(args.start, Math.max(args.start, (args.end ?? args.start) - 1)) : null);
  if (!settings.checkTestCode && node && facts.context.isTestCode(node)) {
    if (rule.evidence !== "size" || rule.silentInTests || !evidence?.constant) return false;
  }
  // Growth or lifetime made by test code (a test appending to a module-level list) is a test's.
  if (!settings.checkTestCode && rule.evidence !== "size" && evidence?.site && facts.context.isTestCode(evidence.site)) return false;
  if (!settings.checkRunOnceCode && evidence?.site && facts.context.runsOnce(evidence.site).once) return false;
  return true;
}

/** A report of `rule` as a finding; `origin` null: the reported node's start. */
function findingOf(rule: Rule, args: ReportArgs, settings: Settings, root: Node, rootHasError: boolean, origin: number | null, eol: string): Finding {
  const start = args.node ? args.node.startIndex : args.start;
  const end = args.node ? args.node.endIndex : args.end;
  if (start === undefined || end === undefined) throw new Error(`${rule.code}: report() needs a node or start and end`);
  const hasError = rootHasError && !!(args.node ? args.node.hasError : root.descendantForIndex(start, end)?.hasError);
  return {
    diagnostic: {
      code: rule.code,
      name: rule.name,
      severity: settings.severity[rule.code] ?? rule.severity,
      message: formatMessage(rule, args),
      start,
      end,
      estimatedBytes: args.estimatedBytes ?? null,
      fix: args.fix && args.fix.edits.length > 0 ? withLineEnding(args.fix, eol) : null,
    },
    origin: origin ?? start,
    anchorType: args.node ? args.node.type : null,
    hasError,
    messageId: args.messageId,
  };
}

/** Suppressions, MH001, MH000, order: the diagnostics shown for `findings`, and whether the code has syntax errors. */
export function finish(
  findings: readonly Finding[], source: string, root: Node, lines: LineIndex, dispatch: Dispatch, settings: Settings,
  exactSyntaxVerdict = true,
): { diagnostics: Diagnostic[]; hasSyntaxErrors: boolean } {
  const suppressions = parseSuppressions(source, root, lines, dispatch.knownCodes, settings.respectOtherTools);
  const diagnostics: Diagnostic[] = [];
  for (const f of findings) if (!f.hasError && !isSuppressed(suppressions, f.diagnostic, lines, f.messageId)) diagnostics.push(f.diagnostic);
  if (suppressions.comments.length > 0 && ruleEnabled(UNUSED_SUPPRESSION_CODE, settings)) {
    diagnostics.push(...unusedOf(findings, suppressions, source, lines, dispatch, settings));
  }
  const reported = ruleEnabled(SYNTAX_ERROR_CODE, settings);
  if (!reported && !exactSyntaxVerdict) {
    return { diagnostics: dedupe(otherDiagnostics(diagnostics, suppressions, lines, settings)), hasSyntaxErrors: root.hasError };
  }
  const syntax = syntaxProblems(root, source);
  if (reported) {
    for (const p of syntax) {
      const d: Diagnostic = {
        code: SYNTAX_ERROR_CODE, name: SYNTAX_ERROR_NAME, severity: settings.severity[SYNTAX_ERROR_CODE] ?? "error",
        message: p.message, start: p.start, end: p.end, estimatedBytes: null, fix: null,
      };
      if (!isSuppressed(suppressions, d, lines)) diagnostics.push(d);
    }
  }
  return { diagnostics: dedupe(otherDiagnostics(diagnostics, suppressions, lines, settings)), hasSyntaxErrors: syntax.length > 0 };
}

/**
 * MH002 for the suppressions that silence none of `findings` (a finding dropped for a syntax error
 * counts as silenced: the comment is needed once the code parses again).
 */
function unusedOf(
  findings: readonly Finding[], suppressions: ReturnType<typeof parseSuppressions>, source: string, lines: LineIndex,
  dispatch: Dispatch, settings: Settings,
): Diagnostic[] {
  const used = new Map<number, Set<string>>();
  const use = (line: number, code: string): void => {
    let set = used.get(line);
    if (!set) used.set(line, (set = new Set()));
    set.add(code);
  };
  for (const { diagnostic: d } of findings) {
    use(-1, d.code);
    use(lines.lineOf(d.start), d.code);
    use(lines.lineOf(Math.max(d.start, d.end - 1)), d.code);
  }
  const judged = new Set(dispatch.enabled.map((r) => r.code));
  const severity = settings.severity[UNUSED_SUPPRESSION_CODE];
  return unusedSuppressions(suppressions, source, lines, judged, used)
    .map((d) => (severity ? { ...d, severity } : d))
    .filter((d) => !isSuppressed({ ...suppressions, file: false }, d, lines));
}

/** MH001's problems added to `diagnostics`, and all sorted. */
function otherDiagnostics(diagnostics: Diagnostic[], suppressions: ReturnType<typeof parseSuppressions>, lines: LineIndex, settings: Settings): Diagnostic[] {
  if (ruleEnabled(SUPPRESSION_CODE, settings)) {
    for (const p of suppressions.problems) {
      const severity = settings.severity[SUPPRESSION_CODE] ?? p.severity;
      const d = { ...p, severity };
      if (!isSuppressed({ ...suppressions, file: false }, d, lines)) diagnostics.push(d);
    }
  }
  diagnostics.sort((a, b) => a.start - b.start || a.end - b.end || a.code.localeCompare(b.code));
  return diagnostics;
}

export function lintTree(tree: Tree, source: string, rules: readonly Rule[], settings: Settings, options: LintOptions = {}): LintResult {
  const { result } = lintWhole(tree, source, rules, settings, options.lines ?? new LineIndex(source), options.disabled, options.path);
  const { model, ...rest } = result;
  return options.keepModel ? { ...rest, model } : rest;
}

/** The whole lint pass; the result keeps the model and the findings. */
export function lintWhole(
  tree: Tree, source: string, rules: readonly Rule[], settings: Settings, lines: LineIndex, disabled?: ReadonlySet<string>,
  path?: string | null,
): { result: LintResult & { model: SemanticModel }; findings: Finding[]; dispatch: Dispatch } {
  const root = tree.rootNode;
  const dispatch = dispatchFor(rules, settings, disabled);
  const nodes = root.descendantsOfType(dispatch.types).filter((n): n is Node => n !== null);
  const model = new SemanticModel(root, nodes);
  setFilePath(model, path ?? null);
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  runRules(nodes, dispatch, source, model, settings, root, findings, failures);
  runScans(0, source.length, dispatch, source, model, settings, root, findings, failures);
  const { diagnostics, hasSyntaxErrors } = finish(findings, source, root, lines, dispatch, settings);
  return { result: { diagnostics, hasSyntaxErrors, failures, lines, model }, findings, dispatch };
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
