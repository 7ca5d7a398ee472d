/**
 * The CLI fuzzer (issue 12), shared by `npm run fuzz:cli` (scripts/fuzz-cli.ts) and its sample in
 * the test suite (test/fuzz-cli.test.ts).
 *
 * A case is one batch: standard-library files, mutated at random (truncated, bytes flipped,
 * indentation stripped, invalid UTF-8, NUL bytes, lone-CR or CRLF line endings, a BOM, very long
 * lines, deep nesting, snippets that rules fix), written to a temporary folder with, sometimes,
 * files that are not regular (a FIFO `x.py`, a link `z.py` to /dev/zero, a FIFO `.gitignore`, a
 * link loop). The built binary (`node bin/memhint.js check`) runs on it as a child process in a
 * random mode: plain or JSON output, `--fix`, `--fix --unsafe-fixes`, `--diff`, `--jobs 1|2`,
 * the folder, the files named one by one, or one file on stdin. The oracles then judge each run;
 * a violation is a Failure. Everything a case does follows from (seed, case number), so a failure
 * replays with `npm run fuzz:cli -- --seed S --case K`.
 *
 * Oracles:
 *   - no crash: exit status 0, 1 or 2, no "internal error" and no stack trace on stderr;
 *   - no hang: a time budget per file (start-up + 2 s a file), the process killed past it;
 *   - output: JSON parses, each finding names a checked file and every range (and fix edit range)
 *     lies inside that file; text positions too; the exit status agrees with the output;
 *   - a run without --fix writes nothing;
 *   - --fix: a file changes exactly when a "fixed" line names it; it was decodable; a file that
 *     compiled (python3 ast.parse) still does; its BOM and line-ending kinds stay (no `\n` put into
 *     a CRLF or lone-CR file); a file with syntax errors gets no new ones (tree-sitter ERROR and
 *     MISSING nodes do not grow, and the first error Python reports does not move before where the
 *     old one went); no `.name.memhint-*` side files are left; a second --fix changes nothing;
 *   - --diff: writes nothing, and applied with `patch` gives exactly what --fix writes;
 *   - stdin with --fix prints exactly what --fix writes to a file with the same content.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPythonParser, type PythonParser, type Tree } from "../server/engine/index.js";
import { random } from "../test/helpers/random.js";
import { pythonFiles, stdlibPath } from "./corpus.js";

// ---------------------------------------------------------------------------------------------
// Randomness

/** A seeded stream of choices (test/helpers/random.ts underneath). */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = random(seed);
  }

  float(): number {
    return this.next();
  }

  /** 0 ≤ result < n. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** lo ≤ result ≤ hi. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** The seed of case `index` of a run seeded `seed`: each case replays on its own. */
export function caseSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ index, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h ^ index, 0x27d4eb2d) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** The standard-library files the cases start from (at most `maxBytes` each), sorted. */
export function loadCorpus(maxBytes = 200_000): string[] {
  return pythonFiles(stdlibPath()).filter((path) => {
    try {
      const stat = statSync(path);
      return stat.isFile() && stat.size <= maxBytes;
    } catch {
      return false;
    }
  });
}

/** Code that rules report, most of it with a fix; inserted so that --fix has work to do. */
const SNIPPETS: readonly string[] = [
  "total = sum([v * v for v in range(10)])",
  "found = any([c.isdigit() for c in name])",
  "count = len([x for x in xs if x])",
  "words = set([w.lower() for w in text.split()])",
  "longest = max([len(p) for p in parts], default=0)",
  "pairs = dict([(k, v) for k, v in items])",
  "for i in list(range(10)):\n    pass",
  "for k in list(d.keys()):\n    print(k)",
  "for x in [y * 2 for y in ys]:\n    print(x)",
  "for item in sorted(list(things)):\n    use(item)",
  "with open(path) as fh:\n    for line in fh.readlines():\n        print(line)",
  "for line in open(p).read().splitlines():\n    pass",
  "BIG = [0] * 100_000_000",
  "BUF = bytearray(2 ** 30)",
  "_SEEN = {}\ndef remember(k, v):\n    _SEEN[k] = v",
  "import functools\n@functools.lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
  "from functools import cache\n@cache\ndef load(name):\n    return open(name).read()",
  "def add(item, seen=[]):\n    seen.append(item)\n    return seen",
  "class Node:\n    def __init__(self, parent):\n        self.parent = parent\n        parent.children.append(self)",
  "class Loop:\n    def __init__(self):\n        self.me = self",
  "class Cached:\n    import functools\n    @functools.lru_cache\n    def get(self, key):\n        return key",
  "total = sum([v for v in range(3)]); other = min([w for w in range(4)])",
  "naïve = sum([ü * 2 for ü in range(3)])  # non-ASCII names",
  's = "😀😀"; n = sum([len(c) for c in s])',
  "t = sum([x for x in xs])  # memhint: ignore[MH101]",
  "u = sum([x for x in xs])  # noqa: MH999",
  "v = sum([x for x in\n        xs])",
  "w = sum([x for x in xs]) \\\n    + 1",
  "a = sum([x for x in xs],)",
  "b = sum([x for x in xs] # c\n)",
  "c = sum(\n    [x for x in xs]  # note\n)",
  'e = f"{sum([x for x in xs])}"',
  "g = sum([x for x in xs], start=0)",
  "h = lambda xs: sum([x for x in xs])",
  "if xs: total = sum([v for v in xs])",
  "async def agen(ys):\n    return sum([y async for y in ys])",
  "for k in list(d):\n    del d[k]",
  "from functools import lru_cache\n@lru_cache(None)\ndef g(x):\n    return x",
  "lines = [l.strip() for l in open(p).readlines()]",
  "import pathlib\nfor line in pathlib.Path(p).read_text().splitlines():\n    pass",
  "class Tree:\n    def __init__(self):\n        self.children = []\n    def add(self):\n        child = Tree()\n        child.parent = self\n        self.children.append(child)\n        return child",
  "class Pair:\n    def link(self, other):\n        other.partner = self\n        self.partner = other",
];

/** One-line pieces of code put in the middle of a line. */
const FRAGMENTS: readonly string[] = [
  "sum([x for x in xs])", "list(range(10))", " for x in list(d.keys()): ", "(", ")", "[", "]", "{", "}", ":", ",", "\\",
  '"""', "'''", '"', "'", 'f"{', '}"', "#", "lambda: ", " if x else ", "await ", "yield ", "\\\n",
];

const SYNTAX_BYTES = "()[]{}:;,.'\"\\#\n\r \t=+-*/@0aif";

