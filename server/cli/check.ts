/**
 * `memhint check`: discovery, configuration, lint or fix each file, print, and the exit status.
 *
 * Exit status: 2 on a usage or configuration error (nothing is linted), and 2 at the end of a run
 * in which some input could not be checked (unreadable, not decodable, over 10 MB, a fix that could
 * not be written) or a rule crashed, since findings may then be missing; everything else is still
 * linted and reported first. Otherwise 1 when findings remain (with `--diff`: when there is a
 * diff), else 0; `--exit-zero` turns that 1 into 0 but never hides a 2.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep, isAbsolute } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, parseSelectorList, type LoadedConfig } from "../config.js";
import {
  fixSource, LineIndex, lintSource, loadPythonParser, resolveSettings,
  type Diagnostic, type PythonParser, type Rule, type Settings,
} from "../engine/index.js";
import { SUPPRESSION_CODE } from "../engine/suppressions.js";
import { unifiedDiff } from "./diff.js";
import { discover } from "./discover.js";
import type { CliIO } from "./io.js";
import { codeTally, plural, Statistics, textLine, toJson, type JsonDiagnostic } from "./output.js";
import { cannotWrite, decodeSource, DecodeError, encodeSource, MAX_FILE_BYTES, type DecodedSource } from "./source.js";
import { FileChangedError, writeFileAtomically } from "./write.js";

export const CHECK_HELP = `Usage: memhint check [options] [paths...]

Lint Python files for memory waste. Paths default to "."; directories are searched for *.py
files (skipping .git, node_modules, __pycache__, virtualenvs and what .gitignore files ignore);
files named explicitly are always linted. "-" reads the source from stdin.

Options:
  --format text|json     output format (default: text)
  --fix                  apply fixes marked [*] and write the files
  --unsafe-fixes         with --fix or --diff: also apply fixes marked [!]
  --diff                 print the fixes as a unified diff; write nothing
  --select CODES         check only these rule codes or prefixes, comma-separated (MH1,MH202
                         or ALL); replaces the config file's select and ignore
  --ignore CODES         also skip these rule codes or prefixes
  --statistics           print the number of findings per code instead of each finding
  --exit-zero            exit 0 even when findings remain
  --config PATH          use this config file (pyproject.toml or memhint.toml)
  --no-config            ignore config files
  --stdin-filename NAME  read the source from stdin and report it as NAME
  --show-files           print the files that would be checked, and exit
  --show-settings        print the resolved settings as JSON, and exit
  -q, --quiet            print findings only: no summary, no "fixed" lines
  -h, --help             show this help

Exit status: 0 no findings, 1 findings remain (with --diff: there are fixes to show),
2 usage or configuration error, or some file could not be checked.
`;

const OPTIONS = {
  format: { type: "string" },
  fix: { type: "boolean" },
  "unsafe-fixes": { type: "boolean" },
  diff: { type: "boolean" },
  select: { type: "string", multiple: true },
  ignore: { type: "string", multiple: true },
  statistics: { type: "boolean" },
  "exit-zero": { type: "boolean" },
  config: { type: "string" },
  "no-config": { type: "boolean" },
  "stdin-filename": { type: "string" },
  "show-files": { type: "boolean" },
  "show-settings": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CheckOptions {
  paths: string[];
  format: "text" | "json";
  fix: boolean;
  unsafeFixes: boolean;
  diff: boolean;
  select?: string[];
  ignore?: string[];
  statistics: boolean;
  exitZero: boolean;
  config?: string;
  noConfig: boolean;
  /** Read stdin; the name to report it as. */
  stdin: { name: string } | null;
  showFiles: boolean;
  showSettings: boolean;
  quiet: boolean;
  help: boolean;
}

export class UsageError extends Error {}

function splitCodes(values: readonly string[] | undefined, flag: string, knownCodes: readonly string[]): string[] | undefined {
  if (values === undefined) return undefined;
  const items = values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`${flag} needs at least one rule code or prefix`);
  return parseSelectorList(items, knownCodes, (_i, message) => new UsageError(`${flag}: ${message}`));
}

