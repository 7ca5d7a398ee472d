/**
 * The precision review kept as tests (README.md beside this file): every sampled finding has a
 * verdict; rules/precision.json is what the verdicts say; and on the installed packages (when the
 * sampled files are still the ones judged) the tuning sample's false positives stay silent unless
 * marked `known`, those marked `known` are still reported, and its true positives stay found.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allRules } from "../../rules/index.js";
import {
  buildFigures, FIGURES_PATH, isReported, type Judged, judgedFindings, precisionRows, readJsonl, renderFigures, reportedNow,
  SAMPLE_DIR, type SampledFinding, unchanged, type Verdict,
} from "../../scripts/precision.js";
import { type PrecisionFigures, precisionText, renderRuleSection } from "../../server/rule-docs.js";

const SAMPLES = ["tuning", "fresh"] as const;
const judged = Object.fromEntries(SAMPLES.map((name) => [name, judgedFindings(join(SAMPLE_DIR, name))])) as Record<(typeof SAMPLES)[number], Judged[]>;

describe.each(SAMPLES)("the %s sample", (name) => {
  it("has one verdict per finding, with its file, line and a reason", () => {
    const findings = readJsonl<SampledFinding>(join(SAMPLE_DIR, `${name}.findings.jsonl`));
    const verdicts = readJsonl<Verdict>(join(SAMPLE_DIR, `${name}.verdicts.jsonl`));
    expect(new Set(verdicts.map((v) => v.id))).toEqual(new Set(findings.map((f) => f.id)));
    for (const f of judged[name]) {
      expect(f.verdict, f.id).toMatchObject({ file: f.file, line: f.line, worth: expect.any(Boolean) });
      expect(f.verdict.reason.trim().length, f.id).toBeGreaterThan(5);
    }
    // The report computes from them without error.
    expect(precisionRows(join(SAMPLE_DIR, name)).rows.length).toBeGreaterThan(0);
  });

  it("marks `known` only false positives of the tuning sample", () => {
    const marked = judged[name].filter((f) => f.verdict.known !== undefined);
    if (name === "fresh") expect(marked.map((f) => f.id)).toEqual([]);
    for (const f of marked) expect(f.verdict.worth, f.id).toBe(false);
  });
});

/** Per sample, whether every sampled file is still the one judged here (CI machines may differ). */
const intact = Object.fromEntries(SAMPLES.map((name) => [name, judged[name].every(unchanged)])) as Record<(typeof SAMPLES)[number], boolean>;
let reported: ReadonlySet<string> | undefined;
/** What memhint reports now in the sampled files still as judged (default settings, every rule): one run for both tests. */
function found(): ReadonlySet<string> {
  return (reported ??= reportedNow(SAMPLES.flatMap((name) => judged[name].filter(unchanged))));
}

describe.skipIf(judged.tuning.filter(unchanged).length === 0)("the tuning sample on the installed packages", () => {
  it("keeps its false positives silent, those marked `known` reported, and its true positives found (default settings, every rule)", () => {
    const wrong: string[] = [];
    for (const f of judged.tuning.filter(unchanged)) {
      const reported = isReported(found(), f);
      if (f.verdict.worth && !reported) wrong.push(`true positive lost: ${f.rule} ${f.file}:${f.line}`);
      if (!f.verdict.worth && reported && !f.verdict.known) wrong.push(`false positive still reported: ${f.rule} ${f.file}:${f.line} (${f.verdict.reason})`);
      if (!f.verdict.worth && !reported && f.verdict.known) wrong.push(`marked known but no longer reported (remove "known"): ${f.rule} ${f.file}:${f.line}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe("rules/precision.json", () => {
  const text = readFileSync(FIGURES_PATH, "utf8");
  const committed = JSON.parse(text) as PrecisionFigures;

  it("is what the verdicts and counts say (run `npm run precision -- figures --write`, then `npm run docs`)", () => {
    // How many sampled findings memhint still reports can be told only where every sampled file
    // of the sample is the one judged; elsewhere the committed count stands.
    const expected = buildFigures(allRules.map((r) => r.code), (name, findings) => {
      if (!intact[name]) {
        const rules = Object.entries(committed.rules);
        if (rules.some(([, r]) => r[name].stillReported === undefined)) return undefined;
        return Object.fromEntries(rules.map(([code, r]) => [code, r[name].stillReported ?? 0]));
      }
      const counts: Record<string, number> = {};
      for (const f of findings) if (isReported(found(), f)) counts[f.rule] = (counts[f.rule] ?? 0) + 1;
      return counts;
    });
    expect(renderFigures(expected)).toBe(text);
  }, 120_000);

  it("has every registered rule, and only them", () => {
    expect(Object.keys(committed.rules).sort()).toEqual(allRules.map((r) => r.code).sort());
  });

  it("is what every rule's docs show, worded the same way for every rule", () => {
    for (const rule of allRules) {
      const text = precisionText(committed, rule.code);
      expect(text, rule.code).toMatch(/^(held-out sample: (\d+ of \d+ worth acting on|no finding)(, \d+ of them silenced since: no longer fully held out)?; tuning sample: (\d+ of \d+( worth acting on)?|no finding)|unmeasured: .+)$/);
      expect(renderRuleSection(rule, committed).replace(/\s+/g, " "), rule.code).toContain(`blind review${rule.optIn ? " (" : ": "}${text}`);
    }
    expect(precisionText(committed, "MH104")).toBe("unmeasured: the installed third-party packages give it no finding outside test code");
  });

  it("decides the default selection: a default rule measures at least 80% on the held-out sample or is unmeasured, an opt-in rule measures below", () => {
    const BAR = 0.8;
    const wrong: string[] = [];
    for (const rule of allRules) {
      const { fresh, tuning } = committed.rules[rule.code];
      const unmeasured = fresh.judged === 0 && tuning.judged === 0;
      // A rule judged only on the tuning sample has no held-out figure to stand on.
      const meetsBar = fresh.judged > 0 && fresh.worth / fresh.judged >= BAR;
      const docs = renderRuleSection(rule, committed);
      if (rule.optIn) {
        if (!unmeasured && meetsBar) wrong.push(`${rule.code} is opt-in but ${fresh.worth} of ${fresh.judged} held-out findings were worth acting on`);
      } else if (unmeasured) {
        if (!/\bunmeasured\b/.test(docs)) wrong.push(`${rule.code} is default and unmeasured, but its docs do not say "unmeasured"`);
      } else if (!meetsBar) {
        wrong.push(`${rule.code} is default but ${fresh.worth} of ${fresh.judged} held-out findings were worth acting on (bar ${BAR * 100}%)`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
