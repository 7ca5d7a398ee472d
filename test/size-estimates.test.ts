/**
 * The size model against reality. Every program in fixtures/size/ materializes one collection of
 * constant size; memhint's estimate for it (the finding's `estimatedBytes` for `mh101-*`,
 * `mh102-*` and `mh104-*` programs; `comprehensionBytes` of the first comprehension for `model-*`
 * programs, which no rule reports) must be within ±30% of the peak that `tracemalloc` measures
 * when python3 runs the program (test/helpers/measure_peak.py: imports run untraced, then the
 * peak minus the baseline of the rest). Programs that import NumPy are skipped, with the reason
 * in the test name, when python3 has no NumPy.
 */
import { execFile, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_NODE_TYPES, SemanticModel } from "../server/engine/model.js";
import { comprehensionBytes } from "../server/engine/size.js";
import { lint, parser } from "./helpers/engine.js";
import { FIXTURES_DIR, readText } from "./helpers/fixtures.js";

const TOLERANCE = 0.3;
const SIZE_DIR = join(FIXTURES_DIR, "size");
const HARNESS = join(import.meta.dirname, "helpers", "measure_peak.py");

/** The interpreter itself, not a version-manager shim that costs a second per start. */
function pythonExecutable(): string {
  const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : "python3";
}

const PYTHON = pythonExecutable();
const HAS_NUMPY = spawnSync(PYTHON, ["-c", "import numpy"], { encoding: "utf8" }).status === 0;

interface SizeProgram {
  file: string;
  source: string;
  /** The rule whose finding carries the estimate, or "model" for size.ts alone. */
  estimator: string;
  needsNumpy: boolean;
}

const programs: SizeProgram[] = readdirSync(SIZE_DIR)
  .filter((f) => f.endsWith(".py"))
  .sort()
  .map((file) => {
    const source = readText(join(SIZE_DIR, file));
    const prefix = file.split("-")[0];
    return {
      file,
      source,
      estimator: prefix === "model" ? "model" : prefix.toUpperCase(),
      needsNumpy: /^\s*(import numpy|from numpy\b)/m.test(source),
    };
  });

interface Measurement {
  peak: number;
  stdout: string;
  seconds: number;
}

const run = promisify(execFile);
const measurements = new Map<string, Promise<Measurement>>();
const rows: string[] = [];

async function measure(file: string): Promise<Measurement> {
  const started = performance.now();
  const { stdout } = await run(PYTHON, [HARNESS, join(SIZE_DIR, file)], { timeout: 30_000, env: { ...process.env, PYTHONHASHSEED: "0" } });
  const marker = stdout.lastIndexOf("MEMHINT-PEAK ");
  if (marker < 0) throw new Error(`${file}: the harness printed no peak:\n${stdout}`);
  const { peak } = JSON.parse(stdout.slice(marker + "MEMHINT-PEAK ".length)) as { peak: number };
  return { peak, stdout: stdout.slice(0, marker), seconds: (performance.now() - started) / 1000 };
}

/** The estimate memhint gives for the program's collection. */
function estimate(program: SizeProgram): number | null {
  if (program.estimator === "model") {
    const tree = parser.parse(program.source);
    try {
      const nodes = tree.rootNode.descendantsOfType([...MODEL_NODE_TYPES]).filter((n) => n !== null);
      const model = new SemanticModel(tree.rootNode, nodes);
      const comprehension = nodes.find((n) => n.type.endsWith("comprehension"));
      if (!comprehension) throw new Error(`${program.file}: no comprehension`);
      return comprehensionBytes(comprehension, model);
    } finally {
      tree.delete();
    }
  }
  // The rules are asked to report everything: the programs allocate megabytes, not the 64 MiB
  // MH104 default, and their estimate is what is measured here, not whether it is evidence.
  const settings = { reportWithoutEvidence: true, ...(program.estimator === "MH104" ? { hugeAllocationBytes: 1 } : {}) };
  const findings = lint(program.source, [program.estimator], settings).diagnostics.filter((d) => d.code === program.estimator);
  expect(findings, `${program.file}: expected one ${program.estimator} finding`).toHaveLength(1);
  return findings[0].estimatedBytes;
}

