/**
 * `npm run bench:rules`: what each rule adds to a lint pass. For a corpus (default: the local
 * CPython standard library) and for `_pydecimal.py` alone (warm, many rounds), it times the lint
 * pass with no rule (the native fetch of the model's node types, the model, suppressions), with
 * exactly one rule, and with every rule. A rule's cost is its lint minus the no-rule lint of the
 * same round; the configurations are interleaved per file (in a rotating order) so that drift,
 * JIT and GC hit them alike, and the spread across rounds shows the noise. Files are parsed once,
 * outside the timed region. A script that prints numbers, not a timed test.
 *
 *   node dist/scripts/bench-rules.js [corpus dir or .py file] [--rounds N (corpus, 5)]
 *     [--file PATH | --no-file] [--file-rounds N (30)] [--inner N (3)] [--rules MH301,MH101] [--no-corpus]
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { allRules } from "../rules/index.js";
import { lintTree, loadPythonParser, resolveSettings, type Settings, type Tree } from "../server/engine/index.js";
import { pythonFiles, stdlibPath } from "./corpus.js";

interface Config {
  label: string;
  settings: Settings;
}

interface Args {
  corpus: string | null;
  file: string | null;
  rounds: number;
  fileRounds: number;
  /** For the single file: each sample is the fastest of this many back-to-back passes. */
  inner: number;
  codes: string[] | null;
}

function parseArgs(argv: string[]): Args {
  let corpus: string | null | undefined;
  let file: string | null | undefined;
  let rounds = 5;
  let fileRounds = 30;
  let inner = 3;
  let codes: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--rounds") rounds = Number(value());
    else if (arg === "--file-rounds") fileRounds = Number(value());
    else if (arg === "--inner") inner = Number(value());
    else if (arg === "--file") file = value();
    else if (arg === "--no-file") file = null;
    else if (arg === "--no-corpus") corpus = null;
    else if (arg === "--rules") codes = value().split(",").map((c) => c.trim().toUpperCase()).filter(Boolean);
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else corpus = arg;
  }
  const stdlib = corpus === undefined || file === undefined ? stdlibPath() : "";
  return {
    corpus: corpus === undefined ? stdlib : corpus,
    file: file === undefined ? join(stdlib, "_pydecimal.py") : file,
    rounds: Math.max(1, rounds),
    fileRounds: Math.max(1, fileRounds),
    inner: Math.max(1, inner),
    codes,
  };
}

const args = parseArgs(process.argv.slice(2));
const rules = args.codes ? allRules.filter((r) => args.codes!.includes(r.code)) : allRules;
const configs: Config[] = [
  { label: "none", settings: resolveSettings({ select: ["MH999"] }) },
  ...rules.map((r) => ({ label: r.code, settings: resolveSettings({ select: [r.code] }) })),
  { label: "all", settings: resolveSettings({ select: ["ALL"] }) },
];
const parser = await loadPythonParser();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/**
 * Time a lint pass of every configuration on a tree, in a rotated order, and add it to
 * `totals[config]`. With `inner` > 1 a configuration's time is the fastest of that many
 * back-to-back passes, which keeps most GC pauses and interrupts out of a warm measurement.
 */
function timeConfigs(tree: Tree, source: string, totals: number[], rotation: number, inner = 1): void {
  for (let k = 0; k < configs.length; k++) {
    const index = (k + rotation) % configs.length;
    let best = Infinity;
    for (let i = 0; i < inner; i++) {
      const t0 = performance.now();
      lintTree(tree, source, allRules, configs[index].settings);
      best = Math.min(best, performance.now() - t0);
    }
    totals[index] += best;
  }
}

/** One row per configuration: the pass (or, for a rule, its cost over `none` round by round). */
function report(rounds: number[][], unit: "ms" | "s"): void {
  const scale = unit === "s" ? 1 / 1000 : 1;
  const digits = unit === "s" ? 3 : 2;
  const fmt = (v: number): string => (v * scale).toFixed(digits).padStart(8);
  const none = rounds.map((r) => r[0]);
  const head = `  ${"".padEnd(10)} ${"median".padStart(8)} ${"p10".padStart(8)} ${"p90".padStart(8)}   (${unit}, ${rounds.length} rounds)`;
  console.log(head);
  configs.forEach((config, i) => {
    let label: string;
    let values: number[];
    if (i === 0) {
      label = "no rule";
      values = none;
    } else if (config.label === "all") {
      label = "all rules";
      values = rounds.map((r) => r[i]);
    } else {
      label = `+${config.label}`;
      values = rounds.map((r) => r[i] - r[0]);
    }
    console.log(`  ${label.padEnd(10)} ${fmt(median(values))} ${fmt(quantile(values, 0.1))} ${fmt(quantile(values, 0.9))}`);
  });
  const all = configs.length - 1;
  const added = rounds.map((r) => r[all] - r[0]);
  console.log(`  ${"all-none".padEnd(10)} ${fmt(median(added))} ${fmt(quantile(added, 0.1))} ${fmt(quantile(added, 0.9))}`);
}

function readSource(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

// ---- one file, warm ---------------------------------------------------------------------------

if (args.file) {
  const source = readSource(args.file);
  if (source === null) throw new Error(`cannot read ${args.file}`);
  const tree = parser.parse(source);
  try {
    const warm = new Array<number>(configs.length).fill(0);
    for (let i = 0; i < 5; i++) timeConfigs(tree, source, warm, i);
    const rounds: number[][] = [];
    for (let round = 0; round < args.fileRounds; round++) {
      const totals = new Array<number>(configs.length).fill(0);
      timeConfigs(tree, source, totals, round, args.inner);
      rounds.push(totals);
    }
    const each = args.inner > 1 ? `, each sample the fastest of ${args.inner} passes` : "";
    console.log(`${args.file} (${source.split("\n").length.toLocaleString("en-US")} lines), warm, one lint pass${each}:`);
    report(rounds, "ms");
  } finally {
    tree.delete();
  }
}

// ---- a corpus, each file parsed once ----------------------------------------------------------

if (args.corpus) {
  const files = statSync(args.corpus).isDirectory() ? pythonFiles(args.corpus) : [args.corpus];
  const rounds: number[][] = Array.from({ length: args.rounds }, () => new Array<number>(configs.length).fill(0));
  let parseMs = 0;
  let lines = 0;
  let read = 0;
  for (const file of files) {
    const source = readSource(file);
    if (source === null) continue;
    read++;
    lines += source.split("\n").length;
    const t0 = performance.now();
    const tree = parser.parse(source);
    parseMs += performance.now() - t0;
    try {
      for (let round = 0; round < args.rounds; round++) timeConfigs(tree, source, rounds[round], round + read);
    } finally {
      tree.delete();
    }
  }
  console.log(`${args.corpus} (${read} files, ${lines.toLocaleString("en-US")} lines; parse once ${(parseMs / 1000).toFixed(2)} s, not counted), whole-corpus lint pass:`);
  report(rounds, "s");
}