/** Offsets where lines start: 0 and after each `\n`, `\r\n` and lone `\r`. */
function lineStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) starts.push(i + 1);
    else if (bytes[i] === 13) {
      if (bytes[i + 1] === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The line break that ends the line starting at `start` (else the file's first, else `\n`). */
function breakNear(bytes: Buffer, start: number): string {
  const find = (from: number): string | null => {
    for (let i = from; i < bytes.length; i++) {
      if (bytes[i] === 10) return "\n";
      if (bytes[i] === 13) return bytes[i + 1] === 10 ? "\r\n" : "\r";
    }
    return null;
  };
  return find(start) ?? find(0) ?? "\n";
}

function indentationAt(bytes: Buffer, start: number): string {
  let end = start;
  while (end < bytes.length && (bytes[end] === 32 || bytes[end] === 9)) end++;
  return bytes.subarray(start, end).toString("latin1");
}

/** The first offset at or after `at` that starts a UTF-8 character (or the end). */
function charBoundary(bytes: Buffer, at: number): number {
  while (at < bytes.length && (bytes[at] & 0xc0) === 0x80) at++;
  return at;
}

function insertAt(bytes: Buffer, at: number, inserted: Buffer | string): Buffer {
  return Buffer.concat([bytes.subarray(0, at), typeof inserted === "string" ? Buffer.from(inserted, "utf8") : inserted, bytes.subarray(at)]);
}

/** Insert `lines` (joined by the file's line break there, each indented like the line below) at a random line start. */
function insertLines(bytes: Buffer, rng: Rng, lines: readonly string[], indent: boolean): { bytes: Buffer; line: number } {
  const starts = lineStarts(bytes);
  const k = rng.int(starts.length);
  const at = starts[k];
  const eol = breakNear(bytes, at);
  const pad = indent ? indentationAt(bytes, at) : "";
  return { bytes: insertAt(bytes, at, lines.map((l) => pad + l + eol).join("")), line: k + 1 };
}

const LEVELS = [5, 20, 60, 99, 101, 150, 300, 1000, 3000];

type Mutator = (bytes: Buffer, rng: Rng) => { bytes: Buffer; note: string };

/** Each mutation, by name; the note says what it did, for the failure report. */
export const MUTATORS: Record<string, Mutator> = {
  truncate(bytes, rng) {
    const at = rng.int(bytes.length + 1);
    return { bytes: bytes.subarray(0, at), note: `truncate at byte ${at}` };
  },
  flip(bytes, rng) {
    const out = Buffer.from(bytes);
    const n = rng.range(1, 8);
    const notes: string[] = [];
    for (let k = 0; k < n && out.length > 0; k++) {
      const at = rng.int(out.length);
      const roll = rng.float();
      // Mostly ASCII: a byte that makes the file invalid UTF-8 only tests the decoder's refusal.
      out[at] = roll < 0.9 ? SYNTAX_BYTES.charCodeAt(rng.int(SYNTAX_BYTES.length)) : roll < 0.95 ? rng.int(256) : out[at] ^ (1 << rng.int(8));
      notes.push(`${at}=0x${out[at].toString(16)}`);
    }
    return { bytes: out, note: `flip bytes ${notes.join(",")}` };
  },
  dedent(bytes, rng) {
    const starts = lineStarts(bytes);
    const share = rng.pick([0, 0.1, 0.5, 1]);
    const one = starts[rng.int(starts.length)];
    const parts: Buffer[] = [];
    let cursor = 0;
    let count = 0;
    for (const start of starts) {
      if (share === 0 ? start !== one : !rng.chance(share)) continue;
      let end = start;
      while (end < bytes.length && (bytes[end] === 32 || bytes[end] === 9 || bytes[end] === 12)) end++;
      if (end === start) continue;
      parts.push(bytes.subarray(cursor, start));
      cursor = end;
      count++;
    }
    parts.push(bytes.subarray(cursor));
    return { bytes: Buffer.concat(parts), note: `strip the indentation of ${count} lines` };
  },
  invalidUtf8(bytes, rng) {
    const sequences = [[0xff], [0xfe], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
    const seq = rng.pick(sequences);
    const at = rng.int(bytes.length + 1);
    return { bytes: insertAt(bytes, at, Buffer.from(seq)), note: `insert ${seq.map((b) => b.toString(16)).join(" ")} at byte ${at}` };
  },
  nul(bytes, rng) {
    const at = rng.int(bytes.length + 1);
    return { bytes: insertAt(bytes, at, Buffer.from([0])), note: `insert NUL at byte ${at}` };
  },
  loneCr(bytes, rng) {
    return lineBreaks(bytes, rng, "\r");
  },
  crlf(bytes, rng) {
    return lineBreaks(bytes, rng, "\r\n");
  },
  lf(bytes, rng) {
    return lineBreaks(bytes, rng, "\n");
  },
  bom(bytes, rng) {
    const twice = rng.chance(0.1);
    return { bytes: insertAt(bytes, 0, Buffer.from(twice ? [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf] : [0xef, 0xbb, 0xbf])), note: twice ? "two BOMs" : "BOM" };
  },
  longLine(bytes, rng) {
    const n = rng.pick([1_000, 10_000, 50_000, 200_000]);
    const make = rng.pick<(n: number) => string>([
      (k) => `X = [${"1, ".repeat(k / 3)}]`,
      (k) => `S = "${"a".repeat(k)}"`,
      (k) => `# ${"x".repeat(k)}`,
      (k) => `T = ${"sum([i for i in range(3)]) + ".repeat(Math.min(k / 30, 800))}0`,
      (k) => `U = "${"😀é".repeat(k / 4)}"; V = sum([c for c in U])`,
      (k) => `W = f(${"a, ".repeat(k / 3)})`,
      (k) => `Y = ${"x + ".repeat(k / 4)}x`,
    ]);
    const line = make(n);
    const { bytes: out, line: at } = insertLines(bytes, rng, [line], rng.chance(0.5));
    return { bytes: out, note: `long line (${line.length} chars: ${JSON.stringify(line.slice(0, 24))}...) at line ${at}` };
  },
  deepNesting(bytes, rng) {
    const n = rng.pick(LEVELS);
    const kind = rng.pick(["parens", "lists", "unclosed", "calls", "ifs", "defs", "lambdas", "sums", "attributes", "copies", "comprehensions"]);
    let lines: string[];
    const level = Math.min(n, 300); // blocks and rule-heavy nests stay where Python parses them in reasonable time
    switch (kind) {
      case "parens": lines = [`D = ${"(".repeat(n)}1${")".repeat(n)}`]; break;
      case "lists": lines = [`D = ${"[".repeat(n)}${"]".repeat(n)}`]; break;
      case "unclosed": lines = [`D = ${"(".repeat(n)}1`, "return D"]; break;
      case "calls": lines = [`D = ${"sum([x for x in ".repeat(level)}xs${"])".repeat(level)}`]; break;
      case "ifs": {
        lines = [];
        for (let i = 0; i < level; i++) lines.push(`${" ".repeat(i)}if x${i}:`);
        lines.push(`${" ".repeat(level)}total = sum([v for v in range(3)])`);
        break;
      }
      case "defs": {
        lines = [];
        for (let i = 0; i < level; i++) lines.push(`${"  ".repeat(i)}def f${i}(xs, seen=[]):`, `${"  ".repeat(i + 1)}seen.append(xs)`);
        lines.push(`${"  ".repeat(level)}return seen`);
        break;
      }
      case "copies": lines = [`for x in ${"list(".repeat(level)}y${")".repeat(level)}:`, "    pass"]; break;
      case "comprehensions": lines = [`for x in ${"[a for a in ".repeat(level)}y${"]".repeat(level)}:`, "    pass"]; break;
      case "lambdas": lines = [`L = ${"lambda: ".repeat(n)}sum([v for v in range(3)])`]; break;
      case "sums": lines = [`B = ${"1 + ".repeat(n * 10)}1`]; break;
      default: lines = [`A = x${".a".repeat(n * 10)}`]; break;
    }
    const { bytes: out, line } = insertLines(bytes, rng, lines, rng.chance(0.5));
    return { bytes: out, note: `deep nesting: ${kind} × ${kind === "sums" || kind === "attributes" ? n * 10 : ["calls", "ifs", "defs", "copies", "comprehensions"].includes(kind) ? level : n} at line ${line}` };
  },
  fragment(bytes, rng) {
    const notes: string[] = [];
    let out = bytes;
    for (let k = rng.range(1, 4); k > 0; k--) {
      const piece = rng.pick(FRAGMENTS);
      const at = charBoundary(out, rng.int(out.length + 1));
      out = insertAt(out, at, piece);
      notes.push(`${JSON.stringify(piece)}@${at}`);
    }
    return { bytes: out, note: `insert ${notes.join(", ")}` };
  },
  oddChars(bytes, rng) {
    // Line and paragraph separators, NEL, vertical tab, form feed, zero-width space, BOM, NBSP:
    // line breaks for some of JavaScript or Unicode, never for Python.
    const chars = ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\u200b", "\ufeff", "\u00a0", "\x1c", "\x1e"];
    const notes: string[] = [];
    let out = bytes;
    for (let k = rng.range(1, 6); k > 0; k--) {
      const ch = rng.pick(chars);
      const starts = lineStarts(out);
      // At a line's start, at its end or anywhere.
      const roll = rng.float();
      let at = roll < 0.3 ? starts[rng.int(starts.length)] : charBoundary(out, rng.int(out.length + 1));
      if (roll >= 0.3 && roll < 0.6) while (at < out.length && out[at] !== 10 && out[at] !== 13) at++;
      out = insertAt(out, at, ch);
      notes.push(`U+${ch.codePointAt(0)!.toString(16).padStart(4, "0")}@${at}`);
    }
    return { bytes: out, note: `insert ${notes.join(", ")}` };
  },
  cookie(bytes, rng) {
    const name = rng.pick(["latin-1", "utf-8", "cp1252", "iso-8859-15", "shift_jis", "euc_jp", "ascii", "utf-8-sig", "koi8-r", "no-such-codec"]);
    const starts = lineStarts(bytes);
    const at = rng.chance(0.7) || starts.length < 2 ? 0 : starts[1];
    return { bytes: insertAt(bytes, at, `# -*- coding: ${name} -*-${breakNear(bytes, at)}`), note: `coding cookie ${name} at byte ${at}` };
  },
  tabs(bytes, rng) {
    const share = rng.pick([0.1, 0.5, 1]);
    const width = rng.pick([4, 8]);
    const parts: Buffer[] = [];
    let cursor = 0;
    let count = 0;
    for (const start of lineStarts(bytes)) {
      let end = start;
      while (end < bytes.length && bytes[end] === 32) end++;
      if (end - start < width || !rng.chance(share)) continue;
      const tabs = Math.floor((end - start) / width);
      parts.push(bytes.subarray(cursor, start), Buffer.from("\t".repeat(tabs)));
      cursor = start + tabs * width;
      count++;
    }
    parts.push(bytes.subarray(cursor));
    return { bytes: Buffer.concat(parts), note: `indentation to tabs (${width} spaces) on ${count} lines` };
  },
  splice(bytes, rng) {
    const from = charBoundary(bytes, rng.int(bytes.length + 1));
    const to = charBoundary(bytes, Math.min(bytes.length, from + rng.range(1, 2000)));
    const at = charBoundary(bytes, rng.int(bytes.length + 1));
    return { bytes: insertAt(bytes, at, Buffer.from(bytes.subarray(from, to))), note: `copy bytes ${from}..${to} to ${at}` };
  },
  snippet(bytes, rng) {
    const snippet = rng.pick(SNIPPETS);
    const { bytes: out, line } = insertLines(bytes, rng, snippet.split("\n"), true);
    return { bytes: out, note: `snippet ${JSON.stringify(snippet.split("\n")[0])} at line ${line}` };
  },
};

/** Line breaks turned into `eol`: all of them, or each with some probability. */
function lineBreaks(bytes: Buffer, rng: Rng, eol: string): { bytes: Buffer; note: string } {
  const share = rng.chance(0.7) ? 1 : rng.float();
  const parts: Buffer[] = [];
  const replacement = Buffer.from(eol, "latin1");
  let cursor = 0;
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 10 && bytes[i] !== 13) continue;
    const end = bytes[i] === 13 && bytes[i + 1] === 10 ? i + 2 : i + 1;
    if (share === 1 || rng.chance(share)) {
      parts.push(bytes.subarray(cursor, i), replacement);
      cursor = end;
      count++;
    }
    i = end - 1;
  }
  parts.push(bytes.subarray(cursor));
  return { bytes: Buffer.concat(parts), note: `${count} line breaks to ${JSON.stringify(eol)}${share === 1 ? " (all)" : ""}` };
}

/** How often each mutation is drawn (snippets are added separately, most of the time). */
const WEIGHTS: ReadonlyArray<[string, number]> = [
  ["truncate", 3], ["flip", 3], ["dedent", 2], ["invalidUtf8", 1], ["nul", 1], ["loneCr", 3], ["crlf", 3], ["lf", 1],
  ["bom", 2], ["longLine", 2], ["deepNesting", 2], ["fragment", 3], ["oddChars", 2], ["cookie", 1], ["tabs", 1], ["splice", 2],
];

function drawMutation(rng: Rng): string {
  const total = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.float() * total;
  for (const [name, weight] of WEIGHTS) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return WEIGHTS[0][0];
}

/** `bytes` mutated at random: some snippets, then zero to three other mutations, in random order. */
export function mutate(bytes: Buffer, rng: Rng): { bytes: Buffer; mutations: string[] } {
  const names: string[] = [];
  if (rng.chance(0.75)) for (let k = rng.range(1, 3); k > 0; k--) names.push("snippet");
  for (let k = rng.pick([0, 1, 1, 1, 2, 2, 3]); k > 0; k--) names.push(drawMutation(rng));
  rng.shuffle(names);
  const notes: string[] = [];
  let out = bytes;
  for (const name of names) {
    const { bytes: next, note } = MUTATORS[name](out, rng);
    out = next;
    notes.push(`${name}: ${note}`);
  }
  return { bytes: out, mutations: notes };
}

// ---------------------------------------------------------------------------------------------
// Cases

export type Action = "lint" | "fix" | "fix-unsafe" | "diff" | "diff-unsafe";
export type InputKind = "folder" | "paths" | "stdin";

export interface Mode {
  action: Action;
  format: "text" | "json";
  /** --jobs N, or 0 for the default. */
  jobs: 0 | 1 | 2;
  input: InputKind;
  /** With stdin: --stdin-filename NAME instead of "-". */
  stdinName: string | null;
}

/** Files that are not regular, made in the case's folder. */
export type Special = "fifo" | "dev-zero" | "fifo-gitignore" | "link-loop";

export const SPECIAL_NAMES: Record<Special, string[]> = {
  fifo: ["x.py"],
  "dev-zero": ["z.py"],
  "fifo-gitignore": [".gitignore"],
  "link-loop": ["loop1.py", "loop2.py"],
};

export interface CaseFile {
  /** Relative to the case's folder, `/`-separated. */
  name: string;
  bytes: Buffer;
  /** The standard-library file it came from. */
  origin: string;
  mutations: string[];
}

export interface FuzzCase {
  seed: number;
  index: number;
  mode: Mode;
  files: CaseFile[];
  specials: Special[];
}

export interface GenerateOptions {
  /** At most this many files in a batch (default 24). */
  maxFiles?: number;
  /** Parts of the mode to force (the same random draws are made either way). */
  mode?: Partial<Mode>;
  /** Force the non-regular files (ignored on stdin). */
  specials?: Special[];
}

const ACTIONS: readonly Action[] = ["lint", "lint", "fix", "fix-unsafe", "fix-unsafe", "diff", "diff-unsafe"];

/** Case `index` of the run seeded `seed`: the mode, the mutated files, the non-regular files. */
export function generateCase(seed: number, index: number, corpus: readonly string[], options: GenerateOptions = {}): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const drawn: Mode = {
    input: rng.pick<InputKind>(["folder", "folder", "folder", "paths", "stdin"]),
    action: rng.pick(ACTIONS),
    format: rng.pick<"text" | "json">(["text", "json"]),
    jobs: rng.pick<0 | 1 | 2>([0, 1, 2]),
    stdinName: rng.chance(0.5) ? "pkg/mod.py" : null,
  };
  const mode: Mode = { ...drawn, ...options.mode };
  if (mode.action.startsWith("diff")) mode.format = "text";
  if (mode.input === "stdin") mode.jobs = 0;
  else mode.stdinName = null;
  const count = mode.input === "stdin" ? 1 : rng.range(1, options.maxFiles ?? 24);
  const files: CaseFile[] = [];
  for (let i = 0; i < count; i++) {
    const origin = rng.pick(corpus);
    const { bytes, mutations } = mutate(readFileSync(origin), rng);
    const folder = rng.chance(0.2) ? `sub${rng.int(3)}/` : "";
    files.push({ name: `${folder}f${String(i).padStart(3, "0")}.py`, bytes, origin, mutations });
  }
  const kinds: Special[] = ["fifo", "dev-zero", "fifo-gitignore", "link-loop"];
  let specials = rng.chance(0.3) ? kinds.filter(() => rng.chance(0.5)) : [];
  if (options.specials) specials = options.specials;
  if (mode.input === "stdin") specials = [];
  return { seed, index, mode, files, specials };
}

/** The names passed on the command line in "paths" mode: every file, and the non-regular `*.py`. */
function namedPaths(c: FuzzCase): string[] {
  const names = c.files.map((f) => f.name);
  for (const s of c.specials) names.push(...SPECIAL_NAMES[s].filter((n) => n.endsWith(".py")));
  return names;
}

function actionArgs(action: Action): string[] {
  switch (action) {
    case "lint": return [];
    case "fix": return ["--fix"];
    case "fix-unsafe": return ["--fix", "--unsafe-fixes"];
    case "diff": return ["--diff"];
    case "diff-unsafe": return ["--diff", "--unsafe-fixes"];
  }
}

/** `memhint` arguments for the case's mode, with `action` in place of the mode's own. */
export function checkArgs(c: FuzzCase, action: Action = c.mode.action): string[] {
  const { mode } = c;
  const args = ["check", "--no-config", "--select", "ALL", ...actionArgs(action)];
  if (mode.format === "json" && !action.startsWith("diff")) args.push("--format", "json");
  if (mode.jobs > 0) args.push("--jobs", String(mode.jobs));
  if (mode.input === "stdin") args.push(...(mode.stdinName ? ["--stdin-filename", mode.stdinName] : ["-"]));
  else if (mode.input === "paths") args.push(...namedPaths(c));
  else args.push(".");
  return args;
}

/** A short name for the table: action/input. */
export function caseLabel(c: FuzzCase): string {
  return `${c.mode.action}/${c.mode.input}`;
}

/** Write the case's files and non-regular files under `dir`. */
export function materialize(c: FuzzCase, dir: string, withSpecials = true): void {
  mkdirSync(dir, { recursive: true });
  for (const f of c.files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.bytes);
  }
  if (!withSpecials) return;
  for (const s of c.specials) {
    switch (s) {
      case "fifo":
        execFileSync("mkfifo", [join(dir, "x.py")]);
        break;
      case "fifo-gitignore":
        execFileSync("mkfifo", [join(dir, ".gitignore")]);
        break;
      case "dev-zero":
        symlinkSync("/dev/zero", join(dir, "z.py"));
        break;
      case "link-loop":
        symlinkSync("loop2.py", join(dir, "loop1.py"));
        symlinkSync("loop1.py", join(dir, "loop2.py"));
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Running

export interface FuzzEnv {
  root: string;
  /** bin/memhint.js */
  bin: string;
  /** Where case folders are made. */
  workDir: string;
  parser: PythonParser;
  /** Milliseconds allowed per run: `startMs` plus `perFileMs` a file. */
  startMs: number;
  perFileMs: number;
  /** Keep each case's folder (for debugging). */
  keep: boolean;
}

/** The package root: the nearest folder above this module with a package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("fuzz-cli: cannot find the package root");
    dir = up;
  }
  return dir;
}

export async function fuzzEnv(overrides: Partial<Omit<FuzzEnv, "parser">> = {}): Promise<FuzzEnv> {
  const root = overrides.root ?? packageRoot();
  return {
    root,
    bin: join(root, "bin", "memhint.js"),
    workDir: overrides.workDir ?? mkdtempSync(join(tmpdir(), "memhint-fuzz-")),
    parser: await loadPythonParser(),
    startMs: 5_000,
    perFileMs: 2_000,
    keep: false,
    ...overrides,
  };
}

export interface Run {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: string;
  ms: number;
  budgetMs: number;
}

function runMemhint(env: FuzzEnv, args: string[], cwd: string, files: number, input?: Buffer): Run {
  const budgetMs = env.startMs + env.perFileMs * Math.max(1, files);
  const started = performance.now();
  const r = spawnSync(process.execPath, [env.bin, ...args], {
    cwd, input: input ?? Buffer.alloc(0), timeout: budgetMs, killSignal: "SIGKILL", maxBuffer: 1 << 30,
  });
  const ms = performance.now() - started;
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  if (r.error && !timedOut) throw r.error;
  return { args, status: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? Buffer.alloc(0)).toString("utf8"), ms, budgetMs };
}

export interface Failure {
  oracle: string;
  message: string;
  /** The file it is about, when it is about one. */
  file?: string;
}

export interface CaseResult {
  fuzzCase: FuzzCase;
  /** The first run (the mode's own). */
  status: number | null;
  /** memhint processes started. */
  runs: number;
  /** Files that --fix changed; of those, files python3 rejected before the fix. */
  fixed: number;
  fixedBroken: number;
  /** The run that took longest for its number of inputs (how near the time budget it came). */
  slowest: { ms: number; inputs: number; budgetMs: number; args: string[] } | null;
  failures: Failure[];
  ms: number;
}

/** The encoding a PEP 263 cookie declares on line 1 or 2, when it is not UTF-8. */
function foreignCookie(bytes: Buffer): string | null {
  const lines = bytes.subarray(0, 2000).toString("latin1").replace(/^\u00ef\u00bb\u00bf/, "").split(/\r\n|\r|\n/).slice(0, 2);
  for (const line of lines) {
    const m = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/.exec(line);
    if (m) {
      const name = m[1].toLowerCase().replace(/_/g, "-");
      return ["utf-8", "utf8", "u8", "utf", "cp65001", "utf-8-sig"].includes(name) || name.startsWith("utf-8-") ? null : m[1];
    }
    if (!/^[ \t\f]*(?:#|$)/.test(line)) return null;
  }
  return null;
}

/**
 * A file's text, as memhint reads it for positions: UTF-8 without a BOM; else (or with a cookie
 * naming another encoding) latin-1, where lines are right but columns may not be.
 */
function textOf(bytes: Buffer): { text: string; columns: boolean } {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (foreignCookie(bytes) !== null && body.some((b) => b >= 0x80)) return { text: body.toString("latin1"), columns: false };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), columns: true };
  } catch {
    return { text: body.toString("latin1"), columns: false };
  }
}

/**
 * The text memhint may write back, or null: no NUL, valid UTF-8 (BOM allowed), and pure ASCII
 * when a cookie names another encoding (memhint writes UTF-8 only).
 */
function writableText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  if (foreignCookie(bytes) !== null && bytes.some((b) => b >= 0x80)) return null;
  const { text, columns } = textOf(bytes);
  return columns ? text : null;
}

