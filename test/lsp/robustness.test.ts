/**
 * The server keeps serving whatever it is sent: malformed JSON, non-JSON-RPC messages, unknown
 * methods, edits to unopened documents, out-of-range ranges, binary content, oversized files,
 * bad parameters, and rules that throw (disabled for that document only, and logged).
 */
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver/node.js";
import { allRules } from "../../rules/index.js";
import { defineRule } from "../../server/engine/types.js";
import { MAX_DOCUMENT_LENGTH } from "../../server/lsp/documents.js";
import { serve } from "../../server/lsp/server.js";
import { BIN, LspClient, ResponseFailure } from "../helpers/lsp-client.js";

const BAD = "total = sum([x for x in range(10**6)])\n";

function open(c: LspClient, uri: string, text: string, version = 1): void {
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version, text } });
}

/** The server still lints: a fresh document gets its diagnostics. */
async function stillServing(c: LspClient, label: string): Promise<void> {
  const uri = `file:///tmp/memhint-robust/alive-${label}.py`;
  open(c, uri, BAD);
  expect((await c.diagnostics(uri, 1)).map((d: any) => d.code), label).toEqual(["MH101"]);
}

describe("malformed and unexpected input", () => {
  let client: LspClient;
  beforeAll(async () => {
    client = LspClient.start();
    await client.initialize({});
  });
  afterAll(() => client.kill());

  it("survives malformed JSON and messages that are not JSON-RPC", async () => {
    client.writeFrame("{ this is not json");
    client.writeFrame('{"jsonrpc":"2.0","id":');
    client.writeFrame("[1, 2, 3]");
    client.writeFrame('{"hello":"world"}');
    client.writeFrame(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    client.writeRaw("Content-Length: abc\r\n\r\n");
    const parseError = await client.waitFor((m) => m.error?.code === -32700);
    expect(parseError.id).toBeNull();
    await client.waitFor((m) => m.method === "window/logMessage" && m.params.message.includes("Unreadable message"));
    await stillServing(client, "json");
  });

  it("answers valid JSON that is not JSON-RPC with InvalidRequest, and drops a $/cancelRequest without an id", async () => {
    const invalid = (): number => client.received.filter((m) => m.id === null && m.error?.code === -32600).length;
    const before = invalid();
    client.writeFrame("[1, 2, 3]");
    client.writeFrame('{"hello":"world"}');
    client.writeFrame('{"jsonrpc":"2.0","id":{"x":1},"method":"textDocument/hover","params":{}}');
    client.notify("$/cancelRequest", null);
    client.notify("$/cancelRequest", { id: { nested: true } });
    client.notify("$/setTrace", null);
    client.notify("$/progress", { value: 1 });
    await expect(client.request("textDocument/hover", "not an object")).rejects.toMatchObject({ code: -32602 });
    expect(invalid() - before).toBe(3);
    expect(client.logs().filter((m) => m.startsWith("Ignoring a $/cancelRequest without the id"))).not.toHaveLength(0);
    expect(client.logs().filter((m) => m.includes("Notification handler"))).toEqual([]);
    await stillServing(client, "not-json-rpc");
  });

  it("answers unknown requests with MethodNotFound and ignores unknown notifications", async () => {
    await expect(client.request("memhint/noSuchThing", {})).rejects.toMatchObject({ code: -32601 });
    client.notify("memhint/noSuchNotification", { x: 1 });
    client.notify("$/setTrace", { value: "off" });
    await stillServing(client, "unknown");
  });

  it("ignores edits to documents that are not open, and logs it", async () => {
    client.notify("textDocument/didChange", {
      textDocument: { uri: "file:///tmp/never-opened.py", version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "x" }],
    });
    client.notify("textDocument/didChange", { textDocument: null, contentChanges: null });
    client.notify("textDocument/didClose", { textDocument: { uri: "file:///tmp/never-opened-either.py" } });
    await client.waitFor((m) => m.method === "window/logMessage" && m.params.message.includes("never-opened.py"));
    await stillServing(client, "unopened");
  });

  it("clamps out-of-range and reversed edit ranges instead of failing", async () => {
    const uri = "file:///tmp/memhint-robust/ranges.py";
    open(client, uri, "x = 1\n");
    await client.diagnostics(uri, 1);
    client.notify("textDocument/didChange", {
      textDocument: { uri, version: 2 },
      contentChanges: [
        { range: { start: { line: 99, character: 5 }, end: { line: 120, character: 9 } }, text: BAD },
        { range: { start: { line: 0, character: 999 }, end: { line: 0, character: 999 } }, text: "  # one" },
        { range: { start: { line: 0, character: 3 }, end: { line: 0, character: -4 } }, text: "" },
      ],
    });
    const [d] = await client.diagnostics(uri, 2);
    expect(d.range.start.line).toBe(1);
    const hover = await client.request("textDocument/hover", { textDocument: { uri }, position: { line: 9999, character: 9999 } });
    expect(hover).toBeNull();
    const actions = await client.request("textDocument/codeAction", { textDocument: { uri }, range: { start: { line: -1, character: -1 }, end: { line: 1e9, character: 0 } }, context: { diagnostics: [] } });
    expect(Array.isArray(actions)).toBe(true);
  });

  it("answers requests with bad parameters with an empty result or a proper error", async () => {
    for (const [method, params] of [
      ["textDocument/hover", {}],
      ["textDocument/hover", { textDocument: { uri: 42 }, position: null }],
      ["textDocument/codeAction", { textDocument: { uri: "file:///nope.py" } }],
      ["textDocument/inlayHint", { textDocument: {} }],
      ["codeAction/resolve", { title: "x", data: { fixAll: true, uri: "file:///nope.py" } }],
      ["codeAction/resolve", null],
    ] as const) {
      const answer = await client.request(method, params).catch((e: unknown) => e);
      if (answer instanceof ResponseFailure) expect(answer.code).toBeLessThan(0);
    }
    await stillServing(client, "params");
  });

  it("does not lint binary content", async () => {
    const uri = "file:///tmp/memhint-robust/binary.py";
    open(client, uri, `${BAD}\u0000\u0001\u0002`);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    expect(client.logs().filter((m) => m.includes("binary.py") && m.includes("binary"))).toHaveLength(1);
  });

  it("skips files over the size limit with one log message, and lints them again once they shrink", async () => {
    const uri = "file:///tmp/memhint-robust/huge.py";
    const huge = `${BAD}${"# padding padding padding padding padding padding padding padding\n".repeat(Math.ceil(MAX_DOCUMENT_LENGTH / 60))}`;
    expect(huge.length).toBeGreaterThan(MAX_DOCUMENT_LENGTH);
    open(client, uri, huge);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    for (let v = 2; v <= 4; v++) {
      client.notify("textDocument/didChange", { textDocument: { uri, version: v }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "#" }] });
      expect(await client.diagnostics(uri, v)).toEqual([]);
    }
    expect(client.logs().filter((m) => m.includes("huge.py"))).toHaveLength(1);
    client.notify("textDocument/didChange", { textDocument: { uri, version: 5 }, contentChanges: [{ text: BAD }] });
    expect((await client.diagnostics(uri, 5)).map((d: any) => d.code)).toEqual(["MH101"]);
  });

  it("still shuts down cleanly", async () => {
    expect(await client.shutdown()).toBe(0);
  });
});

