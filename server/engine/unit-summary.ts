/**
 * What checks of other nodes can see of a function's body. Incremental linting (incremental.ts)
 * re-checks only the edited function and keeps every other finding; that is exact only if
 * nothing those other checks read in the function changed. Two versions of a function with the
 * same summary look the same to every check outside it.
 *
 * The engine's part covers what the semantic model carries across functions: the module-level
 * names the function reads, writes, mutates or calls (`referencesOf`, `mutationsOf`, the
 * bindings of `global` and `nonlocal`). Only names some check has asked about count
 * (SemanticModel.queriedModuleNames): a check that never asked where a name is used cannot see
 * a use of it change. Each such use stands for its whole statement (or compound statement
 * header), with how the statement's other names resolve and the nested scopes around it. A
 * `global`/`nonlocal` statement, or a queried module name used inside a nested function, makes
 * the whole body the summary. Rules that read more add their part (Rule.functionSummary); rules
 * that read the whole file are re-run instead (Rule.fileNodes).
 */
import type { Node } from "web-tree-sitter";
import { FACT_SUMMARIES } from "./facts/index.js";
import type { Scope, SemanticModel } from "./model.js";
import type { Rule, SummaryContext } from "./types.js";

/** Where a statement walk stops: the simple statement a use belongs to. */
const STATEMENTS: ReadonlySet<string> = new Set([
  "expression_statement", "return_statement", "delete_statement", "raise_statement", "assert_statement",
  "global_statement", "nonlocal_statement", "import_statement", "import_from_statement", "pass_statement",
  "type_alias_statement", "print_statement", "exec_statement", "decorator",
]);

/** Compound statements: a use in the header stands for the header only (the text before the body). */
const BODY_FIELD: Record<string, string> = {
  if_statement: "consequence",
  elif_clause: "consequence",
  while_statement: "body",
  for_statement: "body",
  with_statement: "body",
  function_definition: "body",
  class_definition: "body",
  case_clause: "consequence",
  match_statement: "body",
  except_clause: "",
  for_in_clause: "",
};

interface Statement {
  /** The node whose text stands for the use (null: the identifier alone). */
  node: Node | null;
  start: number;
  end: number;
  /** For a use inside code that does not parse: where the error sits. */
  context?: string;
}

/** The statement, or compound-statement header, that holds `id`. */
function statementOf(id: Node): Statement {
  let below: Node = id;
  for (let node: Node | null = id.parent; node; below = node, node = node.parent) {
    if (STATEMENTS.has(node.type)) return { node, start: node.startIndex, end: node.endIndex };
    if (node.type === "ERROR") {
      // Code that does not parse (an unclosed bracket swallowing what follows, while typing):
      // the piece of it that holds the use, and where the error sits.
      const context: string[] = [];
      for (let up: Node | null = node; up && up.type !== "function_definition" && up.type !== "module"; up = up.parent) context.push(up.type);
      return { node: below, start: below.startIndex, end: below.endIndex, context: context.join("<") };
    }
    if (node.type in BODY_FIELD) {
      const field = BODY_FIELD[node.type];
      const body = field ? node.childForFieldName(field) : node.namedChildren.find((c) => c?.type === "block") ?? null;
      const end = body && body.startIndex > id.startIndex ? body.startIndex : node.endIndex;
      return { node, start: node.startIndex, end };
    }
  }
  return { node: null, start: id.startIndex, end: id.endIndex };
}

/**
 * The text of `statement`, except that the parts holding a syntax error and not `id` (what is
 * being typed, while it does not parse yet) are masked by their node type; their ranges go to
 * `masked`.
 */
function statementText(statement: Statement, id: Node, source: string, masked: Array<[number, number]>): string {
  const { node, start, end } = statement;
  // (A compound statement's header stands for it: an error in its body is not the header's.)
  const erroneous = !!node?.hasError && (node.isError || node.isMissing || node.children.some((c) => !!c?.hasError && c.startIndex < end && c.endIndex > start));
  if (!node || (!erroneous && !statement.context)) return source.slice(start, end);
  // Around a syntax error the same text can parse differently: the shape of the path from the
  // use up to here is part of what other checks see.
  const path: string[] = [];
  for (let up: Node | null = id; up && !up.equals(node); up = up.parent) path.push(up.type);
  const out: string[] = [];
  let at = start;
  const visit = (parent: Node): void => {
    for (const child of parent.children) {
      if (!child || child.endIndex <= start || child.startIndex >= end || !child.hasError) continue;
      if (child.startIndex <= id.startIndex && id.endIndex <= child.endIndex) {
        if (!child.equals(id)) visit(child);
        continue;
      }
      out.push(source.slice(at, child.startIndex), `<${child.type}!>`);
      masked.push([child.startIndex, child.endIndex]);
      at = child.endIndex;
    }
  };
  if (erroneous) visit(node);
  out.push(source.slice(at, end));
  return `${path.join("<")}: ${out.join("")}`;
}

