/**
 * Reading LSP messages from a byte stream (stdio, a socket, a pipe): `Content-Length` frames,
 * whatever else arrives between them.
 *
 * A client may send bytes that are not a frame (garbage, a header without a usable length, a
 * length that is wrong), and one bad frame must not cost the messages behind it. The reader:
 *   - takes a frame whose header starts where the previous frame ended; a header is the lines
 *     LSP defines, ending in CRLF, then an empty line: exactly one numeric Content-Length and
 *     optionally Content-Type (accepted and ignored: bodies are read as UTF-8);
 *   - otherwise resynchronises at the next `Content-Length: N` line, wherever it starts (garbage
 *     glued to the front of a header is dropped, the header kept);
 *   - drops a body that is not valid JSON and resynchronises inside or after it (a length too
 *     small ends the body early; one too large swallows the next frame's header);
 *   - notices a length that is too large without waiting for the bytes it announced: valid JSON
 *     cannot contain `Content-Length: N` followed by CR (CR is only allowed between tokens, and
 *     the name only inside strings), so such a line inside a body is the next frame's header;
 *   - refuses a body over the size cap as soon as its header is read, and discards its bytes as
 *     they stream in (or until the next header, if the length was a lie);
 *   - keeps the chunks of a body in a list and joins them once, when the body is complete, and
 *     scans each byte for a header a constant number of times: time is linear in the size.
 * Every dropped frame is reported once (a run of garbage counts as one), so that the server can
 * log it and answer it with a parse error.
 */
import type { Readable } from "node:stream";
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from "vscode-languageserver/node.js";

/** The largest message body read by default (64 MiB); `--max-message-bytes` changes it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A header block longer than this is not a header. */
const MAX_HEADER_BYTES = 8192;
/**
 * How far before a CR a `Content-Length: N` line may start: the name (14), the colon, up to 20
 * digits and some blanks. Longer lines are still read at a frame boundary; they are just not
 * found when resynchronising.
 */
const LOOKBACK = 64;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const LENGTH_NAME = Buffer.from("content-length", "ascii");
const EMPTY = Buffer.alloc(0);

export interface FrameSink {
  /** A frame's body, parsed as JSON (any JSON value: whether it is JSON-RPC is for the caller to say). */
  message(value: unknown): void;
  /** Bytes were dropped; `reason` says what they were. */
  bad(reason: string): void;
}

/** The body being read: kept (`chunks`) or, over the cap, discarded. */
interface Body {
  length: number;
  received: number;
  chunks: Buffer[] | null;
  /** The last LOOKBACK bytes received, to recognise a header line that started in an earlier chunk. */
  tail: Buffer;
}

type HeaderResult =
  | { kind: "ok"; length: number; end: number }
  | { kind: "incomplete" }
  /** The bytes do not start with a header. */
  | { kind: "none" }
  /** They start with a header that cannot be used. */
  | { kind: "bad"; reason: string };

function lowerAscii(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB;
}

/**
 * Where the `Content-Length: N` line ending at `buf[cr]` (a CR) starts, not before `lowest`;
 * -1 when the bytes before that CR are not such a line.
 */
function lengthLineStart(buf: Buffer, cr: number, lowest: number): number {
  let i = cr - 1;
  while (i >= lowest && isBlank(buf[i])) i--;
  const digitsEnd = i;
  while (i >= lowest && buf[i] >= 0x30 && buf[i] <= 0x39) i--;
  if (i === digitsEnd) return -1;
  while (i >= lowest && isBlank(buf[i])) i--;
  if (i < lowest || buf[i] !== COLON) return -1;
  const start = i - LENGTH_NAME.length;
  if (start < lowest) return -1;
  for (let k = 0; k < LENGTH_NAME.length; k++) if (lowerAscii(buf[start + k]) !== LENGTH_NAME[k]) return -1;
  return start;
}

