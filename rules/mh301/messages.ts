/** How MH301's findings are worded (by id, filled from each report's data), and the code they quote. */
import type { Node } from "web-tree-sitter";

/*
 * Each message names the two links of the cycle (the reported line and the one it pairs with)
 * and the evidence in a few words (the fix, when there is one, says what it makes weak); why a cycle costs memory (freed late, by the cyclic collector)
 * and how to fix it are in the rule docs (mh301-reference-cycle.md).
 */
export const MESSAGES = {
  linkedBothWays: "`{{reported}}` and `{{other}}` make a cycle: {{evidence}}",
  linkedBothWaysNoFix: "`{{reported}}` and `{{other}}` make a cycle: {{evidence}}",
  selfReference: "`{{reported}}` makes a cycle of one: {{evidence}}",
  backToKeeper: "`{{reported}}` and `{{site}}` make a cycle: {{evidence}}",
  backToKeeperViaHelper: "`{{reported}}` and `{{site}}` (stores it) make a cycle: {{evidence}}",
  keptByParent: "`{{reported}}` and `{{site}}` make a cycle: {{evidence}}",
  createdChild: "`{{reported}}` and `{{site}}` make a cycle: {{evidence}}",
  createdChildBothWays: "`{{reported}}` and `{{site}}` make a cycle: {{evidence}}",
} as const;

export type MessageId = keyof typeof MESSAGES;

/**
 * The first line of a construct, quoted whole: the engine fits the message to its length budget
 * by cutting the longest quotes first (`fitMessage` in server/engine/lint.ts).
 */
export function snippet(node: Node): string {
  return node.text.split("\n")[0].trim().replace(/`/g, "'");
}

/** The first lines of the cycle's two constructs. */
export function quotes(first: Node, second: Node): [string, string] {
  return [snippet(first), snippet(second)];
}
