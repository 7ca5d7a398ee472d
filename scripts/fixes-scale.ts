/**
 * `npm run fixes:scale`: applies every fix to copies of real code and checks that no fix harms it.
 *
 * Corpora: the CPython standard library and the installed third-party packages (the
 * site-packages folders and Debian's dist-packages), copied (their `.py` files) to a scratch
 * folder. For the safe fixes, then for the safe and unsafe fixes together:
 *   - `memhint check --fix` on the copy, counting the fixes applied per rule;
 *   - every file it changed must compile (`compile()` under python3) when its original did;
 *   - a second `--fix` must change nothing (findings may remain; fixes may not);
 *   - the test suites of packages that ship them (networkx and mpmath by default) run on a fixed
 *     copy of the package: with the safe fixes every test must have the outcome it had on the
 *     original, and the suite may take at most 1.5x its original time; with the unsafe fixes too,
 *     every test that changes outcome or slows down is listed.
 * Prints a table per rule and mode: fixes applied, files changed, compile failures, fixes that
 * do not converge. Exits 1 when a safe fix breaks anything, or any fix breaks compilation or
 * does not converge. A script that prints numbers, not a test.
 *
 * Options: --skip-tests (no test suites), --packages a,b (the suites to run),
 * --keep (leave the scratch folder), --corpus PATH (repeatable; replaces the default corpora).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stdlibPath } from "./corpus.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "memhint.js");

const { values } = parseArgs({
  options: {
    "skip-tests": { type: "boolean" },
    packages: { type: "string" },
    keep: { type: "boolean" },
    corpus: { type: "string", multiple: true },
  },
});

type Mode = "safe" | "unsafe";
const MODES: Mode[] = ["safe", "unsafe"];
const SLOWDOWN_LIMIT = 1.5;

interface RuleRow {
  fixes: number;
  files: Set<string>;
  compileFailures: Set<string>;
  nonConverging: number;
}

function python(script: string, input: string, timeout = 600_000): string {
  const r = spawnSync("python3", ["-c", script], { input, encoding: "utf8", maxBuffer: 1 << 30, timeout });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

function sitePackages(): string[] {
  const found = JSON.parse(python("import json, site; print(json.dumps(site.getsitepackages()))", "")) as string[];
  return [...found, "/usr/lib/python3/dist-packages"].filter((p) => existsSync(p));
}

/** Copy the `.py` files under `from` to `to`, keeping the tree; returns the relative paths. */
function copyPythonFiles(from: string, to: string, out: string[] = [], prefix = ""): string[] {
  let entries;
  try {
    entries = readdirSync(from, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const source = join(from, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      // Installed packages inside the standard library's folder are a corpus of their own.
      if (entry.name === "__pycache__" || entry.name === "site-packages" || entry.name === "dist-packages") continue;
      copyPythonFiles(source, join(to, entry.name), out, rel);
    } else if (entry.isFile() && entry.name.endsWith(".py")) {
      mkdirSync(to, { recursive: true });
      cpSync(source, join(to, entry.name));
      out.push(rel);
    }
  }
  return out;
}

/** `path: fixed N findings (MH101 x2, MH202)` lines of `memhint check --fix`: per file, codes and counts. */
function parseFixedLines(stdout: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of stdout.split("\n")) {
    const m = /^(.*): fixed \d+ findings? \((.*)\)$/.exec(line);
    if (!m) continue;
    const counts = new Map<string, number>();
    for (const part of m[2].split(", ")) {
      const [code, times] = part.split(" x");
      counts.set(code, Number(times ?? 1));
    }
    out.set(m[1], counts);
  }
  return out;
}