beforeAll(() => {
  // Run the programs a few at a time (as many as there are cores); each test awaits its own.
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (running < availableParallelism()) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  for (const program of programs) {
    if (program.needsNumpy && !HAS_NUMPY) continue;
    const pending = slot().then(() => measure(program.file).finally(release));
    pending.catch(() => {}); // reported by the test that awaits it
    measurements.set(program.file, pending);
  }
});

afterAll(() => {
  if (rows.length > 0) console.log(["estimate vs tracemalloc peak:", ...rows].join("\n"));
});

/** comprehensionBytes of the first comprehension in `source`. */
function modelEstimate(source: string): number | null {
  return estimate({ file: "<inline>", source, estimator: "model", needsNumpy: false });
}

describe("the size model stays silent when it cannot tell", () => {
  it("gives no set or dict estimate when elements may repeat", () => {
    expect(modelEstimate("s = {i % 7 for i in range(100_000)}")).toBeNull();
    expect(modelEstimate("s = {i * i - i for i in range(100_000)}")).toBeNull();
    expect(modelEstimate("d = {i // 2: i for i in range(100_000)}")).toBeNull();
    expect(modelEstimate("s = {(i, j) for i in range(300) for j in range(300)}")).toBeNull();
    expect(modelEstimate("s = {i for i in range(100_000)}")).not.toBeNull();
  });

  it("gives no estimate for elements of unknown type or size", () => {
    expect(modelEstimate("xs = [str(i) for i in range(1000)]")).toBeNull();
    expect(modelEstimate("def f(data):\n    return [x for x in data]")).toBeNull();
    expect(modelEstimate("def f(n):\n    return [i for i in range(n)]")).toBeNull();
  });

  it("counts shared objects once and cached small ints as free", () => {
    const slotsOnly = modelEstimate("xs = [0 for i in range(1000)]");
    expect(slotsOnly).toBe(56 + 8 * 1100);
    expect(modelEstimate("K = 10**6\nxs = [K for i in range(1000)]")).toBe(slotsOnly);
    expect(modelEstimate("xs = [i % 7 for i in range(1000)]")).toBe(slotsOnly);
    expect(modelEstimate("xs = [(1, 2) for i in range(1000)]")).toBe(slotsOnly);
    expect(modelEstimate("xs = [i for i in range(1000)]")).toBe(slotsOnly! + (1000 - 257) * 32);
  });
});

describe("size estimates match tracemalloc peaks within ±30%", () => {
  it("has programs for MH101, MH102, MH104 and the size model", () => {
    const estimators = new Set(programs.map((p) => p.estimator));
    for (const code of ["MH101", "MH102", "MH104", "model"]) expect(estimators).toContain(code);
  });

  for (const program of programs) {
    const skip = program.needsNumpy && !HAS_NUMPY;
    const name = skip ? `${program.file} (skipped: python3 cannot import numpy)` : program.file;
    it.skipIf(skip)(name, async () => {
      const estimated = estimate(program);
      expect(estimated, `${program.file}: no estimate`).not.toBeNull();
      const measured = await measurements.get(program.file)!;
      expect(measured.stdout.length, `${program.file} must print what it computes`).toBeGreaterThan(0);
      const ratio = estimated! / measured.peak;
      rows.push(
        `  ${program.file.padEnd(44)} ${String(estimated).padStart(11)} vs ${String(measured.peak).padStart(11)}  ` +
          `${((ratio - 1) * 100).toFixed(1).padStart(6)}%  (${measured.seconds.toFixed(2)} s)`,
      );
      expect(ratio, `${program.file}: estimate ${estimated} vs measured ${measured.peak}`).toBeGreaterThanOrEqual(1 - TOLERANCE);
      expect(ratio, `${program.file}: estimate ${estimated} vs measured ${measured.peak}`).toBeLessThanOrEqual(1 + TOLERANCE);
    });
  }
});