/** A frame with the given body and announced length (the real one by default). */
function frame(body: string, length = Buffer.byteLength(body)): Buffer {
  return Buffer.concat([Buffer.from(`Content-Length: ${length}\r\n\r\n`, "ascii"), Buffer.from(body, "utf8")]);
}

const hoverBody = (id: number): string => JSON.stringify({ jsonrpc: "2.0", id, method: "textDocument/hover", params: { textDocument: { uri: "file:///tmp/memhint-robust/none.py" }, position: { line: 0, character: 0 } } });

/** The parse errors (id null) the server sent so far. */
function parseErrors(c: LspClient): number {
  return c.received.filter((m) => m.id === null && m.error?.code === -32700).length;
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
}

describe("frames that are not what they say (issue 12: the server went deaf after a few bad bytes)", () => {
  let client: LspClient;
  beforeAll(async () => {
    client = LspClient.start();
    await client.initialize({});
  });
  afterAll(() => client.kill());

  /**
   * Send `bad` glued to the front of two valid requests: both are answered, the bad bytes get
   * exactly one parse error (id null), and the log says why.
   */
  async function recovers(label: string, bad: Buffer | string, logged: RegExp): Promise<void> {
    const errorsBefore = parseErrors(client);
    const logsBefore = client.logs().length;
    const first = client.reserveId();
    const second = client.reserveId();
    const answers = [client.expectAnswer(first, 5000), client.expectAnswer(second, 5000)];
    client.writeRaw(Buffer.concat([typeof bad === "string" ? Buffer.from(bad, "latin1") : bad, frame(hoverBody(first)), frame(hoverBody(second))]));
    expect(await Promise.all(answers), label).toEqual([null, null]);
    expect(parseErrors(client) - errorsBefore, label).toBe(1);
    expect(client.logs().slice(logsBefore).filter((m) => m.includes("Unreadable message")).join("\n"), label).toMatch(logged);
    await stillServing(client, label.replace(/\W+/g, "-"));
  }

  it("garbage without a line break before valid frames", async () => {
    await recovers("garbage", Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from(" garbage")]), /10 bytes that are not a message header/);
  });

  it("a Content-Length that is not a number", async () => {
    await recovers("abc", "Content-Length: abc\r\n\r\n{}", /Content-Length is not a number: "abc"/);
  });

  it("a Content-Length 10 bytes too large", async () => {
    const body = hoverBody(900);
    await recovers("too large", frame(body, Buffer.byteLength(body) + 10), /cut short by the next message's header|not valid JSON/);
  });

  it("a Content-Length 10 bytes too small", async () => {
    const body = hoverBody(901);
    await recovers("too small", frame(body, Buffer.byteLength(body) - 10), /not valid JSON/);
  });

  it("reads large messages in time linear in their size", async () => {
    // One request of `mb` MB (an unknown method with a long string), timed to its answer.
    const timeOf = async (mb: number): Promise<number> => {
      const pad = "x".repeat(mb * 1024 * 1024);
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const id = client.reserveId();
        const bytes = frame(JSON.stringify({ jsonrpc: "2.0", id, method: "memhint/padding", params: { pad } }));
        const answered = client.expectAnswer(id, 60_000).catch((e: unknown) => e);
        const start = performance.now();
        client.writeRaw(bytes);
        expect(await answered).toMatchObject({ code: -32601 });
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const t10 = await timeOf(10);
    const t40 = await timeOf(40);
    // Linear: about 4x. Reading that joined every chunk to the buffer took 8.7 s for 40 MB
    // (quadratic, 16x); the floor keeps a fast machine's noise from failing the test.
    expect(t40, `10 MB: ${t10.toFixed(0)} ms, 40 MB: ${t40.toFixed(0)} ms`).toBeLessThan(Math.max(8 * t10, 1500));
  });
});