/** The lines of `text` as Python (and memhint's JSON) count them, without their breaks. */
function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

interface Position { line: number; column: number }

function isPosition(p: unknown): p is Position {
  const q = p as Position;
  return typeof q === "object" && q !== null && Number.isInteger(q.line) && Number.isInteger(q.column);
}

/** Why a 1-based line/column position is not inside the file, or null when it is. */
function outside(p: Position, lines: readonly string[], columns: boolean): string | null {
  if (p.line < 1 || p.line > lines.length) return `line ${p.line} of a ${lines.length}-line file`;
  if (p.column < 1) return `column ${p.column}`;
  if (columns) {
    const length = [...lines[p.line - 1]].length;
    if (p.column > length + 1) return `line ${p.line} column ${p.column}, past the line's end (${length} code points)`;
  }
  return null;
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.column <= b.column);
}

/** The kinds of line break in `bytes`. */
function breakKinds(bytes: Buffer): Set<string> {
  const kinds = new Set<string>();
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) kinds.add("LF");
    else if (bytes[i] === 13) {
      if (bytes[i + 1] === 10) {
        kinds.add("CRLF");
        i++;
      } else kinds.add("CR");
    }
  }
  return kinds;
}

const hasBom = (b: Buffer): boolean => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

/** Checks applied to one run's process outcome. */
export function checkProcess(run: Run, what: string, fail: (f: Failure) => void): void {
  const cmd = `${what} (memhint ${run.args.join(" ")})`;
  if (run.timedOut) {
    fail({ oracle: "no hang", message: `${cmd} did not finish within ${run.budgetMs} ms; killed` });
    return;
  }
  if (run.signal) fail({ oracle: "no crash", message: `${cmd} was killed by ${run.signal}` });
  else if (run.status !== 0 && run.status !== 1 && run.status !== 2) fail({ oracle: "no crash", message: `${cmd} exited ${run.status}` });
  const internal = /^.*internal error.*$/im.exec(run.stderr);
  if (internal) fail({ oracle: "no crash", message: `${cmd}: stderr says ${JSON.stringify(internal[0].slice(0, 400))}` });
  const stack = /^\s+at .+(?::\d+:\d+\)?|\(native\))$/m.exec(run.stderr);
  if (stack && !internal) fail({ oracle: "no crash", message: `${cmd}: stack trace on stderr: ${JSON.stringify(run.stderr.slice(0, 600))}` });
}

