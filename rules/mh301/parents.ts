/**
 * Parents and children that point at each other: `child.parent = self` while `self` keeps
 * `child` in a container; `self.parent = parent` in a method that also adds the instance to
 * `parent.children`; a parent that keeps the children it creates, whose `__init__` points them
 * back at it (`self.items.append(Item(self))` with `Item.__init__` doing `self.owner = owner`).
 */
import type { Node } from "web-tree-sitter";
import type { ClassInfo, MethodInfo } from "../../server/engine/facts/index.js";
import { unparenthesize } from "../../server/engine/model.js";
import type { RuleContext } from "../../server/engine/types.js";
import { weakPropertyFix } from "./fix.js";
import { isManaged, PROTOCOL_ATTRIBUTE, reassignedLater } from "./lifecycle.js";
import { cycleEvidence } from "./evidence.js";
import { quotes } from "./messages.js";
import { methodsWithLinkSites } from "./sites.js";
import { type FileState, fileState } from "./state.js";
import { type MethodScan, parameterReceiving, scanMethod, type Storage, uniqueHolderOf } from "./stores.js";

export function checkClass(cls: Node, ctx: RuleContext): void {
  // The site search first: it rules out most classes (and methods) without touching the tree.
  const state = fileState(ctx);
  const candidates = methodsWithLinkSites(cls, ctx, state);
  if (candidates.size === 0) return;
  const info = ctx.facts.classes.info(cls);
  for (const method of info.methods) {
    if (!method.selfName || !candidates.has(method.node.startIndex)) continue;
    const scan = scanMethod(method, state);
    const storages = [...scan.storages, ...helperStorages(info, scan, state, scan.backLinks.length > 0)];
    checkChildBackLinks(info, method.selfName, scan, storages, ctx, state);
    checkParentLinksKeptByParent(info, method.selfName, scan, ctx, state);
    checkCreatedChildren(info, method, storages, ctx, state);
  }
}

/** `child.parent = self` while `self` keeps `child` in a container. */
function checkChildBackLinks(info: ClassInfo, self: string, scan: MethodScan, storages: Storage[], ctx: RuleContext, state: FileState): void {
  for (const link of scan.backLinks) {
    if (state.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr)) continue;
    const kept = storages.find((s) =>
      s.via !== "attribute" && s.value.type === "identifier" && s.value.text === link.holder && !isManaged(s.container, info, ctx, state)
      && !storageDroppedLater(s, self));
    if (!kept || reassignedLater(link.node, link.holder, link.attr)) continue;
    const scope = ctx.model.scopeOf(link.node);
    const holder = ctx.facts.classes.instanceClass(link.holder, scope) ?? uniqueHolderOf(link.attr, ctx);
    if (isManaged(link.attr, holder, ctx, state)) continue;
    state.reported.add(link.node.startIndex);
    // The keeper is `self`'s class: the parent that keeps `child`.
    const lifetime = cycleEvidence(ctx, [info], link.node);
    const [reported, site] = quotes(link.node, kept.site);
    ctx.report({
      node: link.node,
      messageId: kept.via === "helper" ? "backToKeeperViaHelper" : "backToKeeper",
      data: { reported, site, evidence: lifetime.text },
      evidence: lifetime.evidence,
      fix: weakPropertyFix(ctx, state, holder, link.attr, info),
    });
  }
}

/** `self.parent = parent` with `parent.children.append(self)` in the same method. */
function checkParentLinksKeptByParent(info: ClassInfo, self: string, scan: MethodScan, ctx: RuleContext, state: FileState): void {
  if (scan.parentLinks.length === 0 || scan.keptByParams.length === 0) return;
  for (const link of scan.parentLinks) {
    if (state.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr) || isManaged(link.attr, info, ctx, state)) continue;
    const declared = ctx.facts.classes.instanceClass(link.param, ctx.model.scopeOf(link.node));
    const kept = scan.keptByParams.find((k) => k.param === link.param && !isManaged(k.container, declared, ctx, state)
      && !reassignedLater(k.site, k.param, k.container));
    if (!kept || reassignedLater(link.node, self, link.attr)) continue;
    // An unannotated parent: the one class of the file that keeps children in that container.
    const parentClass = declared ?? uniqueHolderOf(kept.container, ctx);
    state.reported.add(link.node.startIndex);
    // The keeper is the parent, when the file tells its class.
    const lifetime = cycleEvidence(ctx, [parentClass], link.node);
    const [reported, site] = quotes(link.node, kept.site);
    ctx.report({
      node: link.node,
      messageId: "keptByParent",
      data: { reported, site, evidence: lifetime.text },
      evidence: lifetime.evidence,
      fix: weakPropertyFix(ctx, state, info, link.attr, parentClass),
    });
  }
}

