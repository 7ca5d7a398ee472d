/**
 * A sample of `npm run fuzz:lsp` (scripts/lsp-fuzzer.ts): a few random cases of edits and noise
 * against the real server, each checked against a fresh server's diagnostics for the final
 * texts. The seed is fixed so that a run is repeatable; MEMHINT_FUZZ_SEED picks another.
 */
import { describe, expect, it } from "vitest";
import { runFuzz } from "../../scripts/lsp-fuzzer.js";

const SEED = Number(process.env.MEMHINT_FUZZ_SEED ?? 20_260_412);

describe("language server fuzz (sample)", () => {
  it(`survives random edits and bad input, and agrees with a fresh server (seed ${SEED})`, async () => {
    const lines: string[] = [];
    const summary = await runFuzz({ seed: SEED, cases: 6, steps: [15, 40], hugeBytes: 2 * 1024 * 1024, log: (line) => lines.push(line) });
    expect(summary.results).toHaveLength(6);
    // Both diagnostic modes and the noise were exercised.
    expect(new Set(summary.results.map((r) => r.mode)).size).toBe(2);
    expect(summary.sent.edit).toBeGreaterThan(0);
    expect(Object.entries(summary.sent).filter(([kind]) => !["edit", "burst", "whole text", "close/reopen"].includes(kind)).length).toBeGreaterThan(3);
    expect(summary.failures.map((f) => f.index), lines.join("\n")).toEqual([]);
  });
});
