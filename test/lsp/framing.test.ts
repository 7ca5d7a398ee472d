/**
 * The frame reader alone (server/lsp/framing.ts): valid frames however they are chunked, and
 * recovery after garbage, bad headers, wrong lengths, invalid JSON and messages over the cap,
 * by example and on random streams; bytes copied stay linear in the message size. The same
 * reproductions against the real server process are in robustness.test.ts.
 */
import { describe, expect, it } from "vitest";
import { FrameParser } from "../../server/lsp/framing.js";
import { random } from "../helpers/random.js";

function frame(body: string | Buffer, length?: number): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${length ?? bytes.length}\r\n\r\n`, "ascii"), bytes]);
}

function request(id: number, extra = ""): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "test/echo", params: { text: `message ${id}${extra}` } });
}

/** Feed `bytes` in chunks of `chunkSize` (or the given sizes) and collect what the parser makes of them. */
function parse(bytes: Buffer, chunkSize: number | ((i: number) => number) = bytes.length || 1, max?: number) {
  const messages: unknown[] = [];
  const bad: string[] = [];
  const parser = new FrameParser({ message: (m) => messages.push(m), bad: (r) => bad.push(r) }, max);
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const size = Math.max(1, typeof chunkSize === "number" ? chunkSize : chunkSize(i));
    parser.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { messages, bad, parser, ids: messages.map((m) => (m as { id?: unknown }).id) };
}

describe("valid frames", () => {
  const stream = Buffer.concat([
    frame(request(1)),
    Buffer.from(`Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(request(2))}\r\n\r\n${request(2)}`),
    Buffer.from(`content-length:${Buffer.byteLength(request(3))}\r\n\r\n${request(3)}`),
    frame(request(4, " ünïcödé 日本語 🎉")),
  ]);

  it("are read whole, chunked at every size, with any header order and spelling", () => {
    for (const size of [stream.length, 1, 2, 3, 7, 64]) {
      const { ids, bad } = parse(stream, size);
      expect(bad, `chunk size ${size}`).toEqual([]);
      expect(ids, `chunk size ${size}`).toEqual([1, 2, 3, 4]);
    }
    expect((parse(stream).messages[3] as any).params.text).toBe("message 4 ünïcödé 日本語 🎉");
  });

  it("tolerate blank lines between frames without a report", () => {
    const { ids, bad } = parse(Buffer.concat([frame(request(1)), Buffer.from("\r\n\r\n"), frame(request(2))]));
    expect(bad).toEqual([]);
    expect(ids).toEqual([1, 2]);
  });
});

describe("recovery", () => {
  const next = Buffer.concat([frame(request(10)), frame(request(11))]);

  it("garbage without a line break before a header: one report, the header is kept", () => {
    const { ids, bad } = parse(Buffer.concat([Buffer.from([0x00, 0xff, 0x20]), Buffer.from("garbage"), next]), 5);
    expect(ids).toEqual([10, 11]);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toContain("not a message header");
  });

  it("a header whose Content-Length is not a number", () => {
    const { ids, bad } = parse(Buffer.concat([Buffer.from("Content-Length: abc\r\n\r\n{}"), next]));
    expect(ids).toEqual([10, 11]);
    expect(bad).toEqual(['a message header whose Content-Length is not a number: "abc"']);
  });

  it("a header without Content-Length, and one with two (read on from the second: garbage may end in a header line)", () => {
    const { ids, bad, messages } = parse(Buffer.concat([Buffer.from("Content-Type: x\r\n\r\n{}"), next, Buffer.from("Content-Length: 7\r\nContent-Length: 2\r\n\r\n[]"), frame(request(12))]));
    expect(messages[2]).toEqual([]);
    expect(ids).toEqual([10, 11, undefined, 12]);
    expect(bad.map((b) => b.split(":")[0])).toEqual(["a message header without Content-Length", "a message header with two Content-Length lines"]);
  });

  for (const delta of [10, -10, 1, -1, 40, 500]) {
    it(`a Content-Length ${Math.abs(delta)} bytes too ${delta > 0 ? "large" : "small"}, then valid frames`, () => {
      const body = request(1);
      for (const size of [1, 13, 1 << 16]) {
        const { ids, bad } = parse(Buffer.concat([frame(body, Buffer.byteLength(body) + delta), next, frame(request(12))]), size);
        expect(ids, `chunks of ${size}`).toEqual([10, 11, 12]);
        expect(bad, `chunks of ${size}`).toHaveLength(1);
      }
    });
  }

  it("a length too large is noticed at the next header, without waiting for the bytes it announced", () => {
    const body = request(1);
    const { ids, bad } = parse(Buffer.concat([frame(body, 1_000_000), frame(request(2))]));
    expect(ids).toEqual([2]);
    expect(bad[0]).toMatch(/^a message cut short by the next message's header after \d+ bytes of the 1,000,000 bytes/);
  });

  it("a body that is not JSON, with a correct length", () => {
    const { ids, bad } = parse(Buffer.concat([frame("{ not json"), frame(""), next]));
    expect(ids).toEqual([10, 11]);
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(/^a message body of 10 bytes that is not valid JSON/);
  });

  it("refuses a message over the cap as soon as its header arrives, discards it, and reads on", () => {
    const messages: unknown[] = [];
    const bad: string[] = [];
    const parser = new FrameParser({ message: (m) => messages.push(m), bad: (r) => bad.push(r) }, 1000);
    const big = request(1, "x".repeat(5000));
    parser.push(Buffer.from(`Content-Length: ${Buffer.byteLength(big)}\r\n\r\n`));
    expect(bad).toEqual([`a message of ${Buffer.byteLength(big).toLocaleString("en-US")} bytes, over the limit of 1,000 bytes (memhint lsp --max-message-bytes): its bytes are discarded`]);
    for (let at = 0; at < big.length; at += 100) parser.push(Buffer.from(big.slice(at, at + 100)));
    expect(parser.copiedBytes).toBeLessThan(2000);
    parser.push(next);
    expect(messages.map((m: any) => m.id)).toEqual([10, 11]);
    expect(bad).toHaveLength(1);
  });

  it("reads on after a header announcing more than the cap but followed by a small body", () => {
    const { ids, bad } = parse(Buffer.concat([frame(request(1), 99_999_999_999), next]), 7, 1000);
    expect(ids).toEqual([10, 11]);
    expect(bad).toHaveLength(1);
  });

  it("holds a header that cannot end to its size limit", () => {
    const { ids, bad, parser } = parse(Buffer.concat([Buffer.from("Content-Length: 5\r\nContent-Type: "), Buffer.alloc(20_000, "a"), Buffer.from("\r\n\r\n"), next]), 512);
    expect(ids).toEqual([10, 11]);
    expect(bad).toEqual(["a message header longer than 8192 bytes"]);
    expect(parser.copiedBytes).toBeLessThan(20_000 * 20);
  });

  it("random streams: every intact frame is delivered in order and nothing else is", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = random(seed);
      const pick = (n: number): number => Math.floor(rand() * n);
      const parts: Buffer[] = [];
      const expected: number[] = [];
      let bads = 0;
      for (let i = 0; i < 12; i++) {
        const body = request(i, "y".repeat(pick(300)));
        const size = Buffer.byteLength(body);
        switch (pick(8)) {
          case 0: {
            // Random bytes, never a CR (a CR could end a header line the garbage happens to spell).
            const junk = Buffer.from(Array.from({ length: 1 + pick(60) }, () => { const b = pick(256); return b === 0x0d ? 0x0e : b; }));
            parts.push(junk);
            bads++;
            break;
          }
          case 1:
            parts.push(Buffer.from(["Content-Length: -3\r\n\r\n", "Content-Length:\r\n\r\n", "Content-Type: a\r\nBad\r\n\r\n", "Content-Length: 12 13\r\n\r\n"][pick(4)]));
            bads++;
            break;
          case 2:
            parts.push(frame(body, size + 1 + pick(size)));
            bads++;
            break;
          case 3:
            parts.push(frame(body, Math.max(1, size - 1 - pick(size - 1))));
            bads++;
            break;
          case 4:
            parts.push(frame(body.slice(0, -1) + ",}"));
            bads++;
            break;
          default:
            parts.push(frame(body));
            expected.push(i);
        }
      }
      parts.push(frame(request(99)));
      expected.push(99);
      const bytes = Buffer.concat(parts);
      const { ids, bad } = parse(bytes, () => 1 + pick(200));
      expect(ids, `seed ${seed}`).toEqual(expected);
      expect(bad.length, `seed ${seed}`).toBeLessThanOrEqual(bads);
      if (bads > 0) expect(bad.length, `seed ${seed}`).toBeGreaterThan(0);
    }
  });
});

describe("cost", () => {
  it("copies each byte of a large message a bounded number of times, whatever the chunk size", () => {
    for (const mb of [1, 4, 16]) {
      const body = request(1, "z".repeat(mb * 1024 * 1024));
      const bytes = frame(body);
      for (const chunk of [65_536, 4096]) {
        const { ids, parser } = parse(bytes, chunk);
        expect(ids).toEqual([1]);
        // One join of the body, and the header's bytes: never a copy per chunk.
        expect(parser.copiedBytes, `${mb} MB in chunks of ${chunk}`).toBeLessThanOrEqual(bytes.length + chunk);
      }
    }
  });
});
