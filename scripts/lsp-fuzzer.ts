/**
 * The language server fuzzer behind `npm run fuzz:lsp` (scripts/fuzz-lsp.ts) and its sample in
 * the tests (test/lsp/fuzz.test.ts).
 *
 * A case starts a real server (`memhint lsp --stdio`; push diagnostics in even cases, pull in
 * odd ones; UTF-16 positions mostly, UTF-8 or UTF-32 at times), opens a few documents (slices of
 * CPython's standard library and of memhint's fixtures, with CRLF or lone CR line endings at
 * times, and comments MH001 reports on many lines, so that any difference in the server's copy
 * of a text shows) and sends a random sequence of edits (didChange ranges: insertions, deletions
 * across lines, CJK and emoji, line breaks of every kind, pasted library code; several changes
 * in one didChange; bursts of edits in one write; lines typed a key at a time, with auto-closed
 * brackets, and deleted again; whole-text replacements; close and reopen; client settings
 * changed, validly or not) interleaved with noise:
 * garbage bytes, bad headers, wrong Content-Lengths, invalid JSON, JSON that is not JSON-RPC,
 * unknown methods, requests and notifications with bad parameters, cancellations, and large
 * messages under the size cap. Then:
 *   - the server must answer a request within 5 s;
 *   - every request of the case must have been answered, none with InternalError;
 *   - the log must hold no error but the reports of the noise (a rule or lint that threw is one);
 *   - each document's diagnostics must equal those a reference server (started once per run)
 *     gives for a fresh didOpen of the final text;
 *   - shutdown and exit must end the process with status 0.
 * Cases are seeded from the run's seed and their index, so `--seed S --case K` replays one.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LspClient, type Message, REPO_ROOT, ResponseFailure } from "../test/helpers/lsp-client.js";
import { random } from "../test/helpers/random.js";
import { pythonFiles, stdlibPath } from "./corpus.js";

export interface FuzzOptions {
  seed: number;
  /** Stop after this many cases (and/or `minutes`; whichever comes first). */
  cases?: number;
  minutes?: number;
  /** Run only this case of the seed (a reproduction). */
  only?: number;
  /** Progress and failure lines. */
  log?: (line: string) => void;
  /** Where the bytes of a failing case are saved (replay: `memhint lsp --stdio < file`). */
  failureDir?: string;
  /** Edit/noise steps per case (default 20 to 80). */
  steps?: [number, number];
  /** The largest "huge but under the cap" message (default 6 MiB). */
  hugeBytes?: number;
}

export interface CaseResult {
  index: number;
  seed: number;
  mode: "push" | "pull";
  steps: number;
  messages: number;
  problems: string[];
  ms: number;
}

export interface FuzzSummary {
  seed: number;
  results: CaseResult[];
  failures: CaseResult[];
  /** How many of each kind of step were sent, over all cases. */
  sent: Record<string, number>;
}

/** A case's seed: the run's seed and the case's index, mixed. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const UNICODE = ["日本語", "変数", "값", "😀", "👩‍👩‍👧", "🎉x", "𝔘𝔫𝔦", "é", "e\u0301", "中文注释", "ñ", "\u200b", "Ω≈ç√"];
const TYPED = [..."abcxyz_0123456789 ()[]{}:.,=+-*#'\"\t", "\n", "\r\n", "\r", "    ", "def ", "for ", "in ", "return ", "sum(", "[x for x in y]", "lru_cache"];
const BREAKS = ["\n", "\r\n", "\r"];
/** Code typed a key at a time: lines that rules check, brackets that stay open while typed, Unicode. */
const TYPED_LINES = [
  "total = sum([x * x for x in range(10)])", "for line in f.readlines():", "@functools.lru_cache(maxsize=None)",
  "CACHE[key] = value", "def grow(self, n): return [n] * n", "self.parent = parent", "names = list(range(100_000_000))",
  "if any([c.isdigit() for c in s]): return {k: v for k, v in d.items()}", "s = 'ü😀日本' + \"x\"", "return self()",
  "import functools", "class Node:", "    def __init__(self, parent): self.parent = parent; parent.children.append(self)",
];
const CLOSERS: Record<string, string> = { "(": ")", "[": "]", "{": "}", "'": "'", '"': '"' };

/** Text sources: standard-library files and memhint's fixtures, loaded once. */
class Corpus {
  private readonly files: string[];
  private readonly fixtures: string[];
  private readonly cache = new Map<string, string[]>();