/** Files named as fixed in a run's output ("path: fixed N findings (...)"). */
function fixedNames(run: Run): Map<string, string> {
  const names = new Map<string, string>();
  const text = `${run.stdout.toString("utf8")}\n${run.stderr}`;
  for (const m of text.matchAll(/^(.+): (fixed \d+ findings? \(.*)$/gm)) names.set(m[1], m[2]);
  return names;
}

/**
 * The findings a run printed, checked against the files' contents (display name → bytes): JSON
 * parses and is well formed, each finding's file is known and its positions lie in it. Returns
 * them as `path:line:column:code`, in printed order (null when there is no list to read).
 */
export function checkFindings(run: Run, c: FuzzCase, contents: ReadonlyMap<string, Buffer>, fail: (f: Failure) => void): string[] | null {
  const { mode } = c;
  const action = run.args.includes("--diff") ? "diff" : run.args.includes("--fix") ? "fix" : "lint";
  if (action === "diff") {
    if (run.status === 1 && run.stdout.length === 0) fail({ oracle: "output", message: "--diff exited 1 with no diff" });
    if (run.status === 0 && run.stdout.length > 0) fail({ oracle: "output", message: "--diff exited 0 with a diff" });
    return null;
  }
  const keys: string[] = [];
  const stdinFix = mode.input === "stdin" && action === "fix";
  const report = stdinFix ? run.stderr : run.stdout.toString("utf8");
  const texts = new Map<string, { lines: string[]; columns: boolean }>();
  const fileOf = (name: string): { lines: string[]; columns: boolean } | null => {
    const bytes = contents.get(name);
    if (!bytes) return null;
    let t = texts.get(name);
    if (!t) {
      const { text, columns } = textOf(bytes);
      texts.set(name, (t = { lines: linesOf(text), columns }));
    }
    return t;
  };
  const checkRange = (range: unknown, name: string, what: string): void => {
    const r = range as { start: unknown; end: unknown } | null;
    if (!r || !isPosition(r.start) || !isPosition(r.end)) {
      fail({ oracle: "output", message: `${what}: malformed range ${JSON.stringify(range)}`, file: name });
      return;
    }
    const file = fileOf(name);
    if (!file) return;
    const why = outside(r.start, file.lines, file.columns) ?? outside(r.end, file.lines, file.columns);
    if (why) fail({ oracle: "range inside file", message: `${what}: ${JSON.stringify(r)}: ${why}`, file: name });
    else if (!before(r.start, r.end)) fail({ oracle: "range inside file", message: `${what}: range ends before it starts: ${JSON.stringify(r)}`, file: name });
  };
  let count = 0;
  if (mode.format === "json") {
    let json: string | null = report;
    if (stdinFix) {
      // The JSON document follows the notices on stderr.
      const m = /^(\[\]|\[\n[\s\S]*?\n\])$/m.exec(report);
      json = m ? m[1] : null;
      if (json === null && run.status !== 2) fail({ oracle: "output", message: `no JSON document on stderr: ${JSON.stringify(report.slice(0, 300))}` });
      if (json === null) return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      if (json.trim() !== "" || run.status !== 2) fail({ oracle: "output", message: `JSON output does not parse: ${(error as Error).message}: ${JSON.stringify(json.slice(0, 300))}` });
      return null;
    }
    if (!Array.isArray(parsed)) {
      fail({ oracle: "output", message: "JSON output is not an array" });
      return null;
    }
    for (const d of parsed as Array<Record<string, unknown>>) {
      count++;
      const name = String(d.path);
      const what = `${name}: ${String(d.code)}`;
      if (typeof d.code !== "string" || !/^MH\d{3}$/.test(d.code) || typeof d.message !== "string" || typeof d.severity !== "string") {
        fail({ oracle: "output", message: `malformed finding ${JSON.stringify(d).slice(0, 300)}`, file: name });
      }
      if (!contents.has(name)) fail({ oracle: "output", message: `finding for a file that was not checked or cannot be decoded: ${JSON.stringify(name)}` });
      checkRange(d.range, name, what);
      const start = (d.range as { start?: Position } | undefined)?.start;
      keys.push(`${name}:${start?.line}:${start?.column}:${String(d.code)}`);
      const fix = d.fix as { edits?: Array<{ range: unknown; newText: unknown }> } | null;
      if (fix !== null && fix !== undefined) {
        if (!Array.isArray(fix.edits)) fail({ oracle: "output", message: `${what}: fix without edits`, file: name });
        else for (const e of fix.edits) checkRange(e.range, name, `${what} fix edit`);
      }
    }
  } else {
    for (const m of report.matchAll(/^(.+?):(\d+):(\d+): (MH\d{3}) /gm)) {
      count++;
      keys.push(`${m[1]}:${m[2]}:${m[3]}:${m[4]}`);
      const name = m[1];
      if (!contents.has(name)) {
        fail({ oracle: "output", message: `finding for a file that was not checked: ${JSON.stringify(m[0])}` });
        continue;
      }
      const file = fileOf(name);
      const why = file && outside({ line: Number(m[2]), column: Number(m[3]) }, file.lines, file.columns);
      if (why) fail({ oracle: "range inside file", message: `${JSON.stringify(m[0])}: ${why}`, file: name });
    }
  }
  if (run.status === 0 && count > 0) fail({ oracle: "output", message: `exit status 0 with ${count} findings printed` });
  if (run.status === 1 && count === 0) fail({ oracle: "output", message: "exit status 1 with no finding printed" });
  return keys;
}

/** The first difference between two lists of findings, or null. */
function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `finding ${i + 1} of ${a.length} vs ${b.length}: ${a[i] ?? "(none)"} vs ${b[i] ?? "(none)"}`;
  }
  return null;
}

