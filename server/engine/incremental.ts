/**
 * Incremental linting, for the language server: after an edit inside the body of one outermost
 * function (a `def` of the module or of a class, not nested in another function), including a
 * statement being typed after its last one, only that function is fetched, modelled and checked
 * again; the model is updated in place (SemanticModel.afterUnitEdit). The findings of every other
 * node are kept, shifted, when nothing they could have seen changed:
 *   - the text and the tree outside the function are unchanged (tree-sitter's changed ranges);
 *   - the function's summary (unit-summary.ts: what checks of other nodes read in a function
 *     body, the engine's part and the rules' `functionSummary`) is unchanged;
 *   - no kept finding overlaps the function or has a fix that edits it.
 * Rules that read the whole file (`fileNodes`) are run again on all their candidates. An edit of
 * blank space between statements only moves what follows. An edit of statements directly in a
 * class body or the module that define and bind nothing, before and after (a method's header
 * being typed, a comment, an expression), checks those statements and keeps the rest when the
 * names they use are ones no check asked about. Otherwise, and whenever in doubt, the
 * caller lints the whole file: the result is always what a full lint of the new text gives
 * (test/engine/incremental.test.ts and `npm run soak:incremental` hold it to that).
 */
import type { Node, Range, Tree } from "web-tree-sitter";
import { type Dispatch, type Finding, finish, type LintResult, lintWhole, type RuleFailure, runRules, runScans } from "./lint.js";
import { MODEL_NODE_TYPES, parameterName, type Scope, SemanticModel, type Shift, shiftOffset, StaleNodeError } from "./model.js";
import { firstOrdinaryStatement } from "./imports.js";
import type { LineIndex } from "./positions.js";
import type { Diagnostic, Rule, Settings, TextEdit } from "./types.js";
import { bodyStartOf, checkSummaries, isVariable, unitSummary } from "./unit-summary.js";

/** An edit since the last lint: [start, oldEnd) of the old text became [start, newEnd). */
export interface ChangedSpan {
  start: number;
  oldEnd: number;
  newEnd: number;
}

/** Merge an edit into the span of the edits before it (both in their own text's offsets). */
export function mergeSpans(before: ChangedSpan | null, start: number, end: number, insertedLength: number): ChangedSpan {
  const delta = insertedLength - (end - start);
  if (!before) return { start, oldEnd: end, newEnd: start + insertedLength };
  return {
    start: Math.min(before.start, start),
    oldEnd: before.oldEnd + Math.max(0, end - before.newEnd),
    newEnd: Math.max(before.newEnd, end) + delta,
  };
}

/** What an incremental lint starts from: the last lint of a document. Owns its trees. */
export interface LintState {
  readonly tree: Tree;
  /** Older trees whose nodes the model still refers to (see model.ts, Locator). */
  readonly retained: Tree[];
  readonly source: string;
  readonly settings: Settings;
  /** The settings and the rules disabled for the document, as text (what must match for reuse). */
  readonly key: string;
  readonly dispatch: Dispatch;
  readonly model: SemanticModel;
  readonly findings: Finding[];
  /**
   * The summary of the function edited last, by where it starts, and how many module names and
   * fact kinds had been queried when it was made (a query since makes it stale).
   */
  readonly summary: { start: number; text: string; queried: number } | null;
  /** Incremental lints since the last full one. */
  readonly steps: number;
}

export interface StatefulLint {
  result: LintResult;
  state: LintState | null;
}

/** An edit this cannot lint exactly, and why (for the log, tests and `npm run bench:lsp`). */
interface Fallback {
  fallback: string;
}

function fallback(reason: string): Fallback {
  return { fallback: reason };
}

function isFallback<T extends object>(value: T | Fallback): value is Fallback {
  return "fallback" in value;
}

/**
 * What `lintIncremental` gives: the lint and the state for the next edit, or why the caller must
 * lint the whole file.
 */
export type IncrementalResult = { ok: true; lint: StatefulLint } | { ok: false; reason: string };

/** After this many incremental lints in a row the next is full (it frees the retained trees). */
export const MAX_INCREMENTAL_STEPS = 256;

/**
 * Node types that may enclose a unit: neither scopes nor loops, so the model's view of the unit
 * does not depend on them. (Of the rules, only MH301 checks one, class_definition, and it is run
 * again after every edit; an except clause's `as` binding is kept like any other.)
 */
