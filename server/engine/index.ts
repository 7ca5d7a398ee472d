/**
 * The engine's entry point for front ends: lint a source string, fix it, convert positions.
 * Neither the CLI nor the language server re-implements anything found here.
 */
export * from "./types.js";
export { loadPythonParser, type PythonParser, type Tree } from "./parser.js";
export { lintTree, lintSource, type LintResult, type LintOptions, type RuleFailure } from "./lint.js";
export { fixSource, applyEdits, type FixResult, type FixOptions } from "./fix.js";
export { SUPPRESSION_CODE, SUPPRESSION_DOCS, SUPPRESSION_NAME, UNUSED_SUPPRESSION_CODE } from "./suppressions.js";
export { SYNTAX_ERROR_CODE, SYNTAX_ERROR_DOCS, SYNTAX_ERROR_NAME } from "./syntax-errors.js";
export { BUILTIN_CODES, BUILTIN_RULES, type BuiltinRule } from "./builtin-rules.js";
export { LineIndex, type PositionEncoding } from "./positions.js";
export { resolveSettings, ruleEnabled } from "./settings.js";
