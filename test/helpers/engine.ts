/** Lint strings in tests with nothing but the engine and the registry. */
import { loadPythonParser, type PythonParser } from "../../server/engine/parser.js";
import { lintSource, type LintResult } from "../../server/engine/lint.js";
import { fixSource, type FixResult } from "../../server/engine/fix.js";
import { resolveSettings } from "../../server/engine/settings.js";
import type { Evidence, Rule, Settings } from "../../server/engine/types.js";
import { allRules } from "../../rules/index.js";

export const parser: PythonParser = await loadPythonParser();

export function rulesFor(codes?: readonly string[]): readonly Rule[] {
  return codes ? allRules.filter((r) => codes.includes(r.code)) : allRules;
}

/** The rules `codes` select; without them, `settings.select`, or every rule (opt-in ones too). */
function selection(codes: readonly string[] | undefined, settings: Partial<Settings>): Partial<Settings> {
  return codes ? { select: [...codes] } : settings.select ? {} : { select: ["ALL"] };
}

/** `path`: the file's path as a front end would give it (test code is told by its name). */
export function lint(source: string, codes?: readonly string[], settings: Partial<Settings> = {}, path: string | null = null): LintResult {
  return lintSource(parser, source, allRules, resolveSettings(settings, selection(codes, settings)), { path });
}

export function fix(source: string, codes?: readonly string[], unsafe = false, settings: Partial<Settings> = {}, path: string | null = null): FixResult {
  return fixSource(parser, source, allRules, resolveSettings(settings, selection(codes, settings)), { unsafe, path });
}

/** Evidence for test rules' findings: a constant size, which every context accepts. */
export const TEST_EVIDENCE: Evidence = { kind: "size", text: "a test size", constant: true };