/** Every entry under `dir` (not following links), relative, `/`-separated. */
function listTree(dir: string, base = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(relative(base, path).split(sep).join("/"));
    if (entry.isDirectory()) listTree(path, base, out);
  }
  return out;
}

function checkSideFiles(c: FuzzCase, dir: string, fail: (f: Failure) => void): void {
  const expected = new Set<string>();
  for (const f of c.files) {
    expected.add(f.name);
    const parts = f.name.split("/");
    for (let i = 1; i < parts.length; i++) expected.add(parts.slice(0, i).join("/"));
  }
  for (const s of c.specials) for (const n of SPECIAL_NAMES[s]) expected.add(n);
  // The cache of a plain check (server/cli/cache.ts) is expected; a temporary file left in it is not.
  const cacheFile = /^\.memhint_cache(\/(\.gitignore|CACHEDIR\.TAG|last-pruned|[0-9a-f]{2}(\/[0-9a-f]{64})?))?$/;
  for (const name of listTree(dir)) {
    if (!expected.has(name) && !cacheFile.test(name)) {
      fail({ oracle: "no side files", message: `left ${JSON.stringify(name)}${/\.memhint-.*\.(tmp|orig)$/.test(name) ? " (a temporary or guard file of a fix)" : ""}` });
    }
  }
}