const TRANSPARENT_PARENTS: ReadonlySet<string> = new Set([
  "module", "block", "class_definition", "decorated_definition", "if_statement", "elif_clause", "else_clause",
  "try_statement", "except_clause", "finally_clause",
]);

function keyOf(settings: Settings, disabled: ReadonlySet<string> | undefined): string {
  return `${JSON.stringify(settings)}|${disabled ? [...disabled].sort().join(",") : ""}`;
}

/**
 * Lint the whole tree, and keep what an incremental lint of the next edit needs. Takes `tree`.
 * `path`: the document's file path, if it has one (the incremental lints that follow keep it).
 */
export function lintFull(
  tree: Tree, source: string, rules: readonly Rule[], settings: Settings, lines: LineIndex, disabled?: ReadonlySet<string>,
  path?: string | null,
): StatefulLint {
  const { result, findings, dispatch } = lintWhole(tree, source, rules, settings, lines, disabled, path);
  const model = result.model;
  if (result.failures.length > 0) {
    tree.delete();
    return { result, state: null };
  }
  const state: LintState = {
    tree, retained: [], source, settings, key: keyOf(settings, disabled), dispatch, model, findings, summary: null, steps: 0,
  };
  return { result, state };
}

/** Free the trees a state holds. */
export function disposeLintState(state: LintState): void {
  for (const tree of state.retained) tree.delete();
  state.tree.delete();
}

interface Unit {
  /** The function_definition. */
  fn: Node;
  /** The function_definition, or the decorated_definition around it. */
  outer: Node;
  bodyStart: number;
}

/**
 * Run the rules that read the whole file (Rule.fileNodes) on all their nodes: the model's,
 * except those in [unitStart, unitEnd), and the edited function's `unitNodes`.
 */
function rerunFileRules(
  dispatch: Dispatch, model: SemanticModel, source: string, settings: Settings, root: Node, unitNodes: readonly Node[],
  unitStart: number, unitEnd: number, failures: RuleFailure[],
): Finding[] {
  const found: Finding[] = [];
  for (const rule of dispatch.enabled) {
    if (!rule.fileNodes) continue;
    const wanted = new Set(rule.nodeTypes);
    const nodes = [
      ...rule.fileNodes(model, source).filter((n) => n.startIndex < unitStart || n.startIndex >= unitEnd),
      ...unitNodes.filter((n) => wanted.has(n.type)),
    ].sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
    const only: Dispatch = { ...dispatch, enabled: [rule], byType: new Map(rule.nodeTypes.map((t) => [t, [rule]])) };
    runRules(nodes, only, source, model, settings, root, found, failures);
  }
  return found;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return false;
  }
  return true;
}

/** Only spaces and tabs between the start of the line and `offset`. */
function atLineIndent(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
    if (c !== 32 && c !== 9 && c !== 12) return false;
  }
  return true;
}

/** The function scope `fn` as a unit, when nothing but transparent nodes enclose it. */
function unitOf(fn: Scope): Unit | null {
  for (let s = fn.parent; s; s = s.parent) if (s.kind !== "class" && s.kind !== "module") return null;
  const node = fn.node;
  const bodyStart = bodyStartOf(node);
  if (bodyStart === null) return null;
  const outer = node.parent?.type === "decorated_definition" ? node.parent : node;
  for (let p = outer.parent; p; p = p.parent) if (!TRANSPARENT_PARENTS.has(p.type)) return null;
  return { fn: node, outer, bodyStart };
}

/**
 * The unit an edit of [start, end) in `text` belongs to: the outermost function whose body holds
 * it, or the function that ends just before it with only whitespace between (a statement being
 * typed after a function's last one).
 */
function unitAround(model: SemanticModel, text: string, start: number, end: number): Unit | null {
  let fn: Scope | null = null;
  for (let s: Scope | null = model.scopeAt(start); s; s = s.parent) {
    if (s.kind === "function" || s.kind === "lambda") fn = s;
  }
  if (!fn) {
    // The function that ends last before the edit, in the scope that holds the edit (or at the
    // end of a class there, which ends with it).
    const lastBefore = (scope: Scope): Scope | null => {
      let found: Scope | null = null;
      for (const child of scope.children) if (child.end <= start) found = child;
      return found;
    };
    let before = lastBefore(model.scopeAt(start));
    while (before?.kind === "class") {
      const inner = lastBefore(before);
      if (!inner || inner.end !== before.end) break;
      before = inner;
    }
    if (before?.kind === "function" && isBlank(text, before.end, start)) fn = before;
  }
  if (!fn || fn.kind !== "function" || fn.start > start) return null;
  const unit = unitOf(fn);
  if (!unit || start < unit.bodyStart || (end > fn.end && !isBlank(text, fn.end, end))) return null;
  return unit;
}

