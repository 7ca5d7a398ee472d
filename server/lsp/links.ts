/** Where a rule's documentation lives: the one place that builds `codeDescription.href` and hover links. */
export const RULE_DOCS_BASE = "https://memhint.dev/rules/";

export function ruleDocsUrl(code: string): string {
  return `${RULE_DOCS_BASE}${code}`;
}
