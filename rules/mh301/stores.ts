/**
 * What the methods of a class store: one native search of a method for the assignments and
 * calls that keep an object (`self.items.append(x)`, `self.parent = parent`, `x.owner = self`),
 * which `__init__` parameters a class keeps, and which `__init__` parameter receives an argument.
 */
import type { Node } from "web-tree-sitter";
import { IDENTIFIER_PART_PATTERN } from "../../server/engine/facts/identifiers.js";
import { type ClassInfo, classScopes, type MethodInfo } from "../../server/engine/facts/index.js";
import type { Scope } from "../../server/engine/model.js";
import type { RuleContext } from "../../server/engine/types.js";
import type { FileState } from "./state.js";

/**
 * Container methods that keep their argument, and which positional argument they keep
 * (`insert(i, x)` and `setdefault(k, x)` keep the second one).
 */
export const STORING_METHODS: ReadonlyMap<string, number> = new Map([
  ["append", 0], ["add", 0], ["appendleft", 0], ["insert", 1], ["setdefault", 1],
]);

/** Something a method stores on its instance: `self.c.append(v)`, `self.c[k] = v`, `self.c = v`. */
export interface Storage {
  container: string;
  value: Node;
  site: Node;
  via: "container" | "attribute" | "helper";
}

export interface MethodScan {
  storages: Storage[];
  /** `x.attr = self`: another object pointed at this instance. */
  backLinks: { node: Node; holder: string; attr: string }[];
  /** `self.attr = param`. */
  parentLinks: { node: Node; attr: string; param: string }[];
  /** `param.c.append(self)` / `param.c[k] = self`: the instance is kept by a parameter. */
  keptByParams: { param: string; container: string; site: Node }[];
  /** `self.helper(args)`. */
  helperCalls: { name: string; args: Node[]; site: Node }[];
}

/** What a class body statement that defines a method (or is decorated) starts with. */
export const DEF_START = /@|(?:async(?:\s|\\)+)?def[\s\\]/y;

/** The name in an undecorated def's header. */
const DEF_NAME = /(?:async(?:\s|\\)+)?def(?:\s|\\)+([^\s(\\]+)/y;

/** Whether a class's text can hold a method named `__init__`. */
const INIT_HEADER = new RegExp(`\\bdef(?:\\s|\\\\)+__init__(?!${IDENTIFIER_PART_PATTERN})`, "u");

const EMPTY: ReadonlySet<string> = new Set();

/** One native search of a method for the assignments and calls that store or link objects. */
export function scanMethod(method: MethodInfo, state: FileState): MethodScan {
  const cached = state.scans.get(method.node.startIndex);
  if (cached) return cached;
  const scan: MethodScan = { storages: [], backLinks: [], parentLinks: [], keptByParams: [], helperCalls: [] };
  state.scans.set(method.node.startIndex, scan);
  const self = method.selfName;
  if (!self) return scan;
  const params = new Set(method.parameters.map((p) => p.name));
  const isSelf = (n: Node | null): boolean => n?.type === "identifier" && n.text === self;
  for (const node of method.node.descendantsOfType(["assignment", "call"])) {
    if (!node) continue;
    if (node.type === "call") {
      const fn = node.childForFieldName("function");
      if (fn?.type !== "attribute") continue;
      const receiver = fn.childForFieldName("object");
      const name = fn.childForFieldName("attribute")?.text ?? "";
      const args = positionalArguments(node);
      if (!receiver || !args) continue;
      const keptIndex = STORING_METHODS.get(name);
      if (keptIndex !== undefined && receiver.type === "attribute" && args.length === keptIndex + 1) {
        const base = receiver.childForFieldName("object");
        const container = receiver.childForFieldName("attribute")?.text;
        const value = args[keptIndex];
        if (base?.type !== "identifier" || !container) continue;
        if (base.text === self) scan.storages.push({ container, value, site: node, via: "container" });
        else if (params.has(base.text) && isSelf(value)) scan.keptByParams.push({ param: base.text, container, site: node });
      } else if (isSelf(receiver)) {
        scan.helperCalls.push({ name, args, site: node });
      }
      continue;
    }
    const left = node.childForFieldName("left");
    const right = node.childForFieldName("right");
    if (!left || !right) continue;
    if (left.type === "attribute") {
      const base = left.childForFieldName("object");
      const attr = left.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !attr) continue;
      if (base.text === self) {
        if (right.type === "identifier" && params.has(right.text)) scan.parentLinks.push({ node, attr, param: right.text });
        scan.storages.push({ container: attr, value: right, site: node, via: "attribute" });
      } else if (isSelf(right)) {
        scan.backLinks.push({ node, holder: base.text, attr });
      }
    } else if (left.type === "subscript") {
      const target = left.childForFieldName("value");
      if (target?.type !== "attribute") continue;
      const base = target.childForFieldName("object");
      const container = target.childForFieldName("attribute")?.text;
      if (base?.type !== "identifier" || !container) continue;
      if (base.text === self) scan.storages.push({ container, value: right, site: node, via: "container" });
      else if (params.has(base.text) && isSelf(right)) scan.keptByParams.push({ param: base.text, container, site: node });
    }
  }
  return scan;
}

