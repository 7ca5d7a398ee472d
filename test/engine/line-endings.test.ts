/**
 * Python reads `\n`, `\r\n` and a lone `\r` alike as line breaks. Every fixture, converted to
 * CRLF and to lone-CR line endings, must give the same findings at the same lines and columns
 * as with `\n`, and every fix (safe and unsafe) must give the same program, written with the
 * file's own line ending only.
 */
import { describe, expect, it } from "vitest";
import { lintSource } from "../../server/engine/lint.js";
import { LineIndex } from "../../server/engine/positions.js";
import { fixSource } from "../../server/engine/fix.js";
import { resolveSettings } from "../../server/engine/settings.js";
import { allRules } from "../../rules/index.js";
import { parser } from "../helpers/engine.js";
import { discoverFixtures, readText } from "../helpers/fixtures.js";

const settings = resolveSettings({});
const ENDINGS = { crlf: "\r\n", cr: "\r" } as const;

function findings(source: string): string[] {
  const result = lintSource(parser, source, allRules, settings);
  const lines = new LineIndex(source);
  return result.diagnostics.map((d) => {
    const { line, column } = lines.humanPosition(d.start);
    return `${line}:${column} ${d.code} ${d.fix ? d.fix.safety : "-"} ${d.message}`;
  });
}

/** The line endings a text uses, as a set of names. */
function endingsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(/\r\n|\r|\n/g)) found.add(m[0] === "\r\n" ? "crlf" : m[0] === "\r" ? "cr" : "lf");
  return found;
}

describe("line endings", () => {
  const fixtures = discoverFixtures();

  it("finds the fixtures", () => {
    expect(fixtures.length).toBeGreaterThan(30);
  });

  for (const fixture of fixtures) {
    const lf = readText(fixture.path);
    for (const [name, eol] of Object.entries(ENDINGS)) {
      it(`${fixture.name} with ${name} line endings: the same findings and the same fixed program`, () => {
        const converted = lf.replace(/\n/g, eol);
        expect(findings(converted)).toEqual(findings(lf));
        const fixedLf = fixSource(parser, lf, allRules, settings, { unsafe: true });
        const fixed = fixSource(parser, converted, allRules, settings, { unsafe: true });
        expect(fixed.applied.map((d) => d.code)).toEqual(fixedLf.applied.map((d) => d.code));
        expect(fixed.output.replace(/\r\n|\r/g, "\n")).toBe(fixedLf.output);
        expect([...endingsIn(fixed.output)]).toEqual(endingsIn(lf).size > 0 ? [name] : []);
      });
    }
  }
});
