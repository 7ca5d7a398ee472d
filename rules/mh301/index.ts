/**
 * MH301, reference-cycle: instances that point at each other, so that only the cyclic garbage
 * collector frees them. This file holds the rule object and its dispatch; the checks live beside
 * it: `links.ts` (two objects linked in both directions, self-references) and `parents.ts`
 * (parents and children), with `sites.ts` (which methods can link at all), `stores.ts` (what
 * methods store), `lifecycle.ts` (attributes the code already makes weak or releases) and
 * `fix.ts` (the weak property and its import).
 */
import type { Node } from "web-tree-sitter";
import { isIdentifierPartAt } from "../../server/engine/facts/identifiers.js";
import { classScopes } from "../../server/engine/facts/index.js";
import { ruleDocs } from "../../server/engine/docs.js";
import { defineRule } from "../../server/engine/types.js";
import { checkAttributeLink, LINK_SHAPE } from "./links.js";
import { MESSAGES } from "./messages.js";
import { checkClass } from "./parents.js";

export default defineRule({
  code: "MH301",
  name: "reference-cycle",
  severity: "warning",
  fixable: "sometimes",
  evidence: "lifetime",
  optIn: true,
  peers: [],
  messages: MESSAGES,
  docs: ruleDocs(new URL("./mh301-reference-cycle.md", import.meta.url)),
  nodeTypes: ["class_definition", "assignment"],
  check(node, ctx) {
    // `class` is a keyword, so no assignment starts with it: no need to ask the node its type.
    if (isClassKeyword(ctx.source, node.startIndex)) checkClass(node, ctx);
    else checkAttributeLink(node, ctx);
  },
  /**
   * The escape hatch of incremental linting (types.ts, Rule.fileNodes): after an edit inside one
   * function, the engine runs MH301 again on every class and every assignment that can be a link,
   * listed here from the model without walking the tree, instead of keeping its other findings.
   * A kept finding could be stale, because the checks read far beyond the node they report on:
   *   - a class check reads the bodies of other functions: every method of the class that hands
   *     its instance over, the helpers those call (`self.helper(child)`), and the `__init__` of
   *     other classes (`Child(self)` counts only if `Child.__init__` stores that parameter);
   *   - both checks ask file-wide questions that read every function (lifecycle.ts): is an
   *     attribute of that name made weak somewhere, released by a teardown method, assigned a
   *     literal; and which class is the only one to use `self.<attr>` (stores.ts);
   *   - messages quote the line of another node (the storage, the partner link), which an edit
   *     above it moves, while the engine only moves kept findings and keeps their messages;
   *   - the fix reads text it does not edit: the whole file (`__dict__`, `vars(`, `copy` or
   *     `pickle` imports block it), the module's imports, the comment lines after the holder's
   *     last statement.
   * Dropping it would take: those file-wide questions and "what does this method store, which
   * `__init__` parameters does this class keep" asked of the engine's facts layer, which records
   * each kind asked with a summary of what it reads in one function (as `FACT_SUMMARIES` does
   * for the singleton check) and lints in full when an edit changes one; the engine re-checking
   * the class around an edited method; messages that quote only the reported node; and a fix
   * that reads nothing beyond what the engine already compares (its edits' neighbourhood and the
   * module's first statement).
   */
  fileNodes(model, source) {
    const nodes: Node[] = [];
    for (const scope of classScopes(model.module)) nodes.push(scope.node);
    for (const m of model.attributeAssignments()) {
      LINK_SHAPE.lastIndex = model.mutationStart(m);
      if (LINK_SHAPE.test(source) && m.node.type === "assignment") nodes.push(m.node);
    }
    return nodes;
  },
});

function isClassKeyword(source: string, offset: number): boolean {
  return source.startsWith("class", offset) && !isIdentifierPartAt(source, offset + 5);
}
