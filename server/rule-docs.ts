/**
 * The rules' documentation as Markdown: docs/rules.md (written by `npm run docs`), the README's
 * rule table, and `memhint rule CODE` / `memhint rule --all`, so the terminal prints exactly
 * what the docs say. Takes the registry as an argument: the engine never imports the rules.
 */
import { BUILTIN_RULES } from "./engine/builtin-rules.js";
import type { Rule } from "./engine/types.js";

export type DocumentedRule = Pick<Rule, "code" | "name" | "severity" | "fixable" | "peers" | "docs"> & Partial<Pick<Rule, "optIn">>;

/** Every documented code, in code order: the engine's own (MH000, MH001) and the registered rules. */
export function documentedRules(rules: readonly Rule[]): DocumentedRule[] {
  return [...BUILTIN_RULES, ...rules].sort((a: DocumentedRule, b: DocumentedRule) => a.code.localeCompare(b.code));
}

export function ruleAnchor(rule: Pick<Rule, "code" | "name">): string {
  return `${rule.code.toLowerCase()}-${rule.name}`;
}

const FIX_LABEL: Record<Rule["fixable"], string> = { always: "yes", sometimes: "sometimes", never: "no" };

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function firstSentence(text: string): string {
  const match = /^(.*?[.!?])(\s|$)/s.exec(text);
  return match ? match[1] : text;
}

/** The table of every rule, its codes linked to `linkPrefix#anchor`. */
export function renderRuleTable(rules: readonly Rule[], linkPrefix: string): string {
  const rows = documentedRules(rules).map((r) =>
    `| [${r.code}](${linkPrefix}#${ruleAnchor(r)}) | ${r.name} | ${r.severity} | ${FIX_LABEL[r.fixable]} | ${r.optIn ? "opt-in" : "yes"} | ${cell(firstSentence(r.docs.what))} |`);
  return ["| code | name | severity | fix | default | finds |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

/** One rule's section of docs/rules.md, from its `## CODE name` heading to the end of its limits (no final newline). */
export function renderRuleSection(r: DocumentedRule): string {
  return [
    `## ${r.code} ${r.name}`,
    "",
    `Severity: ${r.severity}. Fix: ${FIX_LABEL[r.fixable]}.${r.peers.length ? ` Nearest rules elsewhere: ${r.peers.join(", ")}.` : ""}`,
    ...(r.optIn ? ["", `**Opt-in.** Not in the default selection: its findings fell short of the precision bar in the blind review (${r.optIn.precision}; see [docs/evidence.md](evidence.md#precision)). Select it by its code (\`select = ["${r.code}"]\`) or \`ALL\`.`] : []),
    "",
    "### What it does",
    "",
    r.docs.what,
    "",
    "### Why it costs memory",
    "",
    r.docs.why,
    "",
    "### Example",
    "",
    "```python",
    r.docs.example,
    "```",
    "",
    "### Use instead",
    "",
    "```python",
    r.docs.useInstead,
    "```",
    "",
    "### Fix safety",
    "",
    r.docs.fixSafety,
    "",
    "### Limits",
    "",
    r.docs.limits,
  ].join("\n");
}

/** docs/rules.md. */
export function renderRulesMarkdown(rules: readonly Rule[]): string {
  const parts = [
    "# memhint rules",
    "",
    "Generated from the rule modules in `rules/` by `npm run docs`; do not edit by hand.",
    "Suppress a finding with `# memhint: ignore[CODE]` (or `# noqa: CODE`) on its line, or a whole",
    "file with `# memhint: ignore-file` before its first statement.",
    "",
    renderRuleTable(rules, ""),
  ];
  for (const r of documentedRules(rules)) parts.push("", renderRuleSection(r));
  return parts.join("\n") + "\n";
}
