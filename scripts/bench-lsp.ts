/**
 * `npm run bench:lsp`: edit-to-diagnostics latency of the real language server on a large real
 * file, and its memory after opening many files. Spawns `memhint lsp --stdio`, opens CPython's
 * `_pydecimal.py` (about 6,400 lines), types code into it one keystroke at a time, and times each
 * keystroke from sending `didChange` to receiving the `publishDiagnostics` for that version:
 *   - incremental: range edits, as editors send them (Tree.edit + reparse with the old tree);
 *   - full: the same edits sent as whole-document changes (a fresh parse every time).
 * Then opens 200 standard-library files and prints the server's resident memory. Finally a
 * breakdown, in this process, of where one lint of the file goes.
 *
 *   npm run bench:lsp [-- --interval=MS --rounds=N --files=N --modes=keystrokes,auto-close,full --at=middle --trace]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { allRules } from "../rules/index.js";
import { pythonFiles, stdlibPath } from "./corpus.js";
import { LineIndex, lintTree, loadPythonParser, resolveSettings } from "../server/engine/index.js";
import { MODEL_NODE_TYPES, SemanticModel } from "../server/engine/model.js";
import { EditableTree } from "../server/engine/editable-tree.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "memhint.js");

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}

/** Pause between keystrokes: a fast typist (human typing is 100–200 ms a key). */
const INTERVAL_MS = option("interval", 40);
/** Typing sessions per mode; each types one line of code, a keystroke at a time. */
const ROUNDS = option("rounds", 6);
const FILES = option("files", 200);
/** `--select=MH101,MH102`: lint with these rules only (to see what each costs). */
/** `--at=middle`: type before an assignment in a method instead of after its `return`; `--at=class`: type a new method. */
const AT = process.argv.find((a) => a.startsWith("--at="))?.slice(5) ?? "end";
/** `--trace`: print every keystroke's timings and how it was linted. */
const TRACE = process.argv.includes("--trace");
const SELECT = process.argv.find((a) => a.startsWith("--select="))?.slice(9).split(",").filter(Boolean);

interface Message {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: any;
}

