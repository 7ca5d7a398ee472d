/**
 * The `sarif` output format: one SARIF 2.1.0 log, in the shape GitHub code scanning reads
 * (docs.github.com, "SARIF support for code scanning"):
 * - `tool.driver.rules`: every rule, with `shortDescription`, `fullDescription`, `helpUri` and
 *   its default level;
 * - per result: `ruleId`, `ruleIndex`, `level`, `message.text`, one physical location whose
 *   `artifactLocation.uri` is relative to the repository root under `uriBaseId` `%SRCROOT%`
 *   (a file outside the repository gets its absolute `file:` URI), a 1-based `region`, a
 *   `partialFingerprints` entry that survives lines moving, and the fix as `fixes`.
 * Columns count Unicode code points (`columnKind`), as in the JSON format, and a region's
 * `endColumn` is the column just past its end, as SARIF says.
 */
import type { JsonDiagnostic, JsonRange } from "../output.js";
import { fileUri, relativeUri, repositoryPath, rootUri } from "./repository.js";

export interface SarifRule {
  code: string;
  name: string;
  severity: string;
  what: string;
  helpUri: string;
}

export interface SarifFinding {
  json: JsonDiagnostic;
  fingerprint: string;
}

const SRCROOT = "%SRCROOT%";

export function sarifLevel(severity: string): "error" | "warning" | "note" {
  return severity === "error" ? "error" : severity === "warning" ? "warning" : "note";
}

/** The first sentence of a rule's "what it does", on one line. */
function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const match = /^.*?[.!?](?=\s|$)/.exec(flat);
  return match ? match[0] : flat;
}

function region(range: JsonRange): Record<string, number> {
  return { startLine: range.start.line, startColumn: range.start.column, endLine: range.end.line, endColumn: range.end.column };
}

export function sarifLog(options: {
  rules: readonly SarifRule[];
  findings: readonly SarifFinding[];
  version: string;
  cwd: string;
  root: string;
  executionSuccessful: boolean;
}): object {
  const { rules, findings, cwd, root } = options;
  const index = new Map(rules.map((r, i) => [r.code, i]));
  const artifactLocation = (name: string): Record<string, string> => {
    const inRepository = repositoryPath(root, cwd, name);
    return inRepository === null ? { uri: fileUri(cwd, name) } : { uri: relativeUri(inRepository), uriBaseId: SRCROOT };
  };
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "memhint",
            version: options.version,
            informationUri: "https://memhint.dev/",
            rules: rules.map((r) => ({
              id: r.code,
              name: r.name,
              shortDescription: { text: firstSentence(r.what) },
              fullDescription: { text: r.what.replace(/\s+/g, " ").trim() },
              helpUri: r.helpUri,
              help: { text: `${firstSentence(r.what)} See ${r.helpUri}` },
              defaultConfiguration: { level: sarifLevel(r.severity) },
            })),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: rootUri(root) } },
        columnKind: "unicodeCodePoints",
        invocations: [{ executionSuccessful: options.executionSuccessful }],
        results: findings.map(({ json: d, fingerprint }) => {
          const location = artifactLocation(d.path);
          return {
            ruleId: d.code,
            ...(index.has(d.code) ? { ruleIndex: index.get(d.code) } : {}),
            level: sarifLevel(d.severity),
            message: { text: d.cell !== undefined ? `cell ${d.cell}: ${d.message}` : d.message },
            // In a notebook the region is within the cell named by properties.cell (SARIF has no cells).
            locations: [{ physicalLocation: { artifactLocation: location, region: region(d.range) } }],
            ...(d.cell !== undefined ? { properties: { cell: d.cell } } : {}),
            partialFingerprints: { "memhintFingerprint/v1": fingerprint },
            ...(d.fix
              ? {
                  fixes: [
                    {
                      description: { text: d.fix.safety === "safe" ? d.fix.description : `${d.fix.description} (unsafe fix)` },
                      artifactChanges: [
                        {
                          artifactLocation: location,
                          replacements: d.fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
                        },
                      ],
                    },
                  ],
                }
              : {}),
          };
        }),
      },
    ],
  };
}