  constructor() {
    let files: string[] = [];
    try {
      files = pythonFiles(stdlibPath()).filter((f) => !/\/(test|tests|idlelib|lib2to3)\//.test(f));
    } catch {
      // No python3: the fixtures alone.
    }
    this.files = files;
    const fixtureDir = join(REPO_ROOT, "fixtures");
    this.fixtures = readdirSync(fixtureDir).flatMap((code) => {
      const dir = join(fixtureDir, code);
      if (!statSync(dir).isDirectory()) return [];
      return readdirSync(dir).filter((f) => f.endsWith(".py")).map((f) => join(dir, f));
    }).sort();
  }

  private lines(path: string): string[] {
    let lines = this.cache.get(path);
    if (!lines) {
      lines = readFileSync(path, "utf8").split(/\r\n|\r|\n/);
      this.cache.set(path, lines);
    }
    return lines;
  }

  /** Up to `max` consecutive lines of a library file, or of a fixture (half the time: they are dense in findings). */
  slice(rand: () => number, max: number): string {
    const pool = this.files.length > 0 && rand() < 0.5 ? this.files : this.fixtures;
    const lines = this.lines(pool[Math.floor(rand() * pool.length)]);
    const count = 1 + Math.floor(rand() * Math.min(max, lines.length));
    const start = Math.floor(rand() * Math.max(1, lines.length - count));
    return lines.slice(start, start + count).join("\n") + "\n";
  }
}

let corpus: Corpus | null = null;

/** A document as the client sees it. */
interface Doc {
  uri: string;
  text: string;
  version: number;
  open: boolean;
}

interface Position {
  line: number;
  character: number;
}

/** Offsets where lines start: after `\r\n`, `\r` or `\n` (LSP's line breaks). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function contentEnd(text: string, starts: number[], line: number): number {
  if (line + 1 >= starts.length) return text.length;
  let end = starts[line + 1];
  if (text.charCodeAt(end - 1) === 10) end--;
  if (text.charCodeAt(end - 1) === 13) end--;
  return end;
}

export type Encoding = "utf-16" | "utf-8" | "utf-32";

/** The width of the character at `text[i]` in `encoding`'s units, and in UTF-16 code units. */
function widthAt(text: string, i: number, encoding: Encoding): [number, number] {
  const cp = text.codePointAt(i)!;
  const utf16 = cp > 0xffff ? 2 : 1;
  if (encoding === "utf-16") return [utf16, utf16];
  if (encoding === "utf-32") return [1, utf16];
  return [cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, utf16];
}

/**
 * The offset of an LSP position made by `randomPosition` (at a character boundary, or past the
 * end of its line or of the text, which clamp as LSP says), in `encoding`'s units.
 */
function offsetOf(text: string, pos: Position, encoding: Encoding): number {
  const starts = lineStarts(text);
  if (pos.line >= starts.length) return text.length;
  const end = contentEnd(text, starts, pos.line);
  let i = starts[pos.line];
  for (let units = 0; i < end && units < pos.character;) {
    const [w, step] = widthAt(text, i, encoding);
    units += w;
    i += step;
  }
  return i;
}

/** The column of `offset` in its line, in `encoding`'s units. */
function columnOf(text: string, lineStart: number, offset: number, encoding: Encoding): number {
  let units = 0;
  for (let i = lineStart; i < offset;) {
    const [w, step] = widthAt(text, i, encoding);
    units += w;
    i += step;
  }
  return units;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export class Fuzzer {
  private readonly rand: () => number;
  readonly sent: Record<string, number> = {};
  private readonly requests: Array<{ what: string; answer: Promise<unknown> }> = [];

  /** The position encoding of the case (the client's offer, which the server takes). */
  encoding: Encoding = "utf-16";
  /** The client settings in effect (invalid ones are ignored by the server: then none are). */
  settings: Record<string, unknown> = {};

  constructor(seed: number, private readonly hugeBytes: number) {
    this.rand = random(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)];
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  private count(kind: string): void {
    this.sent[kind] = (this.sent[kind] ?? 0) + 1;
  }

  /** A position at a character boundary; at times past the line's end or past the last line. */
  randomPosition(text: string): Position {
    const starts = lineStarts(text);
    if (this.chance(0.03)) return { line: starts.length + this.int(3), character: this.int(5) };
    const line = this.int(starts.length);
    const start = starts[line];
    const end = contentEnd(text, starts, line);
    if (this.chance(0.05)) return { line, character: columnOf(text, start, end, this.encoding) + 1 + this.int(10) };
    let at = start + this.int(end - start + 1);
    if (at > start && isLow(text.charCodeAt(at)) && at < end) at--; // never inside a surrogate pair
    return { line, character: columnOf(text, start, at, this.encoding) };
  }

  /** The position of `offset` in `text`. */
  positionOf(text: string, offset: number): Position {
    const starts = lineStarts(text);
    let line = starts.length - 1;
    while (starts[line] > offset) line--;
    return { line, character: columnOf(text, starts[line], offset, this.encoding) };
  }

  /** Text an edit inserts. */
  insertion(): string {
    switch (this.int(10)) {
      case 0:
      case 1:
      case 2:
        return this.pick(TYPED);
      case 3:
        return this.pick(UNICODE);
      case 4:
        return this.pick(BREAKS);
      case 5:
        return `${this.pick(["x", "s", "# ", "'"])}${this.pick(UNICODE)}${this.pick(["", " = 1", "'", this.pick(BREAKS)])}`;
      case 6:
        return this.chance(0.5) ? "" : `${this.canary()}${this.pick(BREAKS)}`;
      default:
        return this.withBreaks(corpus!.slice(this.rand, 8));
    }
  }

  /** `text` with its line breaks changed to CRLF or lone CR, at times. */
  withBreaks(text: string): string {
    const r = this.rand();
    if (r < 0.15) return text.replace(/\n/g, "\r\n");
    if (r < 0.22) return text.replace(/\n/g, "\r");
    if (r < 0.3) return text.replace(/\n/g, () => this.pick(BREAKS));
    return text;
  }

  /**
   * A suppression comment naming a code memhint does not have: MH001 reports it, with its exact
   * range, so that a document dense in them shows any difference in the server's copy of its text.
   */
  canary(): string {
    return `  # memhint: ignore[MH9${this.int(100)}]`;
  }

  initialText(): string {
    const parts: string[] = [];
    for (let i = 1 + this.int(3); i > 0; i--) parts.push(corpus!.slice(this.rand, 150));
    if (this.chance(0.3)) parts.splice(this.int(parts.length + 1), 0, `name_${this.pick(UNICODE)} = "${this.pick(UNICODE)}"\n`);
    const lines = parts.join("").split("\n").map((line) => (this.chance(0.25) ? line + this.canary() : line));
    return this.withBreaks(lines.join("\n"));
  }

  /** One change of a didChange, applied to `doc.text`. */
  change(doc: Doc): { range: { start: Position; end: Position }; text: string } {
    const a = this.randomPosition(doc.text);
    let b = a;
    if (this.chance(0.45)) {
      b = this.randomPosition(doc.text);
      if (this.chance(0.5)) {
        // Deletion or replacement across a few lines.
        const lines = lineStarts(doc.text).length;
        b = this.randomPosition(doc.text);
        if (b.line < lines) b = { line: Math.min(lines - 1, a.line + this.int(4)), character: b.character };
      }
    }
    const at = (p: Position): number => offsetOf(doc.text, p, this.encoding);
    let [start, end] = at(a) <= at(b) ? [a, b] : [b, a];
    if (at(start) === at(end) && (start.line !== end.line || start.character !== end.character)) end = start;
    const text = this.insertion();
    const from = at(start);
    const to = at(end);
    doc.text = doc.text.slice(0, from) + text + doc.text.slice(to);
    return { range: { start, end }, text };
  }

  /** One change from offset `from` to `to` in `doc`'s text: applied to the text, returned as LSP sends it. */
  changeAt(doc: Doc, from: number, to: number, text: string): { range: { start: Position; end: Position }; text: string } {
    // No LSP position names the point between the CR and the LF of a CRLF.
    for (const at of [from, to]) {
      if (doc.text[at - 1] === "\r" && doc.text[at] === "\n") throw new Error(`fuzzer bug: an edit at offset ${at}, inside a CRLF`);
    }
    const range = { start: this.positionOf(doc.text, from), end: this.positionOf(doc.text, to) };
    doc.text = doc.text.slice(0, from) + text + doc.text.slice(to);
    return { range, text };
  }

  /**
   * Type a line of code a key at a time on a new line after a random one (with its indentation),
   * as an editor does, with auto-closed brackets and quotes at times; then, at times, delete it
   * again with backspace. Each key is a didChange; between some, the server gets to lint.
   */
  async typing(client: LspClient, doc: Doc): Promise<void> {
    this.count("typing");
    const starts = lineStarts(doc.text);
    const line = this.int(starts.length);
    const lineEnd = contentEnd(doc.text, starts, line);
    const indent = /^[ \t]*/.exec(doc.text.slice(starts[line], lineEnd))![0] + (this.chance(0.3) ? "    " : "");
    const autoClose = this.chance(0.5);
    const key = async (from: number, to: number, text: string): Promise<void> => {
      const change = this.changeAt(doc, from, to, text);
      doc.version++;
      client.notify("textDocument/didChange", { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [change] });
      if (this.chance(0.2)) await new Promise((resolve) => setTimeout(resolve, this.int(30)));
    };
    let cursor = lineEnd;
    // (A lone CR typed before the line's LF would join it: the cursor would sit inside a CRLF.)
    const opening = (doc.text[cursor] === "\n" ? this.pick(["\n", "\r\n"]) : this.pick(BREAKS)) + indent;
    await key(cursor, cursor, opening);
    cursor += opening.length;
    const typedFrom = cursor;
    for (const c of this.pick(TYPED_LINES)) {
      if (autoClose && CLOSERS[c] !== undefined && doc.text[cursor] !== c) {
        await key(cursor, cursor, c + CLOSERS[c]);
      } else if (autoClose && doc.text[cursor] === c && Object.values(CLOSERS).includes(c)) {
        await key(cursor, cursor + 1, c); // typing over the closer the editor inserted
      } else {
        await key(cursor, cursor, c);
      }
      cursor += c.length;
    }
    if (this.chance(0.5)) {
      for (let n = this.int(cursor - typedFrom + 1); n > 0 && cursor > typedFrom; n--) {
        const width = isLow(doc.text.charCodeAt(cursor - 1)) ? 2 : 1;
        await key(cursor - width, cursor, "");
        cursor -= width;
      }
    }
  }

  /** New client settings (workspace/didChangeConfiguration): valid ones at random, invalid ones at times. */
  changeSettings(client: LspClient): void {
    this.count("settings");
    const codes = ["MH001", "MH101", "MH102", "MH103", "MH104", "MH201", "MH202", "MH203", "MH204", "MH301"];
    const some = (): string[] => codes.filter(() => this.chance(0.3));
    const options: Array<() => Record<string, unknown>> = [
      () => ({}),
      () => ({ ignore: some() }),
      () => ({ select: [...some(), this.pick(["MH1", "MH2", "ALL"])] }),
      () => ({ severity: Object.fromEntries(some().map((c) => [c, this.pick(["error", "warning", "information", "hint"])])) }),
      () => ({ hugeAllocationBytes: 1 + this.int(2_000_000) }),
      () => ({ lruCacheMaxsize: 1 + this.int(1000), targetVersion: this.pick(["py38", "py310", "py313"]) }),
      () => ({ inlayHints: this.chance(0.5), ignore: ["MH001"] }),
    ];
    // Every rule, opt-in ones too, unless the pick selects its own.
    const next = { select: ["ALL"], ...this.pick(options)() };
    if (this.chance(0.1)) {
      // Invalid: reported (showMessage and log) and ignored, so no client settings apply.
      client.notify("workspace/didChangeConfiguration", { settings: { memhint: { ...next, select: ["MH1O1"] } } });
      this.settings = {};
      return;
    }
    client.notify("workspace/didChangeConfiguration", { settings: { memhint: next } });
    this.settings = next;
  }

  /** Remember a request's answer, to check at the end of the case that it came and was no InternalError. */
  private track(what: string, answer: Promise<unknown>): void {
    this.requests.push({ what, answer: answer.then(() => undefined, (e: unknown) => e) });
  }

  private request(client: LspClient, method: string, params: unknown): void {
    this.track(method, client.request(method, params, 30_000));
  }

  /** A frame with a body and an announced length. */
  private frame(body: string | Buffer, length?: number): Buffer {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    return Buffer.concat([Buffer.from(`Content-Length: ${length ?? bytes.length}\r\n\r\n`, "ascii"), bytes]);
  }

  /** One step of noise: bytes or messages that must change nothing the documents' diagnostics depend on. */
  noise(client: LspClient, docs: Doc[]): void {
    const doc = this.pick(docs);
    const pos = this.randomPosition(doc.text);
    // A didChange that the server must not apply (it travels in a broken frame).
    const lostEdit = (): string => JSON.stringify({
      jsonrpc: "2.0", method: "textDocument/didChange",
      params: { textDocument: { uri: doc.uri, version: doc.version + 1 }, contentChanges: [{ range: { start: pos, end: pos }, text: "total = sum([x for x in y])\n" }] },
    });
    const kind = this.pick([
      "garbage", "garbage", "bad header", "length too large", "length too small", "invalid JSON", "not JSON-RPC",
      "unknown request", "unknown notification", "bad params", "bad params", "bad notification", "cancel", "request", "request",
    ]);
    this.count(kind);
    switch (kind) {
      case "garbage": {
        const bytes = Buffer.from(Array.from({ length: 1 + this.int(80) }, () => this.int(256)));
        // Garbage that happens to spell a header line could swallow the next frame: none of that.
        const safe = bytes.toString("latin1").toLowerCase().includes("content-") ? Buffer.from("\u0000\u00ff junk", "latin1") : bytes;
        client.writeRaw(safe);
        break;
      }
      case "bad header":
        client.writeRaw(this.pick([
          "Content-Length: abc\r\n\r\n{}", "Content-Length: -5\r\n\r\n", "Content-Type: text/plain\r\n\r\n{}",
          "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", "Content-Length: 3\rX\r\n\r\n", "X-Header: 1\r\n\r\n",
          "Content-Length:\r\n\r\n", "\r\n\r\n\r\n",
        ]));
        break;
      case "length too large": {
        const body = lostEdit();
        client.writeRaw(this.frame(body, Buffer.byteLength(body) + 1 + this.int(this.chance(0.5) ? 20 : 2000)));
        break;
      }
      case "length too small": {
        const body = lostEdit();
        client.writeRaw(this.frame(body, Math.max(1, Buffer.byteLength(body) - 1 - this.int(40))));
        break;
      }
      case "invalid JSON":
        client.writeRaw(this.frame(this.pick([lostEdit().slice(0, -2), "{ not json", '{"jsonrpc":"2.0","id":', "\u00ff\u00fe", "{}}", "nul"])));
        break;
      case "not JSON-RPC":
        client.writeRaw(this.frame(this.pick(["[1,2,3]", "42", '"text"', "null", '{"hello":"world"}', '{"jsonrpc":"2.0","id":{"a":1},"method":"textDocument/hover"}', '{"jsonrpc":"2.0","method":7}', '{"id":3}'])));
        break;
      case "unknown request":
        this.request(client, this.pick(["memhint/nothing", "textDocument/definition", "workspace/symbol", "$/unknown"]), { x: 1 });
        break;
      case "unknown notification":
        client.notify(this.pick(["memhint/nothing", "$/setTrace", "$/progress", "textDocument/didSave", "workspace/didChangeWatchedFiles"]), this.pick([{}, null, { value: "off" }, { changes: [] }]));
        break;
      case "bad params": {
        const method = this.pick(["textDocument/hover", "textDocument/codeAction", "textDocument/inlayHint", "textDocument/diagnostic", "codeAction/resolve"]);
        const params = this.pick<unknown>([
          {}, [], { textDocument: null }, { textDocument: { uri: 42 } },
          { textDocument: { uri: doc.uri }, position: { line: "a", character: null } },
          { textDocument: { uri: doc.uri }, range: { start: { line: -3, character: -1 }, end: { line: 1e9, character: 1e9 } }, context: { diagnostics: [{ code: "MH101", source: "memhint", range: null, data: { version: doc.version, fix: { title: 1 } } }] } },
          { textDocument: { uri: doc.uri }, range: { start: pos, end: { line: pos.line - 2, character: 0 } }, context: { only: ["source.fixAll"] } },
          { title: "x", data: { fixAll: true, uri: doc.uri, version: -1 } },
          { textDocument: { uri: doc.uri }, position: { line: 1e12, character: -1e12 } },
        ]);
        this.request(client, method, params);
        break;
      }
      case "bad notification":
        client.notify(this.pick(["textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "workspace/didChangeConfiguration", "workspace/didChangeWorkspaceFolders"]), this.pick<unknown>([
          {}, null, { textDocument: { uri: 5 } }, { textDocument: { uri: "file:///tmp/memhint-fuzz-never-open.py", version: 3 }, contentChanges: [{ text: "x" }] },
          { textDocument: { uri: doc.uri + ".other" } }, { settings: null }, { event: null }, { event: { added: [{ uri: 3 }], removed: null } },
        ]));
        break;
      case "cancel":
        client.notify("$/cancelRequest", { id: this.chance(0.5) ? this.int(1000) : `id-${this.int(10)}` });
        break;
      case "request": {
        const method = this.pick(["textDocument/hover", "textDocument/codeAction", "textDocument/inlayHint", "textDocument/diagnostic"]);
        const end = this.randomPosition(doc.text);
        const params = method === "textDocument/hover"
          ? { textDocument: { uri: doc.uri }, position: pos }
          : method === "textDocument/diagnostic"
            ? { textDocument: { uri: doc.uri } }
            : { textDocument: { uri: doc.uri }, range: { start: pos, end }, context: { diagnostics: [] } };
        this.request(client, method, params);
        break;
      }
    }
  }

  /** A message of a few MB (under the cap): an unknown request, or a document too large to lint. */
  huge(client: LspClient, uriBase: string): void {
    const size = 1024 * 1024 + this.int(Math.max(1, this.hugeBytes - 1024 * 1024));
    this.count("huge message");
    if (this.chance(0.5)) {
      this.request(client, "memhint/huge", { pad: "x".repeat(size) });
    } else {
      const uri = `${uriBase}/huge-${this.int(1000)}.py`;
      client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: "total = sum([x for x in y])\n# pad\n".repeat(Math.ceil(size / 34)) } });
      client.notify("textDocument/didClose", { textDocument: { uri } });
    }
  }

  /** Requests of the case that were never answered or answered with InternalError. */
  async unanswered(): Promise<string[]> {
    const problems: string[] = [];
    for (const { what, answer } of this.requests) {
      const outcome = await answer;
      if (outcome instanceof ResponseFailure && outcome.code === -32603) problems.push(`${what} answered with InternalError: ${outcome.message}`);
      else if (outcome instanceof Error && !(outcome instanceof ResponseFailure)) problems.push(`${what}: ${outcome.message.split(";")[0]}`);
    }
    this.requests.length = 0;
    return problems;
  }
}

