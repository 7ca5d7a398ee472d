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
   * Lifetime: instances of the class `cls` (a class_definition) are made many times in this file:
   * in a loop, or in a function that may run many times (not code that runs once). Null when it is
   * made only at import time, once, or nowhere in this file.
   */
  madeMany(cls: Node): Evidence | null {
    const name = cls.childForFieldName("name");
    if (!name) return null;
    const owner = this.model.resolveScope(name.text, this.classes.scopeAround(cls));
    if (!owner) return null;
    for (const reference of this.model.referencesOf(name.text, owner)) {
      const call = reference.parent;
      if (call?.type !== "call" || !call.childForFieldName("function")?.equals(reference)) continue;
      if (reference.startIndex >= cls.startIndex && reference.endIndex <= cls.endIndex) continue;
      const where = this.placeOf(call);
      if (where) return { kind: "lifetime", text: `a \`${name.text}\` is made ${where}` };
    }
    return null;
  }

  /** Where a call may run many times ("in a loop", "per call of `f()`"), or null when it runs once. */
  private placeOf(call: Node): string | null {
    const loop = this.model.loopOf(call, { includeComprehensions: true });
    if (loop) return loop.kind === "comprehension" ? "in a comprehension" : `in a \`${loop.kind}\` loop`;
    const scope = this.model.ownerScopeOf(call);
    if (scope.kind !== "function" && scope.kind !== "lambda") return null;
    if (this.context().runsOnce(call).once) return null;
    return `per call of ${functionLabel(scope)}`;
  }

  /** A `range()` (or a copy of one) whose length comes from run-time data: its arguments decide. */
  sizeOfRange(range: Node): Evidence | null {
    const origin = this.provenance.of(range);
    return origin.origin === "runtime" ? { kind: "size", text: `its length comes from ${origin.reason}` } : null;
  }

  // ---- whole files (MH103) ----

  /**
   * Reading the whole file at `path` (what `open()` or `Path()` got): its length comes from
   * run-time data, unless the path points into the program's own installation (built from
   * `__file__` or an install path: `provenance.isInstallPath`), a file shipped with the code.
   * A path written as a literal still names data read at run time (`/proc/meminfo`, a log).
   */
  sizeOfFile(path: Node): Evidence | null {
    if (this.provenance.isInstallPath(path)) return null;
    const origin = this.provenance.of(path);
    if (origin.origin === "runtime") return { kind: "size", text: `the file comes from ${origin.reason}` };
    return { kind: "size", text: `the file ${quoted(path.text, 32)} is read at run time` };
  }

  /**
   * Reading a whole stream whose file is not known here (`sys.stdin`, a parameter, a socket's
   * file): evidence only when the stream itself is run-time data.
   */
  sizeOfStream(stream: Node): Evidence | null {
    const origin = this.provenance.of(stream);
    return origin.origin === "runtime" ? { kind: "size", text: `the lines come from ${origin.reason}` } : null;
  }
}

function functionLabel(scope: Scope): string {
  const name = scope.node.childForFieldName("name")?.text;
  return name ? quoted(`${name}()`) : "a lambda";
}
