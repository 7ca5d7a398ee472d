/**
 * Evidence that memory is at stake (CATALOG.md, "Evidence"), built from the other facts. Rules ask
 * here instead of weighing sizes, provenance or lifetimes themselves, so every rule means the
 * same by "large", "grows" and "kept alive", and words it the same way in its message:
 *   - size: a constant estimate of at least `minSizeBytes`, or a length that comes from run-time
 *     data (`sizeOfItems`, `sizeOfComprehension`);
 *   - growth: keys, arguments or added values that come from run-time data (`growth`);
 *   - lifetime: objects made many times, in a function or a loop (`madeMany`).
 * A value bounded by the code, or one whose origin cannot be told, is no evidence.
 */
import type { Node } from "web-tree-sitter";
import type { Scope, SemanticModel } from "../model.js";
import { comprehensionBytes, comprehensionLength, formatBytes } from "../size.js";
import type { Evidence, Settings } from "../types.js";
import type { ClassFacts } from "./classes.js";
import type { ContextFacts } from "./context.js";
import { type Provenance, type ProvenanceFacts, quoted } from "./provenance.js";

export class EvidenceFacts {
  constructor(
    private readonly model: SemanticModel,
    private readonly classes: ClassFacts,
    private readonly provenance: ProvenanceFacts,
    private readonly context: () => ContextFacts,
  ) {}

  /** A constant size estimate, when it reaches the threshold. */
  constantSize(bytes: number | null, settings: Readonly<Settings>, count: number | null = null): Evidence | null {
    if (bytes === null || bytes < settings.minSizeBytes) return null;
    const of = count === null ? "" : ` for ${count.toLocaleString("en-US")} elements`;
    return { kind: "size", text: `≈ ${formatBytes(bytes)}${of}`, constant: true };
  }

  /** A collection with one element per item of `iterable`: size evidence when those items are run-time data. */
  sizeOfItems(iterable: Node): Evidence | null {
    const items = this.provenance.itemsOf(iterable);
    return items.origin === "runtime" ? { kind: "size", text: `length comes from ${items.reason}` } : null;
  }

  /** A comprehension's size: a large constant estimate, or a `for` clause over run-time data. */
  sizeOfComprehension(comprehension: Node, settings: Readonly<Settings>): Evidence | null {
    const constant = this.constantSize(comprehensionBytes(comprehension, this.model), settings, comprehensionLength(comprehension, this.model));
    if (constant) return constant;
    for (const clause of comprehension.namedChildren) {
      const iterable = clause?.type === "for_in_clause" ? clause.childForFieldName("right") : null;
      const evidence = iterable ? this.sizeOfItems(iterable) : null;
      if (evidence) return evidence;
    }
    return null;
  }

  /**
   * Growth: what is added at `site` (a key, a value, an argument tuple) comes from run-time data.
   * `what` names it in the message ("keys", "values", "arguments").
   */
  growth(expr: Node, site: Node, what: string): Evidence | null {
    const origin = this.provenance.of(expr);
    return origin.origin === "runtime" ? { kind: "growth", text: `${what} come from ${origin.reason}`, site } : null;
  }

  /** Where the values of `expr` come from (for rules that weigh several candidates). */
  originOf(expr: Node): Provenance {
    return this.provenance.of(expr);
  }

  /**
   * Lifetime: instances of the class `cls` (a class_definition) are made many times in this file,
   * so whatever keeps each one alive (a cache on a method, a reference cycle) keeps many. This is a
   * general fact about the class, for every lifetime rule (MH203, MH301). The instances counted:
   *   - calls of the class by name, outside it or in its own methods (`copy()` returning `Point(...)`);
   *   - calls that remake it without its name in its methods (`cls(...)` in a classmethod
   *     factory, `type(self)(...)` in `__add__`: `ClassFacts.remakingCalls`);
   *   - instances of its subclasses in this file, made in the same ways (they are instances too).
   * A call counts where it may run many times: in a loop, or in a function or method that is not
   * code that runs once (a public function, whatever this file does with it). It does not count at
   * import time or in the `__main__` block, in code that runs once, in test code (tests make
   * objects on purpose), nor when the new instance is stored for the life of the process (a
   * singleton `cls._instance = cls()`, an instance registered in a container, `registry[key] = Cls()`:
   * it lives anyway, `keptForLife`). Null when no call counts: made once, nowhere, or only in other modules.
   */
  madeMany(cls: Node): Evidence | null {
    return this.madeManyAt(cls, new Set());
  }