function runFix(dir: string, mode: Mode): { fixed: Map<string, Map<string, number>>; seconds: number; stderr: string } {
  const started = performance.now();
  const args = [BIN, "check", ".", "--no-config", "--select", "ALL", "--fix", "--exit-zero", ...(mode === "unsafe" ? ["--unsafe-fixes"] : [])];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 2) throw new Error(`memhint failed (${r.status}): ${r.stderr.slice(-2000)}`);
  if (/internal error/.test(r.stderr)) throw new Error(`memhint reported an internal error:\n${r.stderr.split("\n").filter((l) => l.includes("internal error")).slice(0, 5).join("\n")}`);
  return { fixed: parseFixedLines(r.stdout), seconds: (performance.now() - started) / 1000, stderr: r.stderr };
}

/** Of `pairs` (original, fixed), those whose original compiles and fixed version does not, with the error. */
function compileFailures(pairs: Array<[string, string]>): Map<string, string> {
  const script = `
import json, sys, warnings
warnings.simplefilter("ignore")
def compiles(path):
    try:
        compile(open(path, "rb").read(), path, "exec", dont_inherit=True)
        return None
    except Exception as e:
        return f"{type(e).__name__}: {e}"
out = {}
for original, fixed in json.load(sys.stdin):
    if compiles(original) is None:
        error = compiles(fixed)
        if error is not None:
            out[fixed] = error
print(json.dumps(out))
`;
  return new Map(Object.entries(JSON.parse(python(script, JSON.stringify(pairs))) as Record<string, string>));
}

// ---- test suites ------------------------------------------------------------------------------

interface SuiteRun {
  seconds: number;
  /** By pytest node id. */
  outcomes: Map<string, { outcome: string; seconds: number }>;
}

/** The environment tests run in: the copy in `parent` comes first on the import path. */
function suiteEnv(parent: string): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: parent, PYTHONHASHSEED: "0", PYTHONDONTWRITEBYTECODE: "1" };
}