class Client {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiters: Array<{ test: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  readonly child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ["--cpu-prof", "--cpu-prof-dir=" + process.env.BENCH_PROF] : []), BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, MEMHINT_LSP_TIMING: "1" } });
  /** Server-side parse and lint times per published version of a URI. */
  readonly timings = new Map<string, { parse: number; lint: number; how: string }>();

  constructor() {
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const end = this.buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
        if (this.buffer.length < end + 4 + length) return;
        const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString("utf8")) as Message;
        this.buffer = this.buffer.subarray(end + 4 + length);
        if (message.method && message.id !== undefined) this.send({ jsonrpc: "2.0", id: message.id, result: null });
        const timing = message.method === "window/logMessage" ? /^timing (\S+) v(\d+): parse ([\d.]+) ms, lint ([\d.]+) ms \((.*)\)/.exec(message.params.message) : null;
        if (timing) this.timings.set(`${timing[1]}#${timing[2]}`, { parse: Number(timing[3]), lint: Number(timing[4]), how: timing[5] });
        for (let i = 0; i < this.waiters.length; i++) {
          if (this.waiters[i].test(message)) {
            this.waiters.splice(i, 1)[0].resolve(message);
            break;
          }
        }
      }
    });
  }

  send(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  wait(test: (m: Message) => boolean): Promise<Message> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    const answer = this.wait((m) => m.id === id && m.method === undefined);
    this.send({ jsonrpc: "2.0", id, method, params });
    return answer;
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  published(uri: string, version: number): Promise<Message> {
    return this.wait((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.version === version);
  }

  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(12)} n=${String(s.length).padEnd(4)} p50 ${percentile(s, 0.5).toFixed(1).padStart(6)} ms   p95 ${percentile(s, 0.95).toFixed(1).padStart(6)} ms   max ${s[s.length - 1].toFixed(1).padStart(6)} ms`;
}

/** Server-side split of each measured edit. */
type Mode = "keystrokes" | "auto-close" | "full";
/** `--modes=keystrokes,auto-close`: measure only these (all three by default). */
const MODES: Mode[] = (process.argv.find((a) => a.startsWith("--modes="))?.slice(8).split(",") as Mode[] | undefined) ?? ["keystrokes", "auto-close", "full"];
const serverSide: Array<{ parse: number; lint: number; how: string; total: number; mode: Mode }> = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lines of code typed into method bodies of the file, a keystroke at a time. */
const TYPED = [
  "        squares = sum([k * k for k in range(1000)])",
  "        if self._is_special and other is None:",
  "        digits = [int(c) for c in str(abs(self._int))]",
];

/** One-line methods typed into classes (`--at=class`). */
const TYPED_METHODS = [
  "    def squares(self, n): return sum([k * k for k in range(n)])",
  "    def is_none(self, other): return self._is_special and other is None",
];

/** Brackets an editor closes as their opener is typed (and types over when the closer is typed). */
const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/**
 * `full`: send each change as the whole text. `autoClose`: type as editors with auto-closing
 * brackets do (VS Code, Helix and Zed by default): an opener inserts its pair, and typing the
 * closer types over it, so the line stays balanced.
 */
async function typingSession(
  client: Client, uri: string, text: string[], version: { v: number }, mode: Mode, round: number,
): Promise<number[]> {
  const full = mode === "full";
  // Type a new line inside a method body, at places spread over the file: after a `return` at
  // the method's level (so the method's end or the next `def` follows), or, with --at=middle,
  // before an assignment in the middle of a method (so more of its code follows).
  // With --at=class, a new one-line method after a method's last `return`.
  const pattern = AT === "middle" ? /^ {8}[a-z_]\w* = / : /^ {8}return /;
  const anchors = text.map((l, i) => [l, i] as const).filter(([l]) => pattern.test(l)).map(([, i]) => i);
  const line = anchors[Math.floor(((round + 0.5) / ROUNDS) * anchors.length)] + (AT === "middle" ? 0 : 1);
  const typed = AT === "class" ? TYPED_METHODS[round % TYPED_METHODS.length] : TYPED[round % TYPED.length];
  const samples: number[] = [];
  text.splice(line, 0, "");
  const insert = (edit: { line: number; character: number; text: string; endCharacter?: number; endLine?: number }): Promise<number> => {
    version.v++;
    const v = version.v;
    const start = performance.now();
    const done = client.published(uri, v).then(() => {
      const elapsed = performance.now() - start;
      const server = client.timings.get(`${uri}#${v}`);
      if (server) serverSide.push({ ...server, total: elapsed, mode });
      if (TRACE && server) console.log(`  ${mode} ${server.how.padEnd(28)} total ${elapsed.toFixed(1).padStart(5)} parse ${server.parse.toFixed(1).padStart(5)} lint ${server.lint.toFixed(1).padStart(5)}  ${JSON.stringify(text[line])}`);
      return elapsed;
    });
    const range = { start: { line: edit.line, character: edit.character }, end: { line: edit.endLine ?? edit.line, character: edit.endCharacter ?? edit.character } };
    client.notify("textDocument/didChange", {
      textDocument: { uri, version: v },
      contentChanges: full ? [{ text: text.join("\n") }] : [{ range, text: edit.text }],
    });
    return done;
  };
  // The new line itself, then each character.
  samples.push(await insert({ line, character: 0, text: "\n" }));
  for (let i = 0; i < typed.length; i++) {
    await sleep(INTERVAL_MS);
    const c = typed[i];
    const after = text[line].slice(i);
    if (mode === "auto-close" && after.startsWith(c) && Object.values(CLOSER).includes(c)) {
      samples.push(await insert({ line, character: i, endCharacter: i + 1, text: c }));
    } else if (mode === "auto-close" && CLOSER[c]) {
      text[line] = text[line].slice(0, i) + c + CLOSER[c] + after;
      samples.push(await insert({ line, character: i, text: c + CLOSER[c] }));
    } else {
      text[line] = text[line].slice(0, i) + c + after;
      samples.push(await insert({ line, character: i, text: c }));
    }
  }
  if (text[line] !== typed) throw new Error(`typing session typed ${JSON.stringify(text[line])}`);
  // Delete it again from the end, a word-sized chunk at a time.
  for (let end = typed.length; end > 0; end -= 4) {
    const begin = Math.max(0, end - 4);
    await sleep(INTERVAL_MS);
    text[line] = text[line].slice(0, begin);
    samples.push(await insert({ line, character: begin, endCharacter: end, text: "" }));
  }
  const rest = text[line];
  text.splice(line, 1);
  await sleep(INTERVAL_MS);
  samples.push(await insert({ line, character: 0, endLine: line + 1, endCharacter: 0, text: "" }));
  if (rest.length > 0) throw new Error("typing session left text behind");
  return samples;
}

