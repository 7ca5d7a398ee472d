/**
 * Applying fixes: edits are sorted and must not overlap; fixes that overlap an already chosen fix
 * wait for the next pass; a fix whose result has more syntax errors than the input is rejected.
 * `fixSource` repeats lint → apply until nothing changes (with a pass limit) so fixes converge.
 */
import type { Tree } from "web-tree-sitter";
import { lintTree, type LintOptions, type LintResult, type RuleFailure } from "./lint.js";
import type { PythonParser } from "./parser.js";
import type { Diagnostic, Fix, Rule, Settings, TextEdit } from "./types.js";

/** Apply non-overlapping edits to `source`. Throws when two edits overlap. */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > source.length) {
      throw new Error(`overlapping or out-of-range edit at ${edit.start}..${edit.end}`);
    }
    out += source.slice(cursor, edit.start) + edit.newText;
    cursor = edit.end;
  }
  return out + source.slice(cursor);
}

function overlaps(a: readonly TextEdit[], b: readonly TextEdit[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x.start < y.end && y.start < x.end) return true;
      // Two insertions at one point, or an insertion at a replaced range's edge, have no order.
      if (x.start === y.start || x.end === y.end) return true;
    }
  }
  return false;
}

/** Fixes to apply together: the applicable ones, in order, skipping any that overlap a chosen one. */
export function chooseFixes(diagnostics: readonly Diagnostic[], unsafe: boolean): Diagnostic[] {
  const chosen: Diagnostic[] = [];
  const edits: TextEdit[] = [];
  for (const d of diagnostics) {
    if (!d.fix || (d.fix.safety === "unsafe" && !unsafe)) continue;
    if (overlaps(d.fix.edits, edits)) continue;
    chosen.push(d);
    edits.push(...d.fix.edits);
  }
  return chosen;
}

export function syntaxErrorCount(tree: Tree): number {
  const root = tree.rootNode;
  if (!root.hasError) return 0;
  return Math.max(1, root.descendantsOfType("ERROR").length);
}

/** Apply `fixes` to `source`, dropping any fix that would add a syntax error. */
export function applyFixesChecked(parser: PythonParser, source: string, fixes: readonly Fix[], baselineErrors: number): { output: string; applied: Fix[] } {
  const { output, applied, tree } = applyFixesKeepingTree(parser, source, fixes, baselineErrors);
  tree?.delete();
  return { output, applied };
}

/**
 * applyFixesChecked, also returning the tree it parsed `output` into (null when no fix was
 * applied): the caller owns it, and the next pass lints it instead of parsing the text again.
 */
function applyFixesKeepingTree(
  parser: PythonParser, source: string, fixes: readonly Fix[], baselineErrors: number,
): { output: string; applied: Fix[]; tree: Tree | null } {
  const tryApply = (subset: readonly Fix[]): { output: string; tree: Tree } | null => {
    const output = applyEdits(source, subset.flatMap((f) => f.edits));
    const tree = parser.parse(output);
    if (syntaxErrorCount(tree) <= baselineErrors) return { output, tree };
    tree.delete();
    return null;
  };
  const none = { output: source, applied: [], tree: null };
  if (fixes.length === 0) return none;
  const all = tryApply(fixes);
  if (all !== null) return { ...all, applied: [...fixes] };
  // Find the culprits one at a time; the good ones are applied together.
  const good = fixes.filter((f) => {
    const alone = tryApply([f]);
    alone?.tree.delete();
    return alone !== null;
  });
  const together = good.length > 0 ? tryApply(good) : null;
  return together === null ? none : { ...together, applied: good };
}

export interface FixResult {
  output: string;
  /** Diagnostics whose fixes were applied, over all passes. */
  applied: Diagnostic[];
  /** What the last lint of the output found. */
  remaining: Diagnostic[];
  hasSyntaxErrors: boolean;
  /** Rules that threw in any pass (each disabled for the passes after); one entry per rule. */
  failures: RuleFailure[];
  passes: number;
  /** Fixes were still applicable when the pass limit stopped the loop: running again fixes more. */
  stoppedEarly: boolean;
}

/**
 * Fixes that depend on the same statement (the import each adds to or takes from) overlap on
 * purpose, one per pass; a file with many of them needs as many passes.
 */
const MAX_PASSES = 100;

export interface FixOptions extends LintOptions {
  unsafe?: boolean;
  /** The lint of exactly this source with these rules and settings, to save the first pass. */
  firstLint?: LintResult;
}

export function fixSource(parser: PythonParser, source: string, rules: readonly Rule[], settings: Settings, options: FixOptions = {}): FixResult {
  let current = source;
  const applied: Diagnostic[] = [];
  const failures: RuleFailure[] = [];
  const disabled = new Set(options.disabled ?? []);
  let baseline: number | null = null;
  /** The tree of `current`, when the last pass's syntax check parsed it (each text is parsed once). */
  let parsed: Tree | null = null;
  for (let pass = 1; ; pass++) {
    let result: LintResult;
    if (pass === 1 && options.firstLint) {
      result = options.firstLint;
    } else {
      const tree = parsed ?? parser.parse(current);
      parsed = null;
      try {
        result = lintTree(tree, current, rules, settings, { ...options, disabled });
        if (baseline === null) baseline = syntaxErrorCount(tree);
      } finally {
        tree.delete();
      }
    }
    for (const failure of result.failures) {
      if (disabled.has(failure.code)) continue;
      disabled.add(failure.code);
      failures.push(failure);
    }
    const chosen = chooseFixes(result.diagnostics, options.unsafe ?? false);
    const done = (): FixResult => ({
      output: current, applied, remaining: result.diagnostics, hasSyntaxErrors: result.hasSyntaxErrors, failures, passes: pass,
      stoppedEarly: pass > MAX_PASSES && chosen.length > 0,
    });
    if (chosen.length === 0 || pass > MAX_PASSES) return done();
    if (baseline === null) {
      const tree = parser.parse(current);
      baseline = syntaxErrorCount(tree);
      tree.delete();
    }
    const { output, applied: fixes, tree } = applyFixesKeepingTree(parser, current, chosen.map((d) => d.fix as Fix), baseline);
    if (fixes.length === 0 || output === current) {
      tree?.delete();
      return done();
    }
    applied.push(...chosen.filter((d) => fixes.includes(d.fix as Fix)));
    current = output;
    parsed = tree;
  }
}