function readFiles(c: FuzzCase, dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of c.files) {
    try {
      out.set(f.name, readFileSync(join(dir, f.name)));
    } catch {
      // missing: reported by the caller
    }
  }
  return out;
}

/** Python's verdict on each file: null when ast.parse accepts it, else the first error. */
export interface PyError { line: number | null; message: string }

const PY_CHECK = `
import ast, json, sys, warnings
warnings.simplefilter("ignore")
out = {}
for path in json.load(sys.stdin):
    try:
        with open(path, "rb") as f:
            source = f.read()
        ast.parse(source)
        out[path] = None
    except SyntaxError as e:
        out[path] = {"line": e.lineno, "message": type(e).__name__ + ": " + str(e.msg)}
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        out[path] = {"line": None, "message": type(e).__name__ + ": " + str(e)}
json.dump(out, sys.stdout)
`;

/** One python3 process for all `paths`. */
export function pythonVerdicts(paths: readonly string[]): Map<string, PyError | null> {
  if (paths.length === 0) return new Map();
  const r = spawnSync("python3", ["-c", PY_CHECK], { input: JSON.stringify(paths), encoding: "utf8", timeout: 300_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`fuzz-cli: python3 failed: ${r.error?.message ?? r.stderr}`);
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, PyError | null>));
}

/** tree-sitter's syntax errors: ERROR and MISSING nodes (memhint's own parse, masking included). */
export function syntaxErrorNodes(parser: PythonParser, text: string): number {
  const tree: Tree = parser.parse(text);
  try {
    if (!tree.rootNode.hasError) return 0;
    const cursor = tree.walk();
    let count = 0;
    try {
      for (;;) {
        const node = cursor.currentNode;
        if (node.isError || node.isMissing) count++;
        if (cursor.gotoFirstChild()) continue;
        while (!cursor.gotoNextSibling()) {
          if (!cursor.gotoParent()) return count;
        }
      }
    } finally {
      cursor.delete();
    }
  } finally {
    tree.delete();
  }
}

/**
 * Where line `line` (1-based) of `a` is in `b`, when it is outside the part that changed
 * (common leading and trailing lines); null when it is inside it.
 */
function mapLine(a: readonly string[], b: readonly string[], line: number): number | null {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  if (line <= head) return line;
  if (line > a.length - tail) return line + (b.length - a.length);
  return null;
}

/**
 * The --fix oracles for one file: `original` → `fixed` (both bytes), `reported` whether a "fixed"
 * line named it. `verdicts` holds python3's verdicts by key `before:name` and `after:name`.
 */
export function checkFixedFile(
  env: FuzzEnv, name: string, original: Buffer, fixed: Buffer, reported: boolean,
  verdicts: ReadonlyMap<string, PyError | null>, fail: (f: Failure) => void,
): void {
  const changed = !original.equals(fixed);
  if (!changed) {
    if (reported) fail({ oracle: "fixed lines", message: `a "fixed" line names ${name} but the file did not change`, file: name });
    return;
  }
  if (!reported) fail({ oracle: "fixed lines", message: `${name} changed but no "fixed" line names it`, file: name });
  const text = writableText(original);
  if (text === null) {
    fail({ oracle: "undecodable untouched", message: `${name} holds NUL, invalid UTF-8 or non-ASCII under a non-UTF-8 coding cookie, but was rewritten`, file: name });
    return;
  }
  if (hasBom(original) !== hasBom(fixed)) fail({ oracle: "line endings kept", message: `${name}: the BOM was ${hasBom(original) ? "dropped" : "added"}`, file: name });
  const kindsBefore = breakKinds(original);
  const kindsAfter = breakKinds(fixed);
  const added = [...kindsAfter].filter((k) => !kindsBefore.has(k));
  if (kindsBefore.size > 0 ? added.length > 0 : kindsAfter.size > 1) {
    fail({ oracle: "line endings kept", message: `${name}: line breaks were ${[...kindsBefore].join("+") || "none"}, the fix added ${added.join("+")}`, file: name });
  }
  const pyBefore = verdicts.get(`before:${name}`);
  const pyAfter = verdicts.get(`after:${name}`);
  if (pyBefore === undefined || pyAfter === undefined) return;
  if (pyBefore === null) {
    if (pyAfter !== null) fail({ oracle: "still compiles", message: `${name} compiled before the fix; after it: ${pyAfter.message} at line ${pyAfter.line}`, file: name });
    return;
  }
  // It had syntax errors: the fix must add none.
  const fixedText = writableText(fixed);
  if (fixedText === null) {
    fail({ oracle: "no new syntax errors", message: `${name}: the fixed file is not valid UTF-8`, file: name });
    return;
  }
  const errorsBefore = syntaxErrorNodes(env.parser, text);
  const errorsAfter = syntaxErrorNodes(env.parser, fixedText);
  if (errorsAfter > errorsBefore) {
    fail({ oracle: "no new syntax errors", message: `${name}: tree-sitter finds ${errorsAfter} ERROR/MISSING nodes after the fix, ${errorsBefore} before`, file: name });
  }
  if (pyAfter === null || pyBefore.line === null || pyAfter.line === null) return;
  const mapped = mapLine(linesOf(text), linesOf(fixedText), pyBefore.line);
  if (mapped !== null && pyAfter.line < mapped) {
    fail({
      oracle: "no new syntax errors",
      message: `${name}: python3's first error was "${pyBefore.message}" at line ${pyBefore.line} (line ${mapped} after the fix), and is now "${pyAfter.message}" at line ${pyAfter.line}`,
      file: name,
    });
  }
}

function failIfChanged(c: FuzzCase, dir: string, what: string, fail: (f: Failure) => void): void {
  const now = readFiles(c, dir);
  for (const f of c.files) {
    const bytes = now.get(f.name);
    if (!bytes) fail({ oracle: "writes nothing", message: `${what}: ${f.name} disappeared`, file: f.name });
    else if (!bytes.equals(f.bytes)) fail({ oracle: "writes nothing", message: `${what} changed ${f.name}`, file: f.name });
  }
}

/** Apply a unified diff with GNU patch: -p1 under `dir`, or to one file (`-o`). */
function applyPatch(diff: Buffer, dir: string, single?: { input: string; output: string }): string | null {
  const args = ["--binary", "-F0", "-N", "-s", "--no-backup-if-mismatch", "--reject-file=-"];
  if (single) args.push("-o", single.output, single.input);
  else args.push("-p1", "-d", dir);
  const r = spawnSync("patch", args, { input: diff, encoding: "utf8", timeout: 120_000 });
  if (r.status === 0) return null;
  return `patch exited ${r.status}: ${(r.stdout + r.stderr).trim().slice(0, 500)}`;
}

/** python3's verdicts before the fix, keyed `before:name`, for the regular files of the case. */
function verdictsBefore(c: FuzzCase, dir: string): Map<string, PyError | null> {
  const paths = c.files.map((f) => join(dir, f.name));
  const raw = pythonVerdicts(paths);
  return new Map(c.files.map((f) => [`before:${f.name}`, raw.get(join(dir, f.name)) ?? null]));
}

function addVerdictsAfter(verdicts: Map<string, PyError | null>, dir: string, names: readonly string[]): void {
  const raw = pythonVerdicts(names.map((n) => join(dir, n)));
  for (const n of names) verdicts.set(`after:${n}`, raw.get(join(dir, n)) ?? null);
}

