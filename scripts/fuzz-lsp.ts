/**
 * `npm run fuzz:lsp`: random valid and invalid input to the real language server, checked
 * against a fresh server after every sequence (scripts/lsp-fuzzer.ts says what a case does and
 * checks). Prints the seed first, a line per failure with its reproduction, and the outcomes at
 * the end; exits 1 when a case failed.
 *
 *   npm run fuzz:lsp [-- --seed=N --minutes=M --cases=N --case=K]
 *     --seed     the run's seed (default: from the clock)
 *     --minutes  run cases until this much time has passed
 *     --cases    run this many cases (default 20 without --minutes)
 *     --case     run only case K of the seed (a reproduction)
 */
import { tmpdir } from "node:os";
import { runFuzz } from "./lsp-fuzzer.js";

function option(name: string): number | undefined {
  for (let i = 2; i < process.argv.length; i++) {
    const arg = process.argv[i];
    if (arg === `--${name}`) return Number(process.argv[i + 1]);
    if (arg.startsWith(`--${name}=`)) return Number(arg.slice(name.length + 3));
  }
  return undefined;
}

function check(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    console.error(`fuzz:lsp: --${name} needs a non-negative number`);
    process.exit(2);
  }
  return value;
}

const seed = check("seed", option("seed")) ?? (Date.now() % 2 ** 31);
const minutes = check("minutes", option("minutes"));
const cases = check("cases", option("cases"));
const only = check("case", option("case"));

console.log(`fuzz:lsp seed ${seed}${minutes !== undefined ? `, ${minutes} min` : ""}${cases !== undefined ? `, ${cases} cases` : ""}${only !== undefined ? `, case ${only} only` : ""}`);
const started = Date.now();
const summary = await runFuzz({ seed, minutes, cases, only, log: (line) => console.log(line), failureDir: tmpdir() });
const seconds = (Date.now() - started) / 1000;
const messages = summary.results.reduce((n, r) => n + r.messages, 0);
console.log(`\n${summary.results.length} cases in ${seconds.toFixed(0)} s (${summary.results.filter((r) => r.mode === "push").length} push, ${summary.results.filter((r) => r.mode === "pull").length} pull; ${messages} writes): ${summary.results.length - summary.failures.length} passed, ${summary.failures.length} failed`);
console.log(`sent: ${Object.entries(summary.sent).sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
for (const failure of summary.failures) {
  console.log(`failed: case ${failure.index} (npm run fuzz:lsp -- --seed ${seed} --case ${failure.index}): ${failure.problems[0].split("\n")[0]}`);
}
process.exit(summary.failures.length > 0 ? 1 : 0);