/** Parse `check`'s arguments; throws UsageError with a message for the user. */
export function parseCheckArgs(argv: readonly string[], knownCodes: readonly string[]): CheckOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  const v = parsed.values;
  if (v.help) {
    return { paths: [], format: "text", fix: false, unsafeFixes: false, diff: false, statistics: false, exitZero: false, noConfig: false, stdin: null, showFiles: false, showSettings: false, quiet: false, help: true };
  }
  const format = v.format ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`--format must be "text" or "json", not "${format}"`);
  const paths = parsed.positionals;
  const dash = paths.includes("-");
  let stdin: CheckOptions["stdin"] = null;
  if (dash || v["stdin-filename"] !== undefined) {
    if (paths.some((p) => p !== "-") || paths.length > 1) {
      throw new UsageError(`stdin ("-"${v["stdin-filename"] !== undefined ? " or --stdin-filename" : ""}) cannot be combined with other paths`);
    }
    if (v["stdin-filename"] === "") throw new UsageError("--stdin-filename needs a name");
    stdin = { name: v["stdin-filename"] ?? "-" };
  }
  if (v.fix && v.diff) throw new UsageError("--fix and --diff cannot be combined: --diff shows the fixes without writing them");
  if (v.diff && format === "json") throw new UsageError("--diff prints a unified diff; it cannot be combined with --format json");
  if (v.diff && v.statistics) throw new UsageError("--diff cannot be combined with --statistics");
  if (v.config !== undefined && v["no-config"]) throw new UsageError("--config and --no-config cannot be combined");
  if (v.config === "") throw new UsageError("--config needs a path");
  if ((v["show-files"] || v["show-settings"]) && (v.fix || v.diff)) {
    throw new UsageError(`--${v["show-files"] ? "show-files" : "show-settings"} cannot be combined with --fix or --diff`);
  }
  if (v["show-files"] && v["show-settings"]) throw new UsageError("--show-files and --show-settings cannot be combined");
  return {
    paths: stdin ? [] : paths.length > 0 ? paths : ["."],
    format,
    fix: v.fix ?? false,
    unsafeFixes: v["unsafe-fixes"] ?? false,
    diff: v.diff ?? false,
    select: splitCodes(v.select, "--select", knownCodes),
    ignore: splitCodes(v.ignore, "--ignore", knownCodes),
    statistics: v.statistics ?? false,
    exitZero: v["exit-zero"] ?? false,
    config: v.config,
    noConfig: v["no-config"] ?? false,
    stdin,
    showFiles: v["show-files"] ?? false,
    showSettings: v["show-settings"] ?? false,
    quiet: v.quiet ?? false,
    help: false,
  };
}

/**
 * The rule selection flags over the config file's: `--select` replaces both the file's `select`
 * and its `ignore` (the run checks what was asked for, minus `--ignore`); `--ignore` alone adds
 * to the file's `ignore`.
 */
export function cliSelection(file: Partial<Settings>, options: Pick<CheckOptions, "select" | "ignore">): Partial<Settings> {
  if (options.select) return { select: options.select, ignore: options.ignore ?? [] };
  if (options.ignore) return { ignore: [...(file.ignore ?? []), ...options.ignore] };
  return {};
}

/** How a path is printed: relative to the working directory when inside it, else absolute. */
export function displayPath(cwd: string, absolute: string): string {
  const rel = relative(cwd, absolute);
  if (rel === "") return ".";
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return absolute;
  return rel;
}

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const known: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EISDIR: "is a directory",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
    ELOOP: "too many levels of symbolic links",
  };
  return (code && known[code]) ?? (error instanceof Error ? error.message : String(error));
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}

interface Input {
  /** Absolute path, or null for stdin. */
  path: string | null;
  display: string;
}

