/**
 * A small JSON-RPC client that drives the real language server process over stdio, for the
 * protocol tests and the fuzzer (scripts/fuzz-lsp.ts, which runs compiled from dist/):
 * requests, notifications, server-to-client requests, raw bytes, and waiting for what the
 * server sends.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The package root: the nearest folder above this file with a package.json (from test/ or dist/test/). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = packageRoot(import.meta.dirname);
export const BIN = join(REPO_ROOT, "bin", "memhint.js");

export interface Message {
  jsonrpc: "2.0";
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

export class ResponseFailure extends Error {
  constructor(readonly code: number, message: string) {
    super(`${code}: ${message}`);
  }
}

type RequestHandler = (params: any) => unknown;

interface Waiter {
  predicate: (m: Message) => boolean;
  resolve: (m: Message) => void;
}

export interface StartOptions {
  /** The program to run: node by default (another, such as strace, runs node itself). */
  command?: string;
  /** Arguments after `node`; by default `bin/memhint.js lsp --stdio`. */
  args?: string[];
  cwd?: string;
  /** Environment variables added to this process's. */
  env?: Record<string, string>;
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

export class LspClient {
  readonly received: Message[] = [];
  private nextId = 1;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number | string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, RequestHandler>();
  private waiters: Waiter[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  /** The server's process id, when it is a child process. */
  readonly pid: number | undefined;

  /** Where the server reads, where it writes, and how to stop it. */
  constructor(private readonly io: { stdin: Writable; stdout: Readable; stderr?: Readable; exited: Promise<number | null>; kill(): void; pid?: number }) {
    io.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    io.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.exited = io.exited;
    this.pid = io.pid;
    // Answer the requests every server sends, unless a test overrides them.
    this.onRequest("client/registerCapability", () => null);
    this.onRequest("client/unregisterCapability", () => null);
    this.onRequest("window/showMessageRequest", () => null);
    this.onRequest("workspace/configuration", (params) => params.items.map(() => null));
    this.onRequest("workspace/diagnostic/refresh", () => null);
    this.onRequest("workspace/inlayHint/refresh", () => null);
  }

  static start(options: StartOptions = {}): LspClient {
    const args = options.args ?? [BIN, "lsp", "--stdio"];
    const child = spawn(options.command ?? process.execPath, args, { cwd: options.cwd ?? REPO_ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // A server that exited must not turn the test's later writes into an unhandled EPIPE.
    child.stdin.on("error", () => undefined);
    return new LspClient({
      stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, pid: child.pid,
      kill: () => {
        if (child.exitCode === null) child.kill();
      },
    });
  }

  /**
   * Initialize with the given client capabilities; returns the InitializeResult. Without
   * `initializationOptions` in `extra`, every rule is selected, opt-in ones included: the tests
   * are about the server, not about which rules run by default.
   */
  async initialize(capabilities: any = {}, extra: Record<string, unknown> = {}): Promise<any> {
    const options = "initializationOptions" in extra ? {} : { initializationOptions: { memhint: { select: ["ALL"] } } };
    const result = await this.request("initialize", { processId: process.pid, rootUri: null, capabilities, ...options, ...extra });
    this.notify("initialized", {});
    return result;
  }

  onRequest(method: string, handler: RequestHandler): void {
    this.handlers.set(method, handler);
  }

  request<T = any>(method: string, params: unknown, timeoutMs = 15_000): Promise<T> {
    const id = this.nextId++;
    return this.requestWithId<T>(id, method, params, timeoutMs);
  }

  requestWithId<T = any>(id: number | string, method: string, params: unknown, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for the answer to ${method} #${id}; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  /** The answer to a request sent with `notifyBatch`. */
  expectAnswer<T = any>(id: number, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for the answer to #${id}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  /** The next id `request` will use (to cancel a request right after sending it). */
  peekId(): number {
    return this.nextId;
  }

  /** An id for a request the test writes itself (raw bytes); wait for its answer with `expectAnswer`. */
  reserveId(): number {
    return this.nextId++;
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: "2.0", method, params });
  }

  write(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
  }

  /**
   * Several messages in one write, as a client flushing a burst does; a message with an `id` is a
   * request (take its id from `peekId()` and wait with `expectAnswer`).
   */
  notifyBatch(messages: Array<{ method: string; params: unknown; id?: number }>): void {
    const frames = messages.map(({ method, params, id }) => {
      if (id !== undefined) this.nextId = Math.max(this.nextId, id + 1);
      const body = Buffer.from(JSON.stringify(id === undefined ? { jsonrpc: "2.0", method, params } : { jsonrpc: "2.0", id, method, params }), "utf8");
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
    });
    this.writeRaw(Buffer.concat(frames));
  }

  writeRaw(bytes: Buffer | string): void {
    this.io.stdin.write(bytes);
  }

  /** A raw frame with the given body bytes (for malformed JSON). */
  writeFrame(body: string | Buffer): void {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    this.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, "ascii"), bytes]));
  }

  /** Resolve with the first message (already received or future) that matches. */
  waitFor(predicate: (m: Message) => boolean, timeoutMs = 15_000, description = "a message"): Promise<Message> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return this.waitForNext(predicate, timeoutMs, description);
  }

  /** Resolve with the next future message that matches. */
  waitForNext(predicate: (m: Message) => boolean, timeoutMs = 15_000, description = "a message"): Promise<Message> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { predicate, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timeout waiting for ${description}; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Wait for the diagnostics published for `uri` (at `version`, when given). */
  async diagnostics(uri: string, version?: number, timeoutMs = 15_000): Promise<any[]> {
    const m = await this.waitFor(
      (m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && (version === undefined || m.params.version === version),
      timeoutMs,
      `diagnostics for ${uri}${version === undefined ? "" : ` v${version}`}`,
    );
    return m.params.diagnostics;
  }

  published(uri?: string): Message[] {
    return this.received.filter((m) => m.method === "textDocument/publishDiagnostics" && (uri === undefined || m.params.uri === uri));
  }

  logs(): string[] {
    return this.received.filter((m) => m.method === "window/logMessage").map((m) => m.params.message as string);
  }

  /** shutdown, exit, and the process's exit code. */
  async shutdown(): Promise<number | null> {
    await this.request("shutdown", null);
    this.notify("exit", null);
    return this.exited;
  }

  kill(): void {
    this.io.kill();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const length = Number(/Content-Length:\s*(\d+)/i.exec(header)?.[1]);
      if (!Number.isFinite(length)) throw new Error(`bad header from the server: ${header}`);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(message: Message): void {
    this.received.push(message);
    if (message.method !== undefined && message.id !== undefined && message.id !== null) {
      const handler = this.handlers.get(message.method);
      if (handler) {
        Promise.resolve()
          .then(() => handler(message.params))
          .then((result) => this.write({ jsonrpc: "2.0", id: message.id, result: result ?? null }));
      } else {
        this.write({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `test client: no handler for ${message.method}` } });
      }
    } else if (message.method === undefined && message.id !== undefined && message.id !== null) {
      const pending = this.pending.get(message.id);
      if (pending) {
        this.pending.delete(message.id);
        if (message.error) pending.reject(new ResponseFailure(message.error.code, message.error.message));
        else pending.resolve(message.result);
      }
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(message)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    }
  }
}

/** Apply LSP text edits to a text, with positions in `encoding` (an independent reference implementation). */
export function applyLspEdits(text: string, edits: Array<{ range: any; newText: string }>, encoding: "utf-8" | "utf-16" | "utf-32" = "utf-16"): string {
  const offsetOf = (pos: { line: number; character: number }): number => {
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "\n") lineStarts.push(i + 1);
      else if (text[i] === "\r") {
        if (text[i + 1] === "\n") i++;
        lineStarts.push(i + 1);
      }
    }
    if (pos.line >= lineStarts.length) return text.length;
    let i = lineStarts[pos.line];
    let units = 0;
    while (units < pos.character && i < text.length && text[i] !== "\n" && text[i] !== "\r") {
      const cp = text.codePointAt(i)!;
      const width = encoding === "utf-16" ? (cp > 0xffff ? 2 : 1) : encoding === "utf-32" ? 1 : Buffer.byteLength(String.fromCodePoint(cp), "utf8");
      units += width;
      i += cp > 0xffff ? 2 : 1;
    }
    return i;
  };
  const resolved = edits.map((e) => ({ start: offsetOf(e.range.start), end: offsetOf(e.range.end), newText: e.newText }));
  resolved.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of resolved) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** Column of `needle` in `line` in the given encoding's units. */
export function columnIn(line: string, needle: string, encoding: "utf-8" | "utf-16" | "utf-32"): number {
  const index = line.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in ${line}`);
  const before = line.slice(0, index);
  if (encoding === "utf-16") return before.length;
  if (encoding === "utf-32") return [...before].length;
  return Buffer.byteLength(before, "utf8");
}
