/**
 * Settings glue: the client's `memhint` section (initializationOptions, workspace/configuration,
 * didChangeConfiguration) over the project's config file (`[tool.memhint]` in pyproject.toml,
 * or memhint.toml), read and validated by the shared reader in server/config.ts. The client's
 * settings win, as editor settings do in ruff's server. Every change bumps `generation`, which
 * invalidates cached lint results.
 *
 * Which config files a document may use (its scope), on its normalised path:
 *   - inside a workspace folder (the deepest one holding it): its folder and those above it, up
 *     to that workspace folder, never above;
 *   - outside every workspace folder: its folder and those above it up to the nearest one holding
 *     `.git`, or its own folder only when none does;
 *   - untitled (or any URI that is not a file path): the first workspace folder, if any.
 * So a file outside the project is never configured by it, and opening a document never reads
 * config files in system folders, the home folder or `/` unless a repository reaches there.
 */
import { statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_FILE_NAMES, ConfigError, DEFAULT_EDITOR_SETTINGS, type EditorSettings, loadConfig, type PerFileIgnore, perFileIgnoredCodes, validateSettingsObject, withPerFileIgnores } from "../config.js";
import { resolveSettings, type Settings, SYNTAX_ERROR_CODE } from "../engine/index.js";
import type { Logger } from "./log.js";

/** How often (at most) the config files above a directory are stat'ed for changes. */
const CONFIG_RECHECK_MS = 1000;

export interface SettingsProblemSink {
  /** Tell the user of an error (window/showMessage); called once per distinct problem. */
  show(message: string): void;
  /** Tell the user of something passed over (window/showMessage, a warning); once per distinct message. */
  warn(message: string): void;
}

/** Where a document's config file is looked for: from `start` up to `stop`, both included. */
export interface ConfigScope {
  start: string;
  stop: string;
}

interface DirectoryConfig {
  settings: Partial<Settings>;
  editor: Partial<EditorSettings>;
  /** The config file's `per-file-ignores`, applied per document. */
  perFileIgnores: PerFileIgnore[];
  path: string | null;
  signature: string;
  /** The files the config file extends: a change to one of them is a change too. */
  extended: string[];
  checkedAt: number;
  resolved: { lint: Settings; editor: EditorSettings } | null;
  resolvedGeneration: number;
}

/** The `memhint` section of a settings payload: `{ memhint: {...} }` or the section itself. */
export function memhintSection(raw: unknown): unknown {
  if (raw === null || raw === undefined) return {};
  if (typeof raw === "object" && !Array.isArray(raw) && "memhint" in raw) {
    const section = (raw as Record<string, unknown>).memhint;
    return section === null || section === undefined ? {} : section;
  }
  return raw;
}

export class SettingsManager {
  /** Bumped whenever the effective settings of any document may have changed. */
  generation = 0;
  private client: Partial<Settings> = {};
  private clientEditor: Partial<EditorSettings> = {};
  private clientJson = "{}";
  /** Per scope (`start` and `stop`). */
  private readonly directories = new Map<string, DirectoryConfig>();
  private readonly shown = new Set<string>();
  /** Config files that are not regular files, already logged. */
  private readonly skippedLogged = new Set<string>();
  private folders: string[] = [];
  /** The nearest folder holding `.git`, per directory outside the workspace folders. */
  private readonly repositories = new Map<string, string | null>();
  /** Called when a config file change is noticed while answering `forDocument`. */
  onConfigFileChange: (() => void) | null = null;

  constructor(private readonly log: Logger, private readonly sink: SettingsProblemSink) {}

  /** The workspace folders (paths): from initialize, then workspace/didChangeWorkspaceFolders. */
  setWorkspaceFolders(paths: readonly string[]): void {
    const next = [...new Set(paths.map((p) => resolve(p)))];
    if (next.join("\n") === this.folders.join("\n")) return;
    this.folders = next;
    this.log.info(`Workspace folders: ${next.length === 0 ? "none" : next.join(", ")}`);
    this.invalidateConfigFiles();
  }

  get workspaceFolders(): readonly string[] {
    return this.folders;
  }