/** A decoded input, or why it is skipped (with its bytes when they were read). */
type Loaded = { bytes: Uint8Array; source: DecodedSource } | { skipped: string; bytes?: Uint8Array };

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  // Read it all even when too large: with --fix the input is echoed back unchanged.
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function load(input: Input, io: CliIO): Promise<Loaded> {
  let bytes: Uint8Array;
  if (input.path === null) {
    try {
      bytes = await readAll(io.stdin);
    } catch (error) {
      return { skipped: `cannot read stdin: ${errnoText(error)}` };
    }
  } else {
    try {
      const stat = statSync(input.path);
      if (stat.isFile() && stat.size > MAX_FILE_BYTES) {
        return { skipped: `larger than 10 MB (${stat.size} bytes); memhint does not lint files this large` };
      }
      bytes = readFileSync(input.path);
    } catch (error) {
      return { skipped: `cannot read: ${errnoText(error)}` };
    }
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return { skipped: `larger than 10 MB${input.path === null ? "" : ` (${bytes.length} bytes)`}; memhint does not lint files this large`, bytes };
  }
  try {
    return { bytes, source: decodeSource(bytes) };
  } catch (error) {
    if (error instanceof DecodeError) return { skipped: error.message, bytes };
    throw error;
  }
}

/** Run `memhint check`; returns the exit status. `rules` is the registry (tests pass their own). */
export async function runCheck(argv: readonly string[], io: CliIO, rules: readonly Rule[]): Promise<number> {
  const knownCodes = [SUPPRESSION_CODE, ...rules.map((r) => r.code)].sort();
  let options: CheckOptions;
  try {
    options = parseCheckArgs(argv, knownCodes);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`memhint check: ${error.message}\nRun "memhint check --help" for usage.\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    io.stdout.write(CHECK_HELP);
    return 0;
  }

  // Paths first: a typo in a path is a usage error, reported before anything runs.
  const missing = options.paths.filter((p) => {
    try {
      statSync(resolve(io.cwd, p));
      return false;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === "ENOENT" || code === "ENOTDIR";
    }
  });
  if (missing.length > 0) {
    for (const p of missing) io.stderr.write(`memhint check: ${p}: no such file or directory\n`);
    return 2;
  }

  let startDir = io.cwd;
  if (options.stdin) {
    if (options.stdin.name !== "-") startDir = dirname(resolve(io.cwd, options.stdin.name));
  } else {
    const first = resolve(io.cwd, options.paths[0]);
    startDir = statSync(first).isDirectory() ? first : dirname(first);
  }
  let config: LoadedConfig;
  try {
    config = loadConfig(startDir, { configFile: options.config === undefined ? undefined : resolve(io.cwd, options.config), noConfig: options.noConfig, knownCodes });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`memhint check: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const settings = resolveSettings(config.settings, cliSelection(config.settings, options));

  if (options.showSettings) {
    io.stdout.write(`${JSON.stringify({ configFile: config.path, configRoot: config.root, exclude: config.exclude, settings }, null, 2)}\n`);
    return 0;
  }

  let inputs: Input[];
  let problems = 0;
  const notice = (text: string): void => {
    io.stderr.write(`${text}\n`);
  };
  if (options.stdin) {
    inputs = [{ path: null, display: options.stdin.name }];
  } else {
    const found = discover(options.paths, io.cwd, { exclude: config.exclude, excludeRoot: config.root });
    for (const p of found.missing) notice(`memhint check: ${p}: no such file or directory`); // vanished since checked
    if (found.missing.length > 0) return 2;
    for (const p of found.problems) {
      notice(`${displayPath(io.cwd, p.path)}: skipped: ${p.message}`);
      problems++;
    }
    inputs = found.files.map((path) => ({ path, display: displayPath(io.cwd, path) }));
  }

  if (options.showFiles) {
    for (const input of inputs) io.stdout.write(`${input.display}\n`);
    return problems > 0 ? 2 : 0;
  }
  if (options.unsafeFixes && !options.fix && !options.diff) {
    notice("memhint check: note: --unsafe-fixes does nothing without --fix or --diff");
  }
  if (!options.stdin && inputs.length === 0 && problems === 0) {
    notice("memhint check: warning: no Python files found under the given paths");
  }

  let parser: PythonParser;
  try {
    parser = await loadPythonParser();
  } catch (error) {
    notice(`memhint check: cannot load the Python parser: ${firstLine(error)}`);
    return 2;
  }

  const run = new CheckRun(options, io, rules, settings, parser);
  for (const input of inputs) await run.checkInput(input);
  return run.finish(problems);
}

class CheckRun {
  private readonly stats = new Statistics();
  private readonly json: JsonDiagnostic[] = [];
  /** Where the report goes: stdout, except when stdout carries fixed source or a diff. */
  private readonly report: { write(text: string): unknown };
  private remaining = 0;
  private safeFixable = 0;
  private unsafeFixable = 0;
  private fixed = 0;
  private filesFixed = 0;
  private diffs = 0;
  private problems = 0;
  private crashedRules = new Set<string>();

  constructor(
    private readonly options: CheckOptions,
    private readonly io: CliIO,
    private readonly rules: readonly Rule[],
    private readonly settings: Settings,
    private readonly parser: PythonParser,
  ) {
    const stdoutTaken = options.stdin !== null && options.fix;
    this.report = stdoutTaken ? io.stderr : io.stdout;
  }

  private notice(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  async checkInput(input: Input): Promise<void> {
    const loaded = await load(input, this.io);
    if ("skipped" in loaded) {
      this.notice(`${input.display}: skipped: ${loaded.skipped}`);
      this.problems++;
      // With --fix, stdout carries the (here unchanged) source: an editor replaces its buffer with it.
      if (input.path === null && this.options.fix && loaded.bytes) this.io.stdout.write(loaded.bytes);
      return;
    }
    const { bytes, source } = loaded;
    const text = source.text;
    const linted = lintSource(this.parser, text, this.rules, this.settings);
    const failed = new Set<string>();
    for (const failure of linted.failures) {
      this.notice(`${input.display}: internal error in rule ${failure.code}: ${firstLine(failure.error)}`);
      failed.add(failure.code);
      this.crashedRules.add(failure.code);
    }
    if (linted.hasSyntaxErrors) this.notice(`${input.display}: has syntax errors; findings near them are skipped`);

    let diagnostics: Diagnostic[] = linted.diagnostics;
    let lines: LineIndex = linted.lines;
    let output = text;
    const mode = this.options.fix || this.options.diff;
    if (mode && linted.diagnostics.some((d) => d.fix && (d.fix.safety === "safe" || this.options.unsafeFixes))) {
      const result = fixSource(this.parser, text, this.rules, this.settings, { unsafe: this.options.unsafeFixes, disabled: failed });
      if (result.output !== text && result.applied.length > 0) {
        const refusal = cannotWrite(source, result.output);
        if (refusal !== null) {
          this.notice(`${input.display}: not fixed: ${refusal}`);
        } else if (this.options.diff) {
          const bom = source.bom ? "\ufeff" : "";
          this.io.stdout.write(unifiedDiff(input.display, bom + text, bom + result.output));
          this.diffs++;
          this.fixed += result.applied.length;
          this.filesFixed++;
          output = result.output;
          diagnostics = result.remaining;
          lines = new LineIndex(output);
        } else if (input.path === null) {
          output = result.output;
          diagnostics = result.remaining;
          lines = new LineIndex(output);
          this.recordFixed(input, result.applied);
        } else {
          try {
            writeFileAtomically(input.path, encodeSource(result.output, source.bom), bytes);
            output = result.output;
            diagnostics = result.remaining;
            lines = new LineIndex(output);
            this.recordFixed(input, result.applied);
          } catch (error) {
            const why = error instanceof FileChangedError ? error.message : `cannot write: ${errnoText(error)}`;
            this.notice(`${input.display}: not fixed: ${why}`);
            this.problems++;
          }
        }
      }
    }
    if (input.path === null && this.options.fix) this.io.stdout.write(output === text ? bytes : encodeSource(output, source.bom));
    this.emit(input, diagnostics, lines);
  }

  private recordFixed(input: Input, applied: readonly Diagnostic[]): void {
    this.fixed += applied.length;
    this.filesFixed++;
    if (this.options.quiet) return;
    const line = `${input.display}: fixed ${plural(applied.length, "finding")} (${codeTally(applied)})\n`;
    // In JSON mode stdout carries only the JSON document.
    if (this.options.format === "json" || this.report !== this.io.stdout) this.io.stderr.write(line);
    else this.io.stdout.write(line);
  }

  private emit(input: Input, diagnostics: readonly Diagnostic[], lines: LineIndex): void {
    for (const d of diagnostics) {
      this.remaining++;
      if (d.fix?.safety === "safe") this.safeFixable++;
      else if (d.fix?.safety === "unsafe") this.unsafeFixable++;
      if (this.options.diff) continue;
      if (this.options.statistics) this.stats.add(d);
      else if (this.options.format === "json") this.json.push(toJson(d, input.display, lines));
      else this.report.write(`${textLine(d, input.display, lines)}\n`);
    }
  }

  finish(discoveryProblems: number): number {
    const { options } = this;
    const problems = this.problems + discoveryProblems;
    if (options.diff) {
      if (!options.quiet) {
        const more = !options.unsafeFixes && this.unsafeFixable > 0 ? ` (${this.unsafeFixable} more with --unsafe-fixes)` : "";
        const head = this.fixed > 0
          ? `Would fix ${plural(this.fixed, "finding")} in ${plural(this.filesFixed, "file")}`
          : "No fixes to apply";
        const rest = this.remaining > 0 ? `; ${plural(this.remaining, "finding")} would remain` : "";
        this.io.stderr.write(`${head}${rest}${more}.\n`);
      }
    } else if (options.statistics) {
      if (options.format === "json") this.report.write(`${JSON.stringify(this.stats.rows(), null, 2)}\n`);
      else this.report.write(this.stats.text());
      if (options.format === "text" && !options.quiet) this.report.write(`${this.summary()}\n`);
    } else if (options.format === "json") {
      this.report.write(`${JSON.stringify(this.json, null, 2)}\n`);
    } else if (!options.quiet) {
      this.report.write(`${this.summary()}\n`);
    }
    if (problems > 0 || this.crashedRules.size > 0) {
      const parts: string[] = [];
      if (problems > 0) parts.push(`${plural(problems, "path")} could not be checked or fixed`);
      if (this.crashedRules.size > 0) parts.push(`rule${this.crashedRules.size === 1 ? "" : "s"} ${[...this.crashedRules].sort().join(", ")} crashed`);
      this.notice(`memhint check: ${parts.join(" and ")}; findings may be missing (see above), so the exit status is 2`);
      return 2;
    }
    if (options.exitZero) return 0;
    if (options.diff) return this.diffs > 0 ? 1 : 0;
    return this.remaining > 0 ? 1 : 0;
  }

  private summary(): string {
    const { options } = this;
    if (options.fix) {
      if (this.fixed === 0 && this.remaining === 0) return "All checks passed.";
      const hint = !options.unsafeFixes && this.unsafeFixable > 0 ? `; ${this.unsafeFixable} fixable with --unsafe-fixes` : "";
      return `Found ${plural(this.fixed + this.remaining, "finding")} (${this.fixed} fixed, ${this.remaining} remaining${hint}).`;
    }
    if (this.remaining === 0) return "All checks passed.";
    const parts: string[] = [];
    if (this.safeFixable > 0) parts.push(`${this.safeFixable} fixable with --fix`);
    if (this.unsafeFixable > 0) {
      parts.push(this.safeFixable > 0 ? `${this.unsafeFixable} more with --fix --unsafe-fixes` : `${this.unsafeFixable} fixable with --fix --unsafe-fixes`);
    }
    return `Found ${plural(this.remaining, "finding")}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}.`;
  }
}
