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

/** The first line of a construct, shortened for a message. */
export function snippet(node: Node, max = 32): string {
  const firstLine = node.text.split("\n")[0].trim();
  return firstLine.length > max ? `${firstLine.slice(0, max - 3)}...` : firstLine;
}

/** The length messages aim at (CATALOG.md: under about 120 characters). */
const MESSAGE_LENGTH = 120;
/** What a two-quote message spends besides its quotes and evidence ("`` and `` make a cycle: "). */
const TWO_QUOTE_OVERHEAD = 26;
/** No quote is cut shorter than this (`self.parent = parent` stays whole), whatever the evidence's length. */
const MIN_QUOTE = 22;

/**
 * The first lines of the cycle's two constructs, shortened so that the message with `evidence`
 * stays near MESSAGE_LENGTH: the shorter one keeps up to half of the room, the other the rest.
 */
export function quotes(first: Node, second: Node, evidence: string): [string, string] {
  const room = Math.max(2 * MIN_QUOTE, MESSAGE_LENGTH - TWO_QUOTE_OVERHEAD - evidence.length);
  const a = first.text.split("\n")[0].trim();
  const b = second.text.split("\n")[0].trim();
  if (a.length + b.length <= room) return [a, b];
  const half = Math.floor(room / 2);
  const aMax = a.length <= b.length ? Math.min(a.length, half) : Math.max(MIN_QUOTE, room - Math.min(b.length, half));
  const bMax = Math.max(MIN_QUOTE, room - aMax);
  return [snippet(first, Math.max(MIN_QUOTE, aMax)), snippet(second, bMax)];
}
