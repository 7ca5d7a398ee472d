/**
 * The server keeps serving whatever it is sent: malformed JSON, non-JSON-RPC messages, unknown
 * methods, edits to unopened documents, out-of-range ranges, binary content, oversized files,
 * bad parameters, and rules that throw (disabled for that document only, and logged).
 */
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver/node.js";
import { allRules } from "../../rules/index.js";
import { defineRule } from "../../server/engine/types.js";
import { MAX_DOCUMENT_LENGTH } from "../../server/lsp/documents.js";
import { serve } from "../../server/lsp/server.js";
import { LspClient, ResponseFailure } from "../helpers/lsp-client.js";

const BAD = "total = sum([x for x in range(10)])\n";

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

describe("a rule that throws", () => {
  it("is disabled for that document only, logged once, and the other rules keep working", async () => {
    const brittle = defineRule({
      code: "MH999",
      name: "brittle",
      severity: "warning",
      fixable: "never",
      peers: [],
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
