/**
 * The precision review of issue 15 (test/precision/README.md).
 *
 *   npm run precision -- sample --set tuning|fresh --seed N [--rules MH101,MH2] [--per-rule 20]
 *                               [--out test/precision/NAME]
 *     runs `memhint check` (default settings, every rule selected, no config) on the installed
 *     third-party packages, keeps the findings of the set's packages (fresh: the held-out ones;
 *     tuning: every other), draws up to N per rule with the seed, and writes NAME.findings.jsonl
 *     (with the code around each finding) and NAME.counts.json (every rule's count in the full run,
 *     for the weights). Each rule's draw depends only on the seed and the rule's findings, so rules
 *     can be drawn at different times (`--rules`): the lines of other rules already there are kept;
 *   npm run precision -- report test/precision/NAME
 *     prints each rule's precision from NAME.verdicts.jsonl, and the overall figure weighted by each
 *     rule's share of all findings in the full run;
 *   npm run precision -- recount
 *     runs the full run again with the current build and stores each rule's counts as
 *     `currentCounts` in both samples' NAME.counts.json, beside the counts of the run the sample
 *     was drawn from (`counts`, the weights), which it keeps;
 *   npm run precision -- figures [--write]
 *     each rule's figures from both samples (worth acting on / judged, how many of the sampled
 *     findings memhint still reports, the full run's counts) as rules/precision.json, which the
 *     docs, `memhint rule` and docs/evidence.md show; without --write, prints it.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { PrecisionFigures, SampleFigures } from "../server/rule-docs.js";
import { random } from "../test/helpers/random.js";

export const CORPUS = ["/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages", "/usr/lib/python3/dist-packages"];
export const HELD_OUT = new Set(["pip", "scipy", "pygments", "hypothesis", "setuptools", "pkg_resources", "docutils", "jedi", "_pytest", "docker", "botocore", "pyparsing", "cryptography", "jsonschema", "parso", "traitlets"]);

export interface SampledFinding {
  id: string;
  rule: string;
  /** The path under its corpus folder: `site-packages/numpy/core/x.py`. */
  file: string;
  path: string;
  line: number;
  message: string;
  /** The finding's line and 12 lines either side, numbered. */
  code: string;
  /** sha1 of the file when it was sampled: the regression test skips a file that changed. */
  sha1: string;
}

export interface Verdict { id: string; file: string; line: number; worth: boolean; reason: string }

type RuleCounts = Record<string, { all: number; set: number }>;

/** NAME.counts.json: the full run the sample was drawn from (`counts`, the weights) and its latest recount. */
export interface SampleCounts {
  set: "tuning" | "fresh";
  seed: number;
  perRule: number;
  counts: RuleCounts;
  /** The full run with the build of the last `npm run precision -- recount`. */
  currentCounts?: RuleCounts;
}

export function readCounts(name: string): SampleCounts {
  return JSON.parse(readFileSync(`${name}.counts.json`, "utf8")) as SampleCounts;
}

function writeCounts(name: string, counts: SampleCounts): void {
  writeFileSync(`${name}.counts.json`, JSON.stringify(counts, null, 2) + "\n");
}

interface JsonFinding { code: string; path: string; message: string; range: { start: { line: number } } }

/** The top-level package of a corpus file: `numpy` for `.../site-packages/numpy/core/x.py`. */
export function packageOf(path: string): string {
  for (const root of CORPUS) {
    if (path.startsWith(root + sep)) return relative(root, path).split(sep)[0].replace(/\.py$/, "");
  }
  return "";
}

function corpusRelative(path: string): string {
  for (const root of CORPUS) if (path.startsWith(root + sep)) return join(root.split(sep).pop()!, relative(root, path));
  return path;
}

/** The checkout: this module runs from scripts/ (tests) or dist/scripts/ (npm run precision). */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = basename(dirname(HERE)) === "dist" ? join(HERE, "..", "..") : join(HERE, "..");