/** The positional arguments of a call; null when it unpacks arguments. */
export function positionalArguments(call: Node): Node[] | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  const out: Node[] = [];
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment" || arg.type === "keyword_argument") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    out.push(arg);
  }
  return out;
}

/** Which `__init__` parameter receives the expression `self` in `Child(...)`. */
export function parameterReceiving(call: Node, init: MethodInfo, self: string): string | null {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return null;
  let index = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return null;
    if (arg.type === "keyword_argument") {
      const value = arg.childForFieldName("value");
      const name = arg.childForFieldName("name")?.text;
      if (value?.type === "identifier" && value.text === self && name) {
        return init.parameters.some((p) => p.name === name) ? name : null;
      }
      continue;
    }
    if (arg.type === "identifier" && arg.text === self) {
      const parameter = init.parameters[index];
      return parameter?.positional ? parameter.name : null;
    }
    index++;
  }
  return null;
}

/** The class of this file that a name refers to in `scope`, as `ClassFacts.reference` finds it. */
export function classNodeNamed(name: string, scope: Scope, ctx: RuleContext): Node | null {
  const bindings = ctx.model.lookup(name, scope);
  return bindings.length === 1 && bindings[0].kind === "class" ? bindings[0].statement : null;
}

/** The `__init__` parameters that `__init__` stores on the instance (`self.parent = parent`). */
export function keptInitParameters(cls: Node, ctx: RuleContext, state: FileState): ReadonlySet<string> {
  let kept = state.keptByInit.get(cls.startIndex);
  if (!kept) {
    const init = initMethodOf(cls, ctx, state);
    kept = init?.selfName ? new Set(scanMethod(init, state).parentLinks.map((link) => link.param)) : EMPTY;
    state.keptByInit.set(cls.startIndex, kept);
  }
  return kept;
}

/** The first method of the class named `__init__`, as `ctx.facts.classes.info(cls).methods` lists it. */
export function initMethodOf(cls: Node, ctx: RuleContext, state: FileState): MethodInfo | null {
  const cached = state.inits.get(cls.startIndex);
  if (cached !== undefined) return cached;
  let init: MethodInfo | null = null;
  if (INIT_HEADER.test(ctx.source.slice(cls.startIndex, cls.endIndex))) {
    const source = ctx.source;
    for (const statement of cls.childForFieldName("body")?.namedChildren ?? []) {
      if (!statement) continue;
      DEF_START.lastIndex = statement.startIndex;
      if (!DEF_START.test(source)) continue;
      DEF_NAME.lastIndex = statement.startIndex;
      const name = DEF_NAME.exec(source)?.[1];
      if (name !== undefined && name !== "__init__" && !name.includes("[")) continue;
      const method = ctx.facts.classes.methodOf(statement, cls);
      if (method?.name === "__init__") {
        init = method;
        break;
      }
    }
  }
  state.inits.set(cls.startIndex, init);
  return init;
}

/**
 * When the object holding a back-reference has no known class (`child` is an unannotated
 * parameter), the holder is the one class of this file that uses `self.<attr>`, if there is one.
 */
export function uniqueHolderOf(attr: string, ctx: RuleContext): ClassInfo | null {
  let found: ClassInfo | null = null;
  const source = ctx.source;
  for (const scope of classScopes(ctx.model.module)) {
    // A class whose text never spells the name neither defines nor uses it.
    if (!source.slice(scope.start, scope.end).includes(attr)) continue;
    const info = ctx.facts.classes.info(scope.node);
    const uses = info.accessors.has(attr) || info.methods.some((m) => m.selfName !== null
      && source.slice(m.node.startIndex, m.node.endIndex).includes(attr)
      && m.node.descendantsOfType("attribute").some((n) =>
        n?.childForFieldName("attribute")?.text === attr && n.childForFieldName("object")?.text === m.selfName));
    if (!uses) continue;
    if (found) return null;
    found = info;
  }
  return found;
}
