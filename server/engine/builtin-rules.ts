/**
 * The codes the engine reports itself, next to the registry's rules: MH000 (syntax errors) and
 * MH001 and MH002 (suppression comments). Listed once here for every place that shows or accepts codes:
 * `memhint rules`, the docs, hover, config validation.
 */
import {
  SUPPRESSION_CODE, SUPPRESSION_DOCS, SUPPRESSION_NAME, UNUSED_SUPPRESSION_CODE, UNUSED_SUPPRESSION_DOCS, UNUSED_SUPPRESSION_NAME,
} from "./suppressions.js";
import { SYNTAX_ERROR_CODE, SYNTAX_ERROR_DOCS, SYNTAX_ERROR_NAME } from "./syntax-errors.js";
import type { RuleDocs, Severity } from "./types.js";

export interface BuiltinRule {
  code: string;
  name: string;
  severity: Severity;
  fixable: "never" | "always";
  peers: string[];
  docs: RuleDocs;
}

export const BUILTIN_RULES: readonly BuiltinRule[] = Object.freeze([
  { code: SYNTAX_ERROR_CODE, name: SYNTAX_ERROR_NAME, severity: "error", fixable: "never", peers: ["ruff (syntax errors)", "pylint E0001"], docs: SYNTAX_ERROR_DOCS },
  { code: SUPPRESSION_CODE, name: SUPPRESSION_NAME, severity: "warning", fixable: "never", peers: ["ruff PGH004", "ruff RUF100 (unknown codes)"], docs: SUPPRESSION_DOCS },
  { code: UNUSED_SUPPRESSION_CODE, name: UNUSED_SUPPRESSION_NAME, severity: "warning", fixable: "always", peers: ["ruff RUF100 (unused noqa)"], docs: UNUSED_SUPPRESSION_DOCS },
]);

export const BUILTIN_CODES: readonly string[] = Object.freeze(BUILTIN_RULES.map((r) => r.code));
