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
 *     rule's share of all findings in the full run.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
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

function runCheck(): JsonFinding[] {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "memhint.js");
  const out = execFileSync(process.execPath, [bin, "check", ...CORPUS.filter(existsSync), "--no-config", "--select", "ALL", "--format", "json", "--exit-zero"], { maxBuffer: 1 << 30, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out) as JsonFinding[];
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
  const counts: Record<string, { all: number; set: number }> = {};
  const byRule = new Map<string, JsonFinding[]>();
  for (const f of all) {
    const inSet = HELD_OUT.has(packageOf(f.path)) === (set === "fresh");
    const c = (counts[f.code] ??= { all: 0, set: 0 });
    c.all++;
    if (!inSet) continue;
    c.set++;
    byRule.set(f.code, [...(byRule.get(f.code) ?? []), f]);
  }
  const kept = existsSync(`${out}.findings.jsonl`) ? readJsonl<SampledFinding>(`${out}.findings.jsonl`).filter((f) => !wanted(f.rule)) : [];
  const lines: string[] = kept.map((f) => JSON.stringify(f));
  if (existsSync(`${out}.counts.json`)) {
    const before = JSON.parse(readFileSync(`${out}.counts.json`, "utf8")) as { counts: typeof counts };
    for (const [rule, c] of Object.entries(before.counts)) if (!wanted(rule)) counts[rule] = c;
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
  writeFileSync(`${out}.counts.json`, JSON.stringify({ set, seed, perRule, counts }, null, 2) + "\n");
  lines.sort((a, b) => a.localeCompare(b));
  console.log(`${lines.length} findings sampled into ${out}.findings.jsonl (seed ${seed}, up to ${perRule} per rule)`);
  for (const [rule, c] of Object.entries(counts).sort()) console.log(`  ${rule}: ${c.set} in the set, ${c.all} in the full run`);
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export interface RuleRow { rule: string; worth: number; judged: number; share: number }

/** Each rule's verdicts, and its share of all findings in the full run. */
export function precisionRows(name: string): { rows: RuleRow[]; weighted: number } {
  const findings = readJsonl<SampledFinding>(`${name}.findings.jsonl`);
  const verdicts = new Map(readJsonl<Verdict>(`${name}.verdicts.jsonl`).map((v) => [v.id, v]));
  const { counts } = JSON.parse(readFileSync(`${name}.counts.json`, "utf8")) as { counts: Record<string, { all: number }> };
  const total = Object.values(counts).reduce((s, c) => s + c.all, 0);
  const rows = new Map<string, RuleRow>();
  for (const f of findings) {
    const v = verdicts.get(f.id);
    if (!v) throw new Error(`${name}: no verdict for ${f.id} (${f.file}:${f.line})`);
    const row = rows.get(f.rule) ?? { rule: f.rule, worth: 0, judged: 0, share: (counts[f.rule]?.all ?? 0) / total };
    row.judged++;
    if (v.worth) row.worth++;
    rows.set(f.rule, row);
  }
  const list = [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule));
  const shares = list.reduce((s, r) => s + r.share, 0);
  const weighted = list.reduce((s, r) => s + (r.worth / r.judged) * r.share, 0) / shares;
  return { rows: list, weighted };
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
    if (rest[i].startsWith("--")) args.set(rest[i].slice(2), rest[++i]);
    else positional.push(rest[i]);
  }
  if (command === "sample") sample(args);
  else if (command === "report" && positional[0]) report(positional[0]);
  else {
    console.error("usage: precision sample --set tuning|fresh --seed N [--per-rule 20] [--out test/precision/NAME] | precision report test/precision/NAME");
    process.exit(2);
  }
}
