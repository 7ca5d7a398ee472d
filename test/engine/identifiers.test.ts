/**
 * The identifier predicate (facts/identifiers.ts) against Python's own, and the scan that finds
 * names in code with the tokens around them (unclosed.ts, findIdentifiers).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { identifierEnd, isIdentifierPart, isIdentifierPartAt, isIdentifierStart } from "../../server/engine/facts/identifiers.js";
import { findIdentifiers, type IdentifierSite } from "../../server/engine/unclosed.js";

describe("identifier characters", () => {
  it("reads ASCII as Python does", () => {
    const parts = [...Array(128).keys()].filter(isIdentifierPart).map((c) => String.fromCharCode(c)).join("");
    expect(parts).toBe("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");
    expect(isIdentifierStart("_".charCodeAt(0))).toBe(true);
    expect(isIdentifierStart("7".charCodeAt(0))).toBe(false);
    expect(isIdentifierPart(Number.NaN)).toBe(false);
  });

  it("accepts every character Python accepts, and more only where Python's Unicode is older", () => {
    // Unicode 15.1 (Python 3.13) made these continue identifiers: ZWNJ, ZWJ, the katakana middle dots.
    const since151 = ["200c", "200d", "30fb", "ff65"];
    // Python's verdict on every code point, as runs: start flags, continue flags, assigned flags.
    const script = [
      "import sys, unicodedata",
      "s, c, a = [], [], []",
      "for cp in range(128, 0x110000):",
      "    ch = chr(cp)",
      "    if 0xd800 <= cp <= 0xdfff:",
      "        s.append('0'); c.append('0'); a.append('0'); continue",
      "    s.append('1' if ch.isidentifier() else '0')",
      "    c.append('1' if ('a' + ch).isidentifier() else '0')",
      "    a.append('0' if unicodedata.category(ch) == 'Cn' else '1')",
      "sys.stdout.write(''.join(s) + '\\n' + ''.join(c) + '\\n' + ''.join(a))",
    ].join("\n");
    const [starts, parts, assigned] = execFileSync("python3", ["-c", script], { encoding: "utf8", maxBuffer: 1 << 23 }).split("\n");
    const missing: string[] = [];
    const extraAssigned: string[] = [];
    for (let cp = 128; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const k = cp - 128;
      const [start, part] = [isIdentifierStart(cp), isIdentifierPart(cp)];
      if ((starts[k] === "1" && !start) || (parts[k] === "1" && !part)) missing.push(cp.toString(16));
      // Accepted here but not by Python: only characters Python's Unicode does not know yet.
      const extra = (start && starts[k] === "0") || (part && parts[k] === "0");
      if (extra && assigned[k] === "1" && !since151.includes(cp.toString(16))) extraAssigned.push(cp.toString(16));
    }
    expect(missing).toEqual([]);
    expect(extraAssigned).toEqual([]);
  });

  it("reads surrogate pairs as the character they encode", () => {
    const text = "a𝑥b 😀";
    expect(identifierEnd(text, 0)).toBe(4);
    expect(isIdentifierPartAt(text, 1)).toBe(true);
    expect(isIdentifierPartAt(text, 2)).toBe(true); // the second half of 𝑥
    expect(isIdentifierPartAt(text, 5)).toBe(false); // 😀
    expect(isIdentifierPartAt(text, 6)).toBe(false);
    expect(isIdentifierPartAt(text, -1)).toBe(false);
    expect(isIdentifierPartAt(text, text.length)).toBe(false);
    expect(identifierEnd("é\u00a0x", 0)).toBe(1); // a no-break space ends a name
  });
});

/** The sites of `names` in `text` (whole), with their tokens as text. */
function sites(text: string, names = ["self"], start = 0, end = text.length): { before: string[]; after: string; bracket: string; beforeBracket: string[]; start: number }[] {
  const out: IdentifierSite[] = [];
  findIdentifiers(text, start, end, names, (site) => { out.push(site); });
  const token = (at: number): string => (at < 0 ? "" : at >= end ? "<end>" : text[at] === "\n" || text[at] === "\r" ? "<nl>" : text.slice(at, Math.max(at + 1, identifierEnd(text, at))));
  return out.map((s) => ({
    start: s.start,
    before: s.before.map(token),
    after: token(s.after),
    bracket: token(s.bracket),
    beforeBracket: s.beforeBracket.map(token),
  }));
}

describe("findIdentifiers", () => {
  it("finds a name in code with the tokens before and after it", () => {
    expect(sites("x.parent = self\ny = 1\n")).toEqual([
      { start: 11, before: ["=", "parent", "."], after: "<nl>", bracket: "", beforeBracket: ["", ""] },
    ]);
    expect(sites("p.items.append(self)")).toEqual([
      { start: 15, before: ["(", "append", "."], after: ")", bracket: "(", beforeBracket: ["append", "."] },
    ]);
    expect(sites("x = self")[0].after).toBe("<end>");
  });

  it("skips strings, comments, blank space inside brackets and line continuations", () => {
    expect(sites("s = 'self' + \"self\" + '''\nself''' # self\nf\"{self}\"\n")).toEqual([]);
    const text = "Child(a,  # the parent:\n      self  # here\n)\nx.y = \\\n  self\n";
    expect(sites(text)).toEqual([
      { start: 30, before: [",", "a", "("], after: ")", bracket: "(", beforeBracket: ["Child", ""] },
      { start: 55, before: ["=", "y", "."], after: "<nl>", bracket: "", beforeBracket: ["", ""] },
    ]);
  });

  it("finds whole names only, and keywords too", () => {
    expect(sites("selfish = myself + self_ + élself + selfé")).toEqual([]);
    expect(sites("def f(self): pass", ["def", "self"]).map((s) => s.start)).toEqual([0, 6]);
    expect(sites("a.self = 1")[0].before).toEqual([".", "a", ""]);
  });

  it("reads a string with a prefix as one token, from its quote", () => {
    expect(sites("rb'x' self")[0].before).toEqual(["'", "", ""]);
    expect(sites("f(rb, self)")[0].before).toEqual([",", "rb", "("]);
  });

  it("closes brackets left open before a statement keyword, as the parser is told", () => {
    const text = "x = f(\ndef g(self): pass\n";
    expect(sites(text)).toEqual([
      { start: 13, before: ["(", "g", "def"], after: ")", bracket: "(", beforeBracket: ["g", "def"] },
    ]);
  });

  it("reads CRLF and lone CR line breaks", () => {
    expect(sites("a = self\r\nb = self\rc")).toEqual([
      { start: 4, before: ["=", "a", ""], after: "<nl>", bracket: "", beforeBracket: ["", ""] },
      { start: 14, before: ["=", "b", "<nl>"], after: "<nl>", bracket: "", beforeBracket: ["", ""] },
    ]);
  });

  it("scans only the range it is given", () => {
    const text = "self = 1\nclass A:\n    x = self\nself\n";
    const start = text.indexOf("class");
    const end = text.lastIndexOf("self") - 1;
    expect(sites(text, ["self"], start, end).map((s) => [s.start, s.after])).toEqual([[text.indexOf("x = self") + 4, "<end>"]]);
  });
});
