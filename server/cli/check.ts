/**
 * `memhint check`: discovery, configuration, lint or fix each file, print, and the exit status.
 *
 * Exit status: 2 on a usage or configuration error (nothing is linted), and 2 at the end of a run
 * in which some input could not be checked (unreadable, not decodable, over 10 MB, a fix that could
 * not be written) or a rule crashed, since findings may then be missing; everything else is still
 * linted and reported first. Otherwise 1 when findings remain (with `--diff`: when there is a
 * diff), else 0; `--exit-zero` turns that 1 into 0 but never hides a 2.
 */
import { closeSync, existsSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import {
  commandLineOverrides, ConfigError, ConfigResolver, parseSelectorList, perFileIgnoredCodes, withPerFileIgnores, settingFlags, settingsAsConfigKeys, type ConfigOverrides, type LoadedConfig,
} from "../config.js";
import { BUILTIN_CODES, loadPythonParser, resolveSettings, type PythonParser, type Rule, type Settings } from "../engine/index.js";
import { argumentError } from "../args.js";
import { ruleDocsUrl } from "../lsp/links.js";
import { CACHE_DIR_NAME, engineHash, openCacheDir, projectRoot, pruneCache, type CacheConfig } from "./cache.js";
import { discover, type Exclusion } from "./discover.js";
import { COLOURS, NO_COLOURS, renderFull, type Palette } from "./formats/full.js";
import { githubAnnotation } from "./formats/github.js";
import { junitReport, type JunitFile } from "./formats/junit.js";
import { repositoryPath, repositoryRoot } from "./formats/repository.js";
import { sarifLog, type SarifFinding, type SarifRule } from "./formats/sarif.js";
import { ruleRows, version } from "./main.js";
import type { CliIO } from "./io.js";
import { plural, quotePath, Statistics, type JsonDiagnostic } from "./output.js";
import { progressBar } from "./progress.js";
import { firstLine, processFile, reportFromCache, type FileReport, type Input, type ProcessOptions } from "./process.js";
import { MAX_NOTEBOOK_BYTES } from "./notebook.js";
import { isNotebookPath } from "../notebook.js";
import { MAX_FILE_BYTES } from "./source.js";
import { cleanUpAfterInterrupt, closeWriteGate, newWriteGate, useWriteGate } from "./write.js";
import type { WorkerData, WorkerRequest } from "./worker.js";

export const CHECK_HELP = `Usage: memhint check [options] [paths...]

Lint Python files and Jupyter notebooks for memory waste. Paths default to "."; directories
are searched for *.py and *.ipynb files (skipping .git, node_modules, __pycache__, virtualenvs
and what .gitignore files ignore); files named explicitly are always linted. "-" reads the
source from stdin.

Options:
  --output-format FORMAT full, concise, json, json-lines, sarif, github or junit (default:
                         full when stdout is a terminal, else concise); --format is an alias
  --output-file PATH     write the report to PATH instead of stdout
  --fix                  apply fixes marked [*] and write the files
  --unsafe-fixes         with --fix or --diff: also apply fixes marked [!]
  --allow-read-only      with --fix: also write files that have no write permission bit
  --diff                 print the fixes as a unified diff; write nothing
  --add-noqa             add a "# noqa: MHxxx" comment (or extend the line's suppression
                         comment) for every finding: a baseline for an existing code base
  --select CODES         check only these rule codes or prefixes, comma-separated (MH1,MH202
                         or ALL); replaces the config file's select and ignore
  --ignore CODES         also skip these rule codes or prefixes
  --statistics           print the number of findings per code instead of each finding
  --exit-zero            exit 0 even when findings remain
  --config PATH          use this config file for every path (pyproject.toml or memhint.toml);
                         by default each file uses the nearest one above it
  --config "KEY = VALUE" set any config key, in TOML, over the config files (repeatable):
                         --config "min-size-bytes = 4096"
  --no-config            ignore config files
  --no-cache             lint every file again: neither read nor write .memhint_cache/
  --stdin-filename NAME  read the source from stdin and report it as NAME
  --jobs N               check on N threads (default: one per CPU, up to 8, for 16+ files)
  --show-files           print the files that would be checked, and exit
  --show-settings        print the settings of the first path (a file or folder) as JSON,
                         under the config file's names, and exit
  -q, --quiet            print findings only: no summary, no "fixed" lines
  -h, --help             show this help

Settings: each sets the config key of the same name, over the config files. Lists are
comma-separated; every flag but a boolean can be repeated.
${settingsHelp()}
Exit status: 0 no findings, 1 findings remain (with --diff: there are fixes to show),
2 usage or configuration error, or findings may be missing: some file could not be read,
decoded or fixed (said on stderr; the other files are still checked), or a rule crashed.
`;

/** The help lines of the setting flags, made from the config key table (server/config.ts). */
function settingsHelp(): string {
  return settingFlags().map((f) => {
    const name = f.value === null ? `--[no-]${f.name}` : `--${f.name} ${f.value}`;
    return name.length <= 22 ? `  ${name.padEnd(22)} ${f.help}\n` : `  ${name}\n  ${"".padEnd(22)} ${f.help}\n`;
  }).join("");
}

/** parseArgs options of the setting flags: a boolean and its --no- form, or a repeatable string. */
type OptionSpec = { type: "string" | "boolean"; multiple?: boolean };
const SETTING_OPTIONS: Record<string, OptionSpec> = Object.fromEntries(
  settingFlags().flatMap((f): Array<[string, OptionSpec]> => (f.value === null
    ? [[f.name, { type: "boolean" }], [`no-${f.name}`, { type: "boolean" }]]
    : [[f.name, { type: "string", multiple: true }]])),
);

const OPTIONS = {
  format: { type: "string" },
  "output-format": { type: "string" },
  "output-file": { type: "string" },
  fix: { type: "boolean" },
  "unsafe-fixes": { type: "boolean" },
  "allow-read-only": { type: "boolean" },
  diff: { type: "boolean" },
  "add-noqa": { type: "boolean" },
  select: { type: "string", multiple: true },
  ignore: { type: "string", multiple: true },
  statistics: { type: "boolean" },
  "exit-zero": { type: "boolean" },
  config: { type: "string", multiple: true },
  "no-config": { type: "boolean" },
  "no-cache": { type: "boolean" },
  "stdin-filename": { type: "string" },
  jobs: { type: "string" },
  "show-files": { type: "boolean" },
  "show-settings": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

/** `text` is the old name of `concise`. */
export const OUTPUT_FORMATS = ["full", "concise", "json", "json-lines", "sarif", "github", "junit"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface CheckOptions {
  paths: string[];
  /** null: full when the report goes to a terminal, else concise (runCheck decides). */
  format: OutputFormat | null;
  outputFile?: string;
  fix: boolean;
  unsafeFixes: boolean;
  allowReadOnly: boolean;
  diff: boolean;
  /** Write a suppression comment for every finding (--add-noqa). */
  addNoqa?: boolean;
  select?: string[];
  ignore?: string[];
  statistics: boolean;
  exitZero: boolean;
  /** --config PATH. */
  config?: string;
  /** The setting flags and --config "KEY = VALUE" pairs. */
  overrides?: ConfigOverrides;
  noConfig: boolean;
  /** --no-cache: lint every file, keep nothing. */
  noCache: boolean;
  /** Read stdin; the name to report it as. */
  stdin: { name: string } | null;
  /** Threads; undefined: decide from the CPU and file counts. */
  jobs?: number;
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
export function parseCheckArgs(argv: readonly string[], knownCodes: readonly string[], cwd: string): CheckOptions {
  let parsed;
  const options = { ...OPTIONS, ...SETTING_OPTIONS } as typeof OPTIONS;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(argumentError(error, options));
  }
  const v = parsed.values;
  if (v.help) {
    return { paths: [], format: null, fix: false, unsafeFixes: false, allowReadOnly: false, diff: false, statistics: false, exitZero: false, noConfig: false, noCache: false, stdin: null, showFiles: false, showSettings: false, quiet: false, help: true };
  }
  const format = outputFormat(v.format, v["output-format"]);
  if (v["output-file"] === "") throw new UsageError("--output-file needs a path");
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
  if (v["add-noqa"] && (v.fix || v.diff)) throw new UsageError(`--add-noqa cannot be combined with --${v.fix ? "fix" : "diff"}`);
  if (v["add-noqa"] && stdin) throw new UsageError("--add-noqa writes files; it cannot read stdin");
  if (v.fix && v.diff) throw new UsageError("--fix and --diff cannot be combined: --diff shows the fixes without writing them");
  if (v.diff && format !== null && format !== "full" && format !== "concise") {
    throw new UsageError(`--diff prints a unified diff; it cannot be combined with --output-format ${format}`);
  }
  if (v.statistics && format !== null && format !== "full" && format !== "concise" && format !== "json") {
    throw new UsageError(`--statistics prints text or JSON; it cannot be combined with --output-format ${format}`);
  }
  if (v.diff && v.statistics) throw new UsageError("--diff cannot be combined with --statistics");
  // `--config` is a file, or a TOML `key = value` pair when it holds "=" and names no file (as in ruff).
  const isPair = (value: string): boolean => value.includes("=") && !existsSync(resolve(cwd, value));
  const configFiles = (v.config ?? []).filter((c) => !isPair(c));
  if (configFiles.includes("")) throw new UsageError("--config needs a path");
  if (configFiles.length > 1) throw new UsageError(`--config names one config file, not several ("${configFiles[0]}" and "${configFiles[1]}")`);
  if (configFiles.length > 0 && v["no-config"]) throw new UsageError("--config and --no-config cannot be combined");
  let overrides: ConfigOverrides | null;
  try {
    overrides = commandLineOverrides(parsed.values, (v.config ?? []).filter(isPair), cwd, { knownCodes });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.source === "command line" ? error.detail : error.message);
    throw error;
  }
  if ((v["show-files"] || v["show-settings"]) && (v.fix || v.diff)) {
    throw new UsageError(`--${v["show-files"] ? "show-files" : "show-settings"} cannot be combined with --fix or --diff`);
  }
  if (v["show-files"] && v["show-settings"]) throw new UsageError("--show-files and --show-settings cannot be combined");
  let jobs: number | undefined;
  if (v.jobs !== undefined) {
    jobs = /^[0-9]+$/.test(v.jobs) ? Number(v.jobs) : NaN;
    if (!(jobs >= 1 && jobs <= 64)) throw new UsageError(`--jobs must be a whole number from 1 to 64, not "${v.jobs}"`);
  }
  return {
    paths: stdin ? [] : paths.length > 0 ? paths : ["."],
    format,
    outputFile: v["output-file"],
    fix: v.fix ?? false,
    unsafeFixes: v["unsafe-fixes"] ?? false,
    allowReadOnly: v["allow-read-only"] ?? false,
    diff: v.diff ?? false,
    addNoqa: v["add-noqa"] ?? false,
    select: splitCodes(v.select, "--select", knownCodes),
    ignore: splitCodes(v.ignore, "--ignore", knownCodes),
    statistics: v.statistics ?? false,
    exitZero: v["exit-zero"] ?? false,
    config: configFiles[0],
    overrides: overrides ?? undefined,
    noConfig: v["no-config"] ?? false,
    noCache: v["no-cache"] ?? false,
    stdin,
    jobs,
    showFiles: v["show-files"] ?? false,
    showSettings: v["show-settings"] ?? false,
    quiet: v.quiet ?? false,
    help: false,
  };
}

/** `--output-format`, or its alias `--format` (also `text`, the old name of `concise`); null when neither is given. */
function outputFormat(alias: string | undefined, value: string | undefined): OutputFormat | null {
  const flag = value !== undefined ? "--output-format" : "--format";
  if (alias !== undefined && value !== undefined && alias !== value) {
    throw new UsageError(`--format is another name for --output-format; they cannot differ ("${alias}" and "${value}")`);
  }
  const given = value ?? alias;
  if (given === undefined) return null;
  if (given === "text") return "concise";
  if ((OUTPUT_FORMATS as readonly string[]).includes(given)) return given as OutputFormat;
  throw new UsageError(`${flag} must be one of ${OUTPUT_FORMATS.join(", ")}, not "${given}"`);
}

/**
 * The rule selection flags over the config file's: `--select` replaces both the file's `select`
 * and its `ignore` (the run checks what was asked for, minus `--ignore`); `--ignore` alone adds
 * to the file's `ignore`.
 */
export function cliSelection(file: Partial<Settings>, options: Pick<CheckOptions, "select" | "ignore" | "overrides">): Partial<Settings> {
  // `--select X --extend-select Y` checks both, as in ruff.
  if (options.select) return { select: [...options.select, ...(options.overrides?.values.extendSelect ?? [])], ignore: options.ignore ?? [] };
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

/** The whole of `stream`, or null when it holds more than `maxBytes` (reading stops there). */
async function readAtMost(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(bytes);
    total += bytes.length;
    if (total > maxBytes) {
      // Stop reading: the writer gets EPIPE instead of filling our memory.
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return null;
    }
  }
  return Buffer.concat(chunks, total);
}

/** Worker threads to use: `--jobs`, or one per CPU (up to 8) when there are enough files to pay for them. */
function workerCount(options: CheckOptions, files: number): number {
  if (options.jobs !== undefined) return options.jobs > 1 && files > 1 ? Math.min(options.jobs, files) : 0;
  const cpus = Math.min(availableParallelism(), 8);
  return cpus > 1 && files >= 16 ? cpus : 0;
}

/**
 * Check `inputs` on `jobs` worker threads, calling `onReport` with each report in input order.
 * Each worker keeps two inputs in flight so it never waits for the main thread. After an
 * interrupt no more inputs are sent; the reports of those in flight are still printed. Resolves
 * with the number of inputs sent to workers.
 */
function checkInWorkers(
  inputs: ReadonlyArray<{ input: Input; settings: Settings }>, jobs: number, data: WorkerData, onReport: (report: FileReport) => void, interrupt: Interrupt | null,
): Promise<number> {
  const url = new URL("./worker.js", import.meta.url);
  return new Promise((resolvePromise, reject) => {
    const waiting = new Map<number, FileReport>();
    const workers: Worker[] = [];
    let next = 0;
    let printed = 0;
    let received = 0;
    let done = false;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      for (const worker of workers) void worker.terminate();
      if (error === undefined) resolvePromise(next);
      else reject(error);
    };
    const stopped = (): boolean => interrupt?.signal != null;
    /** In input order. After an interrupt, once every input sent has come back, the inputs never sent leave gaps to skip. */
    const flush = (): void => {
      const last = stopped() && received === next;
      for (;;) {
        let r = waiting.get(printed);
        if (r === undefined && last && waiting.size > 0) {
          printed = Math.min(...waiting.keys());
          r = waiting.get(printed);
        }
        if (r === undefined) break;
        waiting.delete(printed);
        printed++;
        onReport(r);
      }
    };
    const settle = (): void => {
      if (received === inputs.length || (stopped() && received === next)) finish();
    };
    if (interrupt) interrupt.onStop = () => {
      if (done) return;
      try {
        flush();
      } catch (error) {
        finish(error);
        return;
      }
      settle();
    };
    const feed = (worker: Worker): void => {
      if (next >= inputs.length || stopped()) return;
      const request: WorkerRequest = { index: next, ...inputs[next] };
      next++;
      worker.postMessage(request);
    };
    for (let i = 0; i < jobs; i++) {
      const worker = new Worker(url, { workerData: data });
      workers.push(worker);
      worker.on("message", ({ index, report }: { index: number; report: FileReport }) => {
        if (done) return;
        waiting.set(index, report);
        received++;
        try {
          flush();
        } catch (error) {
          finish(error);
          return;
        }
        settle();
        if (!done) feed(worker);
      });
      worker.on("error", (error) => finish(new Error(`a worker thread failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)));
      worker.on("exit", (code) => {
        if (!done) finish(new Error(`a worker thread stopped (exit code ${code}) before the check was done`));
      });
      feed(worker);
      feed(worker);
    }
  });
}

/** Run `memhint check`; returns the exit status. `rules` is the registry (tests pass their own). */
export async function runCheck(argv: readonly string[], io: CliIO, rules: readonly Rule[]): Promise<number> {
  const startedAt = performance.now();
  const knownCodes = [...BUILTIN_CODES, ...rules.map((r) => r.code)].sort();
  let options: CheckOptions;
  try {
    options = parseCheckArgs(argv, knownCodes, io.cwd);
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
    for (const p of missing) io.stderr.write(`memhint check: ${quotePath(p)}: no such file or directory\n`);
    return 2;
  }

  let startDir = io.cwd;
  if (options.stdin) {
    if (options.stdin.name !== "-") startDir = dirname(resolve(io.cwd, options.stdin.name));
  } else {
    // A path that cannot be stat'ed (a link loop, an unreadable folder) is reported by discovery.
    const first = resolve(io.cwd, options.paths[0]);
    startDir = isDirectory(first) ? first : dirname(first);
  }
  let configs: ConfigResolver;
  let startConfig: LoadedConfig;
  try {
    configs = new ConfigResolver(fallbackRoot(startDir, io.cwd), { configFile: options.config === undefined ? undefined : resolve(io.cwd, options.config), noConfig: options.noConfig, overrides: options.overrides, knownCodes });
    startConfig = configs.forDirectory(startDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`memhint check: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const settingsByConfig = new Map<LoadedConfig, Settings>();
  /** The settings for a file: its config's, the command line's over them, and its per-file-ignores. */
  const settingsFor = (config: LoadedConfig, path: string): Settings => {
    let base = settingsByConfig.get(config);
    if (!base) {
      base = resolveSettings(config.settings, cliSelection(config.settings, options));
      settingsByConfig.set(config, base);
    }
    return withPerFileIgnores(base, perFileIgnoredCodes(config, resolve(io.cwd, path)));
  };

  if (options.showSettings) {
    const target = resolve(io.cwd, options.stdin ? options.stdin.name : options.paths[0]);
    const targetIsDir = !options.stdin && isDirectory(target);
    let config: LoadedConfig;
    try {
      config = targetIsDir ? configs.forDirectory(target) : configs.forPath(target);
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr.write(`memhint check: configuration error: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    printSkipped(io, configs);
    const settings = settingsFor(config, target);
    return printShown(io, options, `${JSON.stringify(shownSettings(target, config, settings, rules), null, 2)}\n`, 0);
  }

  let inputs: Array<{ input: Input; settings: Settings }>;
  let problems = 0;
  const notice = (text: string): void => {
    io.stderr.write(`${text}\n`);
  };
  const inputFor = (config: LoadedConfig, path: string | null, name: string): { input: Input; settings: Settings } => ({
    input: { path, name, display: quotePath(name), projectPath: projectPath(config.root, io.cwd, path ?? name) },
    settings: settingsFor(config, path ?? name),
  });
  try {
    if (options.stdin) {
      inputs = [inputFor(startConfig, null, options.stdin.name)];
    } else {
      const exclusions = new WeakMap<LoadedConfig, Exclusion>();
      const found = discover(options.paths, io.cwd, {
        exclusionFor: (dir) => {
          const config = configs.forDirectory(dir);
          let exclusion = exclusions.get(config);
          // Without a config file, the excludes are relative to the current folder, as in ruff (for
          // folders under it; patterns from the command line always): `--force-exclude
          // node_modules/x.py` is then excluded by the default `node_modules`.
          const commandLinePatterns = !!(options.overrides?.values.exclude || options.overrides?.values.extendExclude);
          const underCwd = !relative(io.cwd, dir).startsWith("..") && !isAbsolute(relative(io.cwd, dir));
          const excludeRoot = config.path === null && (commandLinePatterns || underCwd) ? io.cwd : config.root;
          if (!exclusion) exclusions.set(config, (exclusion = { exclude: config.exclude, excludeRoot, forceExclude: config.forceExclude }));
          return exclusion;
        },
      });
      for (const p of found.missing) notice(`memhint check: ${quotePath(p)}: no such file or directory`); // vanished since checked
      if (found.missing.length > 0) return 2;
      for (const p of found.problems) {
        notice(`${quotePath(displayPath(io.cwd, p.path))}: ${p.notice ? "" : "skipped: "}${p.message}`);
        if (!p.notice) problems++;
      }
      inputs = found.files.map((path) => inputFor(configs.forPath(path), path, displayPath(io.cwd, path)));
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      notice(`memhint check: configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  printSkipped(io, configs);

  if (options.showFiles) {
    return printShown(io, options, inputs.map(({ input }) => `${input.display}\n`).join(""), problems > 0 ? 2 : 0);
  }
  if (options.unsafeFixes && !options.fix && !options.diff) {
    notice("memhint check: note: --unsafe-fixes does nothing without --fix or --diff");
  }
  if (options.allowReadOnly && !options.fix) {
    notice("memhint check: note: --allow-read-only does nothing without --fix");
  }
  if (!options.stdin && inputs.length === 0 && problems === 0) {
    notice("memhint check: warning: no Python files found under the given paths");
  }

  let output: ReportOutput;
  try {
    output = openReportOutput(options, io);
  } catch (error) {
    notice(`memhint check: cannot write the report to ${quotePath(options.outputFile ?? "")}: ${firstLine(error)}`);
    return 2;
  }
  const printer = new Printer(options, io, output, {
    startedAt,
    rules: ruleRows(rules).map((r) => ({ code: r.code, name: r.name, severity: r.severity, what: r.docs.what, helpUri: ruleDocsUrl(r.code) })),
    version: version(),
  });
  const cache = await cacheFor(options, rules, startConfig.path, startDir, inputs.length, io.cwd, notice);
  const processOptions: ProcessOptions = {
    fix: options.fix, diff: options.diff, unsafeFixes: options.unsafeFixes, allowReadOnly: options.allowReadOnly, addNoqa: options.addNoqa ?? false, cache,
  };
  // A run that writes files stops between files on SIGINT or SIGTERM, never in the middle of a write.
  const interrupt = (options.fix || options.addNoqa) && !options.stdin ? new Interrupt(notice) : null;
  let started = 0;
  const inputCount = inputs.length;
  const progress = progressBar(io, inputs.length);
  const add = (report: FileReport): void => {
    progress.clear();
    printer.add(report);
    progress.advance();
  };
  // Files whose lint is cached are reported here, up to the first that is not: a run with
  // nothing changed needs neither the parser nor worker threads.
  if (cache !== null) {
    for (const { input, settings } of inputs) {
      const report = reportFromCache(input, processOptions, settings);
      if (report === null) break;
      add(report);
      started++;
    }
    inputs = inputs.slice(started);
  }
  try {
    const jobs = existsSync(fileURLToPath(new URL("./worker.js", import.meta.url))) ? workerCount(options, inputs.length) : 0;
    if (jobs > 0) {
      started += await checkInWorkers(inputs, jobs, { options: processOptions, writeGate: interrupt?.gate ?? null }, add, interrupt);
    } else if (inputs.length > 0) {
      let parser: PythonParser;
      try {
        parser = await loadPythonParser();
      } catch (error) {
        notice(`memhint check: cannot load the Python parser: ${firstLine(error)}`);
        return 2;
      }
      for (const { input, settings } of inputs) {
        if (interrupt) {
          await new Promise((resolveTurn) => setImmediate(resolveTurn)); // let a signal be handled
          if (interrupt.signal) break;
        }
        started++;
        let stdinBytes: Uint8Array | null = null;
        if (input.path === null) {
          // A notebook's outputs (images) make it large; its code is still held to MAX_FILE_BYTES.
          const stdinLimit = isNotebookPath(input.name) ? MAX_NOTEBOOK_BYTES : MAX_FILE_BYTES;
          let read: Buffer | null;
          try {
            read = await readAtMost(io.stdin, stdinLimit);
          } catch (error) {
            notice(`${input.display}: skipped: cannot read stdin: ${firstLine(error)}`);
            problems++;
            continue;
          }
          if (read === null) {
            notice(`${input.display}: skipped: the input on stdin is larger than ${stdinLimit / (1024 * 1024)} MB; memhint does not lint input this large`);
            problems++;
            continue;
          }
          stdinBytes = read;
        }
        add(processFile(input, stdinBytes, processOptions, parser, rules, settings));
      }
    }
  } finally {
    progress.clear();
    interrupt?.dispose();
  }
  if (interrupt?.signal) {
    output.close(printer.finish(problems));
    notice(`memhint check: interrupted by ${interrupt.signal}; ${plural(inputCount - started, "file")} not checked`);
    return interrupt.signal === "SIGINT" ? 130 : 143;
  }
  if (cache !== null) pruneCache(cache.dir);
  return output.close(printer.finish(problems));
}

/** What --show-files or --show-settings prints, to stdout or to --output-file; returns `status`, or 2 when the file cannot be written. */
function printShown(io: CliIO, options: CheckOptions, text: string, status: number): number {
  if (options.outputFile === undefined) {
    io.stdout.write(text);
    return status;
  }
  try {
    writeFileSync(resolve(io.cwd, options.outputFile), text);
  } catch (error) {
    io.stderr.write(`memhint check: cannot write the report to ${quotePath(options.outputFile)}: ${firstLine(error)}\n`);
    return 2;
  }
  return status;
}

/** Tell the user about config files passed over (not regular files), each once. */
function printSkipped(io: CliIO, configs: ConfigResolver): void {
  const told = new Set<string>();
  for (const skipped of configs.skipped) {
    if (told.has(skipped.path)) continue;
    told.add(skipped.path);
    io.stderr.write(`memhint check: warning: ${quotePath(displayPath(io.cwd, skipped.path))}: config file skipped: ${skipped.reason}\n`);
  }
}

/** What --show-settings prints for `target`: the config files used and the settings, named as in a config file. */
function shownSettings(target: string, config: LoadedConfig, settings: Settings, rules: readonly Rule[]): Record<string, unknown> {
  const defaultCodes = [...BUILTIN_CODES, ...rules.filter((r) => !r.optIn).map((r) => r.code)].sort();
  return {
    path: target,
    "config-file": config.path,
    "extended-files": config.files.slice(1),
    "config-root": config.root,
    settings: settingsAsConfigKeys(settings, config, defaultCodes),
  };
}

/**
 * The cache a run uses (server/cli/cache.ts): read and written by plain checks of files; not with
 * --fix or --diff (which must see the files as they are, and would mostly store entries for
 * content about to change), stdin, --no-cache, or a rule registry other than memhint's own
 * (tests pass theirs, which the engine hash knows nothing of).
 */
async function cacheFor(
  options: CheckOptions, rules: readonly Rule[], configPath: string | null, startDir: string, files: number, cwd: string, notice: (text: string) => void,
): Promise<CacheConfig | null> {
  if (options.noCache || options.fix || options.diff || options.addNoqa || options.stdin || files === 0) return null;
  if (rules !== (await import("../../rules/index.js")).allRules) return null;
  const root = projectRoot(configPath, startDir, cwd);
  const opened = openCacheDir(root);
  if (opened.dir === null) {
    if (opened.why !== null) notice(`memhint check: warning: ${quotePath(displayPath(cwd, join(root, CACHE_DIR_NAME)))} ${opened.why}; the cache is not used`);
    return null;
  }
  return { dir: opened.dir, engine: engineHash() };
}

/**
 * The project root where no config file is found: the nearest folder holding `.git`, else the
 * current folder when the paths are under it, else the first path's folder. So `memhint check sub`
 * and `memhint check .` see `sub/tests/x.py` at the same project path (test code, cache keys,
 * fingerprints), as the cache's own root does.
 */
function fallbackRoot(startDir: string, cwd: string): string {
  const rel = relative(cwd, startDir);
  const underCwd = !rel.startsWith("..") && !isAbsolute(rel);
  return repositoryRoot(startDir, underCwd ? cwd : startDir);
}

/**
 * A file's path inside the project, for the facts that read it (a folder named `tests` makes
 * test code): relative to the project root, else to the working directory, else its name alone
 * (so that folders above the project never count).
 */
export function projectPath(root: string, cwd: string, path: string): string {
  const inside = (base: string): string | null => {
    const rel = relative(base, resolve(cwd, path));
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? null : rel;
  };
  return (inside(root) ?? inside(cwd) ?? basename(path)).split(sep).join("/");
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * SIGINT and SIGTERM while `--fix` writes files. The first signal stops the run after the files
 * in progress (each is linted and written in one synchronous step, so no write is cut short).
 * A second one exits at once, after waiting for writes in progress on worker threads (through a
 * gate shared with them, server/cli/write.ts).
 */
class Interrupt {
  signal: NodeJS.Signals | null = null;
  readonly gate = newWriteGate();
  onStop: (() => void) | null = null;
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.signal === null) {
      this.signal = signal;
      this.notice(`memhint check: ${signal} received: finishing the files in progress (send it again to stop at once)`);
      this.onStop?.();
      return;
    }
    closeWriteGate(this.gate);
    cleanUpAfterInterrupt();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };

  constructor(private readonly notice: (text: string) => void) {
    useWriteGate(this.gate);
    process.on("SIGINT", this.handler);
    process.on("SIGTERM", this.handler);
  }

  dispose(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }
}

/** Where the report goes, in which format, and whether in colour. */
interface ReportOutput {
  format: OutputFormat;
  colour: boolean;
  sink: { write(text: string): unknown };
  /** Closes the --output-file; returns `status`, or 2 when the file could not be written. */
  close(status: number): number;
}

/**
 * The report's destination: `--output-file`, else stdout (stderr for stdin with `--fix`, where
 * stdout carries the fixed source). The format defaults to full when that is a terminal and to
 * concise otherwise, so pipes, scripts and CI logs keep the one-line form; colour only in full,
 * only on a terminal, and never with NO_COLOR set.
 */
function openReportOutput(options: CheckOptions, io: CliIO): ReportOutput {
  const env = io.env ?? process.env;
  if (options.outputFile === undefined) {
    const stream = options.stdin !== null && options.fix ? io.stderr : io.stdout;
    const terminal = stream.isTTY === true;
    const format = options.format ?? (terminal ? "full" : "concise");
    return { format, colour: format === "full" && terminal && !env.NO_COLOR, sink: stream, close: (status) => status };
  }
  const path = resolve(io.cwd, options.outputFile);
  const fd = openSync(path, "w");
  let failure: unknown = null;
  return {
    format: options.format ?? "concise",
    colour: false,
    sink: {
      write(text: string) {
        if (failure !== null) return;
        try {
          writeSync(fd, text);
        } catch (error) {
          failure = error;
        }
      },
    },
    close(status) {
      try {
        closeSync(fd);
      } catch (error) {
        failure ??= error;
      }
      if (failure === null) return status;
      io.stderr.write(`memhint check: cannot write the report to ${quotePath(options.outputFile ?? "")}: ${firstLine(failure)}\n`);
      return 2;
    },
  };
}

interface PrinterContext {
  startedAt: number;
  rules: SarifRule[];
  version: string;
}

/** Prints reports as they come, in input order, and the summary; decides the exit status. */
class Printer {
  private readonly stats = new Statistics();
  private readonly json: JsonDiagnostic[] = [];
  private readonly sarif: SarifFinding[] = [];
  private readonly junit: JunitFile[] = [];
  private readonly format: OutputFormat;
  /** Formats whose stdout is one document or a stream of records: notes go to stderr. */
  private readonly machine: boolean;
  private readonly report: { write(text: string): unknown };
  private readonly palette: Palette;
  private readonly root: string;
  private remaining = 0;
  private safeFixable = 0;
  private unsafeFixable = 0;
  private fixed = 0;
  private filesFixed = 0;
  private diffs = 0;
  private problems = 0;
  /** Inputs read and linted. */
  private linted = 0;
  /** Inputs with syntax errors, in which findings were skipped. */
  private partial = 0;
  private readonly crashedRules = new Set<string>();

  constructor(private readonly options: CheckOptions, private readonly io: CliIO, output: ReportOutput, private readonly context: PrinterContext) {
    this.format = output.format;
    this.machine = this.format !== "full" && this.format !== "concise";
    this.report = output.sink;
    this.palette = output.colour ? COLOURS : NO_COLOURS;
    this.root = this.format === "sarif" || this.format === "github" ? repositoryRoot(io.cwd) : io.cwd;
  }

  add(file: FileReport): void {
    const { options, io } = this;
    for (const line of file.notices) io.stderr.write(`${line}\n`);
    if (file.problem) this.problems++;
    if (file.linted) this.linted++;
    if (file.partial) this.partial++;
    for (const code of file.crashed) this.crashedRules.add(code);
    if (file.fixedCount > 0) {
      this.fixed += file.fixedCount;
      this.filesFixed++;
    }
    if (file.diff !== "") {
      this.report.write(file.diff);
      this.diffs++;
    }
    if (file.fixedLine !== null && !options.quiet) {
      // Machine formats keep the report a pure document.
      (this.machine ? io.stderr : this.report).write(`${file.fixedLine}\n`);
    }
    if (file.output !== null) io.stdout.write(file.output);
    if (this.format === "junit" && !options.statistics) {
      const error = file.problem && !file.linted ? (file.notices[0] ?? "could not be checked").replace(/^.*?: skipped: /, "") : null;
      if (file.linted || error !== null) this.junit.push({ display: file.display, findings: file.findings.map((f) => f.json), error });
    }
    for (const f of file.findings) {
      this.remaining++;
      if (f.safety === "safe") this.safeFixable++;
      else if (f.safety === "unsafe") this.unsafeFixable++;
      if (options.diff) continue;
      if (options.statistics) {
        this.stats.add(f);
        continue;
      }
      switch (this.format) {
        case "concise":
          this.report.write(`${f.text}\n`);
          break;
        case "full":
          this.report.write(renderFull(f.json, f.display ?? file.display, f.frame, this.palette));
          break;
        case "json":
          this.json.push(f.json);
          break;
        case "json-lines":
          this.report.write(`${JSON.stringify(f.json)}\n`);
          break;
        case "sarif":
          this.sarif.push({ json: f.json, fingerprint: f.fingerprint });
          break;
        case "github":
          this.report.write(githubAnnotation(f.json, repositoryPath(this.root, this.io.cwd, f.json.path) ?? resolve(this.io.cwd, f.json.path)));
          break;
        case "junit":
          break; // written whole at the end
      }
    }
  }

  finish(discoveryProblems: number): number {
    const { options } = this;
    const problems = this.problems + discoveryProblems;
    // Nothing could be checked: stderr says why, and stdout stays empty.
    const summarize = !options.quiet && (this.linted > 0 || problems === 0);
    const text = this.format === "full" || this.format === "concise";
    if (options.diff) {
      if (summarize) {
        const more = !options.unsafeFixes && this.unsafeFixable > 0 ? ` (${this.unsafeFixable} more with --unsafe-fixes)` : "";
        const head = this.fixed > 0
          ? `Would fix ${plural(this.fixed, "finding")} in ${plural(this.filesFixed, "file")}`
          : "No fixes to apply";
        const rest = this.remaining > 0 ? `; ${plural(this.remaining, "finding")} would remain` : "";
        this.io.stderr.write(`${head}${rest}${more}.\n`);
      }
    } else if (options.statistics) {
      if (this.format === "json") this.report.write(`${JSON.stringify(this.stats.rows(), null, 2)}\n`);
      else this.report.write(this.stats.text());
      if (text && summarize) this.report.write(this.summary(problems));
    } else if (this.format === "json") {
      this.report.write(`${JSON.stringify(this.json, null, 2)}\n`);
    } else if (this.format === "sarif") {
      const log = sarifLog({
        rules: this.context.rules, findings: this.sarif, version: this.context.version, cwd: this.io.cwd, root: this.root,
        executionSuccessful: problems === 0 && this.crashedRules.size === 0,
      });
      this.report.write(`${JSON.stringify(log, null, 2)}\n`);
    } else if (this.format === "junit") {
      this.report.write(junitReport(this.junit, this.seconds()));
    } else if (text && summarize) {
      this.report.write(this.summary(problems));
    }
    if (problems > 0 || this.crashedRules.size > 0) {
      const parts: string[] = [];
      if (problems > 0) parts.push(`${plural(problems, "path")} could not be checked or fixed`);
      if (this.crashedRules.size > 0) parts.push(`rule${this.crashedRules.size === 1 ? "" : "s"} ${[...this.crashedRules].sort().join(", ")} crashed`);
      this.io.stderr.write(`memhint check: ${parts.join(" and ")}; findings may be missing (see above), so the exit status is 2\n`);
      return 2;
    }
    if (options.exitZero) return 0;
    if (options.diff) return this.diffs > 0 ? 1 : 0;
    return this.remaining > 0 ? 1 : 0;
  }

  private seconds(): number {
    return (performance.now() - this.context.startedAt) / 1000;
  }

  /**
   * The end of text output. Concise keeps its single line, the same on every run (scripts and
   * tests compare it); full adds the files checked and the time taken.
   */
  private summary(problems: number): string {
    const line = `${this.summaryLine(problems)}\n`;
    if (this.format !== "full") return line;
    return `${line}Checked ${plural(this.linted, "file")} in ${this.seconds().toFixed(2)}s.\n`;
  }

  /** "All checks passed." only when every input was fully checked. */
  private summaryLine(problems: number): string {
    const { options } = this;
    const clean = problems > 0 || this.partial > 0 || this.crashedRules.size > 0 ? "No findings in what could be checked." : "All checks passed.";
    if (options.fix) {
      if (this.fixed === 0 && this.remaining === 0) return clean;
      const hint = !options.unsafeFixes && this.unsafeFixable > 0 ? `; ${this.unsafeFixable} fixable with --unsafe-fixes` : "";
      return `Found ${plural(this.fixed + this.remaining, "finding")} (${this.fixed} fixed, ${this.remaining} remaining${hint}).`;
    }
    if (this.remaining === 0) return clean;
    const parts: string[] = [];
    if (this.safeFixable > 0) parts.push(`${this.safeFixable} fixable with --fix`);
    if (this.unsafeFixable > 0) {
      parts.push(this.safeFixable > 0 ? `${this.unsafeFixable} more with --fix --unsafe-fixes` : `${this.unsafeFixable} fixable with --fix --unsafe-fixes`);
    }
    return `Found ${plural(this.remaining, "finding")}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}.`;
  }
}
