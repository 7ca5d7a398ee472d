/**
 * The precision review kept as tests (README.md beside this file): every sampled finding has a
 * verdict, and on the installed packages (when a sampled file is still the one judged) the tuning
 * sample's false positives stay silent and its true positives stay found.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { precisionRows, readJsonl, type SampledFinding, type Verdict } from "../../scripts/precision.js";

const HERE = join(import.meta.dirname);
const SAMPLES = ["tuning", "fresh"].filter((name) => existsSync(join(HERE, `${name}.verdicts.jsonl`)));

interface Judged extends SampledFinding { verdict: Verdict & { known?: string } }

function judged(name: string): Judged[] {
  const verdicts = new Map(readJsonl<Verdict>(join(HERE, `${name}.verdicts.jsonl`)).map((v) => [v.id, v]));
  return readJsonl<SampledFinding>(join(HERE, `${name}.findings.jsonl`)).map((f) => ({ ...f, verdict: verdicts.get(f.id)! }));
}

describe.each(SAMPLES)("the %s sample", (name) => {
  it("has one verdict per finding, with its file, line and a reason", () => {
    const findings = readJsonl<SampledFinding>(join(HERE, `${name}.findings.jsonl`));
    const verdicts = readJsonl<Verdict>(join(HERE, `${name}.verdicts.jsonl`));
    expect(new Set(verdicts.map((v) => v.id))).toEqual(new Set(findings.map((f) => f.id)));
    for (const f of judged(name)) {
      expect(f.verdict, f.id).toMatchObject({ file: f.file, line: f.line, worth: expect.any(Boolean) });
      expect(f.verdict.reason.trim().length, f.id).toBeGreaterThan(5);
    }
    // The report computes from them without error.
    expect(precisionRows(join(HERE, name)).rows.length).toBeGreaterThan(0);
  });
});

const tuning = SAMPLES.includes("tuning") ? judged("tuning") : [];
/** The sampled files still as they were judged on this machine (CI machines may differ). */
const unchanged = tuning.filter((f) => existsSync(f.path) && createHash("sha1").update(readFileSync(f.path)).digest("hex") === f.sha1);

describe.skipIf(unchanged.length === 0)("the tuning sample on the installed packages", () => {
  it("keeps its false positives silent and its true positives found (default settings, every rule)", () => {
    const files = [...new Set(unchanged.map((f) => f.path))];
    const bin = join(HERE, "..", "..", "bin", "memhint.js");
    const out = execFileSync(process.execPath, [bin, "check", ...files, "--no-config", "--select", "ALL", "--format", "json", "--exit-zero"], { encoding: "utf8", cwd: join(HERE, "..", ".."), maxBuffer: 1 << 28 });
    const found = new Set((JSON.parse(out) as Array<{ code: string; path: string; range: { start: { line: number } } }>).map((f) => `${f.code} ${f.path}:${f.range.start.line}`));
    const wrong: string[] = [];
    for (const f of unchanged) {
      const reported = found.has(`${f.rule} ${f.path}:${f.line}`);
      if (f.verdict.worth && !reported) wrong.push(`true positive lost: ${f.rule} ${f.file}:${f.line}`);
      if (!f.verdict.worth && reported && !f.verdict.known) wrong.push(`false positive still reported: ${f.rule} ${f.file}:${f.line} (${f.verdict.reason})`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