/** Diagnostics without what depends on the document's version, in a stable order. */
function normalize(items: any[]): string[] {
  return items.map((d) => {
    const copy = structuredClone(d);
    if (copy?.data && typeof copy.data === "object") delete copy.data.version;
    return JSON.stringify(copy);
  }).sort();
}

/** The reference: a server that sees each final text once, in a fresh didOpen. */
class Reference {
  private client: LspClient | null = null;
  private next = 0;
  private settings = "{}";

  constructor(private readonly uriBase: string, private readonly encoding: Encoding) {}

  /** The diagnostics of `text` opened afresh, with the client settings `settings`. */
  async diagnostics(text: string, settings: Record<string, unknown>): Promise<any[]> {
    if (!this.client) {
      this.client = LspClient.start();
      await this.client.initialize({ textDocument: { diagnostic: {} }, general: { positionEncodings: [this.encoding] } }, { initializationOptions: {} });
      this.settings = "{}";
    }
    if (JSON.stringify(settings) !== this.settings) {
      this.settings = JSON.stringify(settings);
      this.client.notify("workspace/didChangeConfiguration", { settings: { memhint: settings } });
    }
    const uri = `${this.uriBase}/ref-${this.next++}.py`;
    this.client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
    try {
      const report = await this.client.request("textDocument/diagnostic", { textDocument: { uri } }, 30_000);
      return report.items;
    } catch (error) {
      // A reference that failed is restarted for the next case.
      this.client.kill();
      this.client = null;
      throw error;
    } finally {
      this.client?.notify("textDocument/didClose", { textDocument: { uri } });
      // Keep the reference's log from growing without bound.
      if (this.client) this.client.received.length = 0;
    }
  }

