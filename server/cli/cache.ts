/**
 * The cache of `memhint check`: what linting a file found, kept in `.memhint_cache/` at the project
 * root so that a file nobody changed is not parsed again.
 *
 * Each entry is one file named by its key, a SHA-256 of everything the lint depends on: the file's
 * bytes, its path inside the project (test code is told apart by path), the effective settings and
 * a hash of the engine itself (every file of the built engine, rules and grammar, read once per
 * run: a rebuild between two commits changes it while the version number stays the same). Entries
 * are never updated in place, only created: written to a temporary file and renamed, so parallel
 * runs and worker threads at worst write the same entry twice, and a reader never sees half of one.
 *
 * An entry is trusted only when its header names the format, its own key and a checksum of its
 * body that matches; anything else (truncated, edited, from another tool) is ignored and the file
 * linted again. A `.memhint_cache` that memhint did not create (no CACHEDIR.TAG of ours) is left
 * alone and not used. Failing to read or write the cache never fails a run.
 *
 * Each read of an entry sets its mtime; once a day a run removes the entries no run has used for
 * CACHE_MAX_AGE_DAYS (the entries of files since changed, of settings no longer used).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { repositoryRoot } from "./formats/repository.js";
import type { Diagnostic, Settings } from "../engine/index.js";

export const CACHE_DIR_NAME = ".memhint_cache";
/** The Cache Directory Tagging Specification's signature: backup tools skip the folder. */
const TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is memhint's cache (memhint check). Delete it at any time; --no-cache skips it.\n";
const FORMAT = "memhint-cache 1";

/** What a run needs to find entries (plain data: it crosses to worker threads). */
export interface CacheConfig {
  /** The `.memhint_cache` folder. */
  dir: string;
  /** `engineHash()`, computed once by the main thread. */
  engine: string;
}

/** What a lint found, as kept in an entry: all that the report is rebuilt from. */
export interface CachedLint {
  diagnostics: Diagnostic[];
  hasSyntaxErrors: boolean;
}

/**
 * The project root: the folder of the config file in use, else the nearest folder at or above
 * `startDir` holding `.git` (a folder, or the file of a worktree), else the working directory.
 */
export function projectRoot(configPath: string | null, startDir: string, cwd: string): string {
  return configPath !== null ? dirname(configPath) : repositoryRoot(startDir, cwd);
}

let engineHashOnce: string | null = null;

/**
 * A hash of the engine as built: every file under dist/server and dist/rules (source maps aside)
 * and the grammar, by path and content. From the sources (tests running the TypeScript), the
 * same folders of the checkout.
 */
export function engineHash(): string {
  if (engineHashOnce !== null) return engineHashOnce;
  const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const hash = createHash("sha256");
  const add = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) add(path);
      else if (entry.isFile() && !entry.name.endsWith(".map")) {
        hash.update(relative(packageDir, path).split(sep).join("/")).update("\0").update(readFileSync(path)).update("\0");
      }
    }
  };
  add(join(packageDir, "server"));
  add(join(packageDir, "rules"));
  // Built, dist/server's parent is dist/ and the grammar sits beside it; from the sources, within.
  for (const grammars of [join(packageDir, "grammars"), join(packageDir, "..", "grammars")]) {
    if (existsSync(grammars)) {
      add(grammars);
      break;
    }
  }
  engineHashOnce = hash.digest("hex");
  return engineHashOnce;
}

/** JSON with object keys sorted, so that equal settings always hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * An entry's key: the engine, the file's effective settings, its path inside the project and its
 * bytes. The settings are hashed per file, so that a file under another config gets its own key.
 */
export function entryKey(engine: string, settings: Settings, projectPath: string, bytes: Uint8Array): string {
  return createHash("sha256")
    .update(FORMAT).update("\0").update(engine).update("\0").update(stableJson(settings)).update("\0").update(projectPath).update("\0").update(bytes)
    .digest("hex");
}

function entryPath(config: CacheConfig, key: string): string {
  return join(config.dir, key.slice(0, 2), key);
}

/**
 * The cache folder at `root`, created if missing (with its `.gitignore` and CACHEDIR.TAG, all at
 * once: built under a temporary name and renamed), or null when it cannot be used: not a folder,
 * not memhint's, or not writable.
 */