/** The start (at least `minStart`) of the first `Content-Length: N` line whose CR is at or after `from`; -1 if none. */
function findLengthLine(buf: Buffer, from: number, minStart: number): number {
  for (let cr = buf.indexOf(CR, from); cr >= 0; cr = buf.indexOf(CR, cr + 1)) {
    const start = lengthLineStart(buf, cr, Math.max(minStart, cr - LOOKBACK));
    if (start >= 0) return start;
  }
  return -1;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `line`, a header line still arriving (no CR yet), can still become a valid one. */
function plausibleLine(line: string): boolean {
  const colon = line.indexOf(":");
  const name = (colon < 0 ? line : line.slice(0, colon)).toLowerCase();
  const fits = (field: string): boolean => (colon < 0 ? field.startsWith(name) : field === name);
  if (!fits("content-length") && !fits("content-type")) return false;
  if (colon < 0) return true;
  const value = line.slice(colon + 1);
  if (name === "content-length") return /^[ \t]*\d{0,20}[ \t]*$/.test(value);
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x08\x0a-\x1f\x7f]/.test(value);
}

/** Read the header block at the start of `buf`. */
function parseHeader(buf: Buffer): HeaderResult {
  let pos = 0;
  let length = -1;
  let fields = 0;
  const fail = (reason: string): HeaderResult => (fields === 0 ? { kind: "none" } : { kind: "bad", reason });
  for (;;) {
    const cr = buf.indexOf(CR, pos);
    if (cr < 0 || cr + 1 >= buf.length) {
      // The line is still arriving.
      const end = cr < 0 ? buf.length : cr;
      if (end >= MAX_HEADER_BYTES) return fail(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
      return plausibleLine(buf.toString("latin1", pos, end)) ? { kind: "incomplete" } : fail(`a malformed message header ${JSON.stringify(buf.toString("latin1", 0, Math.min(end, 200)))}`);
    }
    if (cr >= MAX_HEADER_BYTES) return fail(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
    const line = buf.toString("latin1", pos, cr);
    if (buf[cr + 1] !== LF) return fail(`a message header line ending in a lone CR: ${JSON.stringify(line.slice(0, 200))}`);
    if (line === "") {
      if (fields === 0) return { kind: "none" };
      if (length < 0) return { kind: "bad", reason: `a message header without Content-Length: ${JSON.stringify(buf.toString("latin1", 0, Math.min(cr, 200)))}` };
      return { kind: "ok", length, end: cr + 2 };
    }
    const match = /^([^:]*):[ \t]*(.*?)[ \t]*$/.exec(line);
    const name = match?.[1].toLowerCase();
    if (fields === 0 && name !== "content-length" && name !== "content-type") return { kind: "none" };
    // A lone LF inside a line is as wrong as a lone CR.
    if (!match || !TOKEN.test(match[1]) || line.includes("\n")) return fail(`a malformed message header line ${JSON.stringify(line.slice(0, 200))}`);
    // Only the two fields LSP defines: a line such as `xContent-Length: 38` is garbage glued to
    // the next header, not a field to pass over.
    if (name !== "content-length" && name !== "content-type") return fail(`a message header with an unknown field ${JSON.stringify(line.slice(0, 200))}`);
    if (name === "content-length") {
      if (length >= 0) return { kind: "bad", reason: "a message header with two Content-Length lines" };
      if (!/^\d{1,20}$/.test(match[2])) return { kind: "bad", reason: `a message header whose Content-Length is not a number: ${JSON.stringify(match[2].slice(0, 200))}` };
      length = Number(match[2]);
    }
    fields++;
    pos = cr + 2;
  }
}

function hasNonBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (b !== SPACE && b !== TAB && b !== CR && b !== LF) return true;
  }
  return false;
}

function describeBytes(n: number): string {
  return n === 1 ? "1 byte" : `${n.toLocaleString("en-US")} bytes`;
}

/**
 * The frame reader proper, fed chunks by `push`. Independent of streams and of the protocol
 * library, so that it can be tested and measured alone.
 */
