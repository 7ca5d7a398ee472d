/**
 * The language server over stdio, as an editor drives it: initialize → didOpen → diagnostics →
 * didChange → code actions → apply → shutdown/exit, in push and pull mode; debounce and
 * versions; cancellation; fix-all (eager and resolved); suppression actions; hover; inlay hints.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { applyLspEdits, LspClient, REPO_ROOT } from "../helpers/lsp-client.js";

const URI = "file:///tmp/memhint-lsp-test/example.py";
const SOURCE = ["import math", "", "total = sum([x * x for x in range(10**6)])", "print(total, math.pi)", ""].join("\n");

function open(c: LspClient, text: string, uri = URI, version = 1): void {
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version, text } });
}

function change(c: LspClient, uri: string, version: number, changes: unknown[]): void {
  c.notify("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
}

/** The single edit list of a workspace edit for `uri`, in either shape. */
function editsOf(edit: any, uri: string): any[] {
  if (edit.documentChanges) return edit.documentChanges.filter((d: any) => d.textDocument.uri === uri).flatMap((d: any) => d.edits);
  return edit.changes[uri];
}

describe("push mode", () => {
  let client: LspClient;
  beforeAll(async () => {
    client = LspClient.start();
    await client.initialize({ workspace: { workspaceEdit: { documentChanges: true } } });
  });
  afterAll(() => client.kill());

  it("initialize → didOpen → diagnostics → didChange → code action → apply", async () => {
    const init = client.received.find((m) => m.id === 1)!.result;
    expect(init.capabilities.positionEncoding).toBe("utf-16");
    expect(init.capabilities.textDocumentSync.change).toBe(2);
    expect(init.capabilities.diagnosticProvider).toBeUndefined();
    expect(init.serverInfo.name).toBe("memhint");

    open(client, SOURCE);
    const [d] = await client.diagnostics(URI, 1);
    expect(d).toMatchObject({
      code: "MH101",
      source: "memhint",
      codeDescription: { href: "https://memhint.dev/rules/MH101" },
      range: { start: { line: 2, character: 12 }, end: { line: 2, character: 41 } },
    });
    expect(d.data.fix.safe).toBe(true);

    // Insert a line above: the finding moves down.
    change(client, URI, 2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "# a comment\n" }]);
    const [moved] = await client.diagnostics(URI, 2);
    expect(moved.range.start).toEqual({ line: 3, character: 12 });

    const actions = await client.request("textDocument/codeAction", { textDocument: { uri: URI }, range: moved.range, context: { diagnostics: [moved] } });
    const titles = actions.map((a: any) => a.title);
    expect(titles).toEqual(expect.arrayContaining(["Replace the list comprehension with a generator expression", "Ignore MH101 on this line", "Ignore MH101 in this file"]));
    const fix = actions.find((a: any) => a.kind === "quickfix" && a.isPreferred);
    expect(fix.edit.documentChanges[0].textDocument).toEqual({ uri: URI, version: 2 });
    const text2 = SOURCE.replace("\n\n", "\n# a comment\n\n");
    const fixed = applyLspEdits(text2, editsOf(fix.edit, URI));
    expect(fixed).toContain("total = sum(x * x for x in range(10**6))");

    change(client, URI, 3, [{ text: fixed }]);
    expect(await client.diagnostics(URI, 3)).toEqual([]);
    client.notify("textDocument/didClose", { textDocument: { uri: URI } });
    await client.waitFor((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === URI && m.params.version === undefined);
  });

  it("coalesces a burst of edits and never publishes an older version after a newer one", async () => {
    const uri = "file:///tmp/memhint-lsp-test/burst.py";
    open(client, "total = sum([x for x in range(10**6)])\n", uri);
    await client.diagnostics(uri, 1);
    const edits = [];
    for (let v = 2; v <= 31; v++) {
      edits.push({ method: "textDocument/didChange", params: { textDocument: { uri, version: v }, contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "x" }] } });
    }
    client.notifyBatch(edits);
    await client.diagnostics(uri, 31);
    // One more edit: the server handles messages in order, so anything it could still publish for
    // the burst comes before the publish of version 32.
    change(client, uri, 32, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "y" }]);
    await client.diagnostics(uri, 32);
    const versions = client.published(uri).map((m) => m.params.version).slice(1, -1);
    expect(versions.length).toBeLessThanOrEqual(3);
    expect(versions.at(-1)).toBe(31);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
  });

  it("offers quick fixes for the findings under the cursor when the client sends no diagnostics", async () => {
    const uri = "file:///tmp/memhint-lsp-test/nodiags.py";
    open(client, "print(max([len(w) for w in open(__file__)]))\n", uri);
    const [d] = await client.diagnostics(uri, 1);
    const actions = await client.request("textDocument/codeAction", { textDocument: { uri }, range: { start: d.range.start, end: d.range.start }, context: { diagnostics: [] } });
    expect(actions.some((a: any) => a.isPreferred)).toBe(true);
  });

  it("looks up current findings when a diagnostic's data is for an older version", async () => {
    const uri = "file:///tmp/memhint-lsp-test/stale.py";
    open(client, "print(max([len(w) for w in open(__file__)]))\n", uri);
    const [d] = await client.diagnostics(uri, 1);
    change(client, uri, 2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "# end\n" }]);
    const actions = await client.request("textDocument/codeAction", { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
    const fix = actions.find((a: any) => a.isPreferred);
    expect(fix.edit.documentChanges[0].textDocument.version).toBe(2);
  });
});

