/**
 * The other transports generic clients pass: `--socket=PORT` (the server connects to the client's
 * port) and `--node-ipc` (Node's IPC channel).
 */
import { fork, spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { BIN, LspClient } from "../helpers/lsp-client.js";

const INIT = { jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } };

describe("transports", () => {
  it("--socket=PORT connects to the client and speaks LSP over the socket", async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [BIN, "lsp", `--socket=${port}`], { stdio: "ignore" });
    try {
      const socket = await accepted;
      const client = new LspClient({ stdin: socket, stdout: socket, exited: new Promise(() => {}), kill: () => socket.destroy() });
      const init = await client.initialize({});
      expect(init.capabilities.positionEncoding).toBe("utf-16");
      client.notify("textDocument/didOpen", { textDocument: { uri: "file:///s.py", languageId: "python", version: 1, text: "sum([x for x in range(10**6)])\n" } });
      expect((await client.diagnostics("file:///s.py", 1)).map((d: any) => d.code)).toEqual(["MH101"]);
      client.kill();
    } finally {
      child.kill();
      server.close();
    }
  });

  it("--node-ipc speaks LSP over Node's IPC channel", async () => {
    const child = fork(BIN, ["lsp", "--node-ipc"], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
    try {
      const answers = new Map<number, (m: any) => void>();
      child.on("message", (m: any) => answers.get(m.id)?.(m));
      const answer = (id: number): Promise<any> => new Promise((resolve) => answers.set(id, resolve));
      // The lifecycle is enforced on every transport: a request before initialize is refused.
      const early = answer(0);
      child.send({ jsonrpc: "2.0", id: 0, method: "textDocument/hover", params: { textDocument: { uri: "file:///s.py" }, position: { line: 0, character: 0 } } });
      expect((await early).error.code).toBe(-32002);
      const init = answer(1);
      child.send(INIT);
      expect((await init).result.serverInfo.name).toBe("memhint");
    } finally {
      child.kill();
    }
  });
});
