import { describe, expect, it } from "vitest";
import { applyEdits, chooseFixes, fixSource } from "../../server/engine/fix.js";
import { lintSource } from "../../server/engine/lint.js";
import { resolveSettings, ruleEnabled } from "../../server/engine/settings.js";
import { defineRule, type Diagnostic, type Rule } from "../../server/engine/types.js";
import { parser, TEST_EVIDENCE } from "../helpers/engine.js";

const docs = { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" };

/** Flags every call to `waste()` and offers to rename it to `keep()`. */
const wasteRule = defineRule({
  code: "MH901", name: "test-waste", severity: "warning", fixable: "always", peers: [], docs, evidence: "size",
  messages: { waste: "waste", bad: "bad", unwrap: "unwrap" },
  nodeTypes: ["call"],
  check(node, ctx) {
    const fn = node.childForFieldName("function");
    if (fn?.text !== "waste") return;
    ctx.report({ node, messageId: "waste", evidence: TEST_EVIDENCE, estimatedBytes: 10, fix: { description: "Call keep() instead", safety: "safe", edits: [{ start: fn.startIndex, end: fn.endIndex, newText: "keep" }] } });
  },
});

const throwingRule = defineRule({
  code: "MH902", name: "test-throws", severity: "warning", fixable: "never", peers: [], docs, evidence: "size", messages: {},
  nodeTypes: ["call"],
  check() {
    throw new Error("boom");
  },
});

const lint = (source: string, rules: Rule[] = [wasteRule], settings = {}) => lintSource(parser, source, rules, resolveSettings(settings));
const codesAt = (ds: Diagnostic[]) => ds.map((d) => `${d.code}@${d.start}`);

describe("dispatch", () => {
  it("visits the node types a rule asks for, in document order", () => {
    const seen: string[] = [];
    const spy = defineRule({ ...wasteRule, code: "MH903", nodeTypes: ["call", "list"], check: (n) => void seen.push(`${n.type}:${n.text}`) });
    lint("a([1])\nb()\n", [spy]);
    expect(seen).toEqual(["call:a([1])", "list:[1]", "call:b()"]);
  });

  it("keeps going when a rule throws, and reports the failure once", () => {
    const result = lint("waste()\nwaste()\n", [throwingRule, wasteRule]);
    expect(codesAt(result.diagnostics)).toEqual(["MH901@0", "MH901@8"]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].code).toBe("MH902");
  });

  it("skips rules it is told are disabled for a document", () => {
    const result = lintSource(parser, "waste()\n", [wasteRule], resolveSettings({}), { disabled: new Set(["MH901"]) });
    expect(result.diagnostics).toEqual([]);
  });

  it("drops findings on constructs that contain syntax errors but keeps the rest", () => {
    const result = lint("waste()\nwaste(1 +)\n");
    expect(result.hasSyntaxErrors).toBe(true);
    // The broken call is reported as a syntax error (MH000), not as a finding of the rule.
    expect(codesAt(result.diagnostics)).toEqual(["MH901@0", "MH000@16"]);
  });

  it("applies severity overrides", () => {
    expect(lint("waste()\n", [wasteRule], { severity: { MH901: "error" } }).diagnostics[0].severity).toBe("error");
  });
});

describe("select and ignore", () => {
  it("lets the more specific selector win", () => {
    expect(ruleEnabled("MH101", { select: [], ignore: [] })).toBe(true);
    expect(ruleEnabled("MH101", { select: ["MH2"], ignore: [] })).toBe(false);
    expect(ruleEnabled("MH101", { select: ["MH1"], ignore: ["MH101"] })).toBe(false);
    expect(ruleEnabled("MH102", { select: ["MH1"], ignore: ["MH101"] })).toBe(true);
    expect(ruleEnabled("MH101", { select: ["MH101"], ignore: ["MH1"] })).toBe(true);
    expect(ruleEnabled("MH101", { select: ["ALL"], ignore: ["MH"] })).toBe(false);
  });

  it("runs an opt-in rule only when select names it: its code, a prefix, or ALL; MH is the default", () => {
    expect(ruleEnabled("MH201", { select: [], ignore: [] }, true)).toBe(false);
    expect(ruleEnabled("MH201", { select: ["MH"], ignore: [] }, true)).toBe(false);
    expect(ruleEnabled("MH104", { select: ["MH"], ignore: [] }, false)).toBe(true);
    expect(ruleEnabled("MH201", { select: ["MH2"], ignore: [] }, true)).toBe(true);
    expect(ruleEnabled("MH201", { select: ["MH2"], ignore: ["MH20"] }, true)).toBe(false);
    expect(ruleEnabled("MH201", { select: ["MH201"], ignore: [] }, true)).toBe(true);
    expect(ruleEnabled("MH201", { select: ["mh201"], ignore: [] }, true)).toBe(true);
    expect(ruleEnabled("MH201", { select: ["ALL"], ignore: [] }, true)).toBe(true);
    expect(ruleEnabled("MH201", { select: ["ALL"], ignore: ["MH2"] }, true)).toBe(false);
    expect(ruleEnabled("MH201", { select: ["MH201"], ignore: ["MH2"] }, true)).toBe(true);
    const optIn = { ...wasteRule, optIn: true };
    expect(lint("waste()\n", [optIn]).diagnostics).toEqual([]);
    expect(lint("waste()\n", [optIn], { select: ["MH901"] }).diagnostics.map((d) => d.code)).toEqual(["MH901"]);
  });
});