/** The parent side: `self.items.append(Item(self, ...))` where `Item.__init__` does `self.owner = owner`. */
function checkCreatedChildren(info: ClassInfo, method: MethodInfo, storages: Storage[], ctx: RuleContext, state: FileState): void {
  const self = method.selfName;
  if (!self || storages.length === 0) return;
  for (const stored of storages) {
    let created: Node | null = unparenthesize(stored.value);
    if (created.type === "identifier") {
      const bindings = ctx.model.lookup(created.text, ctx.model.scopeOf(created));
      created = bindings.length === 1 && bindings[0].kind === "assignment" ? bindings[0].value : null;
    }
    if (created?.type !== "call") continue;
    const childClass = ctx.facts.classes.reference(created.childForFieldName("function"), ctx.model.scopeOf(created));
    const init = childClass?.methods.find((m) => m.name === "__init__");
    if (!childClass || !init?.selfName) continue;
    const param = parameterReceiving(created, init, self);
    if (!param || isManaged(stored.container, info, ctx, state) || storageDroppedLater(stored, self)) continue;
    for (const link of scanMethod(init, state).parentLinks) {
      if (link.param !== param || state.reported.has(link.node.startIndex) || PROTOCOL_ATTRIBUTE.test(link.attr)) continue;
      if (isManaged(link.attr, childClass, ctx, state) || reassignedLater(link.node, init.selfName, link.attr)) continue;
      state.reported.add(link.node.startIndex);
      // `self.partner = Partner(partner=self)`: one attribute holds both directions, so a weak
      // `partner` would let the created object die at once.
      const symmetric = childClass.node.equals(info.node) && stored.container === link.attr;
      // The keeper is the class that creates and keeps the child (`info`).
      const lifetime = cycleEvidence(ctx, [info], stored.site);
      const [reported, site] = quotes(link.node, stored.site);
      ctx.report({
        node: link.node,
        messageId: symmetric ? "createdChildBothWays" : "createdChild",
        data: { reported, site, evidence: lifetime.text },
        evidence: lifetime.evidence,
        fix: symmetric ? null : weakPropertyFix(ctx, state, childClass, link.attr, info),
      });
    }
  }
}


/** A parent's storage of a child that the same method undoes later (`self.current = None`). */
function storageDroppedLater(storage: Storage, self: string): boolean {
  return storage.via !== "helper" && reassignedLater(storage.site, self, storage.container);
}

/**
 * What `self.helper(x)` stores: the helper's own stores of its parameters, mapped to the
 * arguments. Only a back-link (`x.parent = self`) or a created child (`self.helper(Child(self))`)
 * can make that matter, so other calls are not followed.
 */
function helperStorages(info: ClassInfo, scan: MethodScan, state: FileState, hasBackLinks: boolean): Storage[] {
  const out: Storage[] = [];
  for (const call of scan.helperCalls) {
    if (!hasBackLinks && !call.args.some((a) => a.type === "call")) continue;
    const helper = info.methods.find((m) => m.name === call.name);
    if (!helper?.selfName) continue;
    for (const stored of scanMethod(helper, state).storages) {
      if (stored.value.type !== "identifier") continue;
      const index = helper.parameters.findIndex((p) => p.name === stored.value.text && p.positional);
      const arg = index >= 0 ? call.args[index] : undefined;
      if (arg) out.push({ container: stored.container, value: arg, site: call.site, via: "helper" });
    }
  }
  return out;
}
