/** How MH301's findings are worded: what a cycle costs, and the lines they quote. */
import type { Node } from "web-tree-sitter";

export const FREED_LATE = freedLate(false);

export function freedLate(single: boolean): string {
  const [they, them] = single ? ["it is", "it"] : ["they are", "them"];
  return `so ${they} freed only by the cyclic garbage collector: late, in bulk during a full collection, together with everything reachable from ${them}, and never as soon as the last outside reference goes`;
}

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** The first line of a construct, shortened for a message. */
export function snippet(node: Node): string {
  const firstLine = node.text.split("\n")[0].trim();
  return firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine;
}