/** The same unit in the new tree: same start and header, ending before `extentEnd` with only whitespace after. */
function unitInNewTree(root: Node, old: Unit, text: string, extentEnd: number): Unit | null {
  let node: Node | null = root.descendantForIndex(old.fn.startIndex, old.fn.startIndex + 1);
  while (node && !(node.type === "function_definition" && node.startIndex === old.fn.startIndex)) node = node.parent;
  if (!node || node.endIndex > extentEnd || !isBlank(text, node.endIndex, extentEnd)) return null;
  const bodyStart = bodyStartOf(node);
  if (bodyStart === null || bodyStart !== old.bodyStart) return null;
  const outer = node.parent?.type === "decorated_definition" ? node.parent : node;
  if (outer.type !== old.outer.type || outer.startIndex !== old.outer.startIndex) return null;
  for (let p = outer.parent; p; p = p.parent) if (!TRANSPARENT_PARENTS.has(p.type)) return null;
  return { fn: node, outer, bodyStart };
}

/**
 * Lint after an edit, reusing `state`; when the edit is not one this can handle exactly, says why
 * (the caller then lints in full). `state` is consumed either way: on success its trees move into
 * the new state, which also takes `tree`; otherwise the caller disposes of `state` and keeps `tree`.
 */
export function lintIncremental(
  state: LintState, tree: Tree, source: string, lines: LineIndex, span: ChangedSpan, changedRanges: readonly Range[],
  settings: Settings, disabled?: ReadonlySet<string>,
): IncrementalResult {
  const outcome = attempt(state, tree, source, lines, span, changedRanges, settings, disabled);
  return isFallback(outcome) ? { ok: false, reason: outcome.fallback } : { ok: true, lint: outcome };
}

function attempt(
  state: LintState, tree: Tree, source: string, lines: LineIndex, span: ChangedSpan, changedRanges: readonly Range[],
  settings: Settings, disabled?: ReadonlySet<string>,
): StatefulLint | Fallback {
  try {
    if (keyOf(settings, disabled) !== state.key) return fallback("settings");
    if (state.steps >= MAX_INCREMENTAL_STEPS) return fallback("steps");
    const delta = span.newEnd - span.oldEnd;
    if (source.length !== state.source.length + delta) return fallback("span");
    const root = tree.rootNode;
    const old = unitAround(state.model, state.source, span.start, span.oldEnd);
    if (!old) {
      return isWhitespaceEdit(state, span, changedRanges, source)
        ? whitespaceEdit(state, tree, source, lines, span)
        : statementsEdit(state, tree, source, lines, span, changedRanges);
    }

    // [outerStart, oldExtent) of the old text became [outerStart, newExtent): the function, and
    // the whitespace after it that the edit reached.
    const outerStart = old.outer.startIndex;
    const oldEnd = old.outer.endIndex;
    const oldExtent = Math.max(oldEnd, span.oldEnd);
    const newExtent = oldExtent + delta;
    const now = unitInNewTree(root, old, source, newExtent);
    // (Typing a statement after the function, which the new tree does not put in it.)
    if (!now) {
      const statements = statementsEdit(state, tree, source, lines, span, changedRanges);
      return isFallback(statements) ? fallback("function changed shape") : statements;
    }
    for (const r of changedRanges) if (r.startIndex < outerStart || r.endIndex > newExtent) return fallback("tree changed outside");
    const model = state.model;
    // (Both sets only grow: the sum of their sizes changes whenever either does.)
    const queried = model.queriedModuleNames.size + model.queriedFacts.size;
    const cached = state.summary?.start === outerStart && state.summary.queried === queried ? state.summary.text : null;
    const before = cached ?? unitSummary(old.fn, model, state.source, state.dispatch.enabled);

    const unitNodes = now.outer.descendantsOfType(state.dispatch.types).filter((n): n is Node => n !== null);
    // From here on the old model is updated in place: a fallback leaves it unusable.
    const shift: Shift = { kind: "after", at: oldEnd, delta, tail: now.outer.endIndex };
    const next = SemanticModel.afterUnitEdit(model, root, { start: outerStart, end: oldEnd, functionStart: old.fn.startIndex }, shift, unitNodes);
    const after = unitSummary(now.fn, next, source, state.dispatch.enabled);
    if (after !== before) return fallback("summary");

    // The findings of other nodes, moved; the function's own, and those of rules that read the
    // whole file, are found again.
    const kept = keptFindings(state, outerStart, oldEnd, oldExtent, shift, root);
    if (isFallback(kept)) return kept;
    const findings = checkAgain(state, next, source, root, unitNodes, outerStart, now.outer.endIndex, kept);
    if (isFallback(findings)) return findings;
    return succeed(state, tree, source, lines, settings, next, findings, { start: outerStart, text: after, queried });
  } catch (error) {
    if (error instanceof StaleNodeError) return fallback("stale node");
    throw error;
  }
}