/** Run case `c` and judge it. */
export function runCase(env: FuzzEnv, c: FuzzCase): CaseResult {
  const started = performance.now();
  const failures: Failure[] = [];
  const fail = (f: Failure): void => {
    failures.push(f);
  };
  const dir = mkdtempSync(join(env.workDir, `case-${c.index}-`));
  const inDir = join(dir, "in");
  let runs = 0;
  let fixed = 0;
  let fixedBroken = 0;
  let status: number | null = null;
  let slowest: CaseResult["slowest"] = null;
  const run = (args: string[], cwd: string, files: number, input?: Buffer): Run => {
    runs++;
    const r = runMemhint(env, args, cwd, files, input);
    if (!slowest || r.ms / r.budgetMs > slowest.ms / slowest.budgetMs) slowest = { ms: r.ms, inputs: files, budgetMs: r.budgetMs, args };
    return r;
  };
  try {
    const { mode } = c;
    const fixing = mode.action !== "lint";
    const unsafe = mode.action.endsWith("-unsafe");
    const fixAction: Action = unsafe ? "fix-unsafe" : "fix";
    const inputs = c.files.length + c.specials.length;
    if (mode.input === "stdin") {
      const file = c.files[0];
      const name = mode.stdinName ?? "-";
      materialize(c, inDir);
      const first = run(checkArgs(c), inDir, 1, file.bytes);
      status = first.status;
      checkProcess(first, mode.action, fail);
      if (first.timedOut) return done();
      const original = new Map([[name, file.bytes]]);
      if (mode.action === "lint") {
        const keys = checkFindings(first, c, original, fail);
        // The same findings as for a file with the same content.
        const refDir = join(dir, "ref");
        materialize({ ...c, files: [{ ...file, name: "ref.py" }] }, refDir);
        const fileCase: FuzzCase = { ...c, files: [{ ...file, name: "ref.py" }], mode: { ...mode, input: "paths", stdinName: null } };
        const reference = run(checkArgs(fileCase), refDir, 1);
        checkProcess(reference, "the same check on a file", fail);
        const refKeys = checkFindings(reference, fileCase, new Map([["ref.py", file.bytes]]), fail);
        const strip = (k: string[] | null): string[] | null => k && k.map((x) => x.split(":").slice(-3).join(":"));
        const diff = keys && refKeys ? firstDifference(strip(keys)!, strip(refKeys)!) : null;
        if (diff) fail({ oracle: "stdin = file", message: `stdin and a file with the same content give different findings: ${diff}`, file: file.name });
        if (reference.status !== first.status) fail({ oracle: "stdin = file", message: `stdin exits ${first.status}, the same file ${reference.status}`, file: file.name });
        return done();
      }
      // The reference: --fix on a file with the same content.
      const refDir = join(dir, "ref");
      materialize({ ...c, files: [{ ...file, name: "ref.py" }] }, refDir);
      const reference = run(["check", "--no-config", "--select", "ALL", ...actionArgs(fixAction), "ref.py"], refDir, 1);
      checkProcess(reference, "the reference --fix on a file", fail);
      const expected = readFileSync(join(refDir, "ref.py"));
      let fixedBytes: Buffer;
      if (mode.action.startsWith("diff")) {
        checkFindings(first, c, original, fail);
        const viaFix = run(checkArgs(c, fixAction), inDir, 1, file.bytes);
        checkProcess(viaFix, "stdin --fix", fail);
        fixedBytes = viaFix.stdout;
        const patchDir = join(dir, "patched");
        mkdirSync(patchDir);
        writeFileSync(join(patchDir, "orig.py"), file.bytes);
        const why = first.stdout.length === 0 ? null : applyPatch(first.stdout, patchDir, { input: join(patchDir, "orig.py"), output: join(patchDir, "new.py") });
        if (why) fail({ oracle: "diff applies", message: `the --diff output does not apply: ${why}`, file: file.name });
        else {
          const patched = first.stdout.length === 0 ? file.bytes : readFileSync(join(patchDir, "new.py"));
          if (!patched.equals(fixedBytes)) fail({ oracle: "diff = fix", message: "the --diff output applied with patch differs from what stdin --fix prints", file: file.name });
        }
      } else {
        fixedBytes = first.stdout;
        checkFindings(first, c, new Map([[name, fixedBytes]]), fail);
      }
      if (!fixedBytes.equals(expected)) {
        fail({ oracle: "stdin = file", message: `stdin --fix printed ${fixedBytes.length} bytes, --fix on a file wrote ${expected.length} bytes, and they differ`, file: file.name });
      }
      // The per-file oracles on what --fix wrote to the file.
      const verdicts = new Map<string, PyError | null>();
      const raw = pythonVerdicts([join(inDir, file.name), join(refDir, "ref.py")]);
      verdicts.set(`before:ref.py`, raw.get(join(inDir, file.name)) ?? null);
      verdicts.set(`after:ref.py`, raw.get(join(refDir, "ref.py")) ?? null);
      checkFixedFile(env, "ref.py", file.bytes, expected, fixedNames(reference).has("ref.py"), verdicts, fail);
      if (!expected.equals(file.bytes)) {
        fixed = 1;
        if (verdicts.get("before:ref.py")) fixedBroken = 1;
      }
      return done();
    }

    materialize(c, inDir);
    const verdicts = fixing ? verdictsBefore(c, inDir) : new Map<string, PyError | null>();
    const first = run(checkArgs(c), inDir, inputs);
    status = first.status;
    checkProcess(first, mode.action, fail);
    if (first.timedOut) return done();
    const originals = new Map(c.files.map((f) => [f.name, f.bytes]));
    if (!fixing) {
      const keys = checkFindings(first, c, originals, fail);
      failIfChanged(c, inDir, "a run without --fix", fail);
      checkSideFiles(c, inDir, fail);
      // The same findings, in the same order, on another number of threads and in the other format.
      const other: FuzzCase = { ...c, mode: { ...mode, jobs: mode.jobs === 1 ? 2 : 1, format: mode.format === "json" ? "text" : "json" } };
      const again = run(checkArgs(other), inDir, inputs);
      checkProcess(again, "the same check with other --jobs and --format", fail);
      if (again.timedOut) return done();
      const keys2 = checkFindings(again, other, originals, fail);
      const what = `memhint ${checkArgs(c).slice(1, 6).join(" ")} and memhint ${checkArgs(other).slice(1, 6).join(" ")}`;
      if (again.status !== first.status) fail({ oracle: "same findings", message: `${what} exit ${first.status} and ${again.status}` });
      const diff = keys && keys2 ? firstDifference(keys, keys2) : null;
      if (diff) fail({ oracle: "same findings", message: `${what} differ: ${diff}` });
      if (mode.format === "text" && first.stderr !== again.stderr) {
        fail({ oracle: "same findings", message: `${what}: stderr differs: ${JSON.stringify(first.stderr.slice(0, 300))} vs ${JSON.stringify(again.stderr.slice(0, 300))}` });
      }
      return done();
    }
    let fixRun = first;
    let patched: string | null = null;
    if (mode.action.startsWith("diff")) {
      checkFindings(first, c, originals, fail);
      failIfChanged(c, inDir, "--diff", fail);
      patched = join(dir, "patched");
      materialize(c, patched, false);
      const why = first.stdout.length === 0 ? null : applyPatch(first.stdout, patched);
      if (why) {
        fail({ oracle: "diff applies", message: `the --diff output does not apply: ${why}` });
        patched = null;
      }
      fixRun = run(checkArgs(c, fixAction), inDir, inputs);
      checkProcess(fixRun, fixAction, fail);
      if (fixRun.timedOut) return done();
    }
    const after = readFiles(c, inDir);
    checkFindings(fixRun, c, after, fail);
    checkSideFiles(c, inDir, fail);
    const reported = fixedNames(fixRun);
    const changed = c.files.filter((f) => after.has(f.name) && !after.get(f.name)!.equals(f.bytes)).map((f) => f.name);
    fixed = changed.length;
    fixedBroken = changed.filter((n) => verdicts.get(`before:${n}`)).length;
    addVerdictsAfter(verdicts, inDir, changed);
    for (const f of c.files) {
      const now = after.get(f.name);
      if (!now) {
        fail({ oracle: "fixed lines", message: `${f.name} disappeared`, file: f.name });
        continue;
      }
      checkFixedFile(env, f.name, f.bytes, now, reported.has(f.name), verdicts, fail);
    }
    if (patched !== null) {
      const viaPatch = readFiles(c, patched);
      for (const f of c.files) {
        const a = after.get(f.name);
        const b = viaPatch.get(f.name);
        if (a && b && !a.equals(b)) fail({ oracle: "diff = fix", message: `${f.name}: the --diff output applied with patch differs from what --fix wrote`, file: f.name });
      }
    } else if (!mode.action.startsWith("diff")) {
      // Fixes converge: a second --fix finds nothing more to fix.
      const again = run(checkArgs(c), inDir, inputs);
      checkProcess(again, "the second --fix", fail);
      if (!again.timedOut) {
        const second = readFiles(c, inDir);
        for (const f of c.files) {
          const a = after.get(f.name);
          const b = second.get(f.name);
          if (a && b && !a.equals(b)) fail({ oracle: "fixes converge", message: `a second --fix changed ${f.name} again`, file: f.name });
        }
        for (const [n, line] of fixedNames(again)) fail({ oracle: "fixes converge", message: `a second --fix says ${n}: ${line}`, file: n });
        checkSideFiles(c, inDir, fail);
      }
    }
    return done();
  } catch (error) {
    fail({ oracle: "fuzzer", message: `the fuzzer itself failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}` });
    return done();
  } finally {
    if (!env.keep) rmSync(dir, { recursive: true, force: true });
  }

  function done(): CaseResult {
    return { fuzzCase: c, status, runs, fixed, fixedBroken, slowest, failures, ms: performance.now() - started };
  }
}

