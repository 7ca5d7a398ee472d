/**
 * The language server over stdio, as an editor drives it: initialize → didOpen → diagnostics →
 * didChange → code actions → apply → shutdown/exit, in push and pull mode.
 */
import { afterEach, describe, expect, it } from "vitest";
import { applyLspEdits, LspClient } from "../helpers/lsp-client.js";

const URI = "file:///tmp/memhint-lsp-test/example.py";
const SOURCE = [
  "import math",
  "",
  "total = sum([x * x for x in range(10)])",
  "print(total, math.pi)",
  "",
].join("\n");

let client: LspClient | null = null;
afterEach(() => {
  client?.kill();
  client = null;
});

function open(c: LspClient, text: string, uri = URI, version = 1): void {
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version, text } });
}

describe("push mode", () => {
  it("initialize → didOpen → diagnostics → didChange → code action → apply → shutdown/exit", async () => {
    client = LspClient.start();
    const init = await client.initialize({ workspace: { workspaceEdit: { documentChanges: true } } });
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
      range: { start: { line: 2, character: 12 }, end: { line: 2, character: 38 } },
    });
    expect(d.data.fix.safe).toBe(true);

    // Insert a line above: the finding moves down.
    client.notify("textDocument/didChange", {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "# a comment\n" }],
    });
    const [moved] = await client.diagnostics(URI, 2);
    expect(moved.range.start).toEqual({ line: 3, character: 12 });

    const actions = await client.request("textDocument/codeAction", {
      textDocument: { uri: URI },
      range: moved.range,
      context: { diagnostics: [moved] },
    });
    const titles = actions.map((a: any) => a.title);
    expect(titles).toContain("Replace the list comprehension with a generator expression");
    expect(titles).toContain("Ignore MH101 on this line");
    expect(titles).toContain("Ignore MH101 in this file");
    const fix = actions.find((a: any) => a.kind === "quickfix" && a.isPreferred);
    expect(fix.edit.documentChanges[0].textDocument).toEqual({ uri: URI, version: 2 });
    const text2 = SOURCE.replace("\n\n", "\n# a comment\n\n");
    const fixed = applyLspEdits(text2, fix.edit.documentChanges[0].edits);
    expect(fixed).toContain("total = sum(x * x for x in range(10))");

    client.notify("textDocument/didChange", { textDocument: { uri: URI, version: 3 }, contentChanges: [{ text: fixed }] });
    expect(await client.diagnostics(URI, 3)).toEqual([]);

    expect(await client.shutdown()).toBe(0);
  });
});
