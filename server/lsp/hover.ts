/**
 * Hover: over a finding, what it allocates, the estimated size, why it matters and the preferred
 * form, in Markdown from the rule module's docs; over a code in a suppression comment, that
 * rule's docs.
 */
import type { Hover, HoverParams } from "vscode-languageserver";
import { MarkupKind } from "vscode-languageserver";
import type { Diagnostic, PositionEncoding, Rule, RuleDocs } from "../engine/index.js";
import { formatBytes } from "../engine/size.js";
import { BUILTIN_RULES, SUPPRESSION_CODE, UNUSED_SUPPRESSION_CODE } from "../engine/index.js";
import type { Analyzer } from "./analysis.js";
import type { DocumentStore } from "./documents.js";
import { toOffset, toRange } from "./encoding.js";
import { ruleDocsUrl } from "./links.js";

export interface HoverContext {
  store: DocumentStore;
  analyzer: Analyzer;
  rules: readonly Rule[];
  encoding(): PositionEncoding;
}

interface RuleInfo {
  code: string;
  name: string;
  docs: RuleDocs;
}

function ruleInfo(rules: readonly Rule[], code: string): RuleInfo | null {
  const rule = BUILTIN_RULES.find((r) => r.code === code) ?? rules.find((r) => r.code === code);
  return rule ? { code: rule.code, name: rule.name, docs: rule.docs } : null;
}

function python(code: string): string {
  return ["```python", code.trimEnd(), "```"].join("\n");
}

function link(code: string): string {
  return `[${code} documentation](${ruleDocsUrl(code)})`;
}

function findingMarkdown(d: Diagnostic, info: RuleInfo | null): string {
  const parts = [`**memhint ${d.code}** · ${d.name}`, d.message];
  if (d.estimatedBytes !== null) {
    parts.push(`**Estimated size:** ≈ ${formatBytes(d.estimatedBytes)} (${Math.round(d.estimatedBytes).toLocaleString("en-US")} bytes, CPython 3.11, 64-bit)`);
  }
  if (info?.docs.why) parts.push(`**Why it matters:** ${info.docs.why}`);
  if (info?.docs.useInstead) parts.push(`**Use instead:**\n\n${python(info.docs.useInstead)}`);
  if (d.fix) parts.push(`**Fix:** ${d.fix.description} (${d.fix.safety === "safe" ? "safe" : "unsafe: may change behaviour, review it"})`);
  parts.push(link(d.code));
  return parts.join("\n\n");
}

function ruleMarkdown(code: string, info: RuleInfo | null): string {
  if (!info) return `**${code}**: memhint has no such rule, so this suppression silences nothing.`;
  const { docs } = info;
  const parts = [`**memhint ${info.code}** · ${info.name}`];
  if (!docs.what) {
    parts.push("This rule's documentation is not written yet.");
  } else {
    parts.push(docs.what);
    if (docs.why) parts.push(`**Why it matters:** ${docs.why}`);
    if (docs.example) parts.push(`**Example:**\n\n${python(docs.example)}`);
    if (docs.useInstead) parts.push(`**Use instead:**\n\n${python(docs.useInstead)}`);
    if (docs.fixSafety) parts.push(`**Fix safety:** ${docs.fixSafety}`);
  }
  parts.push(link(info.code));
  return parts.join("\n\n");
}

const CODE_IN_COMMENT = /\bMH\d{3}\b/gi;

export function hover(ctx: HoverContext, params: HoverParams): Hover | null {
  const uri = params?.textDocument?.uri;
  const doc = typeof uri === "string" ? ctx.store.get(uri) : undefined;
  if (!doc || doc.skipped || !params.position) return null;
  const encoding = ctx.encoding();
  const offset = toOffset(doc.lines, params.position, encoding);
  const snapshot = ctx.analyzer.analyze(doc);
  if (!snapshot) return null;
  const hits = snapshot.result.diagnostics.filter((d) => d.start <= offset && offset < d.end);
  const findings = hits.map((d) => findingMarkdown(d, ruleInfo(ctx.rules, d.code)));
  // Over a code in a suppression comment, that code's docs come first, even where MH001 or MH002
  // reports the comment (their findings follow).
  const named = codeInComment(ctx, doc, offset);
  if (named && hits.every((d) => d.code === SUPPRESSION_CODE || d.code === UNUSED_SUPPRESSION_CODE)) {
    return {
      contents: { kind: MarkupKind.Markdown, value: [ruleMarkdown(named.code, ruleInfo(ctx.rules, named.code)), ...findings].join("\n\n---\n\n") },
      range: toRange(doc.lines, named.start, named.end, encoding),
    };
  }
  if (hits.length > 0) {
    const start = Math.max(...hits.map((d) => d.start));
    const end = Math.min(...hits.map((d) => d.end));
    return { contents: { kind: MarkupKind.Markdown, value: findings.join("\n\n---\n\n") }, range: toRange(doc.lines, start, end, encoding) };
  }
  return null;
}

/** The MH code under `offset` in a suppression comment, if any. */
function codeInComment(ctx: HoverContext, doc: Parameters<HoverContext["store"]["tree"]>[0], offset: number): { code: string; start: number; end: number } | null {
  const tree = ctx.store.tree(doc);
  const node = tree?.rootNode.descendantForIndex(offset, Math.min(offset + 1, doc.lines.text.length));
  if (!node || node.type !== "comment" || !/memhint|noqa/i.test(node.text)) return null;
  const text = node.text;
  CODE_IN_COMMENT.lastIndex = 0;
  for (let m = CODE_IN_COMMENT.exec(text); m; m = CODE_IN_COMMENT.exec(text)) {
    const start = node.startIndex + m.index;
    const end = start + m[0].length;
    if (offset < start || offset > end) continue;
    return { code: m[0].toUpperCase(), start, end };
  }
  return null;
}
