/**
 * The `junit` output format, for CI systems that show test reports (GitLab, Jenkins, Azure):
 * one `<testsuite>` per file checked; one failing `<testcase>` per finding (`<failure>` with the
 * rule's code as its type); a file without findings holds one passing test case, and a file that
 * could not be checked one `<error>`, so a skipped file never looks clean.
 */
import type { JsonDiagnostic } from "../output.js";

export interface JunitFile {
  /** The path as printed (quotePath). */
  display: string;
  findings: JsonDiagnostic[];
  /** Why the file could not be checked, or null. */
  error: string | null;
}

/** Characters XML 1.0 cannot hold at all, even escaped. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff]/gu; // with /u, a valid pair is one code point

export function xmlEscape(text: string): string {
  return text
    .replace(NOT_XML, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;");
}

export function junitReport(files: readonly JunitFile[], seconds: number): string {
  const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;
  const failures = files.reduce((n, f) => n + f.findings.length, 0);
  const errors = files.filter((f) => f.error !== null).length;
  const tests = files.reduce((n, f) => n + Math.max(1, f.findings.length + (f.error !== null ? 1 : 0)), 0);
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attr("name", "memhint")}${attr("tests", tests)}${attr("failures", failures)}${attr("errors", errors)}${attr("time", seconds.toFixed(3))}>\n`;
  for (const file of files) {
    const count = Math.max(1, file.findings.length + (file.error !== null ? 1 : 0));
    out += `  <testsuite${attr("name", file.display)}${attr("tests", count)}${attr("failures", file.findings.length)}${attr("errors", file.error !== null ? 1 : 0)}>\n`;
    if (file.error !== null) {
      out += `    <testcase${attr("name", "memhint")}${attr("classname", file.display)}${attr("file", file.display)}>\n`;
      out += `      <error${attr("message", file.error)}/>\n    </testcase>\n`;
    } else if (file.findings.length === 0) {
      out += `    <testcase${attr("name", "memhint")}${attr("classname", file.display)}${attr("file", file.display)}/>\n`;
    }
    for (const d of file.findings) {
      const { line, column } = d.range.start;
      // In a notebook the line is within a cell: no `line` attribute, which would point into the JSON.
      const at = d.cell !== undefined ? `cell ${d.cell}:${line}:${column}` : `${line}:${column}`;
      const lineAttr = d.cell !== undefined ? "" : attr("line", line);
      out += `    <testcase${attr("name", `${d.code} at ${at}`)}${attr("classname", file.display)}${attr("file", file.display)}${lineAttr}>\n`;
      out += `      <failure${attr("message", d.message)}${attr("type", d.code)}>${xmlEscape(`${file.display}:${at}: ${d.code} ${d.message}`)}</failure>\n`;
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  return `${out}</testsuites>\n`;
}