describe("pull mode", () => {
  it("answers textDocument/diagnostic with resultIds, never pushes, and honours $/cancelRequest", async () => {
    const client = LspClient.start();
    try {
      const init = await client.initialize({ textDocument: { diagnostic: { dynamicRegistration: false } } });
      expect(init.capabilities.diagnosticProvider).toMatchObject({ interFileDependencies: false, workspaceDiagnostics: false });
      open(client, SOURCE);
      const first = await client.request("textDocument/diagnostic", { textDocument: { uri: URI } });
      expect(first.kind).toBe("full");
      expect(first.items.map((d: any) => d.code)).toEqual(["MH101"]);
      const again = await client.request("textDocument/diagnostic", { textDocument: { uri: URI }, previousResultId: first.resultId });
      expect(again).toEqual({ kind: "unchanged", resultId: first.resultId });

      change(client, URI, 2, [{ range: { start: { line: 2, character: 12 }, end: { line: 2, character: 13 } }, text: "" }]);
      const after = await client.request("textDocument/diagnostic", { textDocument: { uri: URI }, previousResultId: first.resultId });
      expect(after.kind).toBe("full");
      expect(after.resultId).not.toBe(first.resultId);

      // A pull cancelled before it runs is answered with RequestCancelled.
      const edit = (version: number) => ({
        method: "textDocument/didChange",
        params: { textDocument: { uri: URI, version }, contentChanges: [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, text: "#" }] },
      });
      const queued = client.peekId();
      client.notifyBatch([edit(3), { method: "textDocument/diagnostic", params: { textDocument: { uri: URI } }, id: queued } as never, { method: "$/cancelRequest", params: { id: queued } }]);
      await expect(client.expectAnswer(queued)).rejects.toMatchObject({ code: -32800 });
      // A pull waiting for a burst of edits to settle, cancelled while it waits: the edit after it
      // keeps the document unsettled, and the server lints only once every message it has
      // received is handled, so the cancellation reaches the pull while it still waits.
      const waiting = client.peekId();
      client.notifyBatch([
        edit(4), edit(5), { method: "textDocument/diagnostic", params: { textDocument: { uri: URI } }, id: waiting } as never,
        edit(6), { method: "$/cancelRequest", params: { id: waiting } },
      ]);
      await expect(client.expectAnswer(waiting)).rejects.toMatchObject({ code: -32800 });

      // Unknown documents get an empty report.
      expect((await client.request("textDocument/diagnostic", { textDocument: { uri: "file:///nowhere.py" } })).items).toEqual([]);
      expect(client.published()).toEqual([]);
      expect(await client.shutdown()).toBe(0);
    } finally {
      client.kill();
    }
  });
});