// ---------------------------------------------------------------------------------------------
// Reports

/** A shell-quoted word. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Save a failing case under `dir` (e.g. `.fuzz-failures/`): its input files, `case.json` (mode,
 * mutations, failures) and `repro.sh`, which rebuilds the folder (non-regular files included)
 * in a temporary directory and runs the same command. Returns the folder.
 */
export function saveFailure(env: FuzzEnv, result: CaseResult, dir: string): string {
  const c = result.fuzzCase;
  const out = join(dir, `seed-${c.seed}-case-${c.index}`);
  rmSync(out, { recursive: true, force: true });
  materialize(c, join(out, "input"), false);
  const args = checkArgs(c);
  writeFileSync(join(out, "case.json"), `${JSON.stringify({
    seed: c.seed, case: c.index, mode: c.mode, command: `memhint ${args.map(sh).join(" ")}`, specials: c.specials,
    files: c.files.map((f) => ({ name: f.name, origin: f.origin, bytes: f.bytes.length, mutations: f.mutations })),
    failures: result.failures,
  }, null, 2)}\n`);
  const lines = [
    "#!/bin/sh",
    `# memhint CLI fuzzer: seed ${c.seed}, case ${c.index} (${caseLabel(c)}). Rebuilds the input in a temporary folder and runs the command.`,
    `# Replay the whole case with its oracles: npm run fuzz:cli -- --seed ${c.seed} --case ${c.index}`,
    "set -e",
    'here=$(cd "$(dirname "$0")" && pwd)',
    "dir=$(mktemp -d)",
    'cp -R "$here/input/." "$dir/"',
    'cd "$dir"',
  ];
  for (const s of c.specials) {
    if (s === "fifo") lines.push("mkfifo x.py");
    if (s === "fifo-gitignore") lines.push("mkfifo .gitignore");
    if (s === "dev-zero") lines.push("ln -s /dev/zero z.py");
    if (s === "link-loop") lines.push("ln -s loop2.py loop1.py", "ln -s loop1.py loop2.py");
  }
  const memhint = `node ${sh(env.bin)} ${args.map(sh).join(" ")}`;
  lines.push('echo "in $dir:" >&2');
  lines.push(c.mode.input === "stdin" ? `${memhint} < ${sh(c.files[0].name)}` : memhint);
  writeFileSync(join(out, "repro.sh"), `${lines.join("\n")}\n`, { mode: 0o755 });
  return out;
}

/** A failure as the report prints it. */
export function describeFailure(result: CaseResult, saved?: string): string {
  const c = result.fuzzCase;
  const lines = [`FAIL seed ${c.seed} case ${c.index} (${caseLabel(c)}, ${checkArgs(c).slice(0, 8).join(" ")}${checkArgs(c).length > 8 ? " ..." : ""})`];
  for (const f of result.failures) {
    lines.push(`  [${f.oracle}] ${f.message}`);
    const file = f.file ? c.files.find((x) => x.name === f.file) : undefined;
    if (file) lines.push(`      from ${file.origin}; ${file.mutations.join("; ") || "not mutated"}`);
  }
  if (saved) lines.push(`  saved: ${saved} (repro.sh runs the command; case.json has the details)`);
  lines.push(`  replay: npm run fuzz:cli -- --seed ${c.seed} --case ${c.index}`);
  return lines.join("\n");
}

/** Tallies for the end-of-run table: per action/input, cases, files and outcomes. */
export class Tally {
  readonly rows = new Map<string, { cases: number; files: number; exit0: number; exit1: number; exit2: number; other: number; failed: number; fixed: number; fixedBroken: number; runs: number; ms: number }>();
  readonly byOracle = new Map<string, number>();

  add(result: CaseResult): void {
    const label = caseLabel(result.fuzzCase);
    let row = this.rows.get(label);
    if (!row) this.rows.set(label, (row = { cases: 0, files: 0, exit0: 0, exit1: 0, exit2: 0, other: 0, failed: 0, fixed: 0, fixedBroken: 0, runs: 0, ms: 0 }));
    row.cases++;
    row.files += result.fuzzCase.files.length;
    row.runs += result.runs;
    row.fixed += result.fixed;
    row.fixedBroken += result.fixedBroken;
    row.ms += result.ms;
    if (result.status === 0) row.exit0++;
    else if (result.status === 1) row.exit1++;
    else if (result.status === 2) row.exit2++;
    else row.other++;
    if (result.failures.length > 0) row.failed++;
    for (const f of new Set(result.failures.map((x) => x.oracle))) this.byOracle.set(f, (this.byOracle.get(f) ?? 0) + 1);
  }

  table(): string {
    const header = ["mode", "cases", "files", "files fixed", "of them with syntax errors", "exit 0", "exit 1", "exit 2", "other", "failed", "memhint runs", "seconds"];
    const rows = [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const total = { cases: 0, files: 0, exit0: 0, exit1: 0, exit2: 0, other: 0, failed: 0, fixed: 0, fixedBroken: 0, runs: 0, ms: 0 };
    for (const [, r] of rows) for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += r[k];
    const cells = [...rows, ["total", total] as const].map(([label, r]) => [label, r.cases, r.files, r.fixed, r.fixedBroken, r.exit0, r.exit1, r.exit2, r.other, r.failed, r.runs, (r.ms / 1000).toFixed(0)].map(String));
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
    const line = (row: string[]): string => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" | ")} |`;
    const out = [line(header), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...cells.map(line)];
    if (this.byOracle.size > 0) {
      out.push("", "| oracle violated | cases |", "|---|---:|");
      for (const [oracle, n] of [...this.byOracle.entries()].sort()) out.push(`| ${oracle} | ${n} |`);
    }
    return out.join("\n");
  }
}