describe("suppressions", () => {
  it("honours ignore[code], bare ignore and noqa on the finding's line", () => {
    const source = [
      "waste()  # memhint: ignore[MH901]",
      "waste()  # memhint: ignore",
      "waste()  # noqa: E501, MH901",
      "waste()  # memhint: ignore[MH001]",
      "waste()  # noqa",
      "x = 'waste()  # memhint: ignore'; waste()",
    ].join("\n");
    const lines = lint(source).diagnostics.map((d) => source.slice(0, d.start).split("\n").length);
    expect(lines).toEqual([4, 6]);
  });

  it("takes a bare `# noqa` for every code on its line, as flake8 and ruff do", () => {
    const reported = (source: string) => lint(source).diagnostics.map((d) => source.slice(0, d.start).split("\n").length);
    expect(reported("waste()  # noqa\nwaste()\n")).toEqual([2]);
    expect(reported("waste()  # NOQA\nwaste()  #noqa\nwaste()  # type: ignore  # noqa\n")).toEqual([]);
    // Without a colon the words after it are no codes: still every code (ruff reads `# noqa E501` so too).
    expect(reported("waste()  # noqa E501\n")).toEqual([]);
    // `# noqa:` with no code, `# noqa123` or `# noqa-like` are not directives.
    expect(reported("waste()  # noqa:\nwaste()  # noqa123\nwaste()  # noqa-like\n")).toEqual([1, 2, 3]);
    // Inside a string it is text.
    expect(reported("waste('# noqa')\n")).toEqual([1]);
  });

  it("reads directives and codes case-insensitively", () => {
    for (const comment of ["# noqa: mh901", "# NoQA: Mh901", "# memhint: ignore[mh901]", "# MEMHINT: IGNORE[MH901]", "# Memhint: Ignore", "# noqa:e501,mh901"]) {
      expect(lint(`waste()  ${comment}\n`).diagnostics, comment).toEqual([]);
    }
    expect(lint("# MEMHINT: IGNORE-FILE\nwaste()\n").diagnostics).toEqual([]);
    // A lower-case unknown code is still reported, under its upper-case spelling.
    const unknown = lint("waste()  # noqa: mh999\n").diagnostics;
    expect(unknown.map((d) => d.code)).toEqual(["MH901", "MH001"]);
    expect(unknown[1].message).toContain("Unknown code MH999");
  });

  it("reports unknown codes instead of accepting them", () => {
    const source = "waste()  # memhint: ignore[MH9O1]\nwaste()  # noqa: MH999\n";
    const result = lint(source);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["MH901", "MH001", "MH901", "MH001"]);
    const unknown = result.diagnostics.filter((d) => d.code === "MH001");
    expect(unknown.map((d) => source.slice(d.start, d.end))).toEqual(["MH9O1", "MH999"]);
    expect(unknown[0].message).toContain("Unknown code MH9O1");
  });

  it("silences the whole file with ignore-file at the top only", () => {
    expect(lint("#!/usr/bin/env python3\n# memhint: ignore-file\nwaste()\n").diagnostics).toEqual([]);
    const late = lint("waste()\n# memhint: ignore-file\n").diagnostics;
    expect(late.map((d) => d.code)).toEqual(["MH901", "MH001"]);
  });

  it("suppresses a multi-line finding from its first or its last line", () => {
    expect(lint("waste(  # memhint: ignore[MH901]\n  1,\n)\n").diagnostics).toEqual([]);
    expect(lint("waste(\n  1,\n)  # memhint: ignore[MH901]\n").diagnostics).toEqual([]);
  });
});

