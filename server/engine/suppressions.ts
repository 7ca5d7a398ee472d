/**
 * Suppression comments, applied once in the engine for every front end:
 *   `# memhint: ignore[MH101, MH102]`  those codes on this line
 *   `# memhint: ignore`                 every code on this line
 *   `# noqa: MH101`                     ruff style: those codes on this line
 *   `# noqa`                            every code on this line, as in flake8 and ruff
 *   `# memhint: ignore-file`            the whole file, in the comments before the first statement
 * Directives and codes are case-insensitive (`# NOQA: mh101`), as in flake8 and ruff.
 * Unknown MH codes are reported as MH001 instead of being silently accepted.
 */
import type { Node } from "web-tree-sitter";
import type { LineIndex } from "./positions.js";
import { ruleDocs } from "./docs.js";
import type { Diagnostic, RuleDocs } from "./types.js";

export const SUPPRESSION_CODE = "MH001";
export const SUPPRESSION_NAME = "invalid-suppression";
export const SUPPRESSION_DOCS: RuleDocs = ruleDocs(new URL("./suppressions.md", import.meta.url));

export interface Suppressions {
  /** The whole file is suppressed (`# memhint: ignore-file`). */
  file: boolean;
  /** Codes ignored per 0-based line; `"*"` means every code. */
  byLine: Map<number, Set<string>>;
  /** MH001 findings for unknown codes and misplaced ignore-file comments. */
  problems: Diagnostic[];
}

// A bare `# noqa` is `noqa` not followed by a colon; `# noqa:` with no code after it is no
// directive at all (ruff warns about it and suppresses nothing).
const PATTERN = /#\s*(?:memhint\s*:\s*(ignore-file|ignore)\b(?:\s*\[([^\]\n]*)\])?|noqa\s*:\s*([A-Za-z0-9_, \t]+)|pylint\s*:\s*disable\s*=\s*([A-Za-z0-9_, \t-]+)|(noqa)(?![\w-])(?![ \t]*:))/gi;

/** Whether a file has any suppression comment at all: one scan instead of two. */
const MENTIONS = /memhint|noqa|pylint/i;

/**
 * Other tools' codes for the same concern as a memhint rule. Where the code's authors silenced
 * one of these on a line, they already weighed that concern there, so the memhint rules it maps
 * to are silent on that line too (unless `respectOtherTools` is off).
 */
export const OTHER_TOOLS: ReadonlyMap<string, readonly string[]> = new Map([
  // flake8-bugbear / ruff: functools.lru_cache or cache on methods.
  ["B019", ["MH202", "MH203"]],
  // pylint: method-cache-max-size-none.
  ["W1518", ["MH202", "MH203"]],
  ["METHOD-CACHE-MAX-SIZE-NONE", ["MH202", "MH203"]],
  // flake8-bugbear / ruff: mutable argument default; pylint: dangerous-default-value.
  ["B006", ["MH204"]],
  ["W0102", ["MH204"]],
  ["DANGEROUS-DEFAULT-VALUE", ["MH204"]],
  // ruff: unnecessary comprehension in any()/all().
  ["C419", ["MH101"]],
]);

/** A suppression comment's directive, as written (the one grammar for the engine and the editor). */
export interface SuppressionComment {
  kind: "ignore" | "ignore-file" | "noqa" | "pylint";
  /** Where the directive starts (its `#`) and ends, in the text. */
  start: number;
  end: number;
  /** The codes it names, upper-cased, with their offsets; null for `# memhint: ignore`, a bare `# noqa`, and `ignore-file` without a list. */
  codes: Array<{ code: string; start: number; end: number }> | null;
  /** Where its list of codes starts and ends: inside the brackets, or after `noqa:` (trailing commas and blanks left out). */
  listStart: number;
  listEnd: number;
}

