/**
 * Whether a function can call itself: directly, through a function nested in it, or through other
 * functions of the file that call it back. A fix must never bound the cache of such a function,
 * nor take away a memo it shares with its recursive calls: the cache is what keeps the recursion
 * polynomial (a memoized partition count goes from milliseconds to never finishing).
 *
 * Conservative by design: any reference counts as a call (a function passed as a callback
 * recurses all the same), and for a method, any attribute named like it or like a method of its
 * class that reaches it (`self.fib(n - 1)`, `other.walk()`, `type(self).visit(x)`).
 *
 * Names of functions are found through the model's `referencesOf`, so the incremental lint knows
 * what the answer read. Attributes are read from the methods of the class; a rule that asks
 * about a method declares that in its function summary (`methodAttributeNames`).
 */
import type { Node } from "web-tree-sitter";
import type { Scope, SemanticModel } from "../model.js";

/** The function `definition` (a function_definition) may call itself before it returns. */
export function callsItself(definition: Node, model: SemanticModel): boolean {
  const own = functionScope(definition, model);
  const owner = own?.parent;
  if (!own || !owner) return false;
  if (owner.kind === "class") return methodCallsItself(own, owner);
  return reachesByName(own, owner, model);
}

/** The scope a function_definition opens. */
function functionScope(definition: Node, model: SemanticModel): Scope | null {
  const body = definition.childForFieldName("body");
  if (!body) return null;
  let scope: Scope | null = model.scopeAt(body.startIndex);
  while (scope && !(scope.kind === "function" && scope.start === definition.startIndex)) scope = scope.parent;
  return scope;
}

const functionName = (scope: Scope): string | null => scope.node.childForFieldName("name")?.text ?? null;

/** The function scope directly in `owner` that holds `offset`, if any. */
function outermostFunctionIn(owner: Scope, offset: number): Scope | null {
  for (const child of owner.children) {
    if (offset >= child.start && offset < child.end) return child.kind === "function" ? child : null;
  }
  return null;
}

/**
 * Callers are searched backwards: the functions of `owner` that refer to the target, then those
 * that refer to them, and so on. The target calls itself when one of them is the target.
 */
function reachesByName(target: Scope, owner: Scope, model: SemanticModel): boolean {
  const seen = new Set<Scope>([target]);
  const queue: Scope[] = [target];
  while (queue.length > 0) {
    const callee = queue.shift() as Scope;
    const name = functionName(callee);
    if (!name) continue;
    const nameNode = callee.node.childForFieldName("name");
    for (const reference of model.referencesOf(name, owner)) {
      if (nameNode && reference.equals(nameNode)) continue;
      // A reference inside the target (its body, a nested helper, a default, a decorator): a call back.
      if (reference.startIndex >= target.node.startIndex && reference.endIndex <= target.node.endIndex) return true;
      const caller = outermostFunctionIn(owner, reference.startIndex);
      if (caller && !seen.has(caller)) {
        seen.add(caller);
        queue.push(caller);
      }
    }
  }
  return false;
}

/** Attribute names read in `node` that are names of `methods`. */
function attributesNamed(node: Node, methods: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  for (const attribute of node.descendantsOfType("attribute")) {
    const name = attribute?.childForFieldName("attribute")?.text;
    if (name && methods.has(name)) found.add(name);
  }
  return found;
}

/** Names of the functions defined directly in a class body. */
function methodNames(cls: Scope): Set<string> {
  const names = new Set<string>();
  for (const child of cls.children) {
    const name = child.kind === "function" ? functionName(child) : null;
    if (name) names.add(name);
  }
  return names;
}

function methodCallsItself(target: Scope, cls: Scope): boolean {
  const name = functionName(target);
  if (!name) return false;
  const methods = methodNames(cls);
  const calls = new Map<Scope, Set<string>>();
  for (const child of cls.children) if (child.kind === "function") calls.set(child, attributesNamed(child.node, methods));
  // The methods that reach the target, growing until nothing is added.
  const reaching = new Set<string>([name]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [method, names] of calls) {
      const methodName = functionName(method);
      if (!methodName || reaching.has(methodName) || ![...names].some((n) => reaching.has(n))) continue;
      reaching.add(methodName);
      grew = true;
    }
  }
  return [...(calls.get(target) ?? [])].some((n) => reaching.has(n));
}

/**
 * What `callsItself` reads of a method that another method's answer depends on: the attributes
 * it reads that are named like methods of its class. For a rule's function summary.
 */
export function methodAttributeNames(fn: Node | null, model: SemanticModel, start: number, end: number): string {
  const at = fn ? fn.startIndex : start;
  let cls: Scope | null = model.scopeAt(at);
  while (cls && cls.kind !== "class") cls = cls.parent;
  if (!cls) return "";
  const methods = methodNames(cls);
  if (methods.size === 0) return "";
  const within = fn ?? model.root.descendantForIndex(start, Math.max(start, end - 1));
  if (!within) return "";
  const names: string[] = [];
  for (const attribute of within.descendantsOfType("attribute")) {
    if (!attribute || attribute.startIndex < start || attribute.endIndex > end) continue;
    const name = attribute.childForFieldName("attribute")?.text;
    if (name && methods.has(name)) names.push(name);
  }
  return [...new Set(names)].sort().join(",");
}
