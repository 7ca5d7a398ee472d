import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allRules } from "../rules/index.js";
import { docsPaths, renderEvidence, renderReadme, renderRulesMarkdown } from "../scripts/gen-docs.js";

describe("generated docs", () => {
  const paths = docsPaths();
  it("docs/rules.md matches the rule modules (run `npm run docs` after changing a rule)", () => {
    expect(readFileSync(paths.rules, "utf8")).toBe(renderRulesMarkdown());
  });
  it("the README's rule table matches the rule modules", () => {
    const readme = readFileSync(paths.readme, "utf8");
    expect(renderReadme(readme)).toBe(readme);
  });
  it("docs/evidence.md's precision tables match rules/precision.json", () => {
    const evidence = readFileSync(paths.evidence, "utf8");
    expect(renderEvidence(evidence)).toBe(evidence);
  });
  it("every rule documents every section", () => {
    for (const rule of allRules) {
      for (const [section, text] of Object.entries(rule.docs)) {
        expect(text.trim().length, `${rule.code} docs.${section}`).toBeGreaterThan(10);
      }
    }
  });
});