/** The suppression comments of a file, in order (a `#` inside a string does not count). */
export function suppressionComments(source: string, root: Node): SuppressionComment[] {
  const out: SuppressionComment[] = [];
  if (!MENTIONS.test(source)) return out;
  PATTERN.lastIndex = 0;
  for (let match = PATTERN.exec(source); match; match = PATTERN.exec(source)) {
    const at = match.index;
    const comment = root.descendantForIndex(at, at + 1);
    if (comment?.type !== "comment") continue; // a `#` inside a string
    const [, directiveText, bracketCodes, noqaCodes, pylintCodes, bareNoqa] = match;
    const directive = directiveText?.toLowerCase();
    const listText = directive ? bracketCodes : noqaCodes ?? pylintCodes;
    const listStart = listText === undefined ? at + match[0].length : at + match[0].lastIndexOf(listText);
    const trimmed = listText === undefined ? "" : directive ? listText : listText.replace(/[\s,]+$/, "");
    let codes: SuppressionComment["codes"] = null;
    if (listText !== undefined) {
      codes = [];
      const re = /[A-Za-z0-9_-]+/g;
      for (let c = re.exec(listText); c; c = re.exec(listText)) {
        codes.push({ code: c[0].toUpperCase(), start: listStart + c.index, end: listStart + c.index + c[0].length });
      }
    }
    const kind = directive === "ignore-file" ? "ignore-file" : directive === "ignore" ? "ignore" : noqaCodes !== undefined || bareNoqa !== undefined ? "noqa" : "pylint";
    out.push({ kind, start: at, end: at + match[0].length, codes, listStart, listEnd: listStart + (directive ? (listText ?? "").length : trimmed.length) });
  }
  return out;
}

export function parseSuppressions(
  source: string, root: Node, lines: LineIndex, knownCodes: ReadonlySet<string>, respectOtherTools = true,
): Suppressions {
  const result: Suppressions = { file: false, byLine: new Map(), problems: [] };
  const comments = suppressionComments(source, root);
  if (comments.length === 0) return result;
  const firstStatement = root.namedChildren.find((c) => c && c.type !== "comment");
  const headerEnd = firstStatement ? firstStatement.startIndex : source.length;
  for (const comment of comments) {
    const line = lines.lineOf(comment.start);
    const codes: string[] = [];
    for (const c of comment.codes ?? []) {
      if (respectOtherTools && OTHER_TOOLS.has(c.code)) {
        for (const code of OTHER_TOOLS.get(c.code) ?? []) addCode(result.byLine, line, code);
        continue;
      }
      if (!c.code.startsWith("MH") || comment.kind === "pylint") continue; // another tool's code in a shared comment
      if (!knownCodes.has(c.code)) {
        result.problems.push(problem(c.start, c.end,
          `Unknown code ${c.code} in suppression comment: it suppresses nothing (known codes are MH001 and the rule codes listed by \`memhint rules\`)`));
        continue;
      }
      codes.push(c.code);
    }
    if (comment.kind === "ignore-file") {
      if (comment.start >= headerEnd) {
        result.problems.push(problem(comment.start, comment.end,
          "`# memhint: ignore-file` only works in the comments before the first statement; this one suppresses nothing"));
      } else if (comment.codes === null) {
        result.file = true;
      } else {
        for (const code of codes) addCode(result.byLine, -1, code);
      }
      continue;
    }
    if (comment.codes === null) addCode(result.byLine, line, "*");
    else for (const code of codes) addCode(result.byLine, line, code);
  }
  return result;
}

function addCode(byLine: Map<number, Set<string>>, line: number, code: string): void {
  let set = byLine.get(line);
  if (!set) byLine.set(line, (set = new Set()));
  set.add(code);
}

function problem(start: number, end: number, message: string): Diagnostic {
  return { code: SUPPRESSION_CODE, name: SUPPRESSION_NAME, severity: "warning", message, start, end, estimatedBytes: null, fix: null };
}

/** Whether a diagnostic is silenced: file-wide codes (line -1), or its first or last line. */
export function isSuppressed(s: Suppressions, d: Diagnostic, lines: LineIndex): boolean {
  if (s.file) return true;
  if (s.byLine.size === 0) return false;
  const covers = (line: number): boolean => {
    const set = s.byLine.get(line);
    return !!set && (set.has("*") || set.has(d.code));
  };
  return covers(-1) || covers(lines.lineOf(d.start)) || covers(lines.lineOf(Math.max(d.start, d.end - 1)));
}