  /**
   * Replace the client's settings with `raw` (a payload holding the `memhint` section). Returns
   * whether the effective client settings changed. Invalid settings are reported and ignored.
   */
  setClientSettings(raw: unknown, origin: string): boolean {
    let next: Partial<Settings>;
    let editor: Partial<EditorSettings>;
    try {
      let unknownKeys: string[] | undefined;
      ({ settings: next, editor, unknownKeys } = validateSettingsObject(memhintSection(raw), `${origin} (memhint)`, { keyPrefix: "memhint." }));
      this.shown.delete(`client:${origin}`);
      if (unknownKeys) this.unknownKeys(unknownKeys);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      this.problem(`client:${origin}`, `memhint: invalid settings from ${origin}: ${message.replace(/^.*?\(memhint\): /, "")}. Using the other settings until this is fixed.`);
      next = {};
      editor = {};
    }
    const json = JSON.stringify({ ...next, ...editor });
    if (json === this.clientJson) return false;
    this.client = next;
    this.clientEditor = editor;
    this.clientJson = json;
    this.generation++;
    this.log.info(`Client settings: ${json}`);
    return true;
  }

  /** Forget every config file read (a watched file changed): the next lint reads them again. */
  invalidateConfigFiles(): void {
    this.directories.clear();
    this.repositories.clear();
    this.skippedLogged.clear();
    this.generation++;
  }

  /**
   * The document's path inside its project (relative to the folder its config scope stops at:
   * its workspace folder or repository), for the facts that read it; its name for other URIs.
   */
  projectPath(uri: string): string | null {
    const path = documentPath(uri);
    const scope = this.scopeOf(uri);
    if (path === null || scope === null) return null;
    return relative(scope.stop, path).split(sep).join("/");
  }

  /** The folders whose config files apply to the document `uri`; null when none do. */
  scopeOf(uri: string): ConfigScope | null {
    const path = documentPath(uri);
    if (path === null) {
      const first = this.folders[0];
      return first === undefined ? null : { start: first, stop: first };
    }
    const dir = dirname(path);
    let folder: string | null = null;
    for (const f of this.folders) if (isInside(dir, f) && (folder === null || f.length > folder.length)) folder = f;
    if (folder !== null) return { start: dir, stop: folder };
    return { start: dir, stop: this.repositoryOf(dir) ?? dir };
  }

  /**
   * The settings a document is linted with, by its URI. MH000 (syntax errors) is ignored unless
   * the editor settings turn it on.
   */
  forDocument(uri: string): Settings {
    const { lint, perFileIgnores } = this.resolved(uri);
    const path = documentPath(uri);
    return path === null ? lint : withPerFileIgnores(lint, perFileIgnoredCodes({ perFileIgnores }, path));
  }

  /** The language server's own settings for a document (inlay hints, syntax errors). */
  editorFor(uri: string): EditorSettings {
    return this.resolved(uri).editor;
  }

  private resolved(uri: string): { lint: Settings; editor: EditorSettings; perFileIgnores: PerFileIgnore[] } {
    const scope = this.scopeOf(uri);
    if (scope === null) return { ...this.combine({}, {}), perFileIgnores: [] };
    const key = `${scope.start}\n${scope.stop}`;
    const now = Date.now();
    let entry = this.directories.get(key);
    if (entry && now - entry.checkedAt >= CONFIG_RECHECK_MS) {
      entry.checkedAt = now;
      if (configSignature(scope, entry.extended) !== entry.signature) {
        this.log.info(`A config file for ${scope.start} changed: re-reading it`);
        this.invalidateConfigFiles();
        entry = undefined;
        queueMicrotask(() => this.onConfigFileChange?.());
      }
    }
    if (!entry) {
      entry = this.read(scope, now);
      this.directories.set(key, entry);
    }
    if (!entry.resolved || entry.resolvedGeneration !== this.generation) {
      entry.resolved = this.combine(entry.settings, entry.editor);
      entry.resolvedGeneration = this.generation;
    }
    return { ...entry.resolved, perFileIgnores: entry.perFileIgnores };
  }