  private madeManyAt(cls: Node, seen: Set<number>): Evidence | null {
    const name = cls.childForFieldName("name");
    if (!name || seen.has(cls.startIndex) || seen.size > 16) return null;
    seen.add(cls.startIndex);
    const owner = this.model.resolveScope(name.text, this.classes.scopeAround(cls));
    if (!owner) return null;
    const subclasses: Node[] = [];
    const calls: Node[] = [];
    for (const reference of this.model.referencesOf(name.text, owner)) {
      const parent = reference.parent;
      if (parent?.type === "call" && parent.childForFieldName("function")?.equals(reference)) calls.push(parent);
      // `class Sub(Cls):`: a base written as the class's own name.
      if (parent?.type === "argument_list" && parent.parent?.type === "class_definition" && parent.parent.childForFieldName("superclasses")?.equals(parent)) {
        subclasses.push(parent.parent);
      }
    }
    calls.push(...this.classes.remakingCalls(cls));
    for (const call of calls) {
      const where = this.placeOf(call);
      if (where) return { kind: "lifetime", text: `${/^[AEIOU]/.test(name.text) ? "an" : "a"} \`${name.text}\` is made ${where}` };
    }
    for (const sub of subclasses) {
      const evidence = this.madeManyAt(sub, seen);
      if (evidence) return evidence;
    }
    return null;
  }

  /** Where a call may run many times ("in a loop", "per call of `f()`"), or null when it runs once. */
  private placeOf(call: Node): string | null {
    if (this.context().isTestCode(call) || keptForLife(call, this.model)) return null;
    const scope = this.model.ownerScopeOf(call);
    if (scope.kind === "class") return null;
    if (this.context().runsOnce(call).once) return null;
    const loop = this.model.loopOf(call, { includeComprehensions: true });
    if (loop) return loop.kind === "comprehension" ? "in a comprehension" : `in a \`${loop.kind}\` loop`;
    if (scope.kind !== "function" && scope.kind !== "lambda") return null;
    return `per call of ${functionLabel(scope)}`;
  }
}

/**
 * The new instance is stored where it lives for the process anyway: assigned to an attribute of
 * the class or of a module-level object (`cls._instance = cls()`, `Config.default = Config()`),
 * to a `global` name, or registered as an item of a container (`self._backends[key] = Backend()`,
 * `_REGISTRY[name] = Handler()`: one per key, kept by the registry whatever else refers to it).
 */
function keptForLife(call: Node, model: SemanticModel): boolean {
  let value: Node = call;
  while (value.parent?.type === "parenthesized_expression") value = value.parent;
  const assignment = value.parent;
  if (assignment?.type !== "assignment" || !assignment.childForFieldName("right")?.equals(value)) return false;
  const target = assignment.childForFieldName("left");
  if (!target) return false;
  const scope = model.scopeOf(call);
  if (target.type === "identifier") {
    const owner = model.resolveScope(target.text, scope);
    return owner === model.module && model.ownerScopeOf(call) !== model.module;
  }
  if (target.type === "subscript") return true;
  if (target.type !== "attribute") return false;
  let object = target.childForFieldName("object");
  while (object && (object.type === "attribute" || object.type === "subscript")) {
    object = object.childForFieldName(object.type === "attribute" ? "object" : "value");
  }
  if (object?.type !== "identifier") return false;
  if (object.text === "cls") return true;
  const owner = model.resolveScope(object.text, scope);
  return owner === model.module;
}

function functionLabel(scope: Scope): string {
  const name = scope.node.childForFieldName("name")?.text;
  if (!name) return "a lambda";
  const owner = scope.parent?.kind === "class" ? scope.parent.node.childForFieldName("name")?.text : null;
  return quoted(owner ? `${owner}.${name}()` : `${name}()`);
}
