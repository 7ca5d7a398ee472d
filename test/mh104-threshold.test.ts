/** MH104 reads its threshold from the settings: `hugeAllocationBytes` lowered and raised. */
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../server/engine/types.js";
import { lint } from "./helpers/engine.js";

// 56 + 8 · 1,000,000 = 8,000,056 bytes of list; 1,000,057 bytes of bytearray; 8,000,144 of float64.
const SOURCE = [
  "import numpy as np",
  "slots = [None] * 1_000_000",
  "buffer = bytearray(10**6)",
  "grid = np.zeros((1000, 1000))",
  "",
].join("\n");

function findings(hugeAllocationBytes?: number): Array<[string, number | null]> {
  const settings = hugeAllocationBytes === undefined ? {} : { hugeAllocationBytes };
  return lint(SOURCE, ["MH104"], settings).diagnostics.map((d) => [SOURCE.slice(d.start, d.end), d.estimatedBytes]);
}

describe("MH104 hugeAllocationBytes", () => {
  it("stays silent below the 64 MiB default", () => {
    expect(DEFAULT_SETTINGS.hugeAllocationBytes).toBe(64 * 1024 * 1024);
    expect(findings()).toEqual([]);
  });

  it("reports what reaches a lowered threshold, with the byte estimate", () => {
    expect(findings(1_000_000)).toEqual([
      ["[None] * 1_000_000", 8_000_056],
      ["bytearray(10**6)", 1_000_057],
      ["np.zeros((1000, 1000))", 8_000_144],
    ]);
  });

  it("reports an allocation exactly at the threshold and not one byte below", () => {
    expect(findings(8_000_056).map(([text]) => text)).toEqual(["[None] * 1_000_000", "np.zeros((1000, 1000))"]);
    expect(findings(8_000_057).map(([text]) => text)).toEqual(["np.zeros((1000, 1000))"]);
  });

  it("stays silent when the threshold is raised above every allocation", () => {
    expect(findings(8_000_145)).toEqual([]);
    expect(findings(10 * 1024 ** 3)).toEqual([]);
  });

  it("says the estimate in the message (the threshold is in the docs)", () => {
    const [first] = lint(SOURCE, ["MH104"], { hugeAllocationBytes: 1_000_000 }).diagnostics;
    expect(first.severity).toBe("information");
    expect(first.message).toContain("≈ 7.6 MiB");
    expect(first.message).toContain("1,000,000 slots");
    expect(first.message).not.toContain("threshold");
    expect(first.message.length).toBeLessThanOrEqual(120);
  });
});
