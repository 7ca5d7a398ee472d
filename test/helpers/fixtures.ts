/**
 * Fixture discovery and inline expectations. Under an offending line, a comment marks the
 * diagnostic's columns with carets and names its code:
 *
 *     total = sum([x * x for x in xs])
 *     #           ^^^^^^^^^^^^^^^^^^^^ MH101
 *
 * For a diagnostic that starts at column 0, the `#` itself stands for the first caret (`#^^^ MH202`).
 * Carets run from the start column to the end column, or to the end of the line when the
 * diagnostic continues on later lines. Several caret lines in a row all refer to the code line
 * above them. Columns count Unicode code points.
 *
 * A fixture may set memhint settings, with the config file's keys, on a comment line of its own:
 *
 *     # fixture-settings: {"check-test-code": true}
 *
 * Fixtures are linted under their path relative to the repository (`fixtures/MH104/test_big.py`),
 * so that file names mark test code as they do for users.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfigTable } from "../../server/config.js";
import type { Settings } from "../../server/engine/types.js";

export interface Expectation {
  /** 0-based line of the code the carets sit under. */
  line: number;
  startColumn: number;
  endColumn: number;
  code: string;
}

const CARET_LINE = /^(\s*)#(\^*)(\s*)(\^*)\s+(MH\d{3})\s*$/;

export function parseExpectations(text: string): Expectation[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: Expectation[] = [];
  let codeLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = CARET_LINE.exec(lines[i]);
    if (!m || (m[2] === "" && m[4] === "")) {
      codeLine = i;
      continue;
    }
    if (codeLine < 0) throw new Error(`caret line ${i + 1} has no code line above it`);
    const chars = [...lines[i]];
    const hash = chars.indexOf("#");
    let start: number;
    let end: number;
    if (m[2] !== "") {
      if (m[4] !== "") throw new Error(`caret line ${i + 1}: carets must be contiguous`);
      start = hash;
      end = hash + 1 + m[2].length;
    } else {
      start = hash + 1 + m[3].length;
      end = start + m[4].length;
    }
    out.push({ line: codeLine, startColumn: start, endColumn: end, code: m[5] });
  }
  return out;
}

const SETTINGS_LINE = /^# fixture-settings: (.*)$/m;

/** The settings a fixture asks for (see the module comment). */
export function fixtureSettings(text: string): Partial<Settings> {
  const m = SETTINGS_LINE.exec(text);
  return m ? parseConfigTable(JSON.parse(m[1]), "fixture-settings").settings : {};
}

export interface FixtureFile {
  code: string;
  /** Absolute path of the fixture. */
  path: string;
  /** The path memhint is told: relative to the repository (`fixtures/MH101/positive.py`). */
  relativePath: string;
  name: string;
  /** `<name>.fixed.py`: expected result of the safe fixes, when present. */
  fixedPath: string | null;
  /** `<name>.unsafe-fixed.py`: expected result of safe and unsafe fixes, when present. */
  unsafeFixedPath: string | null;
}

export const FIXTURES_DIR = join(import.meta.dirname, "..", "..", "fixtures");

/** Every `fixtures/MHxxx/*.py` that is not itself an expected fix output. */
export function discoverFixtures(): FixtureFile[] {
  const out: FixtureFile[] = [];
  for (const dir of readdirSync(FIXTURES_DIR).sort()) {
    if (!/^MH\d{3}$/.test(dir)) continue;
    for (const file of readdirSync(join(FIXTURES_DIR, dir)).sort()) {
      if (!file.endsWith(".py") || file.endsWith(".fixed.py") || file.endsWith(".unsafe-fixed.py")) continue;
      const base = join(FIXTURES_DIR, dir, file.slice(0, -3));
      out.push({
        code: dir,
        path: join(FIXTURES_DIR, dir, file),
        relativePath: `fixtures/${dir}/${file}`,
        name: `${dir}/${file}`,
        fixedPath: existsSync(`${base}.fixed.py`) ? `${base}.fixed.py` : null,
        unsafeFixedPath: existsSync(`${base}.unsafe-fixed.py`) ? `${base}.unsafe-fixed.py` : null,
      });
    }
  }
  return out;
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}
