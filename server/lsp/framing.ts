/**
 * A guard in front of the stdio message reader: it forwards well-formed `Content-Length` frames
 * untouched and drops header blocks without a usable length, reporting them. vscode-jsonrpc's
 * reader stops at such a header until more bytes arrive, which would leave the messages behind
 * it unread; here they flow on.
 */
import { Transform, type TransformCallback } from "node:stream";

const HEADER_END = Buffer.from("\r\n\r\n", "ascii");
/** A header block longer than this without its end is garbage, not a header still arriving. */
const MAX_HEADER_BYTES = 8192;

export class FrameGuard extends Transform {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly onBadFrame: (reason: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) {
          this.onBadFrame(`${this.buffer.length} bytes without a message header`);
          this.buffer = Buffer.alloc(0);
        }
        break;
      }
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const match = /(?:^|\r\n)Content-Length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(header);
      if (!match) {
        this.onBadFrame(`a message header without a valid Content-Length: ${JSON.stringify(header.slice(0, 200))}`);
        this.buffer = this.buffer.subarray(headerEnd + HEADER_END.length);
        continue;
      }
      const total = headerEnd + HEADER_END.length + Number(match[1]);
      if (this.buffer.length < total) break;
      this.push(this.buffer.subarray(0, total));
      this.buffer = this.buffer.subarray(total);
    }
    done();
  }
}
