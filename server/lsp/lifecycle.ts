/**
 * In front of the connection, for every transport: messages that are not JSON-RPC are refused,
 * and the LSP lifecycle (3.17, "Lifecycle Messages") is enforced.
 *
 *   - Before `initialize`, a request is answered with ServerNotInitialized (-32002) and a
 *     notification is dropped, except `exit`.
 *   - `initialize` is accepted once: again (while initialized, or after `shutdown`) it is
 *     answered with InvalidRequest. When it fails, the server is still uninitialized.
 *   - After `shutdown`, every request is answered with InvalidRequest and every notification but
 *     `exit` is dropped. `exit` ends the process: 0 after `shutdown`, 1 otherwise
 *     (vscode-languageserver's own exit handler).
 *
 * Shape checks run as a message is read (`reader`): a message the connection would choke on
 * (a `$/cancelRequest` without an id) never reaches it. Lifecycle checks run in the connection's
 * message strategy (`handle`), in the order messages are handled, so a request right behind
 * `initialize` or `shutdown` is judged by their outcome.
 */
import {
  type DataCallback, ErrorCodes, type Message, type MessageReader, type MessageWriter, type ResponseMessage,
} from "vscode-languageserver/node.js";
import type { Logger } from "./log.js";

type State = "uninitialized" | "initializing" | "initialized" | "shut down";

type Id = number | string;

