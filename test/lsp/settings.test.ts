/**
 * Settings: initializationOptions, workspace/configuration, workspace/didChangeConfiguration
 * and the project's [tool.memhint]; every change re-lints the open documents (push) or asks the
 * client to pull again (pull). Bad settings are shown to the user and logged.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileUri, LspClient } from "../helpers/lsp-client.js";

const BAD = "total = sum([x for x in range(10)])\nsquares = [i * i for i in range(1_000_000)]\n";
const clients: LspClient[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of clients) c.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(): LspClient {
  const c = LspClient.start();
  clients.push(c);
  return c;
}

function open(c: LspClient, uri: string, text = BAD): void {
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
}

const codes = (ds: any[]): string[] => ds.map((d) => d.code);

describe("client settings", () => {
  it("initializationOptions select, ignore and severity overrides", async () => {
    const c = start();
    await c.initialize({}, { initializationOptions: { memhint: { severity: { MH101: "error" } } } });
    open(c, "file:///tmp/memhint-settings/a.py");
    const [d] = await c.diagnostics("file:///tmp/memhint-settings/a.py", 1);
    expect(d.severity).toBe(1);
    const ignoring = start();
    await ignoring.initialize({}, { initializationOptions: { ignore: ["MH1"] } });
    open(ignoring, "file:///tmp/memhint-settings/b.py");
    expect(await ignoring.diagnostics("file:///tmp/memhint-settings/b.py", 1)).toEqual([]);
  });

  it("workspace/configuration on start and after didChangeConfiguration, re-linting open documents", async () => {
    const c = start();
    let section: unknown = { ignore: ["MH101"] };
    c.onRequest("workspace/configuration", (params) => params.items.map((item: any) => (item.section === "memhint" ? section : null)));
    await c.initialize({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } });
    await c.waitFor((m) => m.method === "client/registerCapability" && m.params.registrations[0].method === "workspace/didChangeConfiguration");
    await c.waitFor((m) => m.method === "workspace/configuration");
    const uri = "file:///tmp/memhint-settings/c.py";
    open(c, uri);
    // The configuration answer may arrive after the first lint: the document is linted again.
    await c.waitFor((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.diagnostics.length === 0);
    section = { severity: { MH101: "hint" } };
    const republished = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: null });
    const pushed = await republished;
    expect(codes(pushed.params.diagnostics)).toEqual(["MH101"]);
    expect(pushed.params.diagnostics[0].severity).toBe(4);
  });

  it("didChangeConfiguration settings for clients without workspace/configuration; inlay hints switch off", async () => {
    const c = start();
    await c.initialize({});
    const uri = "file:///tmp/memhint-settings/d.py";
    open(c, uri);
    expect(codes(await c.diagnostics(uri, 1))).toEqual(["MH101"]);
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    expect((await c.request("textDocument/inlayHint", { textDocument: { uri }, range })).length).toBeGreaterThan(0);
    const republished = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { select: ["MH2"], inlayHints: false } } });
    expect((await republished).params.diagnostics).toEqual([]);
    expect(await c.request("textDocument/inlayHint", { textDocument: { uri }, range })).toEqual([]);
  });

  it("pull mode: a settings change asks the client to pull again, and the new pull reflects it", async () => {
    const c = start();
    await c.initialize({ textDocument: { diagnostic: {} }, workspace: { diagnostics: { refreshSupport: true } } });
    const uri = "file:///tmp/memhint-settings/e.py";
    open(c, uri);
    const first = await c.request("textDocument/diagnostic", { textDocument: { uri } });
    expect(codes(first.items)).toEqual(["MH101"]);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { ignore: ["MH101"] } } });
    await c.waitFor((m) => m.method === "workspace/diagnostic/refresh");
    const second = await c.request("textDocument/diagnostic", { textDocument: { uri }, previousResultId: first.resultId });
    expect(second).toMatchObject({ kind: "full", items: [] });
    expect(c.published()).toEqual([]);
  });

  it("shows invalid client settings to the user and keeps working", async () => {
    const c = start();
    await c.initialize({}, { initializationOptions: { memhint: { select: ["MH1O1"], bogus: 1 } } });
    const shown = await c.waitFor((m) => m.method === "window/showMessage");
    expect(shown.params.message).toContain("invalid settings");
    const uri = "file:///tmp/memhint-settings/f.py";
    open(c, uri);
    expect(codes(await c.diagnostics(uri, 1))).toEqual(["MH101"]);
  });
});

describe("project configuration", () => {
  it("applies [tool.memhint] from pyproject.toml, re-lints when it changes, and reports a bad one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memhint-lsp-config-"));
    dirs.push(dir);
    const pyproject = join(dir, "pyproject.toml");
    writeFileSync(pyproject, '[project]\nname = "demo"\n\n[tool.memhint]\nignore = ["MH101"]\n');
    const c = start();
    await c.initialize({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } }, { rootUri: fileUri(dir) });
    await c.waitFor((m) => m.method === "client/registerCapability" && m.params.registrations[0].method === "workspace/didChangeWatchedFiles");
    const uri = fileUri(join(dir, "pkg", "mod.py"));
    open(c, uri);
    expect(await c.diagnostics(uri, 1)).toEqual([]);

    // Editor settings win over the project's.
    let next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { ignore: [] } } });
    expect(codes((await next).params.diagnostics)).toEqual(["MH101"]);
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: {} } });
    expect((await next).params.diagnostics).toEqual([]);

    writeFileSync(pyproject, '[tool.memhint]\nseverity = { MH101 = "error" }\n');
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fileUri(pyproject), type: 2 }] });
    const relinted = (await next).params.diagnostics;
    expect(codes(relinted)).toEqual(["MH101"]);
    expect(relinted[0].severity).toBe(1);

    writeFileSync(pyproject, '[tool.memhint]\nselect = "MH101"\nunknown-key = 3\n');
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fileUri(pyproject), type: 2 }] });
    const shown = await c.waitFor((m) => m.method === "window/showMessage");
    expect(shown.params.message).toContain("pyproject.toml");
    expect(codes((await next).params.diagnostics)).toEqual(["MH101"]);
    expect(c.logs().some((m) => m.includes("bad configuration"))).toBe(true);
  });
});
