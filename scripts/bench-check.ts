/**
 * `npm run bench`: lints the local CPython standard library and prints where the time goes
 * (parse vs lint pass), findings per rule, and memory; then times the real CLI on the same tree.
 * A script that prints numbers, not a timed test.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { allRules } from "../rules/index.js";
import { lintTree, loadPythonParser, resolveSettings } from "../server/engine/index.js";
import { pythonFiles, stdlibPath } from "./corpus.js";

const root = process.argv[2] ?? stdlibPath();
const files = pythonFiles(root);
const parser = await loadPythonParser();
const settings = resolveSettings({ select: ["ALL"] });
let parseMs = 0;
let lintMs = 0;
let lines = 0;
const perRule = new Map<string, number>();
for (const file of files) {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  lines += source.split("\n").length;
  const t0 = performance.now();
  const tree = parser.parse(source);
  const t1 = performance.now();
  const result = lintTree(tree, source, allRules, settings);
  lintMs += performance.now() - t1;
  parseMs += t1 - t0;
  tree.delete();
  for (const d of result.diagnostics) perRule.set(d.code, (perRule.get(d.code) ?? 0) + 1);
}
const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;
console.log(`corpus: ${root} (${files.length} files, ${lines.toLocaleString("en-US")} lines)`);
console.log(`engine, one thread: parse ${(parseMs / 1000).toFixed(2)} s, lint pass ${(lintMs / 1000).toFixed(2)} s, RSS ${mb(process.memoryUsage().rss)}`);
console.log("findings per rule:");
for (const rule of allRules) console.log(`  ${rule.code} ${rule.name.padEnd(28)} ${perRule.get(rule.code) ?? 0}`);
if (perRule.has("MH001")) console.log(`  MH001 invalid-suppression          ${perRule.get("MH001")}`);

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "memhint.js");
const t0 = performance.now();
const cli = spawnSync(process.execPath, [bin, "check", root, "--format", "json", "--no-config"], { encoding: "utf8", maxBuffer: 1 << 30 });
const wall = (performance.now() - t0) / 1000;
let findings: number | null = null;
try {
  findings = (JSON.parse(cli.stdout) as unknown[]).length;
} catch {
  // no JSON: the run failed before reporting
}
if (cli.error || findings === null) {
  console.log(`CLI run failed (status ${cli.status}): ${cli.error?.message ?? cli.stderr.slice(0, 500)}`);
} else {
  // Exit 2 with a report means some files were skipped (the stdlib has deliberately undecodable ones).
  const skipped = cli.stderr.split("\n").filter((line) => line.includes(": skipped: ")).length;
  console.log(`CLI: memhint check ${root} --format json: ${wall.toFixed(2)} s wall, ${findings} findings, exit ${cli.status}, ${skipped} files skipped`);
}
