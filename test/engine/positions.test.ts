import { describe, expect, it } from "vitest";
import { LineIndex, type PositionEncoding } from "../../server/engine/positions.js";

const encodings: PositionEncoding[] = ["utf-16", "utf-8", "utf-32"];

describe("LineIndex", () => {
  const text = 'x = "日本😀"; sum([i for i in y])\r\n\tz = 1\rlast';
  const lines = new LineIndex(text);
  const target = text.indexOf("[i");

  it("splits on \\n, \\r\\n and a lone \\r", () => {
    expect(lines.lineCount).toBe(3);
    expect(lines.lineText(0)).toBe('x = "日本😀"; sum([i for i in y])');
    expect(lines.lineText(1)).toBe("\tz = 1");
    expect(lines.lineText(2)).toBe("last");
  });

  it("converts columns for CJK and emoji in each encoding", () => {
    // 'x = "' is 5 units; 日本 are 2 UTF-16 units, 6 UTF-8 bytes, 2 code points; 😀 is 2, 4, 1.
    expect(lines.position(target, "utf-16")).toEqual({ line: 0, character: 16 });
    expect(lines.position(target, "utf-8")).toEqual({ line: 0, character: 22 });
    expect(lines.position(target, "utf-32")).toEqual({ line: 0, character: 15 });
    expect(lines.humanPosition(target)).toEqual({ line: 1, column: 16 });
  });

  it("round-trips every offset that starts a character, in every encoding", () => {
    for (const encoding of encodings) {
      for (let offset = 0; offset <= text.length; offset++) {
        const c = text.charCodeAt(offset - 1);
        if (c >= 0xd800 && c <= 0xdbff) continue; // the middle of a surrogate pair
        const prev = text.charCodeAt(offset - 1);
        if (prev === 13 && text.charCodeAt(offset) === 10) continue; // between \r and \n
        expect(lines.offset(lines.position(offset, encoding), encoding), `${encoding} @${offset}`).toBe(offset);
      }
    }
  });

  it("counts a tab as one unit and clamps out-of-range positions", () => {
    const tabLine = lines.lineStart(1);
    expect(lines.position(tabLine + 1, "utf-16")).toEqual({ line: 1, character: 1 });
    expect(lines.offset({ line: 1, character: 999 })).toBe(lines.lineContentEnd(1));
    expect(lines.offset({ line: 99, character: 0 })).toBe(text.length);
    expect(lines.offset({ line: -1, character: 5 })).toBe(0);
  });

  it("never splits a surrogate pair or a UTF-8 sequence", () => {
    const emoji = text.indexOf("😀");
    expect(lines.offset({ line: 0, character: lines.position(emoji, "utf-16").character + 1 }, "utf-16")).toBe(emoji);
    expect(lines.offset({ line: 0, character: lines.position(emoji, "utf-8").character + 2 }, "utf-8")).toBe(emoji);
  });
});
