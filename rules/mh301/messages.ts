/** How MH301's findings are worded (by id, filled from each report's data), and the lines they quote. */
import type { Node } from "web-tree-sitter";

const FREED_LATE = "so they are freed only by the cyclic garbage collector: late, in bulk during a full collection, together with everything reachable from them, and never as soon as the last outside reference goes";
const STORE_WEAK = "store the back-reference `{{attr}}` as a `weakref.ref` (a property can keep the attribute's name)";

export const MESSAGES = {
  linkedBothWays: `\`{{reported}}\` and \`{{other}}\` (line {{line}}) link {{both}} in both directions: they form a reference cycle, ${FREED_LATE}; ${STORE_WEAK}`,
  linkedBothWaysNoFix: `\`{{reported}}\` and \`{{other}}\` (line {{line}}) link {{both}} in both directions: they form a reference cycle, ${FREED_LATE}; make one direction a \`weakref.ref\` (no automatic fix: neither link is clearly the back-reference)`,
  selfReference: "`{{reported}}` makes each `{{cls}}` instance reference itself: a cycle of one object, so it is freed only by the cyclic garbage collector: late, in bulk during a full collection, together with everything reachable from it, and never as soon as the last outside reference goes; store a `weakref.ref` instead (a property can keep the attribute's name), or use the instance directly",
  backToKeeper: `\`{{reported}}\` points \`{{holder}}\` back at the \`{{cls}}\` that keeps it (\`{{site}}\`, line {{line}}): the two reference each other, ${FREED_LATE}; ${STORE_WEAK}`,
  backToKeeperViaHelper: `\`{{reported}}\` points \`{{holder}}\` back at the \`{{cls}}\` that keeps it (\`{{site}}\`, line {{line}}, a method that stores it): the two reference each other, ${FREED_LATE}; ${STORE_WEAK}`,
  keptByParent: `\`{{reported}}\` points each \`{{cls}}\` back at a parent that keeps it (\`{{site}}\`, line {{line}}): the two reference each other, ${FREED_LATE}; ${STORE_WEAK}`,
  createdChild: `\`{{reported}}\` points each \`{{cls}}\` back at a parent that keeps it (\`{{site}}\` in \`{{where}}\`, line {{line}}): the two reference each other, ${FREED_LATE}; ${STORE_WEAK}`,
  createdChildBothWays: `\`{{reported}}\` points each \`{{cls}}\` back at a parent that keeps it (\`{{site}}\` in \`{{where}}\`, line {{line}}): the two reference each other, ${FREED_LATE}; make one direction a \`weakref.ref\` (no automatic fix: \`{{attr}}\` holds both directions, and a weak one would let the created object die)`,
} as const;

export type MessageId = keyof typeof MESSAGES;

export function lineOf(node: Node): string {
  return String(node.startPosition.row + 1);
}

/** The first line of a construct, shortened for a message. */
export function snippet(node: Node): string {
  const firstLine = node.text.split("\n")[0].trim();
  return firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine;
}