export function openCacheDir(root: string): { dir: string } | { dir: null; why: string | null } {
  const dir = join(root, CACHE_DIR_NAME);
  if (!existsSync(dir)) {
    const temporary = `${dir}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      mkdirSync(temporary);
      writeFileSync(join(temporary, ".gitignore"), "*\n");
      writeFileSync(join(temporary, "CACHEDIR.TAG"), TAG);
      renameSync(temporary, dir);
    } catch {
      // Another run created it first (rename onto a full folder fails), or the root is read-only.
      rmSync(temporary, { recursive: true, force: true });
    }
  }
  try {
    if (!statSync(dir).isDirectory()) return { dir: null, why: "is not a folder" };
  } catch {
    return { dir: null, why: null }; // could not be created: a read-only project works without one
  }
  let tag: string;
  try {
    tag = readFileSync(join(dir, "CACHEDIR.TAG"), "utf8");
  } catch {
    tag = "";
  }
  if (tag !== TAG) return { dir: null, why: "was not made by memhint (it has no CACHEDIR.TAG of memhint's), so it is left alone" };
  return { dir };
}

function isDiagnostic(value: unknown): value is Diagnostic {
  if (value === null || typeof value !== "object") return false;
  const d = value as Record<string, unknown>;
  if (typeof d.code !== "string" || typeof d.name !== "string" || typeof d.severity !== "string" || typeof d.message !== "string") return false;
  if (!Number.isInteger(d.start) || !Number.isInteger(d.end) || (d.start as number) < 0 || (d.end as number) < (d.start as number)) return false;
  if (d.estimatedBytes !== null && typeof d.estimatedBytes !== "number") return false;
  if (d.fix === null) return true;
  const fix = d.fix as Record<string, unknown>;
  return typeof fix === "object" && typeof fix.description === "string" && typeof fix.safety === "string" && Array.isArray(fix.edits);
}

/** An entry's bytes: a header with the format, the key and the body's checksum, then the body. */
export function encodeEntry(key: string, lint: CachedLint): string {
  const body = JSON.stringify({ diagnostics: lint.diagnostics, hasSyntaxErrors: lint.hasSyntaxErrors });
  return `${FORMAT} ${key} ${createHash("sha256").update(body).digest("hex")}\n${body}`;
}

/** The entry's lint, or null for anything but an intact entry of this key. */
export function decodeEntry(key: string, text: string): CachedLint | null {
  const newline = text.indexOf("\n");
  if (newline < 0) return null;
  const [format, version, entryKeyText, sum, ...rest] = text.slice(0, newline).split(" ");
  if (`${format} ${version}` !== FORMAT || entryKeyText !== key || rest.length > 0) return null;
  const body = text.slice(newline + 1);
  if (createHash("sha256").update(body).digest("hex") !== sum) return null;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  const lint = value as Partial<CachedLint> | null;
  if (lint === null || typeof lint !== "object" || typeof lint.hasSyntaxErrors !== "boolean" || !Array.isArray(lint.diagnostics)) return null;
  if (!lint.diagnostics.every(isDiagnostic)) return null;
  return { diagnostics: lint.diagnostics, hasSyntaxErrors: lint.hasSyntaxErrors };
}

/** The cached lint for `key`, or null (missing or not to be trusted). An entry read is marked used (its mtime). */
export function readEntry(config: CacheConfig, key: string): CachedLint | null {
  const path = entryPath(config, key);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const lint = decodeEntry(key, text);
  if (lint !== null) {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // a read-only cache still serves; its entries just age
    }
  }
  return lint;
}

/** Entries no run has read or written for this many days are removed. */
export const CACHE_MAX_AGE_DAYS = 7;
/** Whose mtime says when the cache was last pruned (at most once a day: pruning lists every entry). */
export const PRUNED_MARKER = "last-pruned";
const DAY_MS = 24 * 60 * 60 * 1000;
const ENTRY_NAME = /^[0-9a-f]{64}$/;
const TEMPORARY_NAME = /^[0-9a-f]{64}\.[0-9a-f]{12}\.tmp$/;

/**
 * Remove the entries of `dir` that no run has used for CACHE_MAX_AGE_DAYS (each use sets an
 * entry's mtime: a read or the write) and temporary files left by a run that was killed, so that
 * the cache does not grow forever as files change. Done at most once a day; returns the number of
 * files removed. Errors are ignored: another run may be pruning too.
 */
export function pruneCache(dir: string, now = Date.now()): number {
  const marker = join(dir, PRUNED_MARKER);
  try {
    if (now - statSync(marker).mtimeMs < DAY_MS) return 0;
  } catch {
    // never pruned
  }
  let removed = 0;
  let folders: string[];
  try {
    folders = readdirSync(dir).filter((name) => /^[0-9a-f]{2}$/.test(name));
  } catch {
    return 0;
  }
  for (const folder of folders) {
    const path = join(dir, folder);
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      continue;
    }
    let left = names.length;
    for (const name of names) {
      const maxAge = ENTRY_NAME.test(name) ? CACHE_MAX_AGE_DAYS * DAY_MS : TEMPORARY_NAME.test(name) ? DAY_MS / 24 : null;
      if (maxAge === null) continue;
      try {
        if (now - statSync(join(path, name)).mtimeMs > maxAge) {
          unlinkSync(join(path, name));
          removed++;
          left--;
        }
      } catch {
        // gone already
      }
    }
    if (left === 0) {
      try {
        rmdirSync(path);
      } catch {
        // another run wrote into it meanwhile
      }
    }
  }
  try {
    writeFileSync(marker, "");
    const at = new Date(now);
    utimesSync(marker, at, at);
  } catch {
    // a read-only cache is not pruned
  }
  return removed;
}

/** Store `lint` under `key`: a temporary file renamed into place. Errors are ignored. */
export function writeEntry(config: CacheConfig, key: string, lint: CachedLint): void {
  const path = entryPath(config, key);
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, encodeEntry(key, lint));
    renameSync(temporary, path);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // never written
    }
  }
}
