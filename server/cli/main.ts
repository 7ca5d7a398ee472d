/**
 * The `memhint` command: `check`, `rules`, `rule`, `lsp`, `--version`, `--help`.
 * `bin/memhint.js` calls `cli()`; tests call `run()` with their own streams and rules.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { argumentError, nearest } from "../args.js";
import type { Rule, RuleDocs } from "../engine/index.js";
import { BUILTIN_RULES } from "../engine/index.js";
import { documentedRules, type PrecisionFigures, renderRuleSection, renderRulesMarkdown } from "../rule-docs.js";
import type { CliIO } from "./io.js";

/** The registry, loaded when a command needs it (so --version and --help never load the rules). */
async function registry(): Promise<readonly Rule[]> {
  return (await import("../../rules/index.js")).allRules;
}

/** The blind review's figures (rules/precision.json), which the rules' docs show. */
async function precisionFigures(): Promise<PrecisionFigures> {
  return (await import("../../rules/index.js")).precisionFigures;
}

export const HELP = `memhint: finds Python code that costs memory for nothing, and fixes it.

Usage:
  memhint check [options] [paths...]   lint files (run "memhint check --help" for options)
  memhint rules [--format text|json]   list the rules
  memhint rule CODE... | --all         print rules' docs (as in docs/rules.md)
  memhint lsp [--stdio ...]            start the language server ("memhint lsp --help")
  memhint --version                    print the version
  memhint --help                       show this help
`;

const RULES_HELP = `Usage: memhint rules [--format text|json]

List every rule: code, name, default severity and whether it can fix what it finds
(always, sometimes, never). JSON adds each rule's peers in other linters and its docs.
One rule's docs: "memhint rule CODE".
`;

const RULE_HELP = `Usage: memhint rule CODE...
       memhint rule --all

Print the docs of the rules named by code (MH101) or name (comprehension-in-consumer), or of
every rule with --all: the same Markdown as docs/rules.md.
`;

/** The package's version, from the package.json above this module (source or dist). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "memhint" && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find memhint's package.json");
}

interface RuleRow {
  code: string;
  name: string;
  severity: string;
  fixable: Rule["fixable"];
  /** In the default selection; an opt-in rule runs only when `select` names its code or ALL. */
  default: boolean;
  peers: string[];
  docs: RuleDocs;
}