describe("fixes", () => {
  it("applies sorted edits and refuses overlapping ones", () => {
    expect(applyEdits("abcdef", [{ start: 4, end: 5, newText: "E" }, { start: 0, end: 1, newText: "A" }])).toBe("AbcdEf");
    expect(() => applyEdits("abcdef", [{ start: 0, end: 3, newText: "" }, { start: 2, end: 4, newText: "" }])).toThrow(/overlapping/);
  });

  it("chooses non-overlapping fixes and leaves unsafe ones unless asked", () => {
    const make = (start: number, end: number, safety: "safe" | "unsafe"): Diagnostic => ({
      code: "MH901", name: "x", severity: "warning", message: "", start, end, estimatedBytes: null,
      fix: { description: "d", safety, edits: [{ start, end, newText: "" }] },
    });
    const ds = [make(0, 5, "safe"), make(3, 8, "safe"), make(10, 12, "unsafe")];
    expect(chooseFixes(ds, false).map((d) => d.start)).toEqual([0]);
    expect(chooseFixes(ds, true).map((d) => d.start)).toEqual([0, 10]);
  });

  it("rejects a fix that would add a syntax error and keeps the good ones", () => {
    const breaking = defineRule({
      ...wasteRule, code: "MH904",
      check(node, ctx) {
        if (node.childForFieldName("function")?.text !== "bad") return;
        ctx.report({ node, messageId: "bad", evidence: TEST_EVIDENCE, fix: { description: "Break the code", safety: "safe", edits: [{ start: node.startIndex, end: node.startIndex, newText: "(" }] } });
      },
    });
    const result = fixSource(parser, "waste()\nbad()\n", [wasteRule, breaking], resolveSettings({}));
    expect(result.output).toBe("keep()\nbad()\n");
    expect(result.applied.map((d) => d.code)).toEqual(["MH901"]);
    expect(result.remaining.map((d) => d.code)).toEqual(["MH904"]);
  });

  it("repeats passes until fixes converge", () => {
    const nested = defineRule({
      ...wasteRule, code: "MH905",
      check(node, ctx) {
        const fn = node.childForFieldName("function");
        if (fn?.text !== "wrap") return;
        const arg = node.childForFieldName("arguments")?.namedChild(0);
        if (!arg) return;
        ctx.report({ node, messageId: "unwrap", evidence: TEST_EVIDENCE, fix: { description: "Unwrap the call", safety: "safe", edits: [{ start: node.startIndex, end: node.endIndex, newText: arg.text }] } });
      },
    });
    const result = fixSource(parser, "x = wrap(wrap(wrap(1)))\n", [nested], resolveSettings({}));
    expect(result.output).toBe("x = 1\n");
    expect(result.passes).toBeGreaterThan(1);
    expect(result.remaining).toEqual([]);
  });

  it("parses each pass's text once: the tree that checked a pass's output is the next pass's", () => {
    // A chain of nested fixes takes one pass a level (found by the CLI fuzzer: 100 nested
    // list() calls in a 200 KB file took 10 s to fix when every pass parsed its text twice).
    const nested = defineRule({
      ...wasteRule, code: "MH905",
      check(node, ctx) {
        const arg = node.childForFieldName("arguments")?.namedChild(0);
        if (node.childForFieldName("function")?.text !== "wrap" || !arg) return;
        ctx.report({ node, messageId: "unwrap", evidence: TEST_EVIDENCE, fix: { description: "Unwrap the call", safety: "safe", edits: [{ start: node.startIndex, end: node.endIndex, newText: arg.text }] } });
      },
    });
    const parsed: string[] = [];
    const counting = { ...parser, parse: (text: string) => (parsed.push(text), parser.parse(text)) };
    const result = fixSource(counting, `x = ${"wrap(".repeat(5)}1${")".repeat(5)}\n`, [nested], resolveSettings({}));
    expect(result.output).toBe("x = 1\n");
    expect(result.passes).toBe(6);
    expect(parsed).toHaveLength(6); // the source and each pass's output
    expect(new Set(parsed).size).toBe(6);
  });
});

describe("fix passes and failures", () => {
  it("reports a rule that throws only on an intermediate text, once, and keeps fixing", () => {
    // Throws as soon as a `keep()` call exists, which only the first pass's fix creates.
    const throwsOnKeep = defineRule({
      ...wasteRule, code: "MH906", fixable: "never",
      check(node) {
        if (node.childForFieldName("function")?.text === "keep") throw new Error("keep seen");
      },
    });
    const result = fixSource(parser, "waste()\nwaste()\n", [wasteRule, throwsOnKeep], resolveSettings({}));
    expect(result.output).toBe("keep()\nkeep()\n");
    expect(result.failures.map((f) => f.code)).toEqual(["MH906"]);
  });

  it("reuses a first lint it is given instead of linting the source again", () => {
    const first = lintSource(parser, "waste()\n", [wasteRule], resolveSettings({}));
    let calls = 0;
    const counting = defineRule({ ...wasteRule, check: (node, ctx) => { calls++; wasteRule.check(node, ctx); } });
    const result = fixSource(parser, "waste()\n", [counting], resolveSettings({}), { firstLint: first });
    expect(result.output).toBe("keep()\n");
    expect(calls).toBe(1); // only the second pass, on "keep()", ran the rule
  });
});
