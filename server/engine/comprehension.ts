/** Questions about comprehensions that rules rewriting them into generators share. */
import type { Node } from "web-tree-sitter";

/**
 * Whether a comprehension cannot become a synchronous generator: an `async for` anywhere, or an
 * `await` outside the first iterable (that one is evaluated eagerly, before the generator runs).
 */
export function isAsyncComprehension(comprehension: Node): boolean {
  const firstFor = comprehension.namedChildren.find((c) => c?.type === "for_in_clause");
  const firstIterable = firstFor?.childForFieldName("right");
  for (const clause of comprehension.descendantsOfType("for_in_clause")) {
    if (clause?.child(0)?.type === "async") return true;
  }
  for (const awaited of comprehension.descendantsOfType("await")) {
    if (!awaited) continue;
    if (firstIterable && awaited.startIndex >= firstIterable.startIndex && awaited.endIndex <= firstIterable.endIndex) continue;
    return true;
  }
  return false;
}

/** The expression of a clause whose evaluation matters: a `for` clause's iterable, an `if`'s test. */
export function clausePart(clause: Node): Node {
  if (clause.type === "for_in_clause") return clause.childForFieldName("right") ?? clause;
  return clause.namedChild(0) ?? clause;
}