/**
 * Whether the edit is one of whitespace at the start of a line between statements (a blank line
 * added, removed, or being indented before code is typed on it): no node changes.
 */
function isWhitespaceEdit(state: LintState, span: ChangedSpan, changedRanges: readonly Range[], source: string): boolean {
  if (changedRanges.length > 0) return false;
  if (!isBlank(state.source, span.start, span.oldEnd) || !isBlank(source, span.start, span.newEnd) || !atLineIndent(state.source, span.start)) {
    return false;
  }
  // Between statements: not inside an expression, a string or a function (whose text would change).
  const holder = state.tree.rootNode.descendantForIndex(span.start, span.oldEnd);
  return !!holder && (holder.type === "module" || (holder.type === "block" && holder.parent?.type === "class_definition"));
}

/** A whitespace edit (`isWhitespaceEdit`): the nodes after it move, nothing else changes. */
function whitespaceEdit(state: LintState, tree: Tree, source: string, lines: LineIndex, span: ChangedSpan): StatefulLint | Fallback {
  const shift: Shift = { kind: "from", at: span.start, delta: span.newEnd - span.oldEnd };
  const root = tree.rootNode;
  const kept: Finding[] = [];
  for (const f of state.findings) {
    if (state.dispatch.fileRules.has(f.diagnostic.code)) continue;
    const moved = moveFinding(f, span.start, span.start, span.oldEnd, shift, root, state.source);
    if (!moved) return fallback("finding depends on the whitespace");
    kept.push(moved);
  }
  const next = SemanticModel.afterShift(state.model, root, shift);
  const failures: RuleFailure[] = [];
  const whole = rerunFileRules(state.dispatch, next, source, state.settings, root, [], 0, 0, failures);
  if (failures.length > 0) return fallback("rule failed");
  const summary = state.summary ? { ...state.summary, start: shiftOffset(shift, state.summary.start) } : null;
  return succeed(state, tree, source, lines, state.settings, next, [...kept, ...whole], summary);
}

/** Statements that hold no definitions, bindings, scopes or loops: nothing the model records. */
function isInert(statement: Node): boolean {
  // (descendantsOfType includes the statement itself.)
  return statement.type !== "decorated_definition" && statement.descendantsOfType(MODEL_NODE_TYPES as string[]).length === 0;
}

/** The class body or module that directly holds [start, end], when no function encloses it. */
function statementsHolder(root: Node, start: number, end: number): Node | null {
  for (let node: Node | null = root.descendantForIndex(start, end); node; node = node.parent) {
    if (node.startIndex > start || node.endIndex < end) continue;
    const holds = node.type === "module" || (node.type === "block" && node.parent?.type === "class_definition");
    if (!holds) continue;
    for (let p = node.parent; p; p = p.parent) if (!TRANSPARENT_PARENTS.has(p.type)) return null;
    return node;
  }
  return null;
}

/** The children of `holder` that overlap or touch [start, end]. */
function statementsAround(holder: Node, start: number, end: number): Node[] {
  return holder.namedChildren.filter((c): c is Node => c !== null && c.startIndex <= end && c.endIndex >= start);
}

/** The function_definition of a statement that is one (decorated or not), else null. */
function functionOf(statement: Node): Node | null {
  if (statement.type === "function_definition") return statement;
  const inner = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : null;
  return inner?.type === "function_definition" ? inner : null;
}

/**
 * Whether the identifier `name` appears as a word (not an attribute) in the class-scope code of
 * `classBody` outside [start, end): its statements, and of its method and class definitions the
 * decorators and headers (their bodies cannot see the class's names). A loose match: strings
 * and comments count too.
 */