describe("the message size cap", () => {
  it("refuses a message over --max-message-bytes as soon as its header arrives, and reads on", async () => {
    const c = LspClient.start({ args: [BIN, "lsp", "--stdio", "--max-message-bytes=4096"] });
    try {
      await c.initialize({});
      const body = JSON.stringify({ jsonrpc: "2.0", id: 77, method: "textDocument/hover", params: { pad: "x".repeat(10_000) } });
      c.writeRaw(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      // Answered before a byte of the body is sent.
      const refused = await c.waitFor((m) => m.id === null && m.error?.code === -32700, 5000, "the parse error for the oversized message");
      expect(refused.error!.message).toContain("over the limit of 4,096 bytes");
      c.writeRaw(body);
      await stillServing(c, "cap");
      expect(c.received.some((m) => m.id === 77)).toBe(false);
    } finally {
      c.kill();
    }
  });

  it("takes the cap from MEMHINT_LSP_MAX_MESSAGE_BYTES, and refuses a bad value", async () => {
    const c = LspClient.start({ env: { MEMHINT_LSP_MAX_MESSAGE_BYTES: "2000" } });
    try {
      await c.initialize({});
      c.writeFrame(JSON.stringify({ jsonrpc: "2.0", method: "memhint/padding", params: { pad: "x".repeat(3000) } }));
      expect((await c.waitFor((m) => m.id === null && m.error?.code === -32700, 5000)).error!.message).toContain("over the limit of 2,000 bytes");
      await stillServing(c, "env-cap");
    } finally {
      c.kill();
    }
    const bad = LspClient.start({ env: { MEMHINT_LSP_MAX_MESSAGE_BYTES: "lots" } });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toContain('MEMHINT_LSP_MAX_MESSAGE_BYTES needs a positive number of bytes, got "lots"');
  });

  it("discards an oversized message as it streams in, never holding it in memory", async () => {
    const c = LspClient.start();
    try {
      await c.initialize({});
      await stillServing(c, "before-big");
      const before = rssMiB(c.pid!);
      const size = 256 * 1024 * 1024;
      c.writeRaw(`Content-Length: ${size}\r\n\r\n`);
      await c.waitFor((m) => m.id === null && m.error?.code === -32700, 5000);
      const chunk = Buffer.alloc(1024 * 1024, "x");
      for (let sent = 0; sent < size; sent += chunk.length) c.writeRaw(chunk);
      await stillServing(c, "after-big");
      // Buffering it would have grown the server by 256 MiB at least.
      expect(rssMiB(c.pid!) - before).toBeLessThan(64);
    } finally {
      c.kill();
    }
  });
});

describe("a rule that throws", () => {
  it("is disabled for that document only, logged once, and the other rules keep working", async () => {
    const brittle = defineRule({
      code: "MH999",
      name: "brittle",
      severity: "warning",
      fixable: "never",
      evidence: "size",
      peers: [],
      messages: { m: "{{text}}" },
      docs: { what: "x", why: "x", example: "x", useInstead: "x", fixSafety: "x", limits: "x" },
      nodeTypes: ["call"],
      check(node) {
        if (node.text.startsWith("explode(")) throw new Error("brittle rule exploded");
      },
    });
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const connection = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    await serve(connection, { rules: [...allRules, brittle] });
    const client = new LspClient({ stdin: toServer, stdout: toClient, exited: new Promise(() => {}), kill: () => connection.dispose() });
    try {
      await client.initialize({});
      const a = "file:///tmp/memhint-robust/explodes.py";
      const b = "file:///tmp/memhint-robust/fine.py";
      open(client, a, `explode()\n${BAD}`);
      expect((await client.diagnostics(a, 1)).map((d: any) => d.code)).toEqual(["MH101"]);
      client.notify("textDocument/didChange", { textDocument: { uri: a, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "\n" }] });
      await client.diagnostics(a, 2);
      const failures = client.logs().filter((m) => m.includes("MH999") && m.includes("explodes.py"));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain("brittle rule exploded");
      expect(failures[0]).toContain("disabled for this document");
      // Another document still runs MH999 (it does not throw there).
      open(client, b, BAD);
      expect((await client.diagnostics(b, 1)).map((d: any) => d.code)).toEqual(["MH101"]);
    } finally {
      client.kill();
    }
  });
});