interface Shaped {
  method?: unknown;
  id?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

type Classified =
  | { kind: "request"; method: string; id: Id; params: unknown }
  | { kind: "notification"; method: string; params: unknown }
  | { kind: "response" }
  /** Answered with `code` (for `id`, null when it has none usable), or only logged when `code` is null. */
  | { kind: "invalid"; reason: string; code: number | null; id: Id | null };

function isId(value: unknown): value is Id {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Notifications that vscode-languageserver or vscode-jsonrpc handle themselves, reading their
 * params unchecked (a `$/setTrace` with null params threw inside the library), and what the
 * params must hold.
 */
const LIBRARY_NOTIFICATIONS: Record<string, { needs: string; ok: (params: unknown) => boolean }> = {
  "$/cancelRequest": { needs: "the id of a request", ok: (p) => isObject(p) && isId(p.id) },
  "$/setTrace": { needs: "a trace value", ok: (p) => isObject(p) && typeof p.value === "string" },
  "$/progress": { needs: "a progress token", ok: (p) => isObject(p) && isId(p.token) },
  "window/workDoneProgress/cancel": { needs: "a progress token", ok: (p) => isObject(p) && isId(p.token) },
  "workspace/didChangeWorkspaceFolders": { needs: "an event", ok: (p) => isObject(p) && isObject(p.event) },
};

/** What a message read from the client is, by JSON-RPC 2.0's rules (the `jsonrpc` member is not required). */
export function classify(value: unknown): Classified {
  if (!isObject(value)) return { kind: "invalid", reason: `${kindOf(value)} instead of a JSON-RPC message`, code: ErrorCodes.InvalidRequest, id: null };
  const m = value as Shaped;
  if (m.method === undefined) {
    if ((m.id === null || isId(m.id)) && (m.result !== undefined || isObject(m.error))) return { kind: "response" };
    return { kind: "invalid", reason: "an object that is neither a request, a notification nor a response", code: ErrorCodes.InvalidRequest, id: null };
  }
  if (typeof m.method !== "string") return { kind: "invalid", reason: `a message whose method is ${kindOf(m.method)}`, code: ErrorCodes.InvalidRequest, id: isId(m.id) ? m.id : null };
  const paramsOk = m.params === undefined || m.params === null || typeof m.params === "object";
  if (m.id !== undefined) {
    if (!isId(m.id)) return { kind: "invalid", reason: `a ${m.method} request whose id is ${kindOf(m.id)}`, code: ErrorCodes.InvalidRequest, id: null };
    if (!paramsOk) return { kind: "invalid", reason: `a ${m.method} request whose params are ${kindOf(m.params)}`, code: ErrorCodes.InvalidParams, id: m.id };
    return { kind: "request", method: m.method, id: m.id, params: m.params };
  }
  if (!paramsOk) return { kind: "invalid", reason: `a ${m.method} notification whose params are ${kindOf(m.params)}`, code: null, id: null };
  const library = Object.hasOwn(LIBRARY_NOTIFICATIONS, m.method) ? LIBRARY_NOTIFICATIONS[m.method] : undefined;
  if (library && !library.ok(m.params)) return { kind: "invalid", reason: `a ${m.method} without ${library.needs}`, code: null, id: null };
  return { kind: "notification", method: m.method, params: m.params };
}

export class Lifecycle {
  state: State = "uninitialized";
  /** Set by the server once its log exists (before any message is read). */
  log: Logger | null = null;
  private initializeId: Id | null = null;

  /** `writer` carries the answers given here. */
  constructor(private readonly writer: MessageWriter) {}

  /** `reader` without the messages that are not JSON-RPC: those are answered (or logged) here. */
  reader(reader: MessageReader): MessageReader {
    return {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback: DataCallback) => reader.listen((message) => {
        const c = classify(message);
        if (c.kind !== "invalid") {
          callback(message);
          return;
        }
        if (c.code === null) {
          this.log?.warn(`Ignoring ${c.reason}`);
        } else {
          this.log?.error(`Invalid message from the client (answered with an error; the server keeps running): ${c.reason}`);
          this.answer(c.id, c.code, `memhint: invalid message: ${c.reason}`);
        }
      }),
      dispose: () => reader.dispose(),
    };
  }

  /** `writer`, noting whether the answer to `initialize` was a result or an error. */
  watch(writer: MessageWriter): MessageWriter {
    return {
      onError: writer.onError,
      onClose: writer.onClose,
      write: (message: Message) => {
        const response = message as ResponseMessage & { method?: unknown };
        if (this.state === "initializing" && this.initializeId !== null && response.id === this.initializeId && response.method === undefined) {
          this.state = response.error ? "uninitialized" : "initialized";
          this.initializeId = null;
        }
        return writer.write(message);
      },
      end: () => writer.end(),
      dispose: () => writer.dispose(),
    };
  }

  /** For the connection's message strategy: pass `message` on to `next`, or answer or drop it. */
  handle(message: Message, next: (message: Message) => void): void {
    const c = classify(message);
    if (c.kind === "request") {
      const refusal = this.refuse(c.method, c.params);
      if (refusal) {
        this.log?.once(`lifecycle:${this.state}:${c.method}`, "warn", `Refusing ${c.method}: ${refusal.message}`);
        this.answer(c.id, refusal.code, `memhint: ${refusal.message}`);
        return;
      }
      if (c.method === "initialize") {
        this.state = "initializing";
        this.initializeId = c.id;
      } else if (c.method === "shutdown") {
        this.state = "shut down";
      }
    } else if (c.kind === "notification" && c.method !== "exit" && (this.state === "uninitialized" || this.state === "shut down")) {
      const when = this.state === "uninitialized" ? "before initialize" : "after shutdown";
      this.log?.once(`lifecycle:${this.state}:${c.method}`, "warn", `Ignoring the notification ${c.method} ${when}`);
      return;
    }
    next(message);
  }

  private refuse(method: string, params: unknown): { code: number; message: string } | null {
    if (this.state === "shut down") return { code: ErrorCodes.InvalidRequest, message: "the server is shut down; only exit is accepted now" };
    if (method === "initialize") {
      if (this.state !== "uninitialized") return { code: ErrorCodes.InvalidRequest, message: "initialize was sent already; it may be sent once" };
      if (!isObject(params)) return { code: ErrorCodes.InvalidParams, message: `initialize needs InitializeParams, got ${kindOf(params)}` };
      // (vscode-languageserver reads them unchecked.)
      if (!isObject(params.capabilities)) return { code: ErrorCodes.InvalidParams, message: `initialize needs the client's capabilities, got ${kindOf(params.capabilities)}` };
      return null;
    }
    if (this.state === "uninitialized") return { code: ErrorCodes.ServerNotInitialized, message: `the server is not initialized; send initialize before ${method}` };
    return null;
  }

  private answer(id: Id | null, code: number, message: string): void {
    const response: ResponseMessage = { jsonrpc: "2.0", id, error: { code, message } };
    this.writer.write(response).catch(() => undefined);
  }
}