function usedInClassScope(classBody: Node, source: string, name: string, start: number, end: number): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const word = new RegExp(`(?<![\\p{L}\\p{N}_.])${escaped}(?![\\p{L}\\p{N}_])`, "u");
  for (const statement of classBody.namedChildren) {
    if (!statement || (statement.startIndex >= start && statement.endIndex <= end)) continue;
    const fn = functionOf(statement);
    const definition = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
    const headerEnd = fn ? bodyStartOf(fn) : definition?.type === "class_definition" ? definition.childForFieldName("body")?.startIndex : null;
    if (word.test(source.slice(statement.startIndex, headerEnd ?? statement.endIndex))) return true;
  }
  return false;
}

/**
 * An edit of statements directly in a class body or the module (a method's header being typed,
 * a comment, a docstring, an expression), and in a class body of whole methods (one being typed
 * or deleted), where no other statement before or after the edit defines, binds or loops: the
 * model is updated for those statements (SemanticModel.afterRangeEdit), they are checked, and
 * other findings are kept when what their checks can see of them is unchanged:
 *   - the statements outside function bodies use no name of the class and no module name a
 *     check asked about;
 *   - the methods have the summaries they had (unit-summary.ts), in order;
 *   - the rules' `functionSummary` of the whole edited text is unchanged;
 *   - no name the methods bind in the class appears in the rest of the class's own code (a
 *     decorator, a default value or a class-level statement could mean it).
 */
