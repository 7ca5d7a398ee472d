/**
 * The engine's public types. Offsets are UTF-16 code-unit offsets into the source string (what
 * web-tree-sitter reports for JavaScript strings); only `positions.ts` converts them to lines and
 * columns for the front ends.
 */
import type { Node } from "web-tree-sitter";
import type { Facts } from "./facts/index.js";
import type { SemanticModel } from "./model.js";

export type { Node };

export type Severity = "error" | "warning" | "information" | "hint";
export type FixSafety = "safe" | "unsafe";

/** Replace source[start, end) with newText. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  /** Imperative title shown in editors ("Replace the list comprehension with a generator"). */
  description: string;
  safety: FixSafety;
  edits: TextEdit[];
}

export interface Diagnostic {
  code: string;
  name: string;
  severity: Severity;
  message: string;
  start: number;
  end: number;
  /** Estimated bytes held by what the diagnostic points at, when computable from constants. */
  estimatedBytes: number | null;
  fix: Fix | null;
}

export type TargetVersion = "py38" | "py39" | "py310" | "py311" | "py312" | "py313";

/** Settings every front end resolves to (CLI flags, pyproject, LSP settings). */
export interface Settings {
  /**
   * Report findings that carry no evidence that memory is at stake (the pattern advice alone).
   * Off by default: a finding needs a size, growth from run-time data, or objects kept alive.
   */
  reportWithoutEvidence: boolean;
  /** The smallest constant size estimate that counts as evidence (1 MiB by default). */
  minSizeBytes: number;
  /** Check test code like other code (off: see facts/context.ts for what is test code). */
  checkTestCode: boolean;
  /** Count additions made by code that runs once per process as growth (off: facts/context.ts). */
  checkRunOnceCode: boolean;
  /**
   * Honour other tools' suppressions of the same concern (`# noqa: B019` silences MH202 and
   * MH203 on that line; suppressions.ts lists the mapping).
   */
  respectOtherTools: boolean;
  /** Codes or prefixes ("MH1", "MH101", "ALL"); empty means all rules. */
  select: string[];
  ignore: string[];
  /** Severity overrides per code. */
  severity: Record<string, Severity>;
  /** MH104: allocations at or above this size are reported. */
  hugeAllocationBytes: number;
  /** MH202: the maxsize that the fix writes. */
  lruCacheMaxsize: number;
  targetVersion: TargetVersion;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  reportWithoutEvidence: false,
  minSizeBytes: 1024 * 1024,
  checkTestCode: false,
  checkRunOnceCode: false,
  respectOtherTools: true,
  select: [],
  ignore: [],
  severity: {},
  hugeAllocationBytes: 64 * 1024 * 1024,
  lruCacheMaxsize: 128,
  targetVersion: "py39",
});

export interface RuleDocs {
  /** What it does: one or two sentences. */
  what: string;
  /** Why is this bad: where the memory goes. */
  why: string;
  /** Python code that triggers the rule. */
  example: string;
  /** The preferred form. */
  useInstead: string;
  /** When the fix is safe and when it is not. */
  fixSafety: string;
  /** Known limits: what the rule does not see, traps it stays silent on. */
  limits: string;
}

/** What a finding needs to be worth a user's attention (CATALOG.md, "Evidence"). */
export type EvidenceKind = "size" | "growth" | "lifetime";

/** The evidence that memory is at stake behind one finding. */
export interface Evidence {
  kind: EvidenceKind;
  /**
   * A few words for the message: "≈ 38.1 MiB for 1,000,000 elements", "keys come from `url`, a
   * parameter of `fetch()`", "a `Node` is made per call of `parse()`".
   */
  text: string;
  /** Size evidence from constants (an estimate), not a length that comes from run-time data. */
  constant?: boolean;
  /** For growth: where the container grows (growth from code that runs once does not count). */
  site?: Node;
}

export interface ReportArgs {
  /** The node whose range the diagnostic covers; or give start/end. */
  node?: Node;
  start?: number;
  end?: number;
  /** Which of the rule's `messages`; its `{{placeholders}}` are filled from `data`. */
  messageId: string;
  data?: Readonly<Record<string, string | number>>;
  estimatedBytes?: number | null;
  fix?: Fix | null;
  /** Why memory is at stake; without it the finding is dropped unless `reportWithoutEvidence`. */
  evidence?: Evidence | null;
}