describe("fix-all and suppressions", () => {
  const positive = readFileSync(join(REPO_ROOT, "fixtures/MH101/positive.py"), "utf8");
  const expected = readFileSync(join(REPO_ROOT, "fixtures/MH101/positive.fixed.py"), "utf8");
  let client: LspClient;
  beforeAll(async () => {
    client = LspClient.start();
    await client.initialize({}, { initializationOptions: { memhint: { select: ["MH101"] } } });
  });
  afterAll(() => client.kill());

  it("source.fixAll.memhint applies every safe fix in one edit, no unsafe fix and no suppression", async () => {
    const uri = "file:///tmp/memhint-lsp-test/fixall.py";
    open(client, positive, uri);
    const diagnostics = await client.diagnostics(uri, 1);
    expect(diagnostics.some((d: any) => d.data.fix && !d.data.fix.safe)).toBe(true);
    const actions = await client.request("textDocument/codeAction", {
      textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ["source.fixAll"] },
    });
    expect(actions).toHaveLength(1);
    expect(actions[0].kind).toBe("source.fixAll.memhint");
    const edits = editsOf(actions[0].edit, uri);
    expect(edits).toHaveLength(1);
    expect(applyLspEdits(positive, edits)).toBe(expected);
    // Unsafe fixes are offered one by one, say so, and are not preferred.
    const unsafe = diagnostics.find((d: any) => d.data.fix && !d.data.fix.safe);
    const quick = await client.request("textDocument/codeAction", { textDocument: { uri }, range: unsafe.range, context: { diagnostics: [unsafe], only: ["quickfix"] } });
    const fix = quick.find((a: any) => a.title.startsWith(unsafe.data.fix.title));
    expect(fix.title).toContain("unsafe");
    expect(fix.isPreferred).toBe(false);
    expect(quick.some((a: any) => a.kind === "source.fixAll.memhint")).toBe(false);
  });

  it("resolves the fix-all edit lazily when the client supports codeAction/resolve", async () => {
    const lazy = LspClient.start();
    try {
      await lazy.initialize({ textDocument: { codeAction: { resolveSupport: { properties: ["edit"] } } } }, { initializationOptions: { select: ["MH101"] } });
      const uri = "file:///tmp/memhint-lsp-test/resolve.py";
      open(lazy, positive, uri);
      await lazy.diagnostics(uri, 1);
      const [action] = await lazy.request("textDocument/codeAction", {
        textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ["source.fixAll.memhint"] },
      });
      expect(action.edit).toBeUndefined();
      const resolved = await lazy.request("codeAction/resolve", action);
      expect(applyLspEdits(positive, editsOf(resolved.edit, uri))).toBe(expected);
    } finally {
      lazy.kill();
    }
  });

  async function ignoreEdit(text: string, title: string, uri: string): Promise<string> {
    open(client, text, uri);
    const [d] = await client.diagnostics(uri, 1);
    const actions = await client.request("textDocument/codeAction", { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
    const action = actions.find((a: any) => a.title === title);
    expect(action, `no "${title}" in ${actions.map((a: any) => a.title)}`).toBeDefined();
    const result = applyLspEdits(text, editsOf(action.edit, uri));
    // The suppression works: the finding is gone.
    change(client, uri, 2, [{ text: result }]);
    expect(await client.diagnostics(uri, 2)).toEqual([]);
    return result;
  }

  it("ignore on this line appends a comment, or extends an existing memhint or noqa comment", async () => {
    expect(await ignoreEdit("print(sum([x for x in range(10**6)]))\n", "Ignore MH101 on this line", "file:///tmp/i1.py"))
      .toBe("print(sum([x for x in range(10**6)]))  # memhint: ignore[MH102]\n".replace("MH102", "MH101"));
    expect(await ignoreEdit("print(sum([x for x in range(10**6)]))  # memhint: ignore[MH102]\n", "Ignore MH101 on this line", "file:///tmp/i2.py"))
      .toBe("print(sum([x for x in range(10**6)]))  # memhint: ignore[MH102, MH101]\n");
    expect(await ignoreEdit("print(sum([x for x in range(10**6)]))  # noqa: E501\n", "Ignore MH101 on this line", "file:///tmp/i3.py"))
      .toBe("print(sum([x for x in range(10**6)]))  # noqa: E501, MH101\n");
    expect(await ignoreEdit("print(sum([x for x in range(10**6)]))  # why not\n", "Ignore MH101 on this line", "file:///tmp/i4.py"))
      .toBe("print(sum([x for x in range(10**6)]))  # why not  # memhint: ignore[MH101]\n");
  });

  it("ignore in this file inserts or extends the header comment, after a shebang and coding line", async () => {
    expect(await ignoreEdit("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(sum([x for x in range(10**6)]))\n", "Ignore MH101 in this file", "file:///tmp/f1.py"))
      .toBe("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# memhint: ignore-file[MH101]\nprint(sum([x for x in range(10**6)]))\n");
    expect(await ignoreEdit("# memhint: ignore-file[MH102]\n\nprint(sum([x for x in range(10**6)]))\n", "Ignore MH101 in this file", "file:///tmp/f2.py"))
      .toBe("# memhint: ignore-file[MH102, MH101]\n\nprint(sum([x for x in range(10**6)]))\n");
  });
});