function statementsEdit(
  state: LintState, tree: Tree, source: string, lines: LineIndex, span: ChangedSpan, changedRanges: readonly Range[],
): StatefulLint | Fallback {
  const delta = span.newEnd - span.oldEnd;
  const root = tree.rootNode;
  const oldHolder = statementsHolder(state.tree.rootNode, span.start, span.oldEnd);
  const newHolder = statementsHolder(root, span.start, span.newEnd);
  if (!oldHolder || !newHolder || oldHolder.type !== newHolder.type || oldHolder.startIndex !== newHolder.startIndex
    || newHolder.endIndex !== oldHolder.endIndex + delta) {
    return fallback("not in a function body");
  }
  // The edited region: [start, oldEnd) of the old text became [start, oldEnd + delta), whole
  // statements, and everything tree-sitter reparsed differently.
  let start = span.start;
  let newEnd = span.newEnd;
  for (const r of changedRanges) {
    start = Math.min(start, r.startIndex);
    newEnd = Math.max(newEnd, r.endIndex);
  }
  let before: Node[] = [];
  let after: Node[] = [];
  for (let round = 0; ; round++) {
    before = statementsAround(oldHolder, start, newEnd - delta);
    after = statementsAround(newHolder, start, newEnd);
    let wider = false;
    for (const n of before) {
      if (n.startIndex < start) [start, wider] = [n.startIndex, true];
      if (n.endIndex + delta > newEnd) [newEnd, wider] = [n.endIndex + delta, true];
    }
    for (const n of after) {
      if (n.startIndex < start) [start, wider] = [n.startIndex, true];
      if (n.endIndex > newEnd) [newEnd, wider] = [n.endIndex, true];
    }
    if (!wider) break;
    if (round === 3) return fallback("statements keep changing shape");
  }
  const oldEnd = newEnd - delta;
  // Methods may come and go in a class body; in the module a function's name would be a module
  // name, which every function can see.
  const inClass = newHolder.type === "block";
  const allowed = (n: Node): boolean => isInert(n) || (inClass && functionOf(n) !== null);
  if (!before.every(allowed) || !after.every(allowed)) return fallback("statements define or bind");
  for (const r of changedRanges) if (r.startIndex < newHolder.startIndex || r.endIndex > newHolder.endIndex) return fallback("tree changed outside");
  if (!inClass) {
    // Fixes that add an import insert it before the module's first statement (imports.ts).
    const oldAnchor = firstOrdinaryStatement(state.tree.rootNode)?.startIndex ?? -1;
    const newAnchor = firstOrdinaryStatement(root)?.startIndex ?? -1;
    // (Null: the first statement was in the edited region.)
    const moved = oldAnchor < start ? oldAnchor : oldAnchor >= oldEnd ? oldAnchor + delta : null;
    if (moved === null || moved !== newAnchor) return fallback("the module's first statement changed");
  }

  const model = state.model;
  let scope: Scope | null = model.scopeAt(start);
  while (scope && (scope.kind !== (inClass ? "class" : "module") || scope.start > start || scope.end < oldEnd)) scope = scope.parent;
  if (!scope || (inClass && scope.start !== newHolder.parent!.startIndex)) return fallback("statements define or bind");
  const holderScope = scope;
  /**
   * What checks of other nodes can see of `statements` in `m` (the model of their tree), or null
   * when it cannot be told: outside function bodies, the names used must be builtins or module
   * names no check asked about; each method stands for its summary.
   */
  const seen = (statements: readonly Node[], m: SemanticModel, text: string, holder: Scope, end: number): string | null => {
    const moduleReferences: Node[] = [];
    const parts: string[] = [];
    for (const statement of statements) {
      const fn = functionOf(statement);
      if (fn && bodyStartOf(fn) === null) return null;
      // A method's name and parameters are what it binds; its decorators, defaults and
      // annotations are uses, in the class scope (its body is its summary's).
      const bound = new Set<number>();
      const uses: Array<Node | null> = [statement];
      if (fn) {
        const parameters = fn.childForFieldName("parameters");
        for (const parameter of parameters?.namedChildren ?? []) {
          const id = parameter ? parameterName(parameter) : null;
          if (id) bound.add(id.startIndex);
        }
        const decorators = statement === fn ? [] : statement.namedChildren.filter((c) => c?.type === "decorator");
        uses.splice(0, 1, ...decorators, parameters, fn.childForFieldName("return_type"));
      }
      for (const id of uses.flatMap((n) => n?.descendantsOfType("identifier") ?? [])) {
        if (!id || !isVariable(id) || bound.has(id.startIndex)) continue;
        const owner = m.resolveScope(id.text, holder);
        if (!owner) continue;
        if (owner !== m.module || m.queriedModuleNames.has(id.text)) return null;
        moduleReferences.push(id);
      }
      if (fn) parts.push(unitSummary(fn, m, text, state.dispatch.enabled));
    }
    parts.push(...checkSummaries(null, { model: m, source: text, bodyStart: start, bodyEnd: end, moduleReferences }, state.dispatch.enabled));
    return parts.join("\n");
  };
  const boundIn = (m: SemanticModel, holder: Scope, end: number): string[] => {
    const names: string[] = [];
    for (const [name, list] of holder.bindings) {
      if (list.some((b) => m.bindingStatementStart(b) >= start && m.bindingStatementStart(b) < end)) names.push(name);
    }
    return names;
  };
  const oldSeen = seen(before, model, state.source, holderScope, oldEnd);
  if (oldSeen === null) return fallback("statements use names checks asked about");
  const oldBound = boundIn(model, holderScope, oldEnd);

  // Everything from the old region's end on moves.
  const shift: Shift = { kind: "from", at: oldEnd, delta };
  const kept = keptFindings(state, start, oldEnd, oldEnd, shift, root);
  if (isFallback(kept)) return kept;
  // From here on the old model is updated in place: a fallback leaves it unusable.
  // (A node's descendantsOfType includes the node itself.)
  const unitNodes: Node[] = [];
  for (const statement of after) for (const n of statement.descendantsOfType(state.dispatch.types)) if (n) unitNodes.push(n);
  const next = SemanticModel.afterRangeEdit(model, root, holderScope, { start, end: oldEnd }, shift, unitNodes);
  if (seen(after, next, source, holderScope, newEnd) !== oldSeen) return fallback("summary");
  if (inClass) {
    for (const name of new Set([...oldBound, ...boundIn(next, holderScope, newEnd)])) {
      if (usedInClassScope(newHolder, source, name, start, newEnd)) return fallback("a method's name is used in its class");
    }
  }

  const findings = checkAgain(state, next, source, root, unitNodes, start, newEnd, kept);
  if (isFallback(findings)) return findings;
  // The summary of the function edited last, unless it was in the edited statements.
  const last = state.summary;
  const summary = last && (last.start < start || last.start >= oldEnd) ? { ...last, start: shiftOffset(shift, last.start) } : null;
  return succeed(state, tree, source, lines, state.settings, next, findings, summary);
}

/**
 * The findings of nodes outside [start, end) of the old text (and the blank space after it, up
 * to `extentEnd`), moved, except those of whole-file rules, which are found again; and where the
 * findings of the edited code go among them. A fallback when one may depend on the edited code.
 */