export interface RuleContext {
  readonly source: string;
  readonly model: SemanticModel;
  /** What the engine knows beyond the model: classes, decorators, recursion (facts/index.ts). */
  readonly facts: Facts;
  readonly settings: Readonly<Settings>;
  report(args: ReportArgs): void;
}

export interface Rule {
  code: string;
  name: string;
  severity: Severity;
  docs: RuleDocs;
  /**
   * Every message the rule reports, by id (typescript-eslint's `meta.messages`): short, saying
   * what is at stake; `{{name}}` placeholders are filled from the report's `data`.
   */
  messages: Readonly<Record<string, string>>;
  /** Nearest rules of other linters ("ruff C419"). */
  peers: string[];
  /**
   * The evidence its findings need (`Evidence.kind`). In test code, growth and lifetime rules are
   * silent, and size rules need a constant size estimate (`silentInTests`: silent there too).
   */
  evidence: EvidenceKind;
  /** Silent in test code whatever the evidence (tests allocate huge arrays on purpose). */
  silentInTests?: boolean;
  /**
   * Not in the default selection: the rule runs only when `select` names it (its code, a prefix
   * such as `MH2`, or `ALL`; `MH` alone means the default selection). Set when its findings fell
   * short of the precision bar in the review (test/precision/). The measured figures are generated, not
   * typed here: rules/precision.json (`npm run precision -- figures --write`).
   */
  optIn?: boolean;
  /** Node types this rule wants to see; the engine fetches them natively and dispatches. */
  nodeTypes: readonly string[];
  /** Whether the rule can offer a fix (for docs and tables). */
  fixable: "always" | "sometimes" | "never";
  check(node: Node, ctx: RuleContext): void;
  /**
   * For rules whose candidates are rare words of the text (an allocator's name, a `*`) among
   * node types that are everywhere (calls, binary operators): find them in source[start, end)
   * instead of having every node of those types fetched, and check them. Called once with the
   * whole file, or with the edited function's range when linting incrementally; report only on
   * nodes that start in the range.
   */
  scan?(start: number, end: number, ctx: RuleContext): void;
  /**
   * Incremental linting (the language server re-checks only the function being edited and keeps
   * the other findings). The engine already accounts for what the semantic model carries across
   * functions: the uses of module names (`global` declarations, and the statements that use a
   * name some check asked about through `referencesOf` or `mutationsOf`). A check must find the
   * uses of a module name through those two, never by walking the tree or the text itself. A
   * rule whose checks of other nodes read more of a function body says what, one of two ways:
   *   - `functionSummary`: the part of the edited function (`fn`, a function_definition) that its
   *     checks elsewhere can see, as text; two versions with equal summaries must look the same.
   *     It is also asked about statements edited directly in a class body or the module (`fn`
   *     null, the statements in ctx.bodyStart..bodyEnd: whole methods, each also summarized on
   *     its own, and statements that bind nothing), where checks of the class's methods can
   *     see them;
   *   - `fileNodes`: the rule reads too much of the file to summarize; after each edit it is run
   *     again on every node it wants, which this lists from the model (without the edited
   *     function's, which the engine adds). A rule whose messages quote the line of another
   *     node needs this too: other findings are only moved, their messages kept. So does a rule
   *     whose fixes read text beyond their own edits, except for the blank space next to them
   *     and the module's first statement (where imports are added): the engine already drops a
   *     kept finding whose fix is separated from the edit by blank space only, and lints in
   *     full when the module's first statement changes.
   */
  functionSummary?(fn: Node | null, ctx: SummaryContext): string;
  fileNodes?(model: SemanticModel, source: string): Node[];
}

/** What `Rule.functionSummary` gets besides the function. */
export interface SummaryContext {
  readonly model: SemanticModel;
  readonly source: string;
  /**
   * The function's body: from just after the header's colon to the function's end (or the
   * class- or module-level statements summarized, when there is no function).
   */
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** Identifiers in the body that refer to module-level variables. */
  readonly moduleReferences: readonly Node[];
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