/** The rules `memhint rules` lists: the engine's own (MH000, MH001) and the registry, by code. */
export function ruleRows(rules: readonly Rule[]): RuleRow[] {
  const rows: RuleRow[] = [...BUILTIN_RULES, ...rules].map((r) => ({
    code: r.code, name: r.name, severity: r.severity, fixable: r.fixable, default: !("optIn" in r && r.optIn), peers: r.peers, docs: r.docs,
  }));
  return rows.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

function usageError(io: CliIO, command: string, message: string): number {
  io.stderr.write(`memhint ${command}: ${message}\nRun "memhint ${command} --help" for usage.\n`);
  return 2;
}

/** The documented rule a user's word names: its code or its name, in any case. */
function findRule(word: string, rules: readonly Rule[]) {
  const wanted = word.toUpperCase();
  return documentedRules(rules).find((r) => r.code === wanted || r.name.toUpperCase() === wanted);
}

const RULES_OPTIONS = { format: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

function runRules(argv: readonly string[], io: CliIO, rules: readonly Rule[]): number {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: RULES_OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    return usageError(io, "rules", argumentError(error, RULES_OPTIONS));
  }
  if (values.help) {
    io.stdout.write(RULES_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    // `memhint rules MH101` is a natural slip for `memhint rule MH101`: say so rather than refuse.
    const named = findRule(positionals[0], rules);
    return usageError(io, "rules", named
      ? `lists every rule and takes no code; for ${named.code}'s docs, run "memhint rule ${named.code}"`
      : `unexpected argument "${positionals[0]}" (one rule's docs: "memhint rule CODE")`);
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json") {
    io.stderr.write(`memhint rules: --format must be "text" or "json", not "${format}"\n`);
    return 2;
  }
  const rows = ruleRows(rules);
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const table = [["CODE", "NAME", "SEVERITY", "FIX", "DEFAULT"], ...rows.map((r) => [r.code, r.name, r.severity, r.fixable, r.default ? "yes" : "opt-in"])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) io.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")}\n`);
  return 0;
}

const RULE_OPTIONS = { all: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

/** `memhint rule CODE...` and `memhint rule --all`: the rules' sections of docs/rules.md, or all of it. */
function runRule(argv: readonly string[], io: CliIO, rules: readonly Rule[], figures: PrecisionFigures): number {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: RULE_OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    return usageError(io, "rule", argumentError(error, RULE_OPTIONS));
  }
  if (values.help) {
    io.stdout.write(RULE_HELP);
    return 0;
  }
  if (values.all) {
    if (positionals.length > 0) return usageError(io, "rule", `--all cannot be combined with rule codes ("${positionals[0]}")`);
    io.stdout.write(renderRulesMarkdown(rules, figures));
    return 0;
  }
  if (positionals.length === 0) return usageError(io, "rule", `name a rule code (memhint rule MH101), or --all for every rule`);
  const sections: string[] = [];
  for (const word of positionals) {
    const rule = findRule(word, rules);
    if (!rule) {
      const known = documentedRules(rules);
      const near = nearest(word, known.map((r) => r.code)) ?? nearest(word, known.map((r) => r.name));
      io.stderr.write(`memhint rule: unknown rule "${word}"${near ? ` (did you mean ${near}?)` : ""}; known codes: ${known.map((r) => r.code).join(", ")}\n`);
      return 2;
    }
    sections.push(renderRuleSection(rule, figures));
  }
  io.stdout.write(`${sections.join("\n\n")}\n`);
  return 0;
}

/**
 * `memhint lsp`: the language server lives in `server/lsp/server.ts` and exports
 * `startServer(argv)`; loaded only when asked for, so `check` never pays for it.
 * Returns null when the server runs (it owns the process from then on).
 */
async function runLsp(argv: readonly string[], io: CliIO): Promise<number | null> {
  const url = new URL("../lsp/server.js", import.meta.url);
  let mod: { startServer?: unknown };
  try {
    mod = (await import(url.href)) as { startServer?: unknown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(fileURLToPath(url))) {
      io.stderr.write(`memhint lsp: the language server is not in this build (${fileURLToPath(url)} is missing)\n`);
    } else {
      io.stderr.write(`memhint lsp: cannot load the language server: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    return 2;
  }
  if (typeof mod.startServer !== "function") {
    io.stderr.write(`memhint lsp: ${fileURLToPath(url)} does not export a startServer function\n`);
    return 2;
  }
  await (mod.startServer as (argv: string[]) => unknown)([...argv]);
  return null;
}

/**
 * Run the command line `argv` (without node and the script). Returns the exit status, or null
 * when a long-running command (the language server) has taken over the process.
 */
export async function run(argv: readonly string[], io: CliIO, rules?: readonly Rule[]): Promise<number | null> {
  const [command, ...rest] = argv;
  switch (command) {
    case "check": {
      const { runCheck } = await import("./check.js");
      return runCheck(rest, io, rules ?? (await registry()));
    }
    case "rules":
      return runRules(rest, io, rules ?? (await registry()));
    case "rule":
      return runRule(rest, io, rules ?? (await registry()), await precisionFigures());
    case "lsp":
      return runLsp(rest, io);
    case "--version":
    case "-V":
      if (rest.length > 0) break;
      io.stdout.write(`memhint ${version()}\n`);
      return 0;
    case "--help":
    case "-h":
    case "help":
      if (rest.length > 0) break;
      io.stdout.write(HELP);
      return 0;
    case undefined:
      io.stderr.write(HELP);
      return 2;
    default:
      io.stderr.write(`memhint: unknown ${command.startsWith("-") ? "option" : "command"} "${command}"\nRun "memhint --help" for usage.\n`);
      return 2;
  }
  io.stderr.write(`memhint: ${command} takes no arguments, got "${rest.join(" ")}"\n`);
  return 2;
}

/** The process entry point used by bin/memhint.js. */
export async function cli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // A closed pipe (`memhint check | head`) is not worth a stack trace; but the output was cut
  // short, so the status cannot claim a clean run: 2, an I/O error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(2);
    throw error;
  });
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd() };
  try {
    const status = await run(argv, io);
    if (status !== null) process.exitCode = status;
  } catch (error) {
    process.stderr.write(`memhint: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 2;
  }
}
