/**
 * `npm run fuzz:cli`: runs `memhint check` on mutated standard-library files in random modes and
 * judges every run (scripts/fuzz-cli-lib.ts says how). Prints the seed first and a table of the
 * cases run and their outcomes last; exits 1 when any case failed, after printing how to replay
 * it and where its input was saved (`.fuzz-failures/`, git-ignored).
 *
 *   npm run fuzz:cli -- [--seed N] [--minutes M] [--cases N] [--case K] [--max-files N] [--keep]
 *
 * --seed: the run's seed (default: from the clock); --minutes: stop starting cases after M
 * minutes (default 2, unless --cases is given); --cases: stop after N cases; --case K: run only
 * case K of the seed (a replay); --max-files: files per batch (default 24); --keep: keep each
 * case's temporary folder.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { caseLabel, describeFailure, fuzzEnv, generateCase, loadCorpus, runCase, saveFailure, Tally, type CaseResult } from "./fuzz-cli-lib.js";

function usage(message: string): never {
  process.stderr.write(`fuzz:cli: ${message}\nUsage: npm run fuzz:cli -- [--seed N] [--minutes M] [--cases N] [--case K] [--max-files N] [--keep]\n`);
  process.exit(2);
}

function whole(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) usage(`${flag} needs a whole number${min > 0 ? ` of at least ${min}` : ""}, not "${value}"`);
  return Number(value);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      seed: { type: "string" }, minutes: { type: "string" }, cases: { type: "string" }, case: { type: "string" },
      "max-files": { type: "string" }, keep: { type: "boolean" },
    },
    strict: true,
  });
} catch (error) {
  usage((error as Error).message.split("\n")[0]);
}
const v = parsed.values;
const seed = whole(v.seed, "--seed") ?? (Date.now() % 2 ** 31);
if (v.minutes !== undefined && !/^\d+(\.\d+)?$/.test(v.minutes)) usage(`--minutes needs a number, not "${v.minutes}"`);
const cases = whole(v.cases, "--cases", 1);
const only = whole(v.case, "--case");
const maxFiles = whole(v["max-files"], "--max-files", 1) ?? 24;
const minutes = v.minutes !== undefined ? Number(v.minutes) : cases !== undefined ? Infinity : 2;

const env = await fuzzEnv({ keep: v.keep ?? false });
const failuresDir = join(env.root, ".fuzz-failures");
console.log(`memhint CLI fuzzer: seed ${seed}${only !== undefined ? `, case ${only} only` : ""}; ${
  only !== undefined ? "" : `${cases !== undefined ? `${cases} cases` : ""}${cases !== undefined && minutes !== Infinity ? " or " : ""}${minutes !== Infinity ? `${minutes} minutes` : ""}; `
}up to ${maxFiles} files a batch; work folder ${env.workDir}`);
const corpus = loadCorpus();
console.log(`corpus: ${corpus.length} standard-library files`);

const tally = new Tally();
/** The runs that came nearest their time budget. */
const slowest: Array<{ seed: number; index: number; ms: number; inputs: number; budgetMs: number }> = [];
const failed: CaseResult[] = [];
const deadline = performance.now() + minutes * 60_000;
const started = performance.now();
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log("\nSIGINT: stopping after this case (again to stop at once)");
});

const indices = only !== undefined ? [only] : null;
for (let n = 0; ; n++) {
  const index = indices ? indices[n] : n;
  if (index === undefined || interrupted) break;
  if (!indices && ((cases !== undefined && n >= cases) || performance.now() >= deadline)) break;
  const fuzzCase = generateCase(seed, index, corpus, { maxFiles });
  const result = runCase(env, fuzzCase);
  tally.add(result);
  if (result.slowest) {
    slowest.push({ seed, index, ...result.slowest });
    slowest.sort((a, b) => b.ms / b.budgetMs - a.ms / a.budgetMs);
    slowest.length = Math.min(slowest.length, 3);
  }
  if (result.failures.length > 0) {
    failed.push(result);
    mkdirSync(failuresDir, { recursive: true });
    const saved = saveFailure(env, result, failuresDir);
    console.log(describeFailure(result, saved));
  } else if (indices) {
    console.log(`case ${index} (${caseLabel(fuzzCase)}): passed, exit status ${result.status}, ${fuzzCase.files.length} files`);
  }
  if (!indices && (n + 1) % 25 === 0) {
    console.log(`... ${n + 1} cases, ${failed.length} failed, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}
if (!env.keep) rmSync(env.workDir, { recursive: true, force: true });

console.log(`\nseed ${seed}: ${[...tally.rows.values()].reduce((s, r) => s + r.cases, 0)} cases in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
console.log(tally.table());
if (slowest.length > 0) {
  console.log(`\nnearest the time budget: ${slowest.map((s) => `case ${s.index}: ${(s.ms / 1000).toFixed(1)} s for ${s.inputs} input${s.inputs === 1 ? "" : "s"} (budget ${(s.budgetMs / 1000).toFixed(0)} s)`).join("; ")}`);
}
if (failed.length > 0) {
  console.log(`\n${failed.length} case${failed.length === 1 ? "" : "s"} failed (seed ${seed}): ${failed.map((r) => r.fuzzCase.index).join(", ")}; inputs saved under ${failuresDir}`);
  process.exit(1);
}
console.log("\nNo failures.");
