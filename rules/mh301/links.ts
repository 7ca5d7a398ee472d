/**
 * Two objects linked in both directions (`a.next = b` then `b.prev = a`, in one function or
 * module body), and an instance that references itself (`self.me = self`). The visitor sees
 * every assignment of the file, so each check starts with a test on the text alone.
 */
import type { Node } from "web-tree-sitter";
import { IDENTIFIER_PATTERN } from "../../server/engine/facts/identifiers.js";
import type { RuleContext } from "../../server/engine/types.js";
import { weakPropertyFix } from "./fix.js";
import { isManaged, PROTOCOL_ATTRIBUTE, reassignedLater } from "./lifecycle.js";
import { cycleEvidence } from "./evidence.js";
import { quotes, snippet } from "./messages.js";
import { type FileState, fileState } from "./state.js";
import { uniqueHolderOf } from "./stores.js";

/**
 * Attribute names that conventionally point back at an owner. For two different attributes
 * linking two objects (`a.next = b; b.prev = a`), the one named like this is the back-reference
 * the fix makes weak; the other direction is what keeps the structure alive.
 */
const BACK_REFERENCE_NAME = /^_*(parent|prev|previous|predecessor|owner|container|outer|back|backref|up)(_|$)/i;

/** The spaces and line continuations allowed between two tokens of one logical line. */
const GAP = "(?:[ \\t\\f]|\\\\\\r?\\n)*";

/** An identifier, in the patterns below. */
const NAME = IDENTIFIER_PATTERN;

/**
 * What the source text of `name.attr = other` (or `name.attr: T = ...`) looks like from the
 * assignment's start: every assignment that can be a link passes, and most others fail without
 * a single call into the syntax tree.
 */
export const LINK_SHAPE = new RegExp(`${NAME}${GAP}\\.${GAP}${NAME}${GAP}(?::|=${GAP}${NAME}${GAP}(?:[;#\\r\\n]|$))`, "uy");

/**
 * At `a.y = b`, look for an earlier `b.x = a` in the same function or module body. The visitor
 * runs on every assignment, so everything before the index lookup is a cheap shape check, the
 * first one on the text alone.
 */
export function checkAttributeLink(assignment: Node, ctx: RuleContext): void {
  LINK_SHAPE.lastIndex = assignment.startIndex;
  if (!LINK_SHAPE.test(ctx.source)) return;
  const left = assignment.childForFieldName("left");
  if (!left || left.type !== "attribute") return;
  const right = assignment.childForFieldName("right");
  if (!right || right.type !== "identifier") return;
  const object = left.childForFieldName("object");
  const attribute = left.childForFieldName("attribute");
  if (!object || object.type !== "identifier" || !attribute) return;
  const owner = ctx.model.ownerScopeOf(assignment);
  if (owner.kind === "class") return;
  const state = fileState(ctx);
  const a = object.text;
  const b = right.text;
  if (a === b) {
    checkSelfReference(assignment, a, attribute.text, ctx, state);
    return;
  }
  const partners = state.links.get(`${owner.start}|${b}|${a}`);
  const key = `${owner.start}|${a}|${b}`;
  const seen = state.links.get(key);
  if (seen) seen.push(assignment);
  else state.links.set(key, [assignment]);
  if (!partners) return;
  for (let i = partners.length - 1; i >= 0; i--) {
    if (checkLinkPair(partners[i], assignment, ctx, state)) return;
  }
}

/** `first` is `b.x = a`, `second` is `a.y = b`, in that order in `owner`. */
function checkLinkPair(first: Node, second: Node, ctx: RuleContext, state: FileState): boolean {
  const [b, x] = linkParts(first);
  const [a, y] = linkParts(second);
  // Both must run: `first` sits in a block that also holds `second`, nothing rebinds in between.
  const block = first.parent?.parent;
  if (!block || block.startIndex > second.startIndex || block.endIndex < second.endIndex) return false;
  if (reboundBetween(a, first, second, ctx) || reboundBetween(b, first, second, ctx)) return false;
  const scope = ctx.model.scopeOf(second);
  const classA = ctx.facts.classes.instanceClass(a, scope);
  const classB = ctx.facts.classes.instanceClass(b, scope);
  const onSelf = ctx.facts.classes.selfClass(a, scope) !== null || ctx.facts.classes.selfClass(b, scope) !== null;
  if (!onSelf && !(classA && classB)) return false;
  if (PROTOCOL_ATTRIBUTE.test(x) || PROTOCOL_ATTRIBUTE.test(y)) return false;
  if (isManaged(x, classB, ctx, state) || isManaged(y, classA, ctx, state)) return false;
  if (reassignedLater(first, b, x) || reassignedLater(second, a, y)) return false;

  let reported = second;
  let holder = classA;
  let target = classB;
  let attr = y;
  let other = first;
  let fixable = x !== y;
  if (x !== y && !BACK_REFERENCE_NAME.test(y)) {
    if (BACK_REFERENCE_NAME.test(x)) {
      [reported, holder, target, attr, other] = [first, classB, classA, x, second];
    } else {
      fixable = false;
    }
  }
  if (state.reported.has(reported.startIndex)) return true;
  state.reported.add(reported.startIndex);
  const fix = fixable ? weakPropertyFix(ctx, state, holder ?? uniqueHolderOf(attr, ctx), attr, target) : null;
  // Either object keeps the other: both classes are keepers (`self`'s class first).
  const selfClass = ctx.facts.classes.selfClass(a, scope) ?? ctx.facts.classes.selfClass(b, scope);
  const lifetime = cycleEvidence(ctx, [selfClass, classA, classB], second);
  const [quoted, partner] = quotes(reported, other);
  ctx.report({
    node: reported,
    messageId: fixable ? "linkedBothWays" : "linkedBothWaysNoFix",
    data: { reported: quoted, other: partner, evidence: lifetime.text },
    evidence: lifetime.evidence,
    fix,
  });
  return true;
}

/** `self.me = self`, or `n.me = n` on an instance of a class defined in the file. */
function checkSelfReference(assignment: Node, name: string, attr: string, ctx: RuleContext, state: FileState): void {
  const scope = ctx.model.scopeOf(assignment);
  const cls = ctx.facts.classes.instanceClass(name, scope);
  if (!cls || isManaged(attr, cls, ctx, state) || state.reported.has(assignment.startIndex)) return;
  if (reassignedLater(assignment, name, attr)) return;
  state.reported.add(assignment.startIndex);
  const lifetime = cycleEvidence(ctx, [cls], assignment);
  ctx.report({
    node: assignment,
    messageId: "selfReference",
    data: { reported: snippet(assignment), cls: cls.name, evidence: lifetime.text },
    evidence: lifetime.evidence,
    fix: weakPropertyFix(ctx, state, cls, attr, cls),
  });
}

function linkParts(assignment: Node): [string, string] {
  const left = assignment.childForFieldName("left");
  return [left?.childForFieldName("object")?.text ?? "", left?.childForFieldName("attribute")?.text ?? ""];
}

function reboundBetween(name: string, first: Node, second: Node, ctx: RuleContext): boolean {
  const bindings = ctx.model.lookup(name, ctx.model.scopeOf(second));
  return bindings.some((b) => b.statement.startIndex >= first.endIndex && b.statement.startIndex < second.startIndex);
}
