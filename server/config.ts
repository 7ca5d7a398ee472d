/**
 * memhint's configuration: finding the config file, parsing it, and validating settings objects.
 * Shared by the CLI and the language server, so nothing here prints, exits or reads argv.
 *
 * Where settings come from:
 *   - `pyproject.toml`, table `[tool.memhint]` (a pyproject without that table is passed over);
 *   - `memhint.toml` or `.memhint.toml`, the same keys at the top level.
 * In one directory `.memhint.toml` wins over `memhint.toml`, which wins over `pyproject.toml`
 * (as ruff does with its own files). The nearest directory with one of them, walking up from the
 * start directory, is the config root; exclude patterns are relative to it.
 *
 * Keys are kebab-case in TOML files. Settings objects sent by editors (`validateSettingsObject`)
 * may use the camelCase spelling of the same keys (`inlayHints`) or the kebab-case one.
 * Validation is strict: an unknown key, a wrong type, an unknown rule code or severity is a
 * `ConfigError` naming the file and the key, never a silent default.
 */
import { statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import ignore from "ignore";
import { parse as parseToml, TomlError } from "smol-toml";
import { allRules } from "../rules/index.js";
import { nearest } from "./args.js";
import { BUILTIN_CODES } from "./engine/index.js";
import type { Settings, Severity, TargetVersion } from "./engine/types.js";
import { fileKind, readRegularFile, UnreadableFileError } from "./read-file.js";

export class ConfigError extends Error {
  /**
   * @param source the file (or a label such as "client settings") the problem is in
   * @param detail what is wrong, naming the key
   */
  constructor(readonly source: string, readonly detail: string) {
    super(`${source}: ${detail}`);
    this.name = "ConfigError";
  }
}

/**
 * Directories never descended into, as gitignore patterns (replaced by `exclude`, extended by
 * `extend-exclude`): version-control data, installed third-party code and tool environments.
 */
export const DEFAULT_EXCLUDE: readonly string[] = Object.freeze([
  ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
  "site-packages", "__pypackages__", ".tox", ".nox", ".eggs", ".ipynb_checkpoints",
]);

export const CONFIG_FILE_NAMES: readonly string[] = Object.freeze([".memhint.toml", "memhint.toml", "pyproject.toml"]);

export const SEVERITIES: readonly Severity[] = Object.freeze(["error", "warning", "information", "hint"]);
export const TARGET_VERSIONS: readonly TargetVersion[] = Object.freeze(["py38", "py39", "py310", "py311", "py312", "py313"]);

/**
 * Settings only the language server uses (the engine and the CLI never see them). They are read
 * by the same reader, from `[tool.memhint]` and from the editor.
 */
export interface EditorSettings {
  /** Show size inlay hints. */
  inlayHints: boolean;
  /** Report syntax errors (MH000): off by default, since the editor's Python server shows them. */
  syntaxErrors: boolean;
}

export const DEFAULT_EDITOR_SETTINGS: Readonly<EditorSettings> = Object.freeze({ inlayHints: true, syntaxErrors: false });

/** What one config table or settings object says; keys it does not set are absent. */
export interface ConfigValues {
  settings: Partial<Settings>;
  /** Language-server settings. */
  editor: Partial<EditorSettings>;
  /** Gitignore-style patterns replacing DEFAULT_EXCLUDE. */
  exclude?: string[];
  /** Gitignore-style patterns added to the excludes. */
  extendExclude?: string[];
  /** Selectors added to `select` (or to the default selection). */
  extendSelect?: string[];
  /** Glob (gitignore-style, relative to the config file's folder) to codes ignored in the files it matches. */
  perFileIgnores?: Record<string, string[]>;
  /** Apply the excludes to files named on the command line too. */
  forceExclude?: boolean;
  /** Another config file whose settings this one starts from (relative to this file's folder). */
  extend?: string;
  /**
   * Editor settings only: what is wrong with each key memhint does not know, with a "did you
   * mean" when a known key is near. They are passed over and the rest applies (a config file
   * with an unknown key is refused instead).
   */
  unknownKeys?: string[];
}

/** One `per-file-ignores` entry, with the folder its pattern is relative to. */
export interface PerFileIgnore {
  base: string;
  pattern: string;
  codes: string[];
}

export interface LoadedConfig {
  settings: Partial<Settings>;
  editor: Partial<EditorSettings>;
  /** The effective exclude patterns: `exclude` (or DEFAULT_EXCLUDE) plus `extend-exclude`. */
  exclude: string[];
  /** The config file used, or null when none was found. */
  path: string | null;
  /** The directory exclude patterns are relative to: the config file's, or the start directory. */
  root: string;
  /** Config files passed over because they are not regular files (to tell the user). */
  skipped: SkippedConfigFile[];
  /** `per-file-ignores` of the file and of those it extends, the nearest last. */
  perFileIgnores: PerFileIgnore[];
  forceExclude: boolean;
  /** The config files read, `path` first, then the ones it extends in order. */
  files: string[];
}

export interface ValidateOptions {
  /** Rule codes that selectors and severity keys may name; defaults to the registry plus MH001. */
  knownCodes?: readonly string[];
}

/** Every code a selector may name: the registry's rules and the engine's MH001. */
export function registryCodes(): string[] {
  return [...BUILTIN_CODES, ...allRules.map((r) => r.code)].sort();
}

export type Kind = "selectors" | "severity" | "positive-int" | "target-version" | "bool" | "patterns" | "path" | "per-file-ignores";

export interface KeySpec {
  kebab: string;
  camel: string;
  kind: Kind;
  /** One sentence for an editor's settings page (the VS Code extension's manifest is generated from it). */
  description: string;
  /** Only in config files, not in an editor's settings. */
  fileOnly?: boolean;
  /**
   * Its `memhint check` flag (`--<kebab>`; a boolean also `--no-<kebab>`): the value's name (its
   * help line is the description). Absent for the keys without one: see NO_FLAG.
   */
  flag?: { value?: string };
}

/**
 * Keys under `memhint` that belong to editor extensions, not to the server. VS Code answers
 * `workspace/configuration` with the whole section, the extension's own keys included, so the
 * server passes over these in silence (any other unknown key gets a warning):
 *   - `enable`: run memhint at all;
 *   - `path`: the memhint command or package to run instead of the extension's bundled one;
 *   - `trace`: the protocol trace (`memhint.trace.server`).
 */
export const CLIENT_KEYS: readonly string[] = Object.freeze(["enable", "path", "trace"]);

/** The keys of the editor-only settings, each a boolean. */
const EDITOR_KEYS: ReadonlySet<string> = new Set<keyof EditorSettings>(["inlayHints", "syntaxErrors"]);

/**
 * The keys that have no flag generated from this table, and why. `select` and `ignore` have flags of
 * their own in `memhint check` (with ruff's meaning: `--select` replaces the file's selection).
 */
export const NO_FLAG: Readonly<Record<string, string>> = Object.freeze({
  select: "its own flag, --select",
  ignore: "its own flag, --ignore",
  "inlay-hints": "editor only",
  "syntax-errors": "editor only; on the command line, select MH000",
  extend: "use --config PATH",
});

export const KEYS: readonly KeySpec[] = [
  { kebab: "select", camel: "select", kind: "selectors", description: "Rules to turn on: `ALL`, a code (`MH101`) or a prefix (`MH1`). Most rules are opt-in; unset, memhint runs its default rules." },
  { kebab: "ignore", camel: "ignore", kind: "selectors", description: "Rules to turn off, by code or prefix; wins over `select`." },
  { kebab: "severity", camel: "severity", kind: "severity", description: "Severity per rule code: `error`, `warning`, `information` or `hint`.", flag: { value: "CODE=LEVEL" } },
  { kebab: "huge-allocation-bytes", camel: "hugeAllocationBytes", kind: "positive-int", description: "MH104 reports allocations of a constant size of at least this many bytes (64 MiB).", flag: { value: "N" } },
  { kebab: "lru-cache-maxsize", camel: "lruCacheMaxsize", kind: "positive-int", description: "The bound that cache fixes write: `functools.lru_cache(maxsize=...)` (128).", flag: { value: "N" } },
  { kebab: "target-version", camel: "targetVersion", kind: "target-version", description: "The oldest Python version the code must run on: py38 ... py313.", flag: { value: "VERSION" } },
  { kebab: "report-without-evidence", camel: "reportWithoutEvidence", kind: "bool", description: "Report patterns even without evidence that memory is at stake.", flag: {} },
  { kebab: "min-size-bytes", camel: "minSizeBytes", kind: "positive-int", description: "The smallest constant size estimate that counts as evidence that memory is at stake (1 MiB).", flag: { value: "N" } },
  { kebab: "check-test-code", camel: "checkTestCode", kind: "bool", description: "Hold test code to the same bar as other code.", flag: {} },
  { kebab: "check-run-once-code", camel: "checkRunOnceCode", kind: "bool", description: "Count additions by code that runs once (at import time...) as growth.", flag: {} },
  { kebab: "respect-other-tools", camel: "respectOtherTools", kind: "bool", description: "Other tools' suppression comments (`# noqa: B019`, pylint's disables) silence the same concern (on).", flag: {} },
  { kebab: "inlay-hints", camel: "inlayHints", kind: "bool", description: "Show the estimated size of constant-size collections as inlay hints." },
  { kebab: "syntax-errors", camel: "syntaxErrors", kind: "bool", description: "Report syntax errors as MH000 (off by default: the editor's Python server shows them)." },
  { kebab: "exclude", camel: "exclude", kind: "patterns", description: "Gitignore-style patterns of files not to check, replacing the default list.", flag: { value: "PATTERNS" } },
  { kebab: "extend-exclude", camel: "extendExclude", kind: "patterns", description: "Gitignore-style patterns of files not to check, added to the default list.", flag: { value: "PATTERNS" } },
  { kebab: "extend-select", camel: "extendSelect", kind: "selectors", description: "Rules added to `select` (or to the default selection).", flag: { value: "CODES" } },
  // Only in files: they name paths relative to the file, or decide which files a run checks.
  { kebab: "force-exclude", camel: "forceExclude", kind: "bool", description: "Apply the excludes to files named on the command line too.", fileOnly: true, flag: {} },
  {
    kebab: "per-file-ignores", camel: "perFileIgnores", kind: "per-file-ignores", description: "A table of glob = [rule codes] ignored in the files the glob matches (on the command line: GLOB:CODES, relative to the current folder).", fileOnly: true,
    flag: { value: "GLOB:CODES" },
  },
  { kebab: "extend", camel: "extend", kind: "path", description: "Another config file whose settings this one starts from.", fileOnly: true },
];

/** A setting's `memhint check` flag, made from the key table. */
export interface SettingFlag {
  /** The flag without its dashes: the key's name. */
  name: string;
  kind: Kind;
  /** The value's name in the help; null for a boolean (which also has `--no-<name>`). */
  value: string | null;
  help: string;
}

/** A description as a `--help` line: no code quotes, no final period, lower case first. */
function flagHelp(description: string): string {
  const text = description.replace(/`/g, "").replace(/\.$/, "");
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** The flags of the settings, in the table's order. */
export function settingFlags(): SettingFlag[] {
  return KEYS.filter((k) => k.flag).map((k) => ({ name: k.kebab, kind: k.kind, value: k.kind === "bool" ? null : k.flag?.value ?? "VALUE", help: flagHelp(k.description) }));
}

/** Every key a config file accepts. */
export function configFileKeys(): string[] {
  return KEYS.map((k) => k.kebab);
}

/**
 * Settings given on the command line, over every config file (and over none): validated like a
 * config table. `base` is the folder the `per-file-ignores` patterns are relative to.
 */
export interface ConfigOverrides {
  values: ConfigValues;
  base: string;
}

/**
 * The overrides of `memhint check`'s setting flags (`flags`: parseArgs values by flag name) and of
 * `--config "key = value"` pairs (`pairs`, TOML). Flags win over pairs. Throws ConfigError: with
 * source "--config" for a pair, "command line" for a flag (its detail names the flag).
 */
export function commandLineOverrides(flags: Readonly<Record<string, unknown>>, pairs: readonly string[], base: string, options: ValidateOptions = {}): ConfigOverrides | null {
  const knownCodes = options.knownCodes ?? registryCodes();
  let values: ConfigValues | null = null;
  for (const pair of pairs) {
    let table: Record<string, unknown>;
    try {
      table = parseToml(pair, { unsafeKeyBehaviour: "throw" }) as Record<string, unknown>;
    } catch (error) {
      const first = error instanceof Error ? error.message.split("\n")[0].replace(/^Invalid TOML document: /, "") : String(error);
      throw new ConfigError("--config", `${JSON.stringify(pair)} is neither a config file nor a TOML "key = value" pair (${first})`);
    }
    if ("extend" in table) throw new ConfigError("--config", `"extend" names another config file; give that file with --config PATH instead`);
    const parsed = validate(table, "--config", "", "kebab", knownCodes);
    values = values ? overrideValues(values, parsed) : parsed;
  }
  const table: Record<string, unknown> = {};
  const list = (name: string): string[] => ((flags[name] as string[] | undefined) ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  for (const flag of settingFlags()) {
    const given = flags[flag.name];
    if (flag.kind === "bool") {
      const no = flags[`no-${flag.name}`] === true;
      if (given === true && no) throw new ConfigError("command line", `--${flag.name} and --no-${flag.name} cannot be combined`);
      if (given === true || no) table[flag.name] = given === true;
      continue;
    }
    if (given === undefined) continue;
    const raw = given as string[];
    switch (flag.kind) {
      case "selectors":
      case "patterns":
        table[flag.name] = list(flag.name);
        if ((table[flag.name] as string[]).length === 0) throw new ConfigError("command line", `--${flag.name} needs at least one value`);
        break;
      case "positive-int":
      case "target-version": {
        const last = raw[raw.length - 1];
        table[flag.name] = flag.kind === "positive-int" && /^[0-9]+$/.test(last) ? Number(last) : last;
        break;
      }
      case "severity": {
        const severities: Record<string, string> = {};
        for (const item of list(flag.name)) {
          const at = item.indexOf("=");
          if (at <= 0) throw new ConfigError("command line", `--${flag.name}: expected CODE=LEVEL (such as MH101=error), got ${JSON.stringify(item)}`);
          severities[item.slice(0, at).trim()] = item.slice(at + 1).trim();
        }
        table[flag.name] = severities;
        break;
      }
      case "per-file-ignores": {
        const ignores: Record<string, string[]> = {};
        for (const item of raw) {
          const at = item.lastIndexOf(":");
          const codes = at > 0 ? item.slice(at + 1).split(",").map((c) => c.trim()).filter((c) => c !== "") : [];
          if (codes.length === 0) throw new ConfigError("command line", `--${flag.name}: expected GLOB:CODES (such as "tests/*.py:MH101,MH2"), got ${JSON.stringify(item)}`);
          const pattern = item.slice(0, at);
          ignores[pattern] = [...(ignores[pattern] ?? []), ...codes];
        }
        table[flag.name] = ignores;
        break;
      }
      default:
        throw new Error(`no command-line form for the kind ${flag.kind}`);
    }
  }
  if (Object.keys(table).length > 0) {
    const parsed = validate(table, "command line", "--", "kebab", knownCodes);
    values = values ? overrideValues(values, parsed) : parsed;
  }
  return values === null ? null : { values, base };
}

/** `over` over `under`, both given on the command line: mergeValues, and the per-file-ignores of both. */
function overrideValues(under: ConfigValues, over: ConfigValues): ConfigValues {
  const merged = mergeValues(under, over);
  if (under.perFileIgnores || over.perFileIgnores) merged.perFileIgnores = { ...under.perFileIgnores, ...over.perFileIgnores };
  return merged;
}

/**
 * Validate the `[tool.memhint]` table (or a memhint.toml's top level): kebab-case keys only.
 * @param keyPrefix how keys are named in messages ("tool.memhint." for pyproject.toml)
 */
export function parseConfigTable(table: unknown, sourcePath: string, options: ValidateOptions & { keyPrefix?: string } = {}): ConfigValues {
  return validate(table, sourcePath, options.keyPrefix ?? "", "kebab", options.knownCodes ?? registryCodes());
}

/**
 * Validate a settings object from an editor (LSP `initializationOptions`, `workspace/configuration`):
 * the same keys as the TOML table, spelt camelCase or kebab-case.
 */
export function validateSettingsObject(value: unknown, source: string, options: ValidateOptions & { keyPrefix?: string } = {}): ConfigValues {
  return validate(value, source, options.keyPrefix ?? "", "either", options.knownCodes ?? registryCodes());
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date || (typeof value === "object" && value?.constructor?.name === "TomlDate")) return "a date";
  switch (typeof value) {
    case "string": return `the string ${JSON.stringify(value)}`;
    case "number": return `the number ${value}`;
    case "bigint": return `the integer ${value}`;
    case "boolean": return `${value}`;
    case "object": return "a table";
    default: return typeof value;
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) && value.constructor?.name !== "TomlDate";
}

function validate(value: unknown, source: string, prefix: string, spelling: "kebab" | "either", knownCodes: readonly string[]): ConfigValues {
  const where = prefix.endsWith(".") ? prefix.slice(0, -1) : prefix;
  if (!isTable(value)) {
    throw new ConfigError(source, `${where ? `${where}: ` : ""}expected a table of settings, got ${describe(value)}`);
  }
  const out: ConfigValues = { settings: {}, editor: {} };
  const seen = new Map<KeySpec, string>();
  const keys = spelling === "kebab" ? KEYS : KEYS.filter((k) => !k.fileOnly);
  const names = keys.map((k) => (spelling === "kebab" ? k.kebab : `${k.camel}`)).join(", ");
  for (const [key, raw] of Object.entries(value)) {
    const spec = keys.find((k) => k.kebab === key || (spelling === "either" && k.camel === key));
    if (!spec) {
      if (KEYS.some((k) => k.fileOnly && (k.kebab === key || k.camel === key))) {
        throw new ConfigError(source, `"${prefix}${key}" can only be set in a config file (pyproject.toml or memhint.toml)`);
      }
      if (spelling === "either" && CLIENT_KEYS.includes(key)) continue;
      const same = keys.find((k) => k.camel === key || k.kebab === key || normalizeKey(k.kebab) === normalizeKey(key));
      const near = spelling === "either"
        ? (same?.camel ?? nearest(key, keys.map((k) => k.camel)) ?? nearest(key, keys.map((k) => k.kebab)))
        : (same?.kebab ?? nearest(key, keys.map((k) => k.kebab)));
      const hint = near ? `; did you mean "${spelling === "either" ? prefix : ""}${near}"?` : `; known keys: ${names}`;
      const problem = `unknown key "${prefix}${key}"${hint}`;
      // An editor's settings page may hold keys of another memhint version or a typo: the rest
      // still applies. A config file is refused whole, as the command line must be exact.
      if (spelling === "either") (out.unknownKeys ??= []).push(problem);
      else throw new ConfigError(source, problem);
      continue;
    }
    const earlier = seen.get(spec);
    if (earlier !== undefined) {
      throw new ConfigError(source, `"${prefix}${earlier}" and "${prefix}${key}" are the same setting; give it once`);
    }
    seen.set(spec, key);
    const at = `${prefix}${key}`;
    switch (spec.kind) {
      case "selectors": {
        const list = parseSelectorList(stringList(raw, source, at), knownCodes, (i, message) => new ConfigError(source, `${at}[${i}]: ${message}`));
        if (spec.camel === "select") out.settings.select = list;
        else if (spec.camel === "extendSelect") out.extendSelect = list;
        else out.settings.ignore = list;
        break;
      }
      case "severity":
        out.settings.severity = parseSeverityTable(raw, source, at, knownCodes);
        break;
      case "positive-int": {
        if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 1) {
          throw new ConfigError(source, `${at}: expected a positive integer, got ${describe(raw)}`);
        }
        out.settings[spec.camel as "hugeAllocationBytes" | "lruCacheMaxsize" | "minSizeBytes"] = raw;
        break;
      }
      case "target-version": {
        if (typeof raw !== "string" || !(TARGET_VERSIONS as readonly string[]).includes(raw)) {
          throw new ConfigError(source, `${at}: expected one of ${TARGET_VERSIONS.map((v) => `"${v}"`).join(", ")}, got ${describe(raw)}`);
        }
        out.settings.targetVersion = raw as TargetVersion;
        break;
      }
      case "bool":
        if (typeof raw !== "boolean") throw new ConfigError(source, `${at}: expected true or false, got ${describe(raw)}`);
        if (EDITOR_KEYS.has(spec.camel)) out.editor[spec.camel as keyof EditorSettings] = raw;
        else if (spec.camel === "forceExclude") out.forceExclude = raw;
        else out.settings[spec.camel as "reportWithoutEvidence" | "checkTestCode" | "checkRunOnceCode" | "respectOtherTools"] = raw;
        break;
      case "patterns": {
        const list = stringList(raw, source, at);
        if (list.length > MAX_EXCLUDE_PATTERNS) {
          throw new ConfigError(source, `${at}: ${list.length} patterns; memhint accepts at most ${MAX_EXCLUDE_PATTERNS} (each file found is tested against every one)`);
        }
        list.forEach((p, i) => {
          if (p.trim() === "") throw new ConfigError(source, `${at}[${i}]: an empty pattern excludes nothing; remove it`);
          const problem = patternProblem(p);
          if (problem !== null) throw new ConfigError(source, `${at}[${i}]: unusable pattern: ${problem}`);
        });
        if (spec.camel === "exclude") out.exclude = list;
        else out.extendExclude = list;
        break;
      }
      case "path":
        if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(source, `${at}: expected the path of another config file, got ${describe(raw)}`);
        out.extend = raw;
        break;
      case "per-file-ignores": {
        if (!isTable(raw)) throw new ConfigError(source, `${at}: expected a table of glob = [rule codes], got ${describe(raw)}`);
        const table: Record<string, string[]> = {};
        for (const [pattern, codes] of Object.entries(raw)) {
          const where = `${at}.${JSON.stringify(pattern)}`;
          if (pattern.trim() === "") throw new ConfigError(source, `${where}: an empty pattern matches nothing; remove it`);
          const problem = patternProblem(pattern);
          if (problem !== null) throw new ConfigError(source, `${where}: unusable pattern: ${problem}`);
          table[pattern] = parseSelectorList(stringList(codes, source, where), knownCodes, (i, message) => new ConfigError(source, `${where}[${i}]: ${message}`));
        }
        out.perFileIgnores = table;
        break;
      }
    }
  }
  return out;
}

/**
 * Why a gitignore-style pattern cannot be used, or null. The matcher compiles each pattern to a
 * regular expression when first used; one that cannot compile (a 100,000-character line is too
 * large for V8) would throw in the middle of the walk.
 */
export function patternProblem(pattern: string): string | null {
  try {
    ignore({ ignorecase: false }).add(pattern).ignores("x");
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return /too large|Maximum call stack/i.test(message) ? `too long to compile (${pattern.length} characters)` : message.split("\n")[0].slice(0, 200);
  }
}

/** More exclude patterns than this are refused: each file found is tested against every one. */
export const MAX_EXCLUDE_PATTERNS = 10_000;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

function stringList(raw: unknown, source: string, at: string): string[] {
  if (!Array.isArray(raw)) throw new ConfigError(source, `${at}: expected an array of strings, got ${describe(raw)}`);
  raw.forEach((item, i) => {
    if (typeof item !== "string") throw new ConfigError(source, `${at}[${i}]: expected a string, got ${describe(item)}`);
  });
  return raw as string[];
}

function parseSeverityTable(raw: unknown, source: string, at: string, knownCodes: readonly string[]): Record<string, Severity> {
  if (!isTable(raw)) throw new ConfigError(source, `${at}: expected a table of rule code = severity, got ${describe(raw)}`);
  const out: Record<string, Severity> = {};
  for (const [key, value] of Object.entries(raw)) {
    const code = key.toUpperCase();
    if (!knownCodes.includes(code)) {
      throw new ConfigError(source, `${at}.${key}: unknown rule code "${key}" (severity needs a full code; known codes: ${knownCodes.join(", ")})`);
    }
    if (typeof value !== "string" || !(SEVERITIES as readonly string[]).includes(value)) {
      throw new ConfigError(source, `${at}.${key}: expected one of ${SEVERITIES.map((s) => `"${s}"`).join(", ")}, got ${describe(value)}`);
    }
    if (code in out) throw new ConfigError(source, `${at}: ${code} is given twice`);
    out[code] = value as Severity;
  }
  return out;
}

/**
 * Check rule selectors: "ALL", a full code or a prefix of at least one known code ("MH2"),
 * case-insensitive; returns them upper-cased. `error(i, message)` builds the error to throw.
 */
export function parseSelectorList(items: readonly string[], knownCodes: readonly string[], error: (index: number, message: string) => Error): string[] {
  return items.map((item, i) => {
    const selector = item.trim().toUpperCase();
    if (selector === "") throw error(i, "empty rule selector");
    if (selector === "ALL") return selector;
    if (!/^MH[0-9]{0,3}$/.test(selector)) {
      throw error(i, `"${item}" is not a rule code or prefix (expected ALL, or MH followed by up to three digits, such as MH1 or MH101)`);
    }
    if (!knownCodes.some((code) => code.startsWith(selector))) {
      throw error(i, `unknown rule code or prefix "${item}"; known codes: ${knownCodes.join(", ")}`);
    }
    return selector;
  });
}

/** A config file larger than this is refused (real ones are a few KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Read and parse a TOML file; syntax errors become ConfigErrors with line and column. */
function readToml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readRegularFile(path, MAX_CONFIG_BYTES).bytes.toString("utf8");
  } catch (error) {
    throw new ConfigError(path, `cannot read the file: ${errorMessage(error)}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return parseToml(text, { unsafeKeyBehaviour: "throw" }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new ConfigError(`${path}:${error.line}:${error.column}`, `invalid TOML: ${first}\n${error.codeblock.trimEnd()}`);
    }
    throw new ConfigError(path, `invalid TOML: ${errorMessage(error)}`);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof UnreadableFileError) return error.message;
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    const e = error as NodeJS.ErrnoException;
    const text: Record<string, string> = {
      ENOENT: "no such file or directory",
      EACCES: "permission denied",
      EISDIR: "it is a directory",
      ENOTDIR: "a component of the path is not a directory",
      ELOOP: "too many levels of symbolic links",
    };
    return text[e.code as string] ?? e.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether `path` is a pyproject.toml, whose settings live in `[tool.memhint]`. */
function isPyproject(path: string): boolean {
  return basename(path) === "pyproject.toml";
}

/**
 * Read one config file. A pyproject.toml must have a `[tool.memhint]` table (when it has none,
 * returns null so discovery can walk on; `required` makes that an error instead).
 */
export function readConfigFile(path: string, options: ValidateOptions & { required?: boolean } = {}): ConfigValues | null {
  const doc = readToml(path);
  // A memhint.toml, or a file given with --config, may be a copy of a pyproject.toml's table, header included.
  const onlyToolTable = Object.keys(doc).length === 1 && isTable(doc.tool) && Object.keys(doc.tool).length === 1 && doc.tool.memhint !== undefined;
  if (!isPyproject(path) && !onlyToolTable) return parseConfigTable(doc, path, options);
  const tool = doc.tool;
  if (tool === undefined || (isTable(tool) && tool.memhint === undefined)) {
    if (options.required) throw new ConfigError(path, "has no [tool.memhint] table");
    return null;
  }
  if (!isTable(tool)) throw new ConfigError(path, `tool: expected a table, got ${describe(tool)}`);
  return parseConfigTable(tool.memhint, path, { ...options, keyPrefix: "tool.memhint." });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A config file found but not read: not a regular file (a FIFO, a device...). */
export interface SkippedConfigFile {
  path: string;
  reason: string;
}

/** Whether a config file candidate exists; one that exists but is no regular file is noted in `skipped`. */
function isCandidate(path: string, skipped: SkippedConfigFile[]): boolean {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return false;
  }
  if (stat.isFile()) return true;
  if (!stat.isDirectory()) skipped.push({ path, reason: `not a regular file (${fileKind(stat)})` });
  return false;
}

/** Where the search for a config file ends. */
export interface SearchBounds {
  /** The last directory searched (the start directory or one above it); by default the root. */
  stopDir?: string;
}

/**
 * The nearest config file at or above `startDir` (up to `stopDir`) and what it says. In each
 * directory the files are tried in CONFIG_FILE_NAMES order; a pyproject.toml without
 * `[tool.memhint]` is skipped, and so is a config file that is not a regular file (listed in
 * `skipped`).
 */
export function findConfig(startDir: string, options: ValidateOptions & SearchBounds & { skipped?: SkippedConfigFile[] } = {}): { path: string; values: ConfigValues } | null {
  const skipped = options.skipped ?? [];
  const stop = options.stopDir === undefined ? null : resolve(options.stopDir);
  let dir = resolve(startDir);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (!isCandidate(candidate, skipped)) continue;
      const values = readConfigFile(candidate, options);
      if (values) return { path: candidate, values };
    }
    if (dir === stop) return null;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The exclude patterns a config asks for: `exclude` (or the defaults) plus `extend-exclude`. */
export function effectiveExclude(values: Pick<ConfigValues, "exclude" | "extendExclude"> | null): string[] {
  return [...(values?.exclude ?? DEFAULT_EXCLUDE), ...(values?.extendExclude ?? [])];
}

/** The settings of a config chain once `extend` is followed: `values` plus the per-file-ignores with their folders. */
interface ChainValues {
  values: ConfigValues;
  perFileIgnores: PerFileIgnore[];
  files: string[];
}

function perFileList(values: ConfigValues, path: string): PerFileIgnore[] {
  return Object.entries(values.perFileIgnores ?? {}).map(([pattern, codes]) => ({ base: dirname(path), pattern, codes }));
}

/** `child` over `base`, as ruff merges an `extend`ed file: keys set in the child win; extend-* lists add up. */
function mergeValues(base: ConfigValues, child: ConfigValues): ConfigValues {
  const settings = { ...base.settings, ...child.settings };
  if (base.settings.severity || child.settings.severity) settings.severity = { ...base.settings.severity, ...child.settings.severity };
  return {
    settings,
    editor: { ...base.editor, ...child.editor },
    exclude: child.exclude ?? base.exclude,
    extendExclude: [...(base.extendExclude ?? []), ...(child.extendExclude ?? [])],
    // A child's own `select` starts the selection afresh, dropping what the base added to its own.
    extendSelect: [...(child.settings.select ? [] : base.extendSelect ?? []), ...(child.extendSelect ?? [])],
    forceExclude: child.forceExclude ?? base.forceExclude,
  };
}

/** Read `path` and the files it extends, in order; a cycle is an error naming the chain. */
function readChain(path: string, options: ValidateOptions & { required?: boolean }, chain: readonly string[] = []): ChainValues | null {
  const values = readConfigFile(path, { ...options, required: options.required || chain.length > 0 });
  if (!values) return null;
  const own: ChainValues = { values, perFileIgnores: perFileList(values, path), files: [path] };
  if (values.extend === undefined) return own;
  const target = resolve(dirname(path), values.extend);
  const seen = [...chain, path];
  if (seen.includes(target)) {
    throw new ConfigError(path, `extend: the files extend each other in a cycle: ${[...seen.slice(seen.indexOf(target)), target].join(" -> ")}`);
  }
  if (!isFile(target)) throw new ConfigError(path, `extend: cannot read ${JSON.stringify(values.extend)} (${target}): no such file`);
  const base = readChain(target, options, seen) as ChainValues;
  return { values: mergeValues(base.values, values), perFileIgnores: [...base.perFileIgnores, ...own.perFileIgnores], files: [path, ...base.files] };
}

/**
 * The LoadedConfig for a chain read from `path` (null: no config; `root` is then the start
 * directory), with the command line's settings over it.
 */
function loaded(chain: ChainValues | null, path: string | null, root: string, skipped: SkippedConfigFile[], overrides?: ConfigOverrides): LoadedConfig {
  if (!chain && !overrides) return { settings: {}, editor: {}, exclude: effectiveExclude(null), path: null, root, skipped, perFileIgnores: [], forceExclude: false, files: [] };
  const base: ChainValues = chain ?? { values: { settings: {}, editor: {} }, perFileIgnores: [], files: [] };
  const values = overrides ? mergeValues(base.values, overrides.values) : base.values;
  const perFileIgnores = overrides ? [...base.perFileIgnores, ...perFileList(overrides.values, join(overrides.base, "-"))] : base.perFileIgnores;
  const settings = { ...values.settings };
  if (values.extendSelect && values.extendSelect.length > 0) {
    // No select means every rule that is on by default: the prefix "MH" says the same and leaves opt-in rules out.
    settings.select = [...(settings.select && settings.select.length > 0 ? settings.select : ["MH"]), ...values.extendSelect];
  }
  return {
    settings, editor: values.editor, exclude: effectiveExclude(values), path, root, skipped,
    perFileIgnores, forceExclude: values.forceExclude ?? false, files: base.files,
  };
}

const perFileMatchers = new WeakMap<PerFileIgnore, ReturnType<typeof ignore>>();

/** The codes `per-file-ignores` ignores in `file` (an absolute path). */
/**
 * `settings` for a file whose `per-file-ignores` name `codes`. They always win, as in ruff: a
 * selector more specific than an ignored prefix (`select = ["MH101"]` with `"tests/*" = ["MH1"]`)
 * is ignored too, since the more specific selector would otherwise win (`ruleEnabled`).
 */
export function withPerFileIgnores<T extends Pick<Settings, "select" | "ignore">>(settings: T, codes: readonly string[]): T {
  if (codes.length === 0) return settings;
  const covered = (selector: string): boolean => selector !== "ALL" && codes.some((c) => c === "ALL" || selector.toUpperCase().startsWith(c.toUpperCase()));
  return { ...settings, ignore: [...settings.ignore, ...codes, ...settings.select.filter(covered)] };
}

export function perFileIgnoredCodes(config: Pick<LoadedConfig, "perFileIgnores">, file: string): string[] {
  const codes: string[] = [];
  for (const entry of config.perFileIgnores) {
    const rel = relative(entry.base, file);
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    let matcher = perFileMatchers.get(entry);
    if (!matcher) perFileMatchers.set(entry, (matcher = ignore({ ignorecase: false }).add(entry.pattern)));
    if (matcher.ignores(rel.split(sep).join("/"))) codes.push(...entry.codes);
  }
  return codes;
}

function configFileProblem(path: string): string | null {
  if (isFile(path)) return null;
  try {
    return `it is ${fileKind(statSync(path))}, not a regular file`;
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * Load the configuration for a run starting in `startDir`: the nearest config file (at or below
 * `stopDir`, when given), or the one given as `configFile` (which must exist, and if a
 * pyproject.toml, have `[tool.memhint]`), or none when `noConfig` is set. `extend` is followed.
 */
export function loadConfig(startDir: string, options: ValidateOptions & SearchBounds & { configFile?: string; noConfig?: boolean; overrides?: ConfigOverrides } = {}): LoadedConfig {
  const start = resolve(startDir);
  const skipped: SkippedConfigFile[] = [];
  const { overrides } = options;
  if (options.noConfig) return loaded(null, null, start, skipped, overrides);
  if (options.configFile !== undefined) {
    const path = resolve(options.configFile);
    const problem = configFileProblem(path);
    if (problem !== null) throw new ConfigError(path, `cannot use this config file: ${problem}`);
    return loaded(readChain(path, { ...options, required: true }), path, dirname(path), skipped, overrides);
  }
  const found = findConfig(start, { ...options, skipped });
  if (!found) return loaded(null, null, start, skipped, overrides);
  return loaded(readChain(found.path, options), found.path, dirname(found.path), skipped, overrides);
}

/**
 * The configuration of each folder of a run, as ruff finds it: a file uses the nearest config file
 * above it, unless `configFile` forces one for all (or `noConfig` none). Each folder and each
 * config file is looked at once.
 */
export class ConfigResolver {
  private readonly byDir = new Map<string, LoadedConfig>();
  private readonly fixed: LoadedConfig | null;
  readonly skipped: SkippedConfigFile[] = [];

  /** @param fallbackRoot the root used where no config file is found */
  constructor(private readonly fallbackRoot: string, private readonly options: ValidateOptions & { configFile?: string; noConfig?: boolean; overrides?: ConfigOverrides } = {}) {
    this.fixed = options.configFile !== undefined || options.noConfig ? loadConfig(fallbackRoot, options) : null;
  }

  /** The configuration for the files in `dir` (absolute). */
  forDirectory(dir: string): LoadedConfig {
    if (this.fixed) return this.fixed;
    const known = this.byDir.get(dir);
    if (known) return known;
    let result: LoadedConfig | null = null;
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (!isCandidate(candidate, this.skipped)) continue;
      const chain = readChain(candidate, this.options);
      if (chain) {
        result = loaded(chain, candidate, dir, this.skipped, this.options.overrides);
        break;
      }
    }
    if (!result) {
      const parent = dirname(dir);
      result = parent === dir ? loaded(null, null, this.fallbackRoot, this.skipped, this.options.overrides) : this.forDirectory(parent);
    }
    this.byDir.set(dir, result);
    return result;
  }

  /** The configuration for the file (or folder, when `isDir`) at `path`. */
  forPath(path: string, isDir = false): LoadedConfig {
    return this.forDirectory(isDir ? path : dirname(path));
  }
}

/**
 * The effective settings of one file under the names the config file uses (kebab-case), as
 * `memhint check --show-settings FILE` prints them. An empty `select` (every rule that is on by
 * default) is shown as the codes it stands for.
 */
export function settingsAsConfigKeys(settings: Settings, config: LoadedConfig, defaultCodes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const editor: EditorSettings = { ...DEFAULT_EDITOR_SETTINGS, ...config.editor };
  for (const spec of KEYS) {
    if (spec.camel in settings) {
      const value = settings[spec.camel as keyof Settings];
      out[spec.kebab] = spec.camel === "select" && (value as string[]).length === 0 ? [...defaultCodes] : value;
    } else if (spec.camel in editor) {
      out[spec.kebab] = editor[spec.camel as keyof EditorSettings];
    }
  }
  out.exclude = config.exclude;
  out["force-exclude"] = config.forceExclude;
  out["per-file-ignores"] = config.perFileIgnores.map((e) => ({ pattern: e.pattern, relativeTo: e.base, codes: e.codes }));
  return out;
}