  /** A config file's settings with the client's over them. */
  private combine(file: Partial<Settings>, fileEditor: Partial<EditorSettings>): { lint: Settings; editor: EditorSettings } {
    const editor: EditorSettings = { ...DEFAULT_EDITOR_SETTINGS, ...fileEditor, ...this.clientEditor };
    const lint = resolveSettings(file, this.client);
    return { lint: editor.syntaxErrors ? lint : { ...lint, ignore: [...lint.ignore, SYNTAX_ERROR_CODE] }, editor };
  }

  private read(scope: ConfigScope, now: number): DirectoryConfig {
    let signature = configSignature(scope);
    try {
      const loaded = loadConfig(scope.start, { stopDir: scope.stop });
      for (const skipped of loaded.skipped) {
        if (this.skippedLogged.has(skipped.path)) continue;
        this.skippedLogged.add(skipped.path);
        this.log.warn(`Not reading ${skipped.path}: ${skipped.reason}. Config files must be regular files; looking further up, up to ${scope.stop}`);
      }
      if (loaded.path) this.log.info(`Using ${loaded.path} for files in ${scope.start}`);
      const extended = loaded.files.slice(1);
      signature = configSignature(scope, extended);
      return { settings: loaded.settings, editor: loaded.editor, perFileIgnores: loaded.perFileIgnores, extended, path: loaded.path, signature, checkedAt: now, resolved: null, resolvedGeneration: -1 };
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : describe(error);
      this.problem(`config:${message}`, `memhint: bad configuration: ${message}. Using the defaults and the editor's settings until it is fixed.`);
      return { settings: {}, editor: {}, perFileIgnores: [], extended: [], path: null, signature, checkedAt: now, resolved: null, resolvedGeneration: -1 };
    }
  }

  /**
   * Unknown keys in the client's settings: one warning per distinct set, whichever of
   * initializationOptions, workspace/configuration or didChangeConfiguration brought them
   * (clients send the same section several times per start).
   */
  private unknownKeys(problems: readonly string[]): void {
    const message = `memhint: passing over ${problems.length === 1 ? "a setting it does not know" : "settings it does not know"}: ${problems.join("; ")}`;
    this.log.warn(message);
    const key = `unknown:${message}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    this.sink.warn(message);
  }

  private problem(key: string, message: string): void {
    this.log.error(message);
    if (this.shown.has(key)) return;
    this.shown.add(key);
    this.sink.show(message);
  }

  private repositoryOf(dir: string): string | null {
    let found = this.repositories.get(dir);
    if (found === undefined) {
      found = null;
      for (let d = dir; ; d = dirname(d)) {
        if (exists(join(d, ".git"))) {
          found = d;
          break;
        }
        if (dirname(d) === d) break;
      }
      this.repositories.set(dir, found);
    }
    return found;
  }
}

/** The normalised path of a `file:` URI (`..` resolved); null for other URIs and unusable ones. */
export function documentPath(uri: string): string | null {
  if (typeof uri !== "string" || !uri.startsWith("file:")) return null;
  try {
    const path = resolve(fileURLToPath(uri));
    return isAbsolute(path) ? path : null;
  } catch {
    return null;
  }
}

/** Whether `dir` is `folder` or inside it (both normalised). */
function isInside(dir: string, folder: string): boolean {
  const rel = relative(folder, dir);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Modification times and sizes of every config file in `scope`. */
function configSignature(scope: ConfigScope, extended: readonly string[] = []): string {
  const parts: string[] = [];
  for (const path of extended) {
    try {
      const stat = statSync(path);
      parts.push(`${path}:${stat.mtimeMs}:${stat.size}`);
    } catch {
      parts.push(`${path}:absent`);
    }
  }
  let current = scope.start;
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      try {
        const stat = statSync(join(current, name));
        parts.push(`${current}/${name}:${stat.mtimeMs}:${stat.size}`);
      } catch {
        // absent
      }
    }
    const parent = dirname(current);
    if (current === scope.stop || parent === current) return parts.join("|");
    current = parent;
  }
}
