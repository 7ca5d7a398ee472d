/**
 * MH301's lifetime evidence (CATALOG.md, "Evidence"; the rule docs, "Evidence"). A cycle puts
 * memory at stake when the objects in it are made many times and then dropped: each dropped
 * structure waits for the cyclic collector. The class asked is the keeper, the one whose
 * instances hold the others (the parent that keeps its children, either side of a link made in
 * both directions, the instance that references itself): a child removed from a living parent
 * is freed at once, since nothing points at it any more, so only a dropped keeper leaves a cycle
 * behind. A keeper that lives for the process (a backend, a manager, a module-level instance, a
 * singleton) puts nothing at stake, however many children it makes.
 */
import type { Node } from "web-tree-sitter";
import type { ClassInfo } from "../../server/engine/facts/index.js";
import type { Evidence, RuleContext } from "../../server/engine/types.js";

export interface CycleEvidence {
  evidence: Evidence | null;
  /** What the message says: the evidence, or what is missing (shown with report-without-evidence). */
  text: string;
}

/**
 * The evidence that instances of one of `keepers` are made many times in this file
 * (`madeMany`), else, when the cycle is built by the `__init__` of a keeper (so every instance
 * is in one), that the keeper is a public class made by its callers in other modules
 * (`madeByCallers`). `built`: where the cycle is built (the link or the storage).
 */
export function cycleEvidence(ctx: RuleContext, keepers: ReadonlyArray<ClassInfo | null>, built: Node): CycleEvidence {
  const known = keepers.filter((k, i): k is ClassInfo => k !== null && keepers.findIndex((o) => o?.node.equals(k.node)) === i);
  for (const keeper of known) {
    const evidence = ctx.facts.evidence.madeMany(keeper.node, { registries: true });
    if (evidence) return { evidence, text: evidence.text };
  }
  const init = initOf(built);
  for (const keeper of known) {
    if (!init || !keeper.node.equals(init)) continue;
    const evidence = ctx.facts.evidence.madeByCallers(keeper.node);
    if (evidence) return { evidence, text: evidence.text };
  }
  const text = known.length === 0 ? "the keeper's class is not in this file" : `no \`${known[0].name}\` made many times in this file`;
  return { evidence: null, text };
}

/** The class whose `__init__` holds `node` (not in a function nested in it), or null. */
function initOf(node: Node): Node | null {
  for (let up = node.parent; up; up = up.parent) {
    if (up.type === "lambda" || up.type === "class_definition") return null;
    if (up.type !== "function_definition") continue;
    if (up.childForFieldName("name")?.text !== "__init__") return null;
    let owner = up.parent;
    if (owner?.type === "decorated_definition") owner = owner.parent;
    owner = owner?.type === "block" ? owner.parent : null;
    return owner?.type === "class_definition" ? owner : null;
  }
  return null;
}
