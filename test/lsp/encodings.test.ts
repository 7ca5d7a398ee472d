/**
 * Position encodings: UTF-16 by default, UTF-8 or UTF-32 when the client offers them (in its
 * order of preference). Ranges of diagnostics, edits of fixes and suppressions, and incoming
 * edits are exact for CJK identifiers and strings, emoji (surrogate pairs), tabs and CRLF.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLspEdits, columnIn, LspClient } from "../helpers/lsp-client.js";

type Encoding = "utf-8" | "utf-16" | "utf-32";

interface Case {
  name: string;
  eol: string;
  lines: string[];
  /** The line with the finding. */
  line: number;
}

const CASES: Case[] = [
  { name: "CJK string", eol: "\n", line: 1, lines: ["import math", '名前 = "日本語テキスト"; total = sum([x for x in range(10**6)])', "print(名前, total)", ""] },
  { name: "CJK identifiers", eol: "\n", line: 1, lines: ["数据 = [1, 2, 3]", "結果 = sum([値 * 2 for 値 in range(10**6)])", "print(結果, 数据)", ""] },
  { name: "emoji (surrogate pairs)", eol: "\n", line: 0, lines: ['s = "😀🎉👍"; total = sum([x for x in range(10**6)])', "print(s, total)", ""] },
  { name: "tabs", eol: "\n", line: 1, lines: ["if True:", '\tx = "\t"; total = sum([x for x in range(10**6)])', "\tprint(x, total)", ""] },
  { name: "CRLF", eol: "\r\n", line: 2, lines: ["import math", '# 注释 😀', 'v = "é😀"; total = sum([x for x in range(10**6)])', "print(v, total)", ""] },
];

function width(text: string, encoding: Encoding): number {
  return encoding === "utf-16" ? text.length : encoding === "utf-32" ? [...text].length : Buffer.byteLength(text, "utf8");
}

function expectedRange(line: string, lineNo: number, encoding: Encoding) {
  const start = columnIn(line, "([", encoding) + 1;
  const end = width(line.slice(0, line.indexOf("])") + 1), encoding);
  return { start: { line: lineNo, character: start }, end: { line: lineNo, character: end } };
}

function editsOf(edit: any, uri: string): any[] {
  return edit.documentChanges ? edit.documentChanges.flatMap((d: any) => d.edits) : edit.changes[uri];
}

describe("position encoding negotiation", () => {
  it("takes the first encoding the client offers that memhint speaks", async () => {
    for (const [offered, chosen] of [[["utf-32", "utf-8"], "utf-32"], [["utf-8", "utf-16"], "utf-8"], [["latin-1", "utf-16"], "utf-16"], [undefined, "utf-16"]] as const) {
      const client = LspClient.start();
      try {
        const init = await client.initialize(offered ? { general: { positionEncodings: offered } } : {});
        expect(init.capabilities.positionEncoding).toBe(chosen);
      } finally {
        client.kill();
      }
    }
  });
});

for (const encoding of ["utf-16", "utf-8", "utf-32"] as const) {
  describe(`${encoding} positions`, () => {
    let client: LspClient;
    beforeAll(async () => {
      client = LspClient.start();
      const init = await client.initialize({ general: { positionEncodings: [encoding, "utf-16"] } });
      expect(init.capabilities.positionEncoding).toBe(encoding);
    });
    afterAll(() => client.kill());

    for (const c of CASES) {
      it(`${c.name}: diagnostic range, incoming edits, quick fix, ignore and fix-all edits`, async () => {
        const uri = `file:///tmp/memhint-enc/${encoding}-${c.name.replace(/\W+/g, "-")}.py`;
        let text = c.lines.join(c.eol);
        client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
        const [d] = await client.diagnostics(uri, 1);
        const line = c.lines[c.line];
        expect(d.range).toEqual(expectedRange(line, c.line, encoding));

        // An edit expressed in this encoding, after the wide characters: `range(10**6)` → `range(10**7)`.
        const tenAt = columnIn(line, "6)", encoding);
        client.notify("textDocument/didChange", {
          textDocument: { uri, version: 2 },
          contentChanges: [{ range: { start: { line: c.line, character: tenAt }, end: { line: c.line, character: tenAt + 1 } }, text: "7" }],
        });
        const lines = [...c.lines];
        lines[c.line] = line.replace("6)", "7)");
        text = lines.join(c.eol);
        const [moved] = await client.diagnostics(uri, 2);
        expect(moved.range).toEqual(expectedRange(lines[c.line], c.line, encoding));

        const actions = await client.request("textDocument/codeAction", { textDocument: { uri }, range: moved.range, context: { diagnostics: [moved] } });
        const fix = actions.find((a: any) => a.diagnostics?.[0]?.code === "MH101" && a.title.startsWith("Replace"));
        const fixed = applyLspEdits(text, editsOf(fix.edit, uri), encoding);
        expect(fixed).toBe(text.replace(/\(\[(.*?)\]\)/, "($1)"));

        const ignore = actions.find((a: any) => a.title === "Ignore MH101 on this line");
        const ignored = applyLspEdits(text, editsOf(ignore.edit, uri), encoding);
        expect(ignored.split(c.eol)[c.line]).toBe(`${lines[c.line]}  # memhint: ignore[MH101]`);

        const ignoreFile = actions.find((a: any) => a.title === "Ignore MH101 in this file");
        expect(applyLspEdits(text, editsOf(ignoreFile.edit, uri), encoding)).toBe(`# memhint: ignore-file[MH101]${c.eol}${text}`);

        const [fixAll] = await client.request("textDocument/codeAction", {
          textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ["source.fixAll.memhint"] },
        });
        expect(applyLspEdits(text, editsOf(fixAll.edit, uri), encoding)).toBe(fixed);

        const hover = await client.request("textDocument/hover", { textDocument: { uri }, position: { line: c.line, character: moved.range.start.character + 1 } });
        expect(hover.range).toEqual(moved.range);
      });
    }
  });
}