  close(): void {
    this.client?.kill();
  }
}

const ALIVE_MS = 5000;

/** A diagnostic (as normalize writes it) in a few words. */
function brief(json: string): string {
  const d = JSON.parse(json);
  const at = (p: Position): string => `${p.line + 1}:${p.character}`;
  return `${d.code} ${at(d.range.start)}-${at(d.range.end)} ${String(d.message).slice(0, 50)}${d.data?.fix ? " (fix)" : ""}`;
}

function errorLogs(messages: Message[]): string[] {
  return messages
    .filter((m) => m.method === "window/logMessage" && m.params?.type === 1)
    .map((m) => String(m.params.message))
    .filter((text) => !text.startsWith("Unreadable message from the client") && !text.startsWith("Invalid message from the client") && !text.startsWith("memhint: invalid settings from"));
}

async function runCase(index: number, seed: number, options: Required<Pick<FuzzOptions, "steps" | "hugeBytes">> & FuzzOptions, references: (encoding: Encoding) => Reference, sent: Record<string, number>): Promise<CaseResult> {
  const started = performance.now();
  const fuzz = new Fuzzer(seed, options.hugeBytes);
  const mode = index % 2 === 0 ? "push" : "pull";
  fuzz.encoding = fuzz.chance(0.6) ? "utf-16" : fuzz.pick(["utf-8", "utf-32"] as const);
  const problems: string[] = [];
  const base = `file://${tmpdir()}/memhint-fuzz/case-${seed}`;
  const recorded: Buffer[] = [];
  const client = LspClient.start();
  const writeRaw = client.writeRaw.bind(client);
  let messages = 0;
  client.writeRaw = (bytes: Buffer | string): void => {
    recorded.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, "utf8"));
    messages++;
    writeRaw(bytes);
  };
  const steps = options.steps[0] + fuzz.int(options.steps[1] - options.steps[0] + 1);
  try {
    const init = await client.initialize({ ...(mode === "pull" ? { textDocument: { diagnostic: {} } } : {}), general: { positionEncodings: [fuzz.encoding] } }, { initializationOptions: {} });
    if (init?.capabilities?.positionEncoding !== fuzz.encoding) problems.push(`offered ${fuzz.encoding} positions, got ${init?.capabilities?.positionEncoding}`);
    const docs: Doc[] = Array.from({ length: 1 + fuzz.int(3) }, (_, i) => ({ uri: `${base}/doc${i}.py`, text: fuzz.initialText(), version: 1, open: true }));
    for (const doc of docs) client.notify("textDocument/didOpen", { textDocument: { uri: doc.uri, languageId: "python", version: doc.version, text: doc.text } });
    const edit = (doc: Doc): { method: string; params: unknown } => {
      const changes = Array.from({ length: fuzz.chance(0.8) ? 1 : 2 + fuzz.int(3) }, () => fuzz.change(doc));
      doc.version++;
      return { method: "textDocument/didChange", params: { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: changes } };
    };
    for (let step = 0; step < steps; step++) {
      const doc = fuzz.pick(docs);
      const r = fuzz.int(100);
      if (r < 45) {
        if (!doc.open) continue;
        fuzz.sent.edit = (fuzz.sent.edit ?? 0) + 1;
        const { method, params } = edit(doc);
        client.notify(method, params);
      } else if (r < 55) {
        // A burst: several edits in one write, as an editor flushing keystrokes does.
        const open = docs.filter((d) => d.open);
        if (open.length === 0) continue;
        fuzz.sent.burst = (fuzz.sent.burst ?? 0) + 1;
        client.notifyBatch(Array.from({ length: 2 + fuzz.int(10) }, () => edit(fuzz.pick(open))));
      } else if (r < 58) {
        if (!doc.open) continue;
        fuzz.sent["whole text"] = (fuzz.sent["whole text"] ?? 0) + 1;
        doc.text = fuzz.chance(0.2) ? "" : fuzz.initialText();
        doc.version++;
        client.notify("textDocument/didChange", { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [{ text: doc.text }] });
      } else if (r < 60) {
        fuzz.sent["close/reopen"] = (fuzz.sent["close/reopen"] ?? 0) + 1;
        if (doc.open) {
          client.notify("textDocument/didClose", { textDocument: { uri: doc.uri } });
          doc.open = false;
        } else {
          doc.version = fuzz.int(5);
          client.notify("textDocument/didOpen", { textDocument: { uri: doc.uri, languageId: "python", version: doc.version, text: doc.text } });
          doc.open = true;
        }
      } else if (r < 66) {
        if (doc.open) await fuzz.typing(client, doc);
      } else if (r < 69) {
        fuzz.changeSettings(client);
      } else if (r < 70 && options.hugeBytes > 1024 * 1024) {
        fuzz.huge(client, base);
      } else {
        fuzz.noise(client, docs);
      }
      // Now and then, let the server catch up (so that edits are also linted one by one).
      if (fuzz.chance(0.15)) await new Promise((resolve) => setTimeout(resolve, fuzz.int(25)));
    }
    // Alive: a request is answered within the bound.
    const alive = await client.request("memhint/alive", null, ALIVE_MS).then(() => "answered", (e: unknown) => e);
    if (!(alive instanceof ResponseFailure && alive.code === -32601)) {
      problems.push(`no answer to a request within ${ALIVE_MS / 1000} s (${alive instanceof Error ? alive.message.split(";")[0] : String(alive)})`);
      return { index, seed, mode, steps, messages, problems, ms: performance.now() - started };
    }
    if (mode === "push") {
      // A settings change re-lints and publishes every document again, at the version it has:
      // an edit that changes nothing makes the next publish the one after everything sent.
      for (const doc of docs.filter((d) => d.open)) {
        doc.version++;
        client.notify("textDocument/didChange", { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "" }] });
      }
    }
    for (const doc of docs.filter((d) => d.open)) {
      let got: any[];
      try {
        // (Push: versions restart when a document is reopened, so only what came after the
        // last close counts; the server sent that before answering the request above.)
        const published = (m: Message): boolean => m.method === "textDocument/publishDiagnostics" && m.params.uri === doc.uri;
        let closedAt = -1;
        client.received.forEach((m, i) => {
          if (published(m) && m.params.version === undefined) closedAt = i;
        });
        got = mode === "pull"
          ? (await client.request("textDocument/diagnostic", { textDocument: { uri: doc.uri } }, ALIVE_MS)).items
          : (await client.waitFor((m) => published(m) && m.params.version === doc.version && client.received.lastIndexOf(m) > closedAt, ALIVE_MS, `diagnostics for ${doc.uri} v${doc.version}`)).params.diagnostics;
      } catch (error) {
        problems.push(`${doc.uri} v${doc.version}: no diagnostics within ${ALIVE_MS / 1000} s (${(error as Error).message.split(";")[0]})`);
        continue;
      }
      const expected = await references(fuzz.encoding).diagnostics(doc.text, fuzz.settings);
      const a = normalize(got);
      const b = normalize(expected);
      if (a.join("\n") !== b.join("\n")) {
        const missing = b.filter((d) => !a.includes(d));
        const extra = a.filter((d) => !b.includes(d));
        const list = (items: string[]): string => (items.length === 0 ? "-" : `${items.length}: ${items.slice(0, 3).map(brief).join("; ")}${items.length > 3 ? "; ..." : ""}`);
        problems.push(`${doc.uri} v${doc.version}: diagnostics differ from a fresh didOpen of the final text (${fuzz.encoding})\n    missing ${list(missing)}\n    extra ${list(extra)}`);
        if (options.failureDir) {
          const name = join(options.failureDir, `memhint-fuzz-${options.seed}-case-${index}-${doc.uri.split("/").pop()}`);
          writeFileSync(name, doc.text);
          writeFileSync(`${name}.diagnostics.json`, JSON.stringify({ server: got, fresh: expected }, null, 1));
          problems.push(`(its final text is in ${name}, both diagnostics in ${name}.diagnostics.json)`);
        }
      }
    }
    problems.push(...(await fuzz.unanswered()));
    problems.push(...errorLogs(client.received).map((text) => `logged an error: ${text.split("\n").slice(0, 6).join("\n    ")}`));
    const shutdown = await client.request("shutdown", null, ALIVE_MS).then(() => "ok", (e: unknown) => e);
    if (shutdown !== "ok") problems.push(`shutdown failed: ${String(shutdown)}`);
    client.notify("exit", null);
    const code = await Promise.race([client.exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), ALIVE_MS))]);
    if (code !== 0) problems.push(`exit after shutdown: ${String(code)}, expected status 0`);
    return { index, seed, mode, steps, messages, problems, ms: performance.now() - started };
  } catch (error) {
    problems.push(`the case itself failed: ${(error as Error)?.stack ?? String(error)}`);
    return { index, seed, mode, steps, messages, problems, ms: performance.now() - started };
  } finally {
    client.kill();
    for (const [kind, n] of Object.entries(fuzz.sent)) sent[kind] = (sent[kind] ?? 0) + n;
    if (problems.length > 0 && options.failureDir) {
      const file = join(options.failureDir, `memhint-fuzz-${options.seed}-case-${index}.bin`);
      writeFileSync(file, Buffer.concat(recorded));
      problems.push(`(the bytes sent are in ${file}: node bin/memhint.js lsp --stdio < ${file})`);
    }
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const log = options.log ?? (() => undefined);
  const settings = { ...options, steps: options.steps ?? [20, 80] as [number, number], hugeBytes: options.hugeBytes ?? 6 * 1024 * 1024 };
  corpus ??= new Corpus();
  const references = new Map<Encoding, Reference>();
  const reference = (encoding: Encoding): Reference => {
    let found = references.get(encoding);
    if (!found) references.set(encoding, (found = new Reference(`file://${tmpdir()}/memhint-fuzz/reference-${options.seed}`, encoding)));
    return found;
  };
  const results: CaseResult[] = [];
  const sent: Record<string, number> = {};
  const deadline = options.minutes === undefined ? Infinity : Date.now() + options.minutes * 60_000;
  const maxCases = options.only !== undefined ? 1 : options.cases ?? (options.minutes === undefined ? 20 : Infinity);
  try {
    for (let i = 0; results.length < maxCases && Date.now() < deadline; i++) {
      const index = options.only ?? i;
      const result = await runCase(index, caseSeed(options.seed, index), settings, reference, sent);
      results.push(result);
      if (result.problems.length > 0) {
        log(`FAIL case ${index} (${result.mode}, ${result.steps} steps): reproduce with npm run fuzz:lsp -- --seed ${options.seed} --case ${index}`);
        for (const problem of result.problems) log(`  ${problem}`);
      } else if (results.length % 25 === 0) {
        log(`${results.length} cases, ${results.filter((r) => r.problems.length > 0).length} failed`);
      }
    }
  } finally {
    for (const r of references.values()) r.close();
  }
  return { seed: options.seed, results, failures: results.filter((r) => r.problems.length > 0), sent };
}
