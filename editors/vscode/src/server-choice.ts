/**
 * Which memhint server the extension runs, as the ESLint extension chooses its library: the
 * `memhint.path` setting, else the workspace's own `node_modules/memhint`, else the copy bundled
 * in the extension. In an untrusted workspace only the bundled copy runs: a workspace's files must
 * not choose a program to execute. No `vscode` import, so a unit test runs it as it is.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export interface ServerChoiceInput {
  /** Whether the workspace is trusted (`vscode.workspace.isTrusted`). */
  trusted: boolean;
  /** The `memhint.path` setting, as the user wrote it (empty or undefined: not set). */
  configuredPath: string | undefined;
  /** The workspace folders' paths, in order. */
  workspaceFolders: readonly string[];
  /** `bin/memhint.js` of the copy bundled in the extension. */
  bundled: string;
}

export type ServerChoice =
  /** A memhint package's `bin/memhint.js`, run on VS Code's Node with IPC. */
  | { kind: "module"; module: string; origin: "bundled" | "workspace" | "setting"; note: string }
  /** A command, run as `<command> lsp --stdio`. */
  | { kind: "command"; command: string; origin: "setting"; note: string };

export function chooseServer(input: ServerChoiceInput): ServerChoice {
  const configured = input.configuredPath?.trim() ?? "";
  if (!input.trusted) {
    const passedOver = [
      configured ? `memhint.path (${configured})` : null,
      ...input.workspaceFolders.map(localPackage).filter((p): p is string => p !== null),
    ].filter((p): p is string => p !== null);
    const why = passedOver.length ? `; not running ${passedOver.join(", ")} until the workspace is trusted` : "";
    return { kind: "module", module: input.bundled, origin: "bundled", note: `Using the memhint bundled with the extension (untrusted workspace${why})` };
  }
  if (configured) {
    const path = resolvePath(configured, input.workspaceFolders[0]);
    if (isDirectory(path)) {
      const module = join(path, "bin", "memhint.js");
      return { kind: "module", module, origin: "setting", note: `Using the memhint package in ${path} (memhint.path)` };
    }
    if (/\.[cm]?js$/.test(path)) return { kind: "module", module: path, origin: "setting", note: `Using ${path} (memhint.path)` };
    // A bare name ("memhint") is looked up on PATH by the spawn; anything with a slash is a path.
    const command = configured.includes("/") || configured.includes("\\") ? path : configured;
    return { kind: "command", command, origin: "setting", note: `Using the command ${command} lsp --stdio (memhint.path)` };
  }
  for (const folder of input.workspaceFolders) {
    const local = localPackage(folder);
    if (local !== null) return { kind: "module", module: local, origin: "workspace", note: `Using the workspace's memhint: ${local}` };
  }
  return { kind: "module", module: input.bundled, origin: "bundled", note: `Using the memhint bundled with the extension: ${input.bundled}` };
}

/** `<folder>/node_modules/memhint/bin/memhint.js` when that folder has memhint installed. */
function localPackage(folder: string): string | null {
  const dir = join(folder, "node_modules", "memhint");
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown };
    const bin = join(dir, "bin", "memhint.js");
    return pkg.name === "memhint" && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function resolvePath(path: string, base: string | undefined): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  if (isAbsolute(path)) return path;
  return base === undefined ? resolve(path) : resolve(base, path);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