/** Where a function's body starts: just after the header's colon; null if there is none. */
export function bodyStartOf(fn: Node): number | null {
  const parameters = fn.childForFieldName("parameters");
  if (!parameters) return null;
  for (const child of fn.children) {
    if (child?.type === ":" && child.startIndex >= parameters.endIndex) return child.endIndex;
  }
  return null;
}

/** Whether an identifier names a variable (not the `attr` of `obj.attr` or a keyword argument's name). */
export function isVariable(id: Node): boolean {
  const parent = id.parent;
  if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.equals(id)) return false;
  if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.equals(id)) return false;
  return true;
}

/** `kind:name` of each scope from `scope` out to (not including) `stop`. */
function scopePath(scope: Scope, stop: Scope): string {
  const parts: string[] = [];
  for (let s: Scope | null = scope; s && s !== stop; s = s.parent) parts.push(s.kind);
  return parts.join("<");
}

/**
 * The summary of the function `fn` (a function_definition) in the tree that `model` describes,
 * whose text is `source`, for the enabled `rules`.
 */
export function unitSummary(fn: Node, model: SemanticModel, source: string, rules: readonly Rule[]): string {
  // The body is everything after the header's colon: while it does not parse, an ERROR (which
  // may hold what followed the function) comes before the block.
  const bodyStart = bodyStartOf(fn);
  if (bodyStart === null) return source.slice(fn.startIndex, fn.endIndex);
  const bodyEnd = fn.endIndex;
  const inBody = (n: Node | null): n is Node => n !== null && n.startIndex >= bodyStart;
  const whole = (): string => `whole body\n${source.slice(bodyStart, bodyEnd)}`;
  const own = model.scopeAt(fn.startIndex);
  // One native walk for both: the identifiers, and any `global`/`nonlocal`.
  const found = fn.descendantsOfType(["identifier", "global_statement", "nonlocal_statement"]).filter(inBody);
  if (found.some((n) => n.type !== "identifier")) return whole();

  const parts: string[] = [];
  const moduleReferences: Node[] = [];
  const identifiers = found;
  const resolved = new Map<Node, Scope | null>();
  const ownerOf = (id: Node): Scope | null => {
    let owner = resolved.get(id);
    if (owner === undefined) resolved.set(id, (owner = model.resolveScope(id.text, model.scopeAt(id.startIndex))));
    return owner;
  };
  const inside = (scope: Scope): boolean => scope.start >= own.start && scope.end <= own.end;
  let last = -1;
  for (let i = 0; i < identifiers.length; i++) {
    const id = identifiers[i];
    if (!isVariable(id)) continue;
    const owner = ownerOf(id);
    if (owner !== model.module) continue;
    moduleReferences.push(id);
    if (!model.queriedModuleNames.has(id.text)) continue;
    const scope = model.scopeAt(id.startIndex);
    // A module name used in a nested function: what reaches it depends on how that function is used.
    for (let s: Scope | null = scope; s && s !== own; s = s.parent) if (s.kind === "function" || s.kind === "lambda") return whole();
    const statement = statementOf(id);
    if (statement.start === last) continue;
    last = statement.start;
    const masked: Array<[number, number]> = [];
    parts.push(`${scopePath(scope, own)}${statement.context ? ` in ${statement.context}` : ""}: ${statementText(statement, id, source, masked)}`);
    // How the statement's other names resolve (a call's callee, an argument's value).
    let first = i;
    while (first > 0 && identifiers[first - 1].startIndex >= statement.start) first--;
    for (let j = first; j < identifiers.length && identifiers[j].startIndex < statement.end; j++) {
      const other = identifiers[j];
      if (other === id || !isVariable(other) || masked.some(([a, b]) => other.startIndex >= a && other.startIndex < b)) continue;
      const otherOwner = ownerOf(other);
      if (!otherOwner) parts.push(`  ${other.text}: builtin`);
      else if (!inside(otherOwner)) parts.push(`  ${other.text}: ${otherOwner.kind}`);
      else {
        for (const b of otherOwner.bindings.get(other.text) ?? []) {
          const at = statementOf(b.node);
          parts.push(`  ${other.text}: ${b.kind}${at.context ? ` in ${at.context}` : ""} ${statementText(at, b.node, source, [])}`);
        }
      }
    }
  }
  parts.push(...checkSummaries(fn, { model, source, bodyStart, bodyEnd, moduleReferences }, rules));
  return parts.join("\n");
}

/**
 * What the checks of other nodes can see of `fn` (or of class-level statements, `fn` null)
 * beyond the module names: the part each kind of fact they asked for reads (facts/index.ts),
 * and each rule's own summary (Rule.functionSummary).
 */
export function checkSummaries(fn: Node | null, ctx: SummaryContext, rules: readonly Rule[]): string[] {
  const parts: string[] = [];
  for (const kind of [...ctx.model.queriedFacts].sort()) {
    const part = FACT_SUMMARIES[kind]?.(fn, ctx);
    if (part) parts.push(`fact ${kind}\n${part}`);
  }
  for (const rule of rules) {
    const part = rule.functionSummary?.(fn, ctx);
    if (part) parts.push(`${rule.code}\n${part}`);
  }
  return parts;
}
