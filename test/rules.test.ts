/**
 * Rule tests discovered from fixtures/: inline caret expectations must match exactly, every fix
 * must have a title, the expected fix outputs must match, re-parse cleanly and converge.
 */
import { describe, expect, it } from "vitest";
import { allRules } from "../rules/index.js";
import { syntaxErrorCount } from "../server/engine/fix.js";
import { LineIndex } from "../server/engine/positions.js";
import { fix, lint, parser } from "./helpers/engine.js";
import { discoverFixtures, fixtureSettings, parseExpectations, readText } from "./helpers/fixtures.js";
import type { Settings } from "../server/engine/types.js";

const fixtures = discoverFixtures();

function describeDiagnostics(source: string, codes: string[], settings: Partial<Settings>, path: string): string[] {
  const lines = new LineIndex(source);
  return lint(source, codes, settings, path).diagnostics.map((d) => {
    const start = lines.position(d.start, "utf-32");
    const end = lines.position(d.end, "utf-32");
    const endColumn = end.line === start.line ? end.character : [...lines.lineText(start.line)].length;
    return `${start.line + 1}:${start.character}-${endColumn} ${d.code}`;
  });
}

describe("every rule has fixtures", () => {
  for (const rule of allRules) {
    it(`${rule.code} has a positive and a negative fixture`, () => {
      const own = fixtures.filter((f) => f.code === rule.code);
      const positives = own.filter((f) => parseExpectations(readText(f.path)).length > 0);
      const negatives = own.filter((f) => f.name.includes("negative") && parseExpectations(readText(f.path)).length === 0);
      expect(positives.length, `${rule.code}: no fixture with expectations`).toBeGreaterThan(0);
      expect(negatives.length, `${rule.code}: no negative fixture`).toBeGreaterThan(0);
    });
  }
});

describe.each(fixtures.map((f) => [f.name, f] as const))("fixture %s", (_name, fixture) => {
  const source = readText(fixture.path);
  const codes = [fixture.code];
  const settings = fixtureSettings(source);
  const path = fixture.relativePath;

  it("reports exactly the inline expectations", () => {
    const expected = parseExpectations(source)
      .map((e) => `${e.line + 1}:${e.startColumn}-${e.endColumn} ${e.code}`)
      .sort();
    expect(describeDiagnostics(source, codes, settings, path).sort()).toEqual(expected);
  });

  it("has titled fixes and an expected output for each kind of fix it offers", () => {
    const diagnostics = lint(source, codes, settings, path).diagnostics;
    for (const d of diagnostics) if (d.fix) expect(d.fix.description.length).toBeGreaterThan(5);
    if (diagnostics.some((d) => d.fix?.safety === "safe")) expect(fixture.fixedPath, "missing .fixed.py").not.toBeNull();
    if (diagnostics.some((d) => d.fix?.safety === "unsafe")) expect(fixture.unsafeFixedPath, "missing .unsafe-fixed.py").not.toBeNull();
  });

  for (const [label, path, unsafe] of [["safe", fixture.fixedPath, false], ["unsafe", fixture.unsafeFixedPath, true]] as const) {
    if (!path) continue;
    it(`${label} fixes produce ${path.split("/").pop()}, re-parse cleanly and converge`, () => {
      const result = fix(source, codes, unsafe, settings, path);
      expect(result.applied.length).toBeGreaterThan(0);
      expect(result.output).toBe(readText(path));
      const before = parser.parse(source);
      const after = parser.parse(result.output);
      try {
        expect(syntaxErrorCount(after)).toBeLessThanOrEqual(syntaxErrorCount(before));
      } finally {
        before.delete();
        after.delete();
      }
      const again = fix(result.output, codes, unsafe, settings, path);
      expect(again.output).toBe(result.output);
      expect(again.applied).toHaveLength(0);
    });
  }
});