/** `memhint check` of `paths` (the whole corpus by default) with default settings and every rule: the built CLI, no cache. */
function runCheck(paths: readonly string[] = CORPUS.filter(existsSync)): JsonFinding[] {
  const out = execFileSync(process.execPath, [join(ROOT, "bin", "memhint.js"), "check", ...paths, "--no-config", "--select", "ALL", "--output-format", "json", "--exit-zero", "--no-cache"], { cwd: ROOT, maxBuffer: 1 << 30, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out) as JsonFinding[];
}

/** Each rule's count in the full run, and in the set's packages. */
function countsOf(findings: readonly JsonFinding[], set: "tuning" | "fresh"): RuleCounts {
  const counts: RuleCounts = {};
  for (const f of findings) {
    const c = (counts[f.code] ??= { all: 0, set: 0 });
    c.all++;
    if (HELD_OUT.has(packageOf(f.path)) === (set === "fresh")) c.set++;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function sample(args: Map<string, string>): void {
  const set = args.get("set");
  if (set !== "tuning" && set !== "fresh") throw new Error("--set tuning|fresh");
  const seed = Number(args.get("seed"));
  if (!Number.isInteger(seed)) throw new Error("--seed N");
  const perRule = Number(args.get("per-rule") ?? 20);
  const out = args.get("out") ?? `test/precision/${set}`;
  const only = args.get("rules")?.split(",");
  const wanted = (code: string): boolean => !only || only.some((p) => code.startsWith(p));
  const all = runCheck().filter((f) => wanted(f.code));
  const counts = countsOf(all, set);
  const byRule = new Map<string, JsonFinding[]>();
  for (const f of all) {
    if (HELD_OUT.has(packageOf(f.path)) !== (set === "fresh")) continue;
    byRule.set(f.code, [...(byRule.get(f.code) ?? []), f]);
  }
  const kept = existsSync(`${out}.findings.jsonl`) ? readJsonl<SampledFinding>(`${out}.findings.jsonl`).filter((f) => !wanted(f.rule)) : [];
  const lines: string[] = kept.map((f) => JSON.stringify(f));
  let currentCounts: SampleCounts["currentCounts"];
  if (existsSync(`${out}.counts.json`)) {
    const before = readCounts(out);
    for (const [rule, c] of Object.entries(before.counts)) if (!wanted(rule)) counts[rule] = c;
    currentCounts = before.currentCounts;
  }
  for (const rule of [...byRule.keys()].sort()) {
    const rng = random(seed * 1000 + Number(rule.slice(2)));
    const pool = byRule.get(rule)!.slice().sort((a, b) => a.path.localeCompare(b.path) || a.range.start.line - b.range.start.line);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    for (const f of pool.slice(0, perRule)) {
      const text = readFileSync(f.path, "utf8");
      const fileLines = text.split(/\r\n|\r|\n/);
      const from = Math.max(1, f.range.start.line - 12);
      const to = Math.min(fileLines.length, f.range.start.line + 12);
      const code = fileLines.slice(from - 1, to).map((l, k) => `${String(from + k).padStart(5)}${from + k === f.range.start.line ? ">" : " "} ${l}`).join("\n");
      const file = corpusRelative(f.path);
      const finding: SampledFinding = {
        id: `${rule}-${createHash("sha1").update(`${file}:${f.range.start.line}:${f.message}`).digest("hex").slice(0, 8)}`,
        rule, file, path: f.path, line: f.range.start.line, message: f.message, code,
        sha1: createHash("sha1").update(text).digest("hex"),
      };
      lines.push(JSON.stringify(finding));
    }
  }
  writeFileSync(`${out}.findings.jsonl`, lines.join("\n") + "\n");
  writeCounts(out, { set, seed, perRule, counts, currentCounts });
  lines.sort((a, b) => a.localeCompare(b));
  console.log(`${lines.length} findings sampled into ${out}.findings.jsonl (seed ${seed}, up to ${perRule} per rule)`);
  for (const [rule, c] of Object.entries(counts).sort()) console.log(`  ${rule}: ${c.set} in the set, ${c.all} in the full run`);
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export interface RuleRow { rule: string; worth: number; judged: number; share: number }

/**
 * Each rule's verdicts, and its share of all findings in the full run: the run the sample was
 * drawn from (`counts`, the weights the issue asks for), or the latest recount (`currentCounts`).
 */
export function precisionRows(name: string, weights: "counts" | "currentCounts" = "counts"): { rows: RuleRow[]; weighted: number } {
  const counts = readCounts(name)[weights];
  if (!counts) throw new Error(`${name}.counts.json has no ${weights} (run \`npm run precision -- recount\`)`);
  const total = Object.values(counts).reduce((s, c) => s + c.all, 0);
  const rows = new Map<string, RuleRow>();
  for (const f of judgedFindings(name)) {
    const row = rows.get(f.rule) ?? { rule: f.rule, worth: 0, judged: 0, share: (counts[f.rule]?.all ?? 0) / total };
    row.judged++;
    if (f.verdict.worth) row.worth++;
    rows.set(f.rule, row);
  }
  const list = [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule));
  const shares = list.reduce((s, r) => s + r.share, 0);
  const weighted = list.reduce((s, r) => s + (r.worth / r.judged) * r.share, 0) / shares;
  return { rows: list, weighted };
}

export interface Judged extends SampledFinding { verdict: Verdict & { known?: string } }

/** A sample's findings, each with its verdict. */
export function judgedFindings(name: string): Judged[] {
  const verdicts = new Map(readJsonl<Verdict>(`${name}.verdicts.jsonl`).map((v) => [v.id, v]));
  return readJsonl<SampledFinding>(`${name}.findings.jsonl`).map((f) => {
    const verdict = verdicts.get(f.id);
    if (!verdict) throw new Error(`${name}: no verdict for ${f.id} (${f.file}:${f.line})`);
    return { ...f, verdict };
  });
}

/** Whether a sampled file is still the one judged on this machine (other machines may differ). */
export function unchanged(f: SampledFinding): boolean {
  return existsSync(f.path) && createHash("sha1").update(readFileSync(f.path)).digest("hex") === f.sha1;
}

/** `RULE path:line` of every finding memhint reports now in the sampled files (default settings, every rule). */
export function reportedNow(findings: readonly SampledFinding[]): Set<string> {
  const files = [...new Set(findings.map((f) => f.path))];
  if (files.length === 0) return new Set();
  return new Set(runCheck(files).map((f) => `${f.code} ${f.path}:${f.range.start.line}`));
}

export function isReported(found: ReadonlySet<string>, f: SampledFinding): boolean {
  return found.has(`${f.rule} ${f.path}:${f.line}`);
}

export const SAMPLE_DIR = join(ROOT, "test", "precision");
export const FIGURES_PATH = join(ROOT, "rules", "precision.json");
const SAMPLE_NAMES = ["fresh", "tuning"] as const;

/**
 * rules/precision.json for the rules `codes`, from the samples' verdicts and counts.
 * `stillReported(sample)` gives, per rule, how many of the sample's findings memhint reports now,
 * or undefined where that cannot be told (a sampled file changed or missing on this machine).
 */
export function buildFigures(codes: readonly string[], stillReported: (sample: "fresh" | "tuning", findings: Judged[]) => Record<string, number> | undefined): PrecisionFigures {
  const figures: PrecisionFigures = {
    generated: "by `npm run precision -- figures --write` from test/precision/; do not edit",
    samples: {} as PrecisionFigures["samples"],
    rules: {},
  };
  for (const name of SAMPLE_NAMES) {
    const path = join(SAMPLE_DIR, name);
    const counts = readCounts(path);
    const findings = judgedFindings(path);
    const reported = stillReported(name, findings);
    figures.samples[name] = {
      seed: counts.seed,
      perRule: counts.perRule,
      packages: name === "fresh" ? [...HELD_OUT].sort() : "every installed package but the held-out ones",
      weighted: Number(precisionRows(path).weighted.toFixed(6)),
      ...(counts.currentCounts ? { weightedNow: Number(precisionRows(path, "currentCounts").weighted.toFixed(6)) } : {}),
    };
    for (const code of [...codes].sort()) {
      const own = findings.filter((f) => f.rule === code);
      const sample: SampleFigures = {
        worth: own.filter((f) => f.verdict.worth).length,
        judged: own.length,
        ...(reported ? { stillReported: reported[code] ?? 0 } : {}),
        findings: counts.counts[code] ?? { all: 0, set: 0 },
        ...(counts.currentCounts ? { findingsNow: counts.currentCounts[code] ?? { all: 0, set: 0 } } : {}),
      };
      (figures.rules[code] ??= {} as PrecisionFigures["rules"][string])[name] = sample;
    }
  }
  return figures;
}

/** How many of the sampled findings memhint reports now, per rule; undefined unless every sampled file is unchanged. */
export function countStillReported(findings: readonly Judged[]): Record<string, number> | undefined {
  if (!findings.every(unchanged)) return undefined;
  const found = reportedNow(findings);
  const counts: Record<string, number> = {};
  for (const f of findings) if (isReported(found, f)) counts[f.rule] = (counts[f.rule] ?? 0) + 1;
  return counts;
}

/** Indented JSON with each innermost object or array on one line: one line per rule and sample to diff. */
export function renderFigures(figures: PrecisionFigures): string {
  const text = JSON.stringify(figures, null, 2).replace(/([{[])\n\s*([^{}[\]]*?)\n\s*([}\]])/g, (_m, open: string, body: string, close: string) =>
    `${open}${open === "{" ? " " : ""}${body.split(/,\n\s*/).join(", ")}${open === "{" ? " " : ""}${close}`);
  return text + "\n";
}

async function figuresCommand(write: boolean): Promise<void> {
  const { allRules } = await import("../rules/index.js");
  const figures = buildFigures(allRules.map((r) => r.code), (name, findings) => {
    const counted = countStillReported(findings);
    if (!counted) console.error(`${name}: some sampled files changed or are missing here; stillReported left out`);
    return counted;
  });
  if (write) {
    writeFileSync(FIGURES_PATH, renderFigures(figures));
    console.log(`wrote ${relative(ROOT, FIGURES_PATH)}; run \`npm run docs\` to show it`);
  } else {
    process.stdout.write(renderFigures(figures));
  }
}

/** The full run again with the current build: each sample's `currentCounts`. */
function recount(): void {
  const all = runCheck();
  for (const name of SAMPLE_NAMES) {
    const path = join(SAMPLE_DIR, name);
    const counts = readCounts(path);
    writeCounts(path, { ...counts, currentCounts: countsOf(all, counts.set) });
  }
  const total = countsOf(all, "fresh");
  console.log(`${all.length} findings in the full run: ${Object.entries(total).map(([rule, c]) => `${rule} ${c.all}`).join(", ")}`);
}

function report(name: string): void {
  const { rows, weighted } = precisionRows(name);
  console.log("| rule | worth acting on / judged | precision | share of all findings |");
  console.log("|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.rule} | ${r.worth}/${r.judged} | ${Math.round((100 * r.worth) / r.judged)}% | ${(100 * r.share).toFixed(1)}% |`);
  console.log(`\nweighted overall: ${(100 * weighted).toFixed(1)}%`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, ...rest] = process.argv.slice(2);
  const args = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--write") continue;
    if (rest[i].startsWith("--")) args.set(rest[i].slice(2), rest[++i]);
    else positional.push(rest[i]);
  }
  if (command === "sample") sample(args);
  else if (command === "report" && positional[0]) report(positional[0]);
  else if (command === "recount") recount();
  else if (command === "figures") await figuresCommand(rest.includes("--write"));
  else {
    console.error("usage: precision sample --set tuning|fresh --seed N [--per-rule 20] [--out test/precision/NAME] | precision report test/precision/NAME | precision recount | precision figures [--write]");
    process.exit(2);
  }
}
