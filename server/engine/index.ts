/**
 * The engine's entry point for front ends: lint a source string, fix it, convert positions.
 * Neither the CLI nor the language server re-implements anything found here.
 */
export * from "./types.js";
export { loadPythonParser, type PythonParser, type Tree } from "./parser.js";
export { lintTree, lintSource, type LintResult, type LintOptions, type RuleFailure } from "./lint.js";
export { fixSource, applyEdits, type FixResult, type FixOptions } from "./fix.js";
export { SUPPRESSION_CODE, SUPPRESSION_DOCS, SUPPRESSION_NAME } from "./suppressions.js";
export { LineIndex, type PositionEncoding } from "./positions.js";
export { resolveSettings, ruleEnabled } from "./settings.js";
