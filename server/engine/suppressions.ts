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
export const UNUSED_SUPPRESSION_CODE = "MH002";
export const UNUSED_SUPPRESSION_NAME = "unused-suppression";
export const UNUSED_SUPPRESSION_DOCS: RuleDocs = ruleDocs(new URL("./unused-suppressions.md", import.meta.url));

export interface Suppressions {
  /** The whole file is suppressed (`# memhint: ignore-file`). */
  file: boolean;
  /** Codes ignored per 0-based line; `"*"` means every code. */
  byLine: Map<number, Set<string>>;
  /** MH001 findings for unknown codes and misplaced ignore-file comments. */
  problems: Diagnostic[];
  /** The comments, with the 0-based line each applies to (-1: the whole file): what MH002 judges. */
  comments: Array<{ comment: SuppressionComment; line: number }>;
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
  // ruff: unnecessary comprehension in any()/all() (and sum/min/max in its preview), in set(), in
  // dict(); pylint: use-a-generator (any/all) and consider-using-generator (sum, min, max...).
  // `MH101/shortCircuit`: only MH101's findings with that message id.
  ["C419", ["MH101/shortCircuit", "MH101/reduced"]],
  ["C403", ["MH101/toSet"]],
  ["C404", ["MH101/toDict"]],
  ["R1729", ["MH101/shortCircuit"]],
  ["USE-A-GENERATOR", ["MH101/shortCircuit"]],
  ["R1728", ["MH101/reduced"]],
  ["CONSIDER-USING-GENERATOR", ["MH101/reduced"]],
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
  const result: Suppressions = { file: false, byLine: new Map(), problems: [], comments: [] };
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
      if (comment.start < headerEnd) result.comments.push({ comment, line: -1 });
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
    result.comments.push({ comment, line });
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

/**
 * Whether a diagnostic is silenced: file-wide codes (line -1), or its first or last line.
 * `messageId`: the rule's message, for other tools' codes that cover one of its shapes.
 */
export function isSuppressed(s: Suppressions, d: Diagnostic, lines: LineIndex, messageId: string | null = null): boolean {
  if (s.file) return true;
  if (s.byLine.size === 0) return false;
  const covers = (line: number): boolean => {
    const set = s.byLine.get(line);
    return !!set && (set.has("*") || set.has(d.code) || (messageId !== null && set.has(`${d.code}/${messageId}`)));
  };
  return covers(-1) || covers(lines.lineOf(d.start)) || covers(lines.lineOf(Math.max(d.start, d.end - 1)));
}

/**
 * MH002: the MH codes of suppression comments that silence nothing, as ruff's RUF100 does for
 * `# noqa`. Only codes of `judged` rules (the enabled ones) are judged: a comment for a rule that
 * is off, or for one that failed on this file, may well be needed when it runs. A comment without
 * codes (bare `# noqa`, `# memhint: ignore`), other tools' codes and pylint comments are never
 * reported: they may serve flake8, ruff or pylint. `used` holds, per line (-1: file-wide), the
 * codes of the findings a comment there silenced or would have silenced.
 */
export function unusedSuppressions(
  s: Suppressions, source: string, lines: LineIndex, judged: ReadonlySet<string>, used: ReadonlyMap<number, ReadonlySet<string>>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (s.file) return out;
  for (const { comment, line } of s.comments) {
    if (comment.kind === "pylint" || comment.codes === null) continue;
    const usedHere = used.get(line);
    const unused = comment.codes.filter((c) => judged.has(c.code) && !usedHere?.has(c.code));
    if (unused.length === 0) continue;
    const names = [...new Set(unused.map((c) => c.code))];
    const kept = comment.codes.filter((c) => !unused.includes(c)).map((c) => source.slice(c.start, c.end));
    const keptUnique = [...new Set(kept)];
    const edit = keptUnique.length > 0
      ? { start: comment.listStart, end: comment.listEnd, newText: keptUnique.join(", ") }
      : removeComment(source, lines, comment);
    out.push({
      code: UNUSED_SUPPRESSION_CODE, name: UNUSED_SUPPRESSION_NAME, severity: "warning",
      message: `Unused suppression: ${names.join(", ")} ${names.length === 1 ? "is" : "are"} not reported ${line < 0 ? "in this file" : "on this line"}`,
      start: comment.start, end: comment.end, estimatedBytes: null,
      fix: {
        description: keptUnique.length > 0 ? `Remove ${names.join(", ")} from the suppression` : "Remove the unused suppression",
        safety: "safe", edits: [edit],
      },
    });
  }
  return out;
}

/** The edit that removes a suppression directive: with the blanks before it, or its whole line when nothing else is on it. */
function removeComment(source: string, lines: LineIndex, comment: SuppressionComment): { start: number; end: number; newText: string } {
  const line = lines.lineOf(comment.start);
  const lineStart = lines.lineStart(line);
  const lineEnd = lines.lineContentEnd(line);
  const after = source.slice(comment.end, lineEnd);
  if (after.trim() !== "") {
    // `# memhint: ignore[MH101]  # why`: the next comment moves up; `... because x` stays a comment.
    const blanks = after.length - after.trimStart().length;
    if (after.trimStart().startsWith("#")) return { start: comment.start, end: comment.end + blanks, newText: "" };
    return { start: comment.start, end: comment.end, newText: "#" };
  }
  let start = comment.start;
  while (start > lineStart && (source[start - 1] === " " || source[start - 1] === "\t")) start--;
  if (start === lineStart) {
    const next = line + 1 < lines.lineCount ? lines.lineStart(line + 1) : lineEnd;
    return { start: lineStart, end: next, newText: "" };
  }
  return { start, end: lineEnd, newText: "" };
}