/** Run the package's tests from `parent` (holding the package folder) and read the JUnit report. */
function runSuite(parent: string, pkg: string): SuiteRun {
  const report = join(parent, `${pkg}-junit.xml`);
  const env = suiteEnv(parent);
  const where = spawnSync("python3", ["-c", `import ${pkg}; print(${pkg}.__file__)`], { cwd: parent, env, encoding: "utf8" });
  if (!where.stdout.startsWith(parent)) throw new Error(`${pkg} is not imported from the copy (${where.stdout.trim()} ${where.stderr})`);
  const started = performance.now();
  spawnSync("python3", ["-m", "pytest", pkg, "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1", `--junitxml=${report}`], {
    cwd: parent, env, encoding: "utf8", maxBuffer: 1 << 30, timeout: 60 * 60_000,
  });
  const seconds = (performance.now() - started) / 1000;
  const xml = readFileSync(report, "utf8");
  const outcomes = new Map<string, { outcome: string; seconds: number }>();
  for (const m of xml.matchAll(/<testcase ([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attr = (name: string): string => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(m[1])?.[1] ?? "";
    const body = m[3] ?? "";
    const outcome = /<failure/.test(body) ? "failed" : /<error/.test(body) ? "error" : /<skipped/.test(body) ? "skipped" : "passed";
    outcomes.set(nodeId(attr("file"), attr("classname"), unescapeXml(attr("name"))), { outcome, seconds: Number(attr("time")) });
  }
  return { seconds, outcomes };
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#10;/g, "\n").replace(/&amp;/g, "&");
}

/** pytest's node id from a JUnit (xunit1) test case: `path/test_x.py::Class::test_name[param]`. */
function nodeId(file: string, classname: string, name: string): string {
  if (!file) return `${classname}::${name}`;
  // The classname is the module's dotted name (from wherever pytest rooted it) and the class.
  const parts = classname.split(".");
  const at = parts.lastIndexOf(basename(file).replace(/\.py$/, ""));
  const classes = at >= 0 ? parts.slice(at + 1) : [];
  return [file, ...classes, name].join("::");
}

/**
 * The best of `rounds` timings of one test's call phase in each folder, run alternately, so
 * that machine load hits both alike. Null when pytest reports no timing.
 */
function bestTimes(nodeid: string, parents: readonly [string, string], env: (parent: string) => NodeJS.ProcessEnv, rounds = 3): [number, number] | null {
  const best: [number, number] = [Infinity, Infinity];
  for (let round = 0; round < rounds; round++) {
    for (const [i, parent] of parents.entries()) {
      const r = spawnSync("python3", ["-m", "pytest", nodeid, "-q", "-p", "no:cacheprovider", "--durations=0", "--durations-min=0"], {
        cwd: parent, env: env(parent), encoding: "utf8", maxBuffer: 1 << 26, timeout: 10 * 60_000,
      });
      const m = /^([0-9.]+)s call /m.exec(r.stdout);
      if (!m) return null;
      best[i] = Math.min(best[i], Number(m[1]));
    }
  }
  return best;
}

interface SuiteComparison {
  changed: string[];
  slower: string[];
}

/**
 * Outcomes that differ, and tests slower than SLOWDOWN_LIMIT: a single run's timings are noisy on
 * a busy machine, so each test that looks slower is timed again, alternating with the original,
 * and only a slowdown that holds for the best of three runs is reported.
 */
function compareSuites(base: SuiteRun, fixed: SuiteRun, parents: readonly [string, string], env: (p: string) => NodeJS.ProcessEnv): SuiteComparison {
  const changed: string[] = [];
  const slower: string[] = [];
  for (const [name, before] of base.outcomes) {
    const after = fixed.outcomes.get(name);
    if (!after) {
      changed.push(`${name}: ${before.outcome} → missing`);
      continue;
    }
    if (after.outcome !== before.outcome) changed.push(`${name}: ${before.outcome} → ${after.outcome}`);
    // Noise floor: tests under 0.2 s vary more than 1.5x from run to run.
    if (after.seconds > SLOWDOWN_LIMIT * before.seconds && after.seconds > 0.2) slower.push(name);
  }
  const confirmed: string[] = [];
  for (const name of slower.slice(0, 40)) {
    const best = bestTimes(name, parents, env);
    if (!best) continue;
    const [was, now] = best;
    if (now > SLOWDOWN_LIMIT * was && now > 0.2) confirmed.push(`${name}: ${was.toFixed(2)} s → ${now.toFixed(2)} s (best of 3)`);
  }
  for (const name of fixed.outcomes.keys()) if (!base.outcomes.has(name)) changed.push(`${name}: new`);
  return { changed, slower: confirmed };
}

// ---- main -------------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), "memhint-fixes-scale-"));
const corpora: Array<{ name: string; path: string }> = values.corpus
  ? values.corpus.map((path, i) => ({ name: `corpus${i}-${basename(path)}`, path }))
  : [{ name: "stdlib", path: stdlibPath() }, ...sitePackages().map((path, i) => ({ name: `packages${i}`, path }))];
let failed = false;
const rows = new Map<string, RuleRow>();
const rowOf = (mode: Mode, code: string): RuleRow => {
  const key = `${mode} ${code}`;
  let row = rows.get(key);
  if (!row) rows.set(key, (row = { fixes: 0, files: new Set(), compileFailures: new Set(), nonConverging: 0 }));
  return row;
};

try {
  console.log(`scratch folder: ${scratch}`);
  const originals = join(scratch, "original");
  const copied = new Map<string, string[]>();
  for (const corpus of corpora) {
    copied.set(corpus.name, copyPythonFiles(corpus.path, join(originals, corpus.name)));
    console.log(`${corpus.name}: ${corpus.path} (${copied.get(corpus.name)?.length} files)`);
  }
  const failures: string[] = [];
  for (const mode of MODES) {
    const work = join(scratch, mode);
    cpSync(originals, work, { recursive: true });
    const first = runFix(work, mode);
    console.log(`\n${mode}: memhint --fix${mode === "unsafe" ? " --unsafe-fixes" : ""} took ${first.seconds.toFixed(1)} s, changed ${first.fixed.size} files`);
    for (const [file, counts] of first.fixed) {
      for (const [code, n] of counts) {
        const row = rowOf(mode, code);
        row.fixes += n;
        row.files.add(file);
      }
    }
    const broken = compileFailures([...first.fixed.keys()].map((f) => [join(originals, f), join(work, f)]));
    for (const [path, error] of broken) {
      const file = relative(work, path);
      const codes = [...(first.fixed.get(file)?.keys() ?? [])];
      for (const code of codes) rowOf(mode, code).compileFailures.add(file);
      failures.push(`${mode}: ${file} no longer compiles after ${codes.join(", ")}: ${error}`);
    }
    const second = runFix(work, mode);
    for (const [file, counts] of second.fixed) {
      for (const [code, n] of counts) rowOf(mode, code).nonConverging += n;
      failures.push(`${mode}: a second --fix changed ${file} again (${[...counts.keys()].join(", ")})`);
    }
  }

  console.log("\n| mode | rule | fixes applied | files changed | compile failures | non-converging fixes |");
  console.log("|---|---|---|---|---|---|");
  for (const [key, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    const [mode, code] = key.split(" ");
    console.log(`| ${mode} | ${code} | ${row.fixes} | ${row.files.size} | ${row.compileFailures.size} | ${row.nonConverging} |`);
  }
  if (failures.length > 0) {
    failed = true;
    console.log(`\n${failures.length} problems:`);
    for (const f of failures.slice(0, 50)) console.log(`  ${f}`);
  }

  if (!values["skip-tests"]) {
    const packages = (values.packages ?? "networkx,mpmath").split(",").filter(Boolean);
    const installed = sitePackages();
    for (const pkg of packages) {
      const home = installed.map((p) => join(p, pkg)).find((p) => existsSync(p));
      if (!home) {
        console.log(`\n${pkg}: not installed; skipped`);
        continue;
      }
      const runs: Partial<Record<"original" | Mode, SuiteRun>> = {};
      const fixedCounts: Partial<Record<Mode, number>> = {};
      for (const variant of ["original", ...MODES] as const) {
        const parent = join(scratch, `suite-${pkg}-${variant}`);
        rmSync(parent, { recursive: true, force: true });
        mkdirSync(parent, { recursive: true });
        cpSync(home, join(parent, pkg), { recursive: true });
        if (variant !== "original") fixedCounts[variant] = [...runFix(join(parent, pkg), variant).fixed.values()].reduce((n, c) => n + [...c.values()].reduce((a, b) => a + b, 0), 0);
        runs[variant] = runSuite(parent, pkg);
        const run = runs[variant] as SuiteRun;
        const counts = new Map<string, number>();
        for (const { outcome } of run.outcomes.values()) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        const fixes = variant === "original" ? "" : `, ${fixedCounts[variant]} fixes applied`;
        console.log(`\n${pkg} (${variant}${fixes}): ${run.seconds.toFixed(1)} s, ${[...counts].map(([o, n]) => `${n} ${o}`).join(", ")}`);
      }
      const base = runs.original as SuiteRun;
      for (const mode of MODES) {
        const run = runs[mode] as SuiteRun;
        const parents: [string, string] = [join(scratch, `suite-${pkg}-original`), join(scratch, `suite-${pkg}-${mode}`)];
        const { changed, slower } = compareSuites(base, run, parents, suiteEnv);
        const ratio = run.seconds / base.seconds;
        console.log(`${pkg} with ${mode} fixes: ${ratio.toFixed(2)}x the original time; ${changed.length} tests changed outcome; ${slower.length} slowed down more than ${SLOWDOWN_LIMIT}x (confirmed by timing again)`);
        for (const line of [...changed, ...slower].slice(0, 40)) console.log(`  ${line}`);
        if (mode === "safe" && (changed.length > 0 || ratio > SLOWDOWN_LIMIT)) failed = true;
      }
    }
  }
} finally {
  if (!values.keep) rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(process.stderr.fd, failed ? "fixes:scale: FAILED\n" : "fixes:scale: passed\n");
process.exitCode = failed ? 1 : 0;