export class FrameParser {
  /** Bytes copied to join chunks (a body, or a header split between chunks): stays linear in the input. */
  copiedBytes = 0;
  /** Bytes before the next frame boundary (garbage, or a header still arriving). */
  private head: Buffer = EMPTY;
  /** How far `head` has been searched for a `Content-Length` line. */
  private scanned = 0;
  private body: Body | null = null;
  /** Dropped bytes were just reported: garbage right after them is part of the same report. */
  private quiet = false;

  constructor(private readonly sink: FrameSink, readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  push(chunk: Buffer): void {
    let input = chunk;
    for (;;) {
      if (this.body) {
        if (input.length === 0) return;
        input = this.feedBody(this.body, input);
        continue;
      }
      if (input.length > 0) {
        this.head = this.join(this.head, input);
        input = EMPTY;
      }
      if (this.head.length === 0) return;
      input = this.readHead();
      if (!this.body) return; // a header is still arriving
    }
  }

  private join(a: Buffer, b: Buffer): Buffer {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    this.copiedBytes += a.length + b.length;
    return Buffer.concat([a, b]);
  }

  /** The input ended: a frame cut short is reported. */
  end(): void {
    if (this.body) {
      this.report(`the input ended ${describeBytes(this.body.length - this.body.received)} before the end of a message`);
    } else if (hasNonBlank(this.head, 0, this.head.length) && !this.quiet) {
      this.report(`the input ended inside a message header or after ${describeBytes(this.head.length)} that are not one`);
    }
    this.body = null;
    this.head = EMPTY;
  }

  private report(reason: string): void {
    this.quiet = true;
    this.sink.bad(reason);
  }

  private garbage(buf: Buffer, from: number, to: number): void {
    if (!this.quiet && hasNonBlank(buf, from, to)) this.report(`${describeBytes(to - from)} that are not a message header`);
  }

  /**
   * Read a frame's header from `head`, dropping what is not one. Returns the bytes after the
   * header (the body's first) once `body` is set; without `body`, a header is still arriving.
   */
  private readHead(): Buffer {
    for (;;) {
      const head = this.head;
      if (head.length === 0) return EMPTY;
      const header = parseHeader(head);
      if (header.kind === "incomplete") return EMPTY;
      if (header.kind === "ok") {
        const rest = head.subarray(header.end);
        this.head = EMPTY;
        this.scanned = 0;
        this.startBody(header.length);
        if (this.body) return rest;
        // An empty body is read at once (and, not being JSON, left in `head` to resynchronise in).
        this.head = this.join(this.head, rest);
        continue;
      }
      // Not a usable header at the start: resynchronise at the next `Content-Length: N` line, even
      // one inside the bad header (garbage ending in a header's first line looks like one).
      if (header.kind === "bad") this.report(header.reason);
      const start = findLengthLine(head, this.scanned, 1);
      if (start > 0) {
        this.garbage(head, 0, start);
        this.head = head.subarray(start);
        this.scanned = 0;
        continue;
      }
      // None yet: keep the bytes a header may be arriving in (never the first: it was refused).
      const keepFrom = Math.max(1, head.length - LOOKBACK);
      this.garbage(head, 0, keepFrom);
      this.head = Buffer.from(head.subarray(keepFrom)); // a copy: do not retain a large chunk for a few bytes
      this.scanned = this.head.length;
      return EMPTY;
    }
  }

  private startBody(length: number): void {
    if (length > this.maxMessageBytes) {
      this.report(`a message of ${describeBytes(length)}, over the limit of ${describeBytes(this.maxMessageBytes)} (memhint lsp --max-message-bytes): its bytes are discarded`);
      this.body = { length, received: 0, chunks: null, tail: EMPTY };
      return;
    }
    this.body = { length, received: 0, chunks: [], tail: EMPTY };
    if (length === 0) this.finishBody(this.body);
  }

  private feedBody(body: Body, input: Buffer): Buffer {
    const take = Math.min(body.length - body.received, input.length);
    const part = input.subarray(0, take);
    const cut = this.headerInside(body, part);
    if (cut >= 0) {
      // (A message over the cap was reported already.)
      if (body.chunks) this.report(`a message cut short by the next message's header after ${describeBytes(cut)} of the ${describeBytes(body.length)} its Content-Length announced`);
      this.body = null;
      // Read on from that header: it starts in this part or in the tail before it.
      this.head = cut >= body.received ? part.subarray(cut - body.received) : Buffer.concat([body.tail.subarray(body.tail.length - (body.received - cut)), part]);
      this.scanned = 0;
      return input.subarray(take);
    }
    body.chunks?.push(part);
    body.received += take;
    if (part.length >= LOOKBACK) {
      body.tail = part.subarray(part.length - LOOKBACK);
    } else {
      const joined = Buffer.concat([body.tail, part]);
      body.tail = joined.subarray(Math.max(0, joined.length - LOOKBACK));
    }
    if (body.received === body.length) this.finishBody(body);
    return input.subarray(take);
  }

  /** The offset in the body of a `Content-Length: N` line ending in `part`, or -1. */
  private headerInside(body: Body, part: Buffer): number {
    for (let cr = part.indexOf(CR); cr >= 0; cr = part.indexOf(CR, cr + 1)) {
      if (cr >= LOOKBACK) {
        const start = lengthLineStart(part, cr, cr - LOOKBACK);
        if (start >= 0) return body.received + start;
      } else {
        const window = Buffer.concat([body.tail, part.subarray(0, cr + 1)]);
        const start = lengthLineStart(window, window.length - 1, Math.max(0, window.length - 1 - LOOKBACK));
        if (start >= 0) return body.received - body.tail.length + start;
      }
    }
    return -1;
  }

  private finishBody(body: Body): void {
    this.body = null;
    if (!body.chunks) return; // over the cap: discarded
    let bytes: Buffer;
    if (body.chunks.length === 1) {
      bytes = body.chunks[0];
    } else {
      bytes = Buffer.concat(body.chunks, body.length);
      this.copiedBytes += body.length;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString("utf8"));
    } catch (error) {
      this.report(`a message body of ${describeBytes(body.length)} that is not valid JSON (${error instanceof Error ? error.message : String(error)}); a wrong Content-Length?`);
      // Resynchronise at the next header inside or after it.
      this.head = bytes;
      this.scanned = 0;
      return;
    }
    this.quiet = false;
    this.sink.message(value);
  }
}

