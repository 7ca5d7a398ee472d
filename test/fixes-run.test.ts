/**
 * Every fix is proved by running it: the original fixture and its expected fix output run under
 * python3 and must print the same and exit the same way.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverFixtures } from "./helpers/fixtures.js";

function run(path: string): { stdout: string; stderr: string; status: number | null } {
  const cwd = mkdtempSync(join(tmpdir(), "memhint-run-"));
  const result = spawnSync("python3", [path], { cwd, encoding: "utf8", timeout: 30_000, env: { ...process.env, PYTHONHASHSEED: "0" } });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const pairs = discoverFixtures().flatMap((f) =>
  [f.fixedPath, f.unsafeFixedPath].filter((p): p is string => p !== null).map((fixed) => [`${f.name} → ${fixed.split("/").pop()}`, f.path, fixed] as const),
);

describe.each(pairs)("%s", (_name, original, fixed) => {
  it("prints the same under python3", () => {
    const before = run(original);
    const after = run(fixed);
    expect(before.status, before.stderr).toBe(0);
    expect(before.stdout.length, "a fixture must print what it computes").toBeGreaterThan(0);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
  });
});
