/**
 * Settings glue: the client's `memhint` section (initializationOptions, workspace/configuration,
 * didChangeConfiguration) over the project's config file (`[tool.memhint]` in pyproject.toml,
 * or memhint.toml), read and validated by the shared reader in server/config.ts. The client's
 * settings win, as editor settings do in ruff's server. Every change bumps `generation`, which
 * invalidates cached lint results.
 */
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_FILE_NAMES, ConfigError, loadConfig, validateSettingsObject } from "../config.js";
import { resolveSettings, type Settings } from "../engine/index.js";
import type { Logger } from "./log.js";

/** How often (at most) the config files above a directory are stat'ed for changes. */
const CONFIG_RECHECK_MS = 1000;

export interface SettingsProblemSink {
  /** Tell the user (window/showMessage); called once per distinct problem. */
  show(message: string): void;
}

interface DirectoryConfig {
  settings: Partial<Settings>;
  path: string | null;
  signature: string;
  checkedAt: number;
  resolved: Settings | null;
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
  private clientJson = "{}";
  private readonly directories = new Map<string, DirectoryConfig>();
  private readonly shown = new Set<string>();
  private fallbackDir: string | null = null;
  /** Called when a config file change is noticed while answering `forDocument`. */
  onConfigFileChange: (() => void) | null = null;

  constructor(private readonly log: Logger, private readonly sink: SettingsProblemSink) {}

  /** Where documents that are not files (untitled buffers) look for a config file. */
  setWorkspaceRoot(dir: string | null): void {
    this.fallbackDir = dir;
  }

  /**
   * Replace the client's settings with `raw` (a payload holding the `memhint` section). Returns
   * whether the effective client settings changed. Invalid settings are reported and ignored.
   */
  setClientSettings(raw: unknown, origin: string): boolean {
    let next: Partial<Settings>;
    try {
      next = validateSettingsObject(memhintSection(raw), `${origin} (memhint)`).settings;
      this.shown.delete(`client:${origin}`);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      this.problem(`client:${origin}`, `memhint: invalid settings from ${origin}: ${message.replace(/^.*?\(memhint\): /, "")}. Using the other settings until this is fixed.`);
      next = {};
    }
    const json = JSON.stringify(next);
    if (json === this.clientJson) return false;
    this.client = next;
    this.clientJson = json;
    this.generation++;
    this.log.info(`Client settings: ${json}`);
    return true;
  }

  /** Forget every config file read (a watched file changed): the next lint reads them again. */
  invalidateConfigFiles(): void {
    this.directories.clear();
    this.generation++;
  }

  /** The settings for a document, by its URI. */
  forDocument(uri: string): Settings {
    const dir = this.directoryOf(uri);
    if (dir === null) return resolveSettings(this.client);
    const now = Date.now();
    let entry = this.directories.get(dir);
    if (entry && now - entry.checkedAt >= CONFIG_RECHECK_MS) {
      entry.checkedAt = now;
      if (configSignature(dir) !== entry.signature) {
        this.log.info(`A config file for ${dir} changed: re-reading it`);
        this.invalidateConfigFiles();
        entry = undefined;
        queueMicrotask(() => this.onConfigFileChange?.());
      }
    }
    if (!entry) {
      entry = this.read(dir, now);
      this.directories.set(dir, entry);
    }
    if (!entry.resolved || entry.resolvedGeneration !== this.generation) {
      entry.resolved = resolveSettings(entry.settings, this.client);
      entry.resolvedGeneration = this.generation;
    }
    return entry.resolved;
  }

  private read(dir: string, now: number): DirectoryConfig {
    const signature = configSignature(dir);
    try {
      const loaded = loadConfig(dir);
      this.shown.delete(`config:${dir}`);
      if (loaded.path) this.log.info(`Using ${loaded.path} for files in ${dir}`);
      return { settings: loaded.settings, path: loaded.path, signature, checkedAt: now, resolved: null, resolvedGeneration: -1 };
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : describe(error);
      this.problem(`config:${message}`, `memhint: bad configuration: ${message}. Using the defaults and the editor's settings until it is fixed.`);
      return { settings: {}, path: null, signature, checkedAt: now, resolved: null, resolvedGeneration: -1 };
    }
  }

  private problem(key: string, message: string): void {
    this.log.error(message);
    if (this.shown.has(key)) return;
    this.shown.add(key);
    this.sink.show(message);
  }

  private directoryOf(uri: string): string | null {
    if (uri.startsWith("file:")) {
      try {
        return dirname(fileURLToPath(uri));
      } catch {
        return this.fallbackDir;
      }
    }
    return this.fallbackDir;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Modification times and sizes of every config file that could apply to `dir`. */
function configSignature(dir: string): string {
  const parts: string[] = [];
  let current = dir;
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
    if (parent === current) return parts.join("|");
    current = parent;
  }
}
