/**
 * Generates `contributes.configuration` of the VS Code extension's manifest
 * (editors/vscode/package.json) from the configuration reader's key table (server/config.ts), so
 * the settings VS Code offers are the settings the server reads. `npm run vscode:manifest` writes
 * it; test/vscode/manifest.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_EDITOR_SETTINGS, KEYS, type KeySpec, SEVERITIES, TARGET_VERSIONS } from "../server/config.js";
import { DEFAULT_SETTINGS } from "../server/engine/types.js";

type Schema = Record<string, unknown>;

/** The extension's own settings (server/config.ts's CLIENT_KEYS: the server passes over them). */
const CLIENT_SETTINGS: Record<string, Schema> = {
  "memhint.enable": {
    type: "boolean",
    default: true,
    scope: "window",
    markdownDescription: "Run memhint's language server.",
  },
  "memhint.path": {
    type: "string",
    default: "",
    scope: "machine-overridable",
    markdownDescription: "The memhint to run instead of the one bundled with the extension: a memhint package folder or its `bin/memhint.js` (run on VS Code's Node), or a command (run as `<command> lsp --stdio`). Relative paths are relative to the first workspace folder. Empty: the workspace's `node_modules/memhint` if it has one, else the bundled one. Not used in untrusted workspaces.",
  },
  "memhint.trace.server": {
    type: "string",
    enum: ["off", "messages", "verbose"],
    default: "off",
    scope: "window",
    markdownDescription: "Trace the messages between VS Code and memhint's language server in the memhint output channel.",
  },
};

const SELECTOR = { type: "string", pattern: "^([Aa][Ll][Ll]|[Mm][Hh][0-9]{0,3})$", patternErrorMessage: "ALL, a rule code (MH101) or a prefix (MH1)" };

function schemaOf(spec: KeySpec): Schema {
  const defaults: Record<string, unknown> = { ...DEFAULT_SETTINGS, ...DEFAULT_EDITOR_SETTINGS };
  const fallback = defaults[spec.camel];
  switch (spec.kind) {
    case "selectors":
      return { type: "array", items: SELECTOR, default: fallback ?? [] };
    case "patterns":
      return { type: "array", items: { type: "string" }, default: [] };
    case "severity":
      return {
        type: "object",
        propertyNames: { pattern: "^[Mm][Hh][0-9]{3}$" },
        additionalProperties: { type: "string", enum: SEVERITIES },
        default: {},
      };
    case "positive-int":
      return { type: "integer", minimum: 1, default: fallback };
    case "target-version":
      return { type: "string", enum: TARGET_VERSIONS, default: fallback };
    case "bool":
      return { type: "boolean", default: fallback };
    default:
      throw new Error(`no VS Code setting for ${spec.kebab} (${spec.kind})`);
  }
}

/** The manifest's `contributes.configuration`. */
export function vscodeConfiguration(): Schema {
  const properties: Record<string, Schema> = { ...CLIENT_SETTINGS };
  for (const spec of KEYS) {
    if (spec.fileOnly) continue;
    const schema = schemaOf(spec);
    if (schema.default === undefined) throw new Error(`no default for ${spec.kebab}`);
    properties[`memhint.${spec.camel}`] = {
      ...schema,
      scope: "window",
      markdownDescription: `${spec.description} (\`${spec.kebab}\` in \`[tool.memhint]\`; these settings win over the project's.)`,
    };
  }
  return { title: "memhint", properties };
}

export function renderManifest(manifestText: string): string {
  const manifest = JSON.parse(manifestText) as { contributes?: Schema };
  manifest.contributes = { ...manifest.contributes, configuration: vscodeConfiguration() };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function manifestPath(): string {
  // Runs from dist/scripts (built) or scripts/ (vitest).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "editors", "vscode", "package.json");
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error("cannot find editors/vscode/package.json");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = manifestPath();
  const before = readFileSync(path, "utf8");
  const after = renderManifest(before);
  if (process.argv.includes("--check")) {
    if (before !== after) {
      console.error(`${path}: contributes.configuration is stale; run \`npm run vscode:manifest\``);
      process.exit(1);
    }
  } else {
    writeFileSync(path, after);
    console.log(`wrote contributes.configuration in ${path}`);
  }
}