function keptFindings(
  state: LintState, start: number, end: number, extentEnd: number, shift: Shift, root: Node,
): { kept: Finding[]; insertAt: number } | Fallback {
  const kept: Finding[] = [];
  let insertAt = -1;
  for (const f of state.findings) {
    if ((f.origin >= start && f.origin < end) || state.dispatch.fileRules.has(f.diagnostic.code)) continue;
    if (insertAt < 0 && f.origin >= end) insertAt = kept.length;
    const moved = moveFinding(f, start, end, extentEnd, shift, root, state.source);
    if (!moved) return fallback("finding depends on the edited code");
    kept.push(moved);
  }
  return { kept, insertAt: insertAt < 0 ? kept.length : insertAt };
}

/**
 * The findings after an edit: the kept ones, with those of the edited code's `nodes` (in
 * [start, end) of the new text) among them, and those of whole-file rules. A fallback when a
 * rule failed.
 */
function checkAgain(
  state: LintState, model: SemanticModel, source: string, root: Node, nodes: readonly Node[], start: number, end: number,
  { kept, insertAt }: { kept: Finding[]; insertAt: number },
): Finding[] | Fallback {
  const fresh: Finding[] = [];
  const failures: RuleFailure[] = [];
  const local: Dispatch = { ...state.dispatch, byType: state.dispatch.localByType };
  runRules(nodes, local, source, model, state.settings, root, fresh, failures);
  runScans(start, end, local, source, model, state.settings, root, fresh, failures);
  const whole = rerunFileRules(state.dispatch, model, source, state.settings, root, nodes, start, end, failures);
  if (failures.length > 0) return fallback("rule failed");
  return [...kept.slice(0, insertAt), ...fresh, ...kept.slice(insertAt), ...whole];
}

function succeed(
  state: LintState, tree: Tree, source: string, lines: LineIndex, settings: Settings, model: SemanticModel, findings: Finding[],
  summary: LintState["summary"],
): StatefulLint {
  const root = tree.rootNode;
  const result: LintResult = {
    ...finish(findings, source, root, lines, state.dispatch, settings, false), failures: [], lines, model,
  };
  const next: LintState = {
    tree, retained: [...state.retained, state.tree], source, settings: state.settings, key: state.key, dispatch: state.dispatch,
    model, findings, summary, steps: state.steps + 1,
  };
  return { result, state: next };
}

/**
 * A kept finding at its new offsets, or null when it may depend on the edited region: the
 * function [unitStart, unitEnd) (empty for a whitespace edit) and the whitespace after it up to
 * `extentEnd`.
 */
function moveFinding(
  f: Finding, unitStart: number, unitEnd: number, extentEnd: number, shift: Shift, root: Node, oldSource: string,
): Finding | null {
  const d = f.diagnostic;
  const move = (p: number): number => shiftOffset(shift, p);
  const contains = d.start <= unitStart && d.end >= extentEnd;
  if (!contains && d.end > unitStart && d.start < extentEnd) return null;
  let fix = d.fix;
  if (fix) {
    const edits: TextEdit[] = [];
    for (const e of fix.edits) {
      // An edit touching the region may carry its old text; one separated from it by blank
      // space only may have been placed by reading that space (a deletion that takes the
      // blank lines around a statement with it).
      if (e.end >= unitStart && e.start <= extentEnd) return null;
      if (e.start >= extentEnd ? isBlank(oldSource, extentEnd, e.start) : isBlank(oldSource, e.end, unitStart)) return null;
      edits.push({ start: move(e.start), end: move(e.end), newText: e.newText });
    }
    fix = { ...fix, edits };
  }
  const start = move(d.start);
  const end = move(d.end);
  const diagnostic: Diagnostic = start === d.start && end === d.end && fix === d.fix ? d : { ...d, start, end, fix };
  let hasError = f.hasError;
  if (contains && unitEnd > unitStart) {
    // Its construct contains the edited function: whether it now holds a syntax error is new.
    hasError = root.hasError && !!anchorNode(root, start, end, f.anchorType)?.hasError;
  }
  return { diagnostic, origin: move(f.origin), anchorType: f.anchorType, hasError, messageId: f.messageId };
}

function anchorNode(root: Node, start: number, end: number, type: string | null): Node | null {
  let node: Node | null = root.descendantForIndex(start, end);
  if (type === null) return node;
  while (node && node.type !== type && node.startIndex === start && node.endIndex === end) node = node.parent;
  return node;
}