/**
 * A MessageReader over a byte stream, reading frames with FrameParser. Dropped frames go to the
 * `onBadFrame` listener (those dropped before it is set wait for it).
 */
export class FramedMessageReader extends AbstractMessageReader {
  private readonly parser: FrameParser;
  private callback: DataCallback | null = null;
  private badListener: ((reason: string) => void) | null = null;
  private readonly earlyBad: string[] = [];
  private ended = false;

  constructor(private readonly stream: Readable, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    super();
    this.parser = new FrameParser({
      message: (value) => this.deliver(value),
      bad: (reason) => (this.badListener ? this.badListener(reason) : this.earlyBad.push(reason)),
    }, maxMessageBytes);
  }

  get maxMessageBytes(): number {
    return this.parser.maxMessageBytes;
  }

  onBadFrame(listener: (reason: string) => void): void {
    this.badListener = listener;
    for (const reason of this.earlyBad.splice(0)) listener(reason);
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => this.parser.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    const onEnd = (): void => {
      if (this.ended) return;
      this.ended = true;
      this.parser.end();
      this.fireClose();
    };
    const onError = (error: Error): void => this.fireError(error);
    this.stream.on("data", onData);
    this.stream.on("end", onEnd);
    this.stream.on("close", onEnd);
    this.stream.on("error", onError);
    return {
      dispose: () => {
        this.stream.off("data", onData);
        this.stream.off("end", onEnd);
        this.stream.off("close", onEnd);
        this.stream.off("error", onError);
      },
    };
  }

  private deliver(value: unknown): void {
    try {
      this.callback?.(value as Message);
    } catch (error) {
      // A bug behind the reader must not leave the frames after this one unread: report it
      // the way every uncaught error is (the server logs it and carries on).
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
