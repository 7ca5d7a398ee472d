/**
 * The `github` output format: one GitHub Actions workflow command per finding, which the runner
 * turns into an annotation on the pull request's diff:
 *
 *     ::warning title=memhint (MH101),file=src/a.py,line=3,col=9,endLine=3,endColumn=27::MH101 message
 *
 * The runner splits a command at `::`, its properties at `,` and each property at `:`, and reads
 * `%0A` / `%0D` as line breaks: the message escapes `%`, CR and LF; property values also `:` and `,`.
 */
import type { JsonDiagnostic } from "../output.js";

export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubLevel(severity: string): "error" | "warning" | "notice" {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "notice";
}

/** `file` is the path relative to the repository root (repository.ts). */
export function githubAnnotation(d: JsonDiagnostic, file: string): string {
  const { start, end } = d.range;
  if (d.cell !== undefined) {
    // A notebook's lines are within a cell: the annotation goes on the file, the message says where.
    const title = `title=${escapeProperty(`memhint (${d.code})`)},file=${escapeProperty(file)}`;
    return `::${githubLevel(d.severity)} ${title}::${escapeData(`${d.code} cell ${d.cell}:${start.line}:${start.column}: ${d.message}`)}\n`;
  }
  const props = [
    `title=${escapeProperty(`memhint (${d.code})`)}`,
    `file=${escapeProperty(file)}`,
    `line=${start.line}`,
    `col=${start.column}`,
    `endLine=${end.line}`,
  ];
  // GitHub reads endColumn only on a one-line annotation.
  if (end.line === start.line) props.push(`endColumn=${end.column}`);
  return `::${githubLevel(d.severity)} ${props.join(",")}::${escapeData(`${d.code} ${d.message}`)}\n`;
}