describe("hover and inlay hints", () => {
  let client: LspClient;
  const uri = "file:///tmp/memhint-lsp-test/hover.py";
  const text = [
    "total = sum([i * i for i in range(1_000_000)])",
    "squares = [i * i for i in range(1_000_000)]",
    "small = [i for i in range(3)]",
    "print(len(squares), small)  # memhint: ignore[MH101]",
    "",
  ].join("\n");
  beforeAll(async () => {
    client = LspClient.start();
    await client.initialize({});
    open(client, text, uri);
    await client.diagnostics(uri, 1);
  });
  afterAll(() => client.kill());
  afterEach(() => undefined);

  it("explains a finding: what it allocates, the estimated size, why, and what to write instead", async () => {
    const hover = await client.request("textDocument/hover", { textDocument: { uri }, position: { line: 0, character: 20 } });
    expect(hover.contents.kind).toBe("markdown");
    const value: string = hover.contents.value;
    expect(value).toContain("MH101");
    expect(value).toMatch(/Estimated size:\*\* ≈ [\d.]+ MiB/);
    expect(value).toContain("Why it matters");
    expect(value).toContain("sum(x * x for x in range(1_000_000))");
    expect(value).toContain("https://memhint.dev/rules/MH101");
    const line0 = text.split("\n")[0];
    expect(hover.range).toEqual({ start: { line: 0, character: line0.indexOf("[") }, end: { line: 0, character: line0.lastIndexOf("]") + 1 } });
    expect(await client.request("textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 0 } })).toBeNull();
  });

  it("shows a rule's docs over its code in a suppression comment", async () => {
    const line = text.split("\n")[3];
    const hover = await client.request("textDocument/hover", { textDocument: { uri }, position: { line: 3, character: line.indexOf("MH101") + 2 } });
    expect(hover.contents.value).toContain("comprehension-in-consumer");
    expect(hover.contents.value).toContain("Fix safety");
    expect(hover.range.start.character).toBe(line.indexOf("MH101"));
    // The comment suppresses nothing: MH002's finding follows the code's docs.
    expect(hover.contents.value).toContain("Unused suppression: MH101 is not reported on this line");
  });

  it("shows the estimated size of constant-size collections as inlay hints", async () => {
    const hints = await client.request("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } } });
    const byLine = new Map(hints.map((h: any) => [h.position.line, h]));
    expect((byLine.get(1) as any).label).toMatch(/^≈ [\d.]+ MiB$/);
    expect((byLine.get(1) as any).position.character).toBe(text.split("\n")[1].length);
    expect(byLine.has(0)).toBe(true);
    expect(byLine.has(2)).toBe(false); // a few hundred bytes: no hint
  });
});

describe("lifecycle (LSP 3.17)", () => {
  const BAD = "total = sum([x for x in range(10**6)])\n";
  const hoverAt = (uri: string) => ({ textDocument: { uri }, position: { line: 0, character: 14 } });

  it("answers a request before initialize with ServerNotInitialized and drops notifications", async () => {
    const c = LspClient.start();
    try {
      await expect(c.request("textDocument/hover", hoverAt(URI))).rejects.toMatchObject({ code: -32002 });
      await expect(c.request("shutdown", null)).rejects.toMatchObject({ code: -32002 });
      const early = "file:///tmp/memhint-lsp-test/early.py";
      open(c, BAD, early);
      c.notify("initialized", {});
      await c.initialize({});
      // The document opened before initialize is not open: no hover over its finding, while
      // the same text opened now has one.
      const late = "file:///tmp/memhint-lsp-test/late.py";
      open(c, BAD, late);
      expect(await c.diagnostics(late, 1)).toHaveLength(1);
      expect(await c.request("textDocument/hover", hoverAt(late))).not.toBeNull();
      expect(await c.request("textDocument/hover", hoverAt(early))).toBeNull();
      expect(c.published(early)).toEqual([]);
      expect(c.logs()).toContain("Ignoring the notification textDocument/didOpen before initialize");
    } finally {
      c.kill();
    }
  });

  it("accepts initialize once; after shutdown refuses every request, ignores notifications, and exit exits 0", async () => {
    const c = LspClient.start();
    try {
      await c.initialize({});
      await expect(c.request("initialize", { processId: null, rootUri: null, capabilities: {} })).rejects.toMatchObject({ code: -32600 });
      expect(await c.request("shutdown", null)).toBeNull();
      await expect(c.request("textDocument/hover", hoverAt(URI))).rejects.toMatchObject({ code: -32600 });
      await expect(c.request("shutdown", null)).rejects.toMatchObject({ code: -32600 });
      await expect(c.request("initialize", { processId: null, rootUri: null, capabilities: {} })).rejects.toMatchObject({ code: -32600 });
      open(c, BAD, "file:///tmp/memhint-lsp-test/after-shutdown.py");
      await expect(c.request("textDocument/codeAction", { textDocument: { uri: URI } })).rejects.toMatchObject({ code: -32600 });
      expect(c.logs()).toContain("Ignoring the notification textDocument/didOpen after shutdown");
      c.notify("exit", null);
      expect(await c.exited).toBe(0);
    } finally {
      c.kill();
    }
  });

  it("exit without shutdown exits 1, before and after initialize", async () => {
    const before = LspClient.start();
    before.notify("exit", null);
    const after = LspClient.start();
    await after.initialize({});
    after.notify("exit", null);
    expect(await Promise.all([before.exited, after.exited])).toEqual([1, 1]);
  });

  it("an initialize that fails leaves the server uninitialized", async () => {
    const c = LspClient.start();
    try {
      await expect(c.request("initialize", null)).rejects.toMatchObject({ code: -32602 });
      await expect(c.request("initialize", { processId: null, rootUri: null })).rejects.toMatchObject({ code: -32602 });
      await expect(c.request("textDocument/hover", hoverAt(URI))).rejects.toMatchObject({ code: -32002 });
      const init = await c.initialize({});
      expect(init.serverInfo.name).toBe("memhint");
    } finally {
      c.kill();
    }
  });
});