async function main(): Promise<void> {
  const stdlib = stdlibPath();
  const pydecimal = join(stdlib, "_pydecimal.py");
  const source = readFileSync(pydecimal, "utf8");
  console.log(`memhint bench:lsp — node ${process.version}, ${source.split("\n").length} lines in ${pydecimal}`);
  console.log(`typing: ${ROUNDS} lines per mode, ${AT === "middle" ? "each before an assignment in a method" : AT === "class" ? "each a new method after a method" : "each after a method-level return"}, a keystroke every ${INTERVAL_MS} ms (delete in steps of 4 characters)`);
  console.log(`rules: ${SELECT ? SELECT.join(", ") : `all ${allRules.length}`}; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n`);

  const client = new Client();
  await client.request("initialize", {
    processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { memhint: { select: SELECT ?? ["ALL"] } },
  });
  client.notify("initialized", {});
  const uri = pathToFileURL(pydecimal).href;
  const opened = performance.now();
  const first = client.published(uri, 1);
  client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: source } });
  await first;
  console.log(`open → first diagnostics: ${(performance.now() - opened).toFixed(1)} ms`);

  const version = { v: 1 };
  const text = source.split("\n");
  // Warm up every path (JIT, WebAssembly tier-up) before measuring.
  for (const mode of MODES) await typingSession(client, uri, text, version, mode, 0);
  const results = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const measuredFrom = serverSide.length;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) results.get(mode)!.push(...(await typingSession(client, uri, text, version, mode, round)));
  }
  console.log("\nedit → diagnostics (didChange sent → publishDiagnostics received):");
  const LABEL: Record<Mode, string> = {
    keystrokes: "incremental: range edits, one per key, brackets typed by hand (Neovim's default)",
    "auto-close": "incremental: range edits, brackets closed as they open (VS Code, Helix, Zed defaults)",
    full: "full reparse: every change sent as the whole text",
  };
  const measured = serverSide.slice(measuredFrom);
  for (const mode of MODES) {
    console.log(summary(mode, results.get(mode)!), ` ${LABEL[mode]}`);
    const own = measured.filter((m) => m.mode === mode);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const parse = median(own.map((m) => m.parse));
    const lint = median(own.map((m) => m.lint));
    const rest = median(own.map((m) => m.total - m.parse - m.lint));
    console.log(`  medians: parse ${parse.toFixed(1)} ms + lint ${lint.toFixed(1)} ms + the rest (edit, protocol, pipes) ${rest.toFixed(1)} ms`);
    if (mode !== "full") {
      // The tail of the keystrokes linted incrementally, part by part.
      const inc = own.filter((m) => m.how === "incremental");
      const p95 = (xs: number[]): string => percentile([...xs].sort((a, b) => a - b), 0.95).toFixed(1);
      console.log(`  p95 of the ${inc.length} linted incrementally: total ${p95(inc.map((m) => m.total))} ms, parse ${p95(inc.map((m) => m.parse))} ms, lint ${p95(inc.map((m) => m.lint))} ms, the rest ${p95(inc.map((m) => m.total - m.parse - m.lint))} ms`);
    }
    if (mode !== "full") {
      // How the server linted each keystroke: only the edited function, or (and why) the whole file.
      const how = new Map<string, number>();
      for (const m of own) how.set(m.how, (how.get(m.how) ?? 0) + 1);
      const parts = [...how].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
      console.log(`  linted: ${parts.join(", ")}`);
    }
  }

  // The floor under every number above: a request that does no linting (hover over a blank line).
  const roundTrips: number[] = [];
  const blank = text.findIndex((l) => l.trim() === "");
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await client.request("textDocument/hover", { textDocument: { uri }, position: { line: blank, character: 0 } });
    roundTrips.push(performance.now() - t);
  }
  console.log(summary("round trip", roundTrips), "(hover with nothing to lint: protocol, pipes, scheduling)");

  // Memory: 200 standard-library files open at once.
  // Library code, not tests or the IDLE and lib2to3 packages (many near-identical files).
  const skipped = new Set(["test", "tests", "idlelib", "lib2to3"]);
  const files = pythonFiles(stdlib)
    .filter((f) => f !== pydecimal && !f.slice(stdlib.length).split("/").some((part) => skipped.has(part)))
    .slice(0, FILES - 1);
  const waits: Promise<Message>[] = [];
  for (const file of files) {
    const fileUri = pathToFileURL(file).href;
    waits.push(client.published(fileUri, 1));
    client.notify("textDocument/didOpen", { textDocument: { uri: fileUri, languageId: "python", version: 1, text: readFileSync(file, "utf8") } });
  }
  const t0 = performance.now();
  await Promise.all(waits);
  await sleep(500);
  console.log(`\n${files.length + 1} files open (linted in ${((performance.now() - t0) / 1000).toFixed(1)} s): server RSS ${client.rssMiB().toFixed(0)} MiB`);

  await client.request("shutdown", null);
  client.notify("exit", null);

  // Where one lint pass of the file goes, measured in this process.
  const parser = await loadPythonParser();
  const settings = resolveSettings({ select: SELECT ?? ["ALL"] });
  const tree = parser.parse(source);
  /** The median time of `f`, or of the milliseconds it returns when it times a part of itself. */
  const time = (f: () => unknown, n = 60): number => {
    for (let i = 0; i < n / 3; i++) f(); // warm up the JIT first
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const own = f();
      samples.push(typeof own === "number" ? own : performance.now() - t);
    }
    return samples.sort((a, b) => a - b)[n >> 1];
  };
  const types = new Set<string>(MODEL_NODE_TYPES);
  for (const rule of SELECT ? allRules.filter((r) => SELECT.includes(r.code)) : allRules) for (const t of rule.nodeTypes) types.add(t);
  const nodes = tree.rootNode.descendantsOfType([...types]).filter((n) => n !== null);
  const rules = SELECT ? allRules.filter((r) => SELECT.includes(r.code)) : allRules;
  const lintMs = time(() => lintTree(tree, source, rules, settings));
  const fetchMs = time(() => tree.rootNode.descendantsOfType([...types]));
  const modelMs = time(() => new SemanticModel(tree.rootNode, nodes));
  const lineMs = time(() => new LineIndex(source));
  console.log(`\none lint pass of the file, in process (medians): lintTree ${lintMs.toFixed(1)} ms =`);
  console.log(`  native fetch of ${nodes.length} nodes (${types.size} types, walks all ${tree.rootNode.descendantCount} nodes): ${fetchMs.toFixed(1)} ms`);
  console.log(`  semantic model: ${modelMs.toFixed(1)} ms`);
  console.log(`  line index: ${lineMs.toFixed(1)} ms`);
  // (Not per rule: rules share facts computed on first request, which whichever rule asks first
  // pays for. `npm run bench:rules` times the rules over the standard library.)
  console.log(`  the rules' checks, suppressions and diagnostics: ${Math.max(0, lintMs - fetchMs - modelMs - lineMs).toFixed(1)} ms`);
  const mid = source.indexOf("\n", source.length >> 1) + 1;
  const lines = new LineIndex(source);
  const edited = `${source.slice(0, mid)}#${source.slice(mid)}`;
  const editedLines = new LineIndex(edited);
  const reparse = time(() => {
    const editable = new EditableTree(parser, source);
    const start = performance.now();
    editable.edit(mid, mid, 1, lines, editedLines);
    editable.reparse(editedLines);
    const ms = performance.now() - start;
    editable.delete();
    return ms;
  }, 30);
  const fresh = time(() => parser.parse(source).delete(), 20);
  console.log(`parse: incremental after a one-character edit ${reparse.toFixed(1)} ms, fresh ${fresh.toFixed(1)} ms`);
  tree.delete();
}

await main();
