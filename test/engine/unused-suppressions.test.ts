import { describe, expect, it } from "vitest";
import { fixSource } from "../../server/engine/fix.js";
import { lintSource } from "../../server/engine/lint.js";
import { resolveSettings } from "../../server/engine/settings.js";
import { defineRule, type Rule } from "../../server/engine/types.js";
import { parser, TEST_EVIDENCE } from "../helpers/engine.js";

const docs = { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" };

/** Flags every call to `waste()`. */
const wasteRule = defineRule({
  code: "MH901", name: "test-waste", severity: "warning", fixable: "never", peers: [], docs, evidence: "size",
  messages: { waste: "waste" }, nodeTypes: ["call"],
  check(node, ctx) {
    if (node.childForFieldName("function")?.text === "waste") ctx.report({ node, messageId: "waste", evidence: TEST_EVIDENCE });
  },
});
const optInRule = defineRule({ ...wasteRule, code: "MH902", optIn: true, check() {} });

const rules: Rule[] = [wasteRule, optInRule];
const lint = (source: string, settings = {}) => lintSource(parser, source, rules, resolveSettings(settings)).diagnostics;
const unused = (source: string, settings = {}) =>
  lint(source, settings).filter((d) => d.code === "MH002").map((d) => `${source.slice(0, d.start).split("\n").length}: ${d.message}`);
const fixed = (source: string) => fixSource(parser, source, rules, resolveSettings({})).output;

describe("MH002 unused-suppression", () => {
  it("reports MH codes that suppress nothing, and not those that do", () => {
    expect(unused("waste()  # noqa: MH901\nkeep()  # noqa: MH901\nkeep()  # memhint: ignore[mh901]\n")).toEqual([
      "2: Unused suppression: MH901 is not reported on this line",
      "3: Unused suppression: MH901 is not reported on this line",
    ]);
    // A finding over several lines is suppressed on its first or last line: both are used.
    expect(unused("waste(  # noqa: MH901\n  1,\n)  # noqa: MH901\n")).toEqual([]);
  });

  it("never reports a bare noqa or ignore, other tools' codes, or pylint comments", () => {
    expect(unused("keep()  # noqa\nkeep()  # memhint: ignore\nkeep()  # noqa: E501, B006\nkeep()  # pylint: disable=W0102\n")).toEqual([]);
  });

  it("judges only enabled rules: an opt-in rule that is off, or an ignored one, is left alone", () => {
    expect(unused("keep()  # noqa: MH902\n")).toEqual([]);
    expect(unused("keep()  # noqa: MH902\n", { select: ["ALL"] })).toEqual(["1: Unused suppression: MH902 is not reported on this line"]);
    expect(unused("keep()  # noqa: MH901\n", { ignore: ["MH901"] })).toEqual([]);
    expect(unused("keep()  # noqa: MH901\n", { ignore: ["MH002"] })).toEqual([]);
    // Unknown codes are MH001's, not MH002's.
    expect(lint("keep()  # noqa: MH999\n").map((d) => d.code)).toEqual(["MH001"]);
  });

  it("judges ignore-file codes against the whole file", () => {
    expect(unused("# memhint: ignore-file[MH901]\nwaste()\n")).toEqual([]);
    expect(unused("# memhint: ignore-file[MH901]\nkeep()\n")).toEqual(["1: Unused suppression: MH901 is not reported in this file"]);
    expect(unused("# memhint: ignore-file\nkeep()  # noqa: MH901\n")).toEqual([]);
  });

  it("counts a finding dropped for a syntax error as suppressed", () => {
    expect(unused("waste(1 +)  # noqa: MH901\n")).toEqual([]);
  });

  it("fixes by removing the unused codes, keeping other tools' codes, or the whole comment", () => {
    expect(fixed("keep()  # noqa: E501, MH901\n")).toBe("keep()  # noqa: E501\n");
    expect(fixed("keep()  # noqa: MH901,E501\n")).toBe("keep()  # noqa: E501\n");
    expect(fixed("keep()  # noqa: MH901\nx = 1\n")).toBe("keep()\nx = 1\n");
    expect(fixed("keep()  # memhint: ignore[MH901]  # why\n")).toBe("keep()  # why\n");
    expect(fixed("keep()  # memhint: ignore[MH901] because of x\n")).toBe("keep()  # because of x\n");
    expect(fixed("keep()  # see above  # noqa: MH901\n")).toBe("keep()  # see above\n");
    expect(fixed("x = 1\n# noqa: MH901\ny = 2\n")).toBe("x = 1\ny = 2\n");
    expect(fixed("# memhint: ignore-file[MH901]\nkeep()\n")).toBe("keep()\n");
    expect(fixed("waste()  # memhint: ignore[MH902, MH901]\n")).toBe("waste()  # memhint: ignore[MH902, MH901]\n");
  });
});
