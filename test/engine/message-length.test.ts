/**
 * Messages stay short (issue 15: under about 120 characters; the explanation belongs in hover
 * and the rule docs): the engine fits every message by cutting the longest quoted names first.
 */
import { describe, expect, it } from "vitest";
import { fitMessage, MESSAGE_BUDGET } from "../../server/engine/lint.js";
import { discoverFixtures, fixtureSettings, readText } from "../helpers/fixtures.js";
import { lint } from "../helpers/engine.js";

describe("fitMessage", () => {
  it("leaves a message within the budget as it is", () => {
    const message = "A list built only for `sum()` (length comes from `rows`, a parameter of `total()`); use a generator";
    expect(fitMessage(message)).toBe(message);
  });

  it("cuts the longest quote first, keeps a call's parentheses, and fits the budget", () => {
    const long = "the cache of `build_enforce_properties_required_validator()` never evicts: arguments come from `validator_class`, a parameter of `build_enforce_properties_required_validator()`";
    const fitted = fitMessage(long);
    expect(fitted.length).toBeLessThanOrEqual(MESSAGE_BUDGET);
    expect(fitted).toContain("`validator_class`");
    expect(fitted).toMatch(/^the cache of `build_[a-z_]*…\(\)` never evicts: arguments come from `validator_class`, a parameter of `build_[a-z_]*…\(\)`$/);
    // The words outside quotes are never cut.
    expect(fitted.replace(/`[^`]*`/g, "``")).toBe(long.replace(/`[^`]*`/g, "``"));
  });

  it("never cuts a quote below a readable length, even when the words alone are too long", () => {
    const words = "x".repeat(130);
    const fitted = fitMessage(`${words} \`a_fairly_long_name_here()\``);
    expect(fitted).toMatch(/`a_fairly_lo…\(\)`$/);
  });
});

describe("every fixture's messages", () => {
  it(`stay within about ${MESSAGE_BUDGET} characters, with evidence or without`, () => {
    const long: string[] = [];
    for (const f of discoverFixtures()) {
      const text = readText(f.path);
      for (const settings of [fixtureSettings(text), { ...fixtureSettings(text), reportWithoutEvidence: true, checkTestCode: true }]) {
        for (const d of lint(text, undefined, settings, f.relativePath).diagnostics) {
          if (d.message.length > MESSAGE_BUDGET + 10) long.push(`${f.name}: ${d.message.length}: ${d.message}`);
        }
      }
    }
    expect(long).toEqual([]);
  });
});
