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
import { type Scope, type SemanticModel, unparenthesize } from "../model.js";
import { comprehensionBytes, comprehensionLength, formatBytes, iterableLength } from "../size.js";
import type { Evidence, Settings } from "../types.js";
import { boundedByShape, type ContainerKind, exitCondition, filledOnce, lengthComparison } from "./additions.js";
import { type ClassFacts, inAnnotation } from "./classes.js";
import type { CacheDecorator } from "./decorators.js";
import type { ContextFacts } from "./context.js";
import { type Provenance, type ProvenanceFacts, quoted } from "./provenance.js";

/** A bounded cache of at most this many entries pins "a few" instances (`pinsLittle`). */
const FEW_ENTRIES = 16;

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

  /**
   * A collection with one element per item of `iterable`: size evidence when those items come from
   * a source that may hold many (a file, the network, a database, a parameter of a public
   * function), not from one that holds a handful (the environment, a clock: provenance's "few").
   */
  sizeOfItems(iterable: Node): Evidence | null {
    // A literal's length is the code's, whatever its elements: `[a, b]`, or a name bound once to it.
    if (this.fixedLength(iterable) !== null) return null;
    const items = this.provenance.itemsOf(iterable);
    return items.origin === "runtime" && items.volume !== "few" ? { kind: "size", text: `length comes from ${items.reason}` } : null;
  }

  /**
   * How many items `iterable` has when the code fixes it: a literal list, tuple or set, a constant
   * `range()`, or a name bound once to one of those and never changed. Null otherwise.
   */
  private fixedLength(iterable: Node): number | null {
    const node = unparenthesize(iterable);
    const direct = iterableLength(node, this.model);
    if (direct !== null || node.type !== "identifier") return direct;
    const owner = this.model.resolveScope(node.text, this.model.scopeOf(node));
    const bindings = owner?.bindings.get(node.text) ?? [];
    if (!owner || bindings.length !== 1 || bindings[0].kind !== "assignment" || !bindings[0].value) return null;
    if (this.model.mutationsOf(node.text, owner, { allMethodCalls: true }).length > 0) return null;
    const value = unparenthesize(bindings[0].value);
    return value.type === "identifier" ? null : iterableLength(value, this.model);
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
   *
   * `registries`: also leave out instances that the function making them registers in a
   * container of its own object (`t = Template(); self.templates[t.id] = t`): they live as long
   * as that object (a backend, a manager), so a reference cycle among them keeps nothing alive
   * that the registry does not (MH301). A cache on a method outlives any such registry, so MH203
   * does not ask for it.
   */
  madeMany(cls: Node, options: { registries?: boolean } = {}): Evidence | null {
    return this.madeManyAt(cls, new Set(), !!options.registries);
  }

  private madeManyAt(cls: Node, seen: Set<number>, registries: boolean): Evidence | null {
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
      const where = this.placeOf(call, registries);
      if (where) return { kind: "lifetime", text: `${/^[AEIOU]/.test(name.text) ? "an" : "a"} \`${name.text}\` is made ${where}` };
    }
    for (const sub of subclasses) {
      const evidence = this.madeManyAt(sub, seen, registries);
      if (evidence) return evidence;
    }
    return null;
  }

  /**
   * Why a cache on the methods of `cls` pins little, whatever `madeMany` says (said in a few
   * words), or null: one instance, made at import time; a cache of unknown size; a bounded cache
   * of at most `FEW_ENTRIES` entries (issue 15's sixth reason), or of value-like named tuples,
   * which equal ones share.
   */
  pinsLittle(cached: CacheDecorator, cls: Node): string | null {
    if (this.classes.isModuleSingleton(cls)) return "one instance, made at import time";
    if (cached.bound === "unknown") return "cache size unknown";
    if (cached.bound === "bounded" && (cached.maxsize ?? 0) <= FEW_ENTRIES) return `at most ${cached.maxsize} entries`;
    if (cached.bound === "bounded" && this.classes.lacksInstanceDict(cls) === "named tuple") return "a bounded cache of value-like tuples";
    return null;
  }

  /**
   * Lifetime through the callers of a public class (issue 15's "callers in other modules"): `cls`
   * is a top-level class whose name has no leading underscore, and neither it nor a subclass of
   * the file is ever instantiated in this file (no call anywhere) or handed over at import time
   * (`BackendDict(IAMBackend, "iam")`, `HANDLERS = {"x": Cls}`, `register(Cls)`: a registry that
   * makes the instances, often one for the process). Its instances are then made by its callers in
   * other modules, as many as they like, like the parameters of a public function are run-time
   * data. Weaker than `madeMany`: a rule asks for it only where every instance is concerned (MH301:
   * a cycle built by the class's own `__init__`). Null for enums, metaclasses and test code.
   */
  madeByCallers(cls: Node): Evidence | null {
    const name = cls.childForFieldName("name");
    if (!name || name.text.startsWith("_") || this.classes.scopeAround(cls) !== this.model.module) return null;
    if (this.context().isTestCode(cls) || this.classes.isEnum(cls) || this.classes.isMetaclass(cls)) return null;
    if (!this.onlyMadeElsewhere(cls, new Set())) return null;
    return { kind: "lifetime", text: `the public \`${name.text}\` is made by its callers` };
  }

  private onlyMadeElsewhere(cls: Node, seen: Set<number>): boolean {
    const name = cls.childForFieldName("name");
    if (!name || seen.has(cls.startIndex) || seen.size > 16) return false;
    seen.add(cls.startIndex);
    const owner = this.model.resolveScope(name.text, this.classes.scopeAround(cls));
    if (!owner) return false;
    if (this.classes.remakingCalls(cls).length > 0) return false;
    for (const reference of this.model.referencesOf(name.text, owner)) {
      if (reference.equals(name)) continue;
      const parent = reference.parent;
      if (parent?.type === "call" && parent.childForFieldName("function")?.equals(reference)) return false;
      if (parent?.type === "argument_list" && parent.parent?.type === "class_definition" && parent.parent.childForFieldName("superclasses")?.equals(parent)) {
        if (!this.onlyMadeElsewhere(parent.parent, seen)) return false;
        continue;
      }
      // `Cls.method(...)`, `isinstance(x, Cls)` in a function, annotations: no instance made here.
      if (parent?.type === "attribute" && parent.childForFieldName("object")?.equals(reference)) continue;
      const scope = this.model.ownerScopeOf(reference);
      if (scope.kind === "function" || scope.kind === "lambda") continue;
      if (inAnnotation(reference)) continue;
      return false;
    }
    return true;
  }

  /** Where a call may run many times ("in a loop", "per call of `f()`"), or null when it runs once. */
  private placeOf(call: Node, registries: boolean): string | null {
    if (this.context().isTestCode(call) || keptForLife(call, this.model, registries)) return null;
    const scope = this.model.ownerScopeOf(call);
    if (scope.kind === "class") return null;
    if (this.context().runsOnce(call).once) return null;
    const loop = this.model.loopOf(call, { includeComprehensions: true });
    if (loop) return loop.kind === "comprehension" ? "in a comprehension" : `in a \`${loop.kind}\` loop`;
    if (scope.kind !== "function" && scope.kind !== "lambda") return null;
    return `per call of ${functionLabel(scope)}`;
  }

  // ---- for the growth rules (MH201, MH202, MH204) ----

  /**
   * Growth through a parameter of a function that fills a cache (`what`: "arguments", "keys"):
   * the run-time data that calls in this file pass it, when some do (the reason then names where
   * the data comes from: "`match`, a parameter of `match_to_datetime()`"), else the
   * parameter's own provenance (a public function's parameters are run-time data).
   */
  growthOfParameter(parameter: Node, site: Node, what: string): Evidence | null {
    const passed = this.provenance.passedTo(parameter);
    // The site is then where the data come from: a caller's parameter, a read at import time,
    // a test's value (the engine drops what runs once and what tests do).
    // A call in a loop passes new data on every pass, even where the data's source runs once
    // (`for line in open(path): norm(line)` in `main()`): the call is then the site.
    const grownAt = passed.via && this.model.loopOf(passed.via, { includeComprehensions: true }) ? passed.via : passed.at ?? site;
    if (passed.origin === "runtime") return { kind: "growth", text: `${what} come from ${passed.reason}`, site: grownAt };
    return this.growth(parameter, site, what);
  }

  /**
   * Growth at one addition to the container named `container` (`kind`: what it is). `site` is
   * the call (`C.append(v)`, `C.add(v)`, `C.update(xs)`, `C.setdefault(k, v)`...), the assignment
   * (`C[k] = v`) or augmented assignment (`C += xs`, `D[k] += 1`), or, for a defaultdict, the
   * subscript `C[k]` that adds a missing key. What grows the container:
   *   - a dict grows with new keys only: `C[k] = v` with a bounded `k` replaces an entry;
   *   - a defaultdict also adds the key it is read with, and grows the values made for its keys
   *     (`C[k].append(v)`), as `C.setdefault(k, []).append(v)` does for a dict;
   *   - a list grows with every value it is given, a set with new elements.
   * Keys are asked first, then values. Null when nothing added comes from run-time data.
   * `recursion`: the definition of a function that calls itself and makes this addition; what
   * comes from its own parameters is the recursion's arguments (a recursive memo, issue 15's
   * seventh reason), no evidence of growth; other run-time data still is.
   */
  growthOfAddition(site: Node, container: string, kind: ContainerKind, recursion: Node | null = null): Evidence | null {
    const keyed = kind === "dict" || kind === "defaultdict";
    const word = keyed ? "keys" : kind === "set" ? "elements" : "values";
    const candidates: Array<{ expr: Node; what: string; items: boolean }> = [];
    /** What a method call adds to the object it is called on. */
    const byMethod = (call: Node, what: string): void => {
      const fn = call.childForFieldName("function");
      const method = fn?.type === "attribute" ? fn.childForFieldName("attribute")?.text ?? "" : "";
      const args = argumentsOf(call);
      const positional = args.filter((a) => a.type !== "keyword_argument");
      switch (method) {
        case "append":
        case "appendleft":
        case "add":
          if (positional[0]) candidates.push({ expr: positional[0], what, items: false });
          break;
        case "insert":
          if (positional[1]) candidates.push({ expr: positional[1], what, items: false });
          break;
        case "setdefault":
          if (positional[0]) candidates.push({ expr: positional[0], what, items: false });
          break;
        case "extend":
        case "extendleft":
        case "update":
        case "__ior__":
        case "__iadd__":
          // (Keyword arguments add keys written in the source.)
          for (const a of args) {
            if (a.type === "dictionary_splat") candidates.push({ expr: a.namedChild(0) ?? a, what, items: true });
            else if (a.type !== "keyword_argument") candidates.push({ expr: a, what, items: true });
          }
          break;
        default:
          break;
      }
    };
    /** What is added to the value under a key (`C[k].append(v)`, `C.setdefault(k, []).append(v)`, `C[k] += xs`). */
    const nested = (entry: Node): void => {
      const parent = entry.parent;
      if (parent?.type === "attribute" && parent.childForFieldName("object")?.equals(entry) && parent.parent?.type === "call") {
        byMethod(parent.parent, "values");
      } else if (parent?.type === "augmented_assignment" && parent.childForFieldName("left")?.equals(entry)) {
        const right = parent.childForFieldName("right");
        const op = parent.childForFieldName("operator")?.type;
        if (right && (op === "+=" || op === "|=")) candidates.push({ expr: right, what: "values", items: true });
      }
    };
    const keysOf = (subscript: Node): void => {
      for (const index of subscript.childrenForFieldName("subscript")) if (index && index.type !== "comment") candidates.push({ expr: index, what: word, items: false });
    };
    const node = unparenthesize(site);
    if (node.type === "call") {
      byMethod(node, word);
      if (keyed) nested(node);
    } else if (node.type === "subscript") {
      keysOf(node);
      nested(node);
    } else if (node.type === "assignment" || node.type === "augmented_assignment") {
      const left = unparenthesize(node.childForFieldName("left") ?? node);
      const right = node.childForFieldName("right");
      if (node.type === "augmented_assignment" && left.type === "identifier") {
        if (right) candidates.push({ expr: right, what: word, items: true });
      } else if (keyed) {
        const targets = left.type === "subscript" ? [left] : left.descendantsOfType("subscript").filter((t): t is Node => !!t);
        for (const target of targets) {
          const value = target.childForFieldName("value");
          if (value && unparenthesize(value).type === "identifier" && unparenthesize(value).text === container) {
            keysOf(target);
            if (kind === "defaultdict" && node.type === "augmented_assignment") nested(target);
          }
        }
      }
    }
    // A bound on keys leaves the lists under them growing (`C.setdefault(k, []).append(v)`).
    const nestedValues = keyed && candidates.some((c) => c.what === "values");
    if (this.sizeGuarded(node, container, nestedValues ? "list" : kind, candidates.filter((c) => !c.items).map((c) => c.expr))) return null;
    // A registration, flags, classes, callbacks: bounded by the code, whatever is passed.
    if (boundedByShape(node, container, kind, this.model)) return null;
    for (const c of candidates) {
      const origin = c.items ? this.provenance.itemsOf(c.expr) : this.provenance.of(c.expr);
      const own = recursion?.childForFieldName("parameters");
      if (own && origin.at && own.startIndex <= origin.at.startIndex && origin.at.endIndex <= own.endIndex) continue;
      if (origin.origin === "runtime") return { kind: "growth", text: `${c.what} come from ${origin.reason}`, site };
    }
    return null;
  }

  /**
   * The addition at `site` runs only under a bound the code sets on the container's size: inside
   * `if len(C) < N:` (or `<=`, `N > len(C)`), or, for a dict or a set, under upper bounds on every
   * part of the key or element added (`if n < MAX_CACHE: cache[n] = v`; `if q <= 4 and
   * abs(key[0]) < 100:` for `key = p, q`), `N` being a number of the code. At most about N entries
   * then: bounded growth, whatever the provenance of what is added. A bound on one part of a tuple
   * key leaves the others free, and a list grows under any bound on its values.
   */
  private sizeGuarded(site: Node, container: string, kind: ContainerKind, added: readonly Node[]): boolean {
    const bounded = new Set<string>();
    let guarded = false;
    for (let child: Node = site, parent = site.parent; parent; child = parent, parent = parent.parent) {
      if (parent.type === "function_definition" || parent.type === "lambda" || parent.type === "class_definition") break;
      if (parent.type === "block" && this.exitsWhenFull(parent, child, container)) return true;
      if (parent.type !== "if_statement" && parent.type !== "elif_clause") continue;
      if (!parent.childForFieldName("consequence")?.equals(child)) continue;
      const condition = parent.childForFieldName("condition");
      if (condition && this.bounds(condition, container, bounded)) guarded = true;
    }
    if (guarded) return true;
    if (kind === "list" || bounded.size === 0 || added.length === 0) return false;
    return added.every((part) => this.keyParts(part, site).every((p) => bounded.has(p.name) || (p.alias !== null && bounded.has(p.alias))));
  }

  /**
   * A statement of `block` before `child` leaves it when the container is full:
   * `if len(C) >= N: return ...` (or `raise`, `continue`, `break`; `>`, `N <= len(C)`; one side
   * of an `or`), `N` a number of the code.
   */
  private exitsWhenFull(block: Node, child: Node, container: string): boolean {
    for (const statement of block.namedChildren) {
      if (!statement || statement.startIndex >= child.startIndex) break;
      const condition = exitCondition(statement);
      if (!condition) continue;
      const tests = condition.type === "boolean_operator" && condition.childForFieldName("operator")?.type === "or"
        ? [condition.childForFieldName("left"), condition.childForFieldName("right")] : [condition];
      for (const test of tests) {
        const compared = test ? lengthComparison(test, container) : null;
        if (compared && (compared.op === ">" || compared.op === ">=") && this.isNumberOfCode(compared.limit) && this.provenance.of(compared.limit).origin === "code") return true;
      }
    }
    return false;
  }

  /** No string in `node`, or in what a name in it is bound to once (`LIMIT = "m"`): a number, as a bound. */
  private isNumberOfCode(node: Node, depth = 0): boolean {
    const inner = unparenthesize(node);
    if (inner.type === "string" || inner.type === "concatenated_string" || inner.descendantsOfType(["string"]).length > 0) return false;
    if (depth > 2) return true;
    const names = inner.type === "identifier" ? [inner] : inner.descendantsOfType("identifier").filter((n): n is Node => !!n);
    return names.every((name) => {
      const bindings = this.model.lookup(name.text, this.model.scopeOf(name));
      const value = bindings.length === 1 ? bindings[0].value : null;
      return !value || this.isNumberOfCode(value, depth + 1);
    });
  }

  /**
   * The parts of an added key: `n` for `n`; `p` and `q` for `(p, q)`, or for `key` assigned once
   * `key = p, q` in the function (also known as `key[0]` and `key[1]`). Null names for parts that
   * are not plain names, which no bound covers.
   */
  private keyParts(expr: Node, site: Node): Array<{ name: string; alias: string | null }> {
    const node = unparenthesize(expr);
    const named = (items: Node[], tuple: string | null) =>
      items.map((item, i) => ({ name: unparenthesize(item).type === "identifier" ? unparenthesize(item).text : "", alias: tuple === null ? null : `${tuple}[${i}]` }));
    const itemsOf = (tuple: Node) => tuple.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
    if (node.type === "tuple") return named(itemsOf(node), null);
    if (node.type !== "identifier") return [{ name: "", alias: null }];
    const bindings = this.model.lookup(node.text, this.model.scopeOf(site));
    const value = bindings.length === 1 && bindings[0].kind === "assignment" ? bindings[0].value : null;
    const tuple = value ? unparenthesize(value) : null;
    if (tuple && (tuple.type === "tuple" || tuple.type === "expression_list")) return named(itemsOf(tuple), node.text);
    return [{ name: node.text, alias: null }];
  }

  /**
   * Whether `condition` (or one operand of an `and`) is `len(C) < N`; the names and `t[i]` parts it
   * bounds from above (`k < N`, `abs(k) <= N`, `t[0] < N`) are added to `bounded`. `N` must be a
   * number of the code: `name[0] < "m"` bounds a first character, not a key.
   */
  private bounds(condition: Node, container: string, bounded: Set<string>): boolean {
    const node = unparenthesize(condition);
    if (node.type === "boolean_operator" && node.childForFieldName("operator")?.type === "and") {
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      const a = !!left && this.bounds(left, container, bounded);
      const b = !!right && this.bounds(right, container, bounded);
      return a || b;
    }
    if (node.type !== "comparison_operator") return false;
    const operands = node.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
    const operators = node.children.filter((c): c is Node => !!c && !c.isNamed).map((c) => c.type);
    let sized = false;
    for (let i = 0; i < operators.length; i++) {
      const op = operators[i];
      const [small, big] = op === "<" || op === "<=" ? [operands[i], operands[i + 1]] : op === ">" || op === ">=" ? [operands[i + 1], operands[i]] : [null, null];
      if (!small || !big || !this.isNumberOfCode(big) || this.provenance.of(big).origin !== "code") continue;
      const measured = unparenthesize(small);
      const part = boundedPart(measured);
      if (part) bounded.add(part);
      if (measured.type !== "call" || measured.childForFieldName("function")?.text !== "len") continue;
      const arg = argumentsOf(measured)[0];
      if (arg && unparenthesize(arg).text === container) sized = true;
    }
    return sized;
  }

  /**
   * Why the addition at `site` to `container` is bounded by the code's shape, in a few words ("a
   * registration of the caller's arguments"), or null: `growthOfAddition` finds no growth there.
   */
  shapeOfAddition(site: Node, container: string, kind: ContainerKind): string | null {
    return boundedByShape(unparenthesize(site), container, kind, this.model);
  }

  /**
   * The addition at `site` to `container`, in the function `fn`, runs only while the container is
   * empty (`if not C:`, or after `if C: return`): one batch, computed once; not growth.
   */
  filledOnce(site: Node, container: string, fn: Node): boolean {
    return filledOnce(site, container, fn);
  }

  /**
   * The first of several growths (found lazily, in order) whose site may run many times outside
   * test code; when every site runs once per process or is test code, the first found (the
   * engine drops it unless code that runs once, or test code, is checked). Null when there is none.
   */
  firstGrowth(candidates: Iterable<Evidence | null>): Evidence | null {
    let first: Evidence | null = null;
    for (const evidence of candidates) {
      if (!evidence) continue;
      const site = evidence.site;
      if (!site || (!this.context().runsOnce(site).once && !this.context().isTestCode(site))) return evidence;
      first ??= evidence;
    }
    return first;
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

/** The arguments of a call, comments left out. */
function argumentsOf(call: Node): Node[] {
  const args = call.childForFieldName("arguments");
  if (args?.type !== "argument_list") return args ? [args] : [];
  return args.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
}

/**
 * The new instance is stored where it lives for the process anyway: assigned to an attribute of
 * the class or of a module-level object (`cls._instance = cls()`, `Config.default = Config()`),
 * to a `global` name, or registered as an item of a container (`self._backends[key] = Backend()`,
 * `_REGISTRY[name] = Handler()`: one per key, kept by the registry whatever else refers to it).
 */
function keptForLife(call: Node, model: SemanticModel, registries: boolean): boolean {
  let value: Node = call;
  while (value.parent?.type === "parenthesized_expression") value = value.parent;
  const assignment = value.parent;
  if (assignment?.type !== "assignment" || !assignment.childForFieldName("right")?.equals(value)) return false;
  const target = assignment.childForFieldName("left");
  if (!target) return false;
  const scope = model.scopeOf(call);
  if (target.type === "identifier") {
    const owner = model.resolveScope(target.text, scope);
    if (owner === model.module) return model.ownerScopeOf(call) !== model.module;
    return !!owner && owner.kind === "function" && registeredLocal(target.text, owner, model, registries);
  }
  if (target.type === "subscript") return true;
  return target.type === "attribute" && longLivedRoot(target, model, false);
}

/** Methods that put their argument into a container. */
const STORING_METHODS = new Set(["append", "add", "appendleft", "insert", "setdefault"]);

/**
 * The local `name` (a new instance) is registered by the function that made it: stored as an
 * item of a container reached from `cls` or a module-level name (`_REGISTRY.setdefault(key, h)`),
 * or with `ofInstance`, from `self` (`self.templates[t.id] = t`, `self.clusters.append(c)`). The
 * registry keeps it as long as the registry lives, whatever else refers to it.
 */
function registeredLocal(name: string, owner: Scope, model: SemanticModel, ofInstance: boolean): boolean {
  for (const reference of model.referencesOf(name, owner)) {
    let value: Node = reference;
    while (value.parent?.type === "parenthesized_expression") value = value.parent;
    const parent = value.parent;
    let container: Node | null = null;
    if (parent?.type === "assignment" && parent.childForFieldName("right")?.equals(value)) {
      const left = parent.childForFieldName("left");
      if (left?.type === "subscript") container = left.childForFieldName("value");
    } else if (parent?.type === "argument_list" && parent.parent?.type === "call") {
      const fn = parent.parent.childForFieldName("function");
      if (fn?.type === "attribute" && STORING_METHODS.has(fn.childForFieldName("attribute")?.text ?? "")) container = fn.childForFieldName("object");
    }
    if (container && longLivedRoot(container, model, ofInstance)) return true;
  }
  return false;
}

/**
 * `cls.x[...]`, `REGISTRY`, `module_obj.attr`: a container rooted at the class or the module, or
 * with `ofInstance`, at the instance too (`self.items`).
 */
function longLivedRoot(expr: Node, model: SemanticModel, ofInstance: boolean): boolean {
  let object: Node | null = expr;
  let depth = 0;
  while (object && (object.type === "attribute" || object.type === "subscript")) {
    object = object.childForFieldName(object.type === "attribute" ? "object" : "value");
    depth++;
  }
  if (object?.type !== "identifier") return false;
  // `self.items[...]`: an attribute of the instance, not `self[...]` itself.
  if (object.text === "cls") return depth > 0;
  if (object.text === "self") return ofInstance && depth > 0;
  return model.resolveScope(object.text, model.scopeOf(object)) === model.module;
}

function functionLabel(scope: Scope): string {
  const name = scope.node.childForFieldName("name")?.text;
  if (!name) return "a lambda";
  const owner = scope.parent?.kind === "class" ? scope.parent.node.childForFieldName("name")?.text : null;
  return quoted(owner ? `${owner}.${name}()` : `${name}()`);
}

/**
 * What an upper bound on `measured` bounds: `k` for `k` or `abs(k)`, `t[0]` for `t[0]` or
 * `abs(t[0])`; null for anything else (`len(k)` bounds a key's length, not the key).
 */
function boundedPart(measured: Node): string | null {
  let node = measured;
  if (node.type === "call" && node.childForFieldName("function")?.text === "abs" && argumentsOf(node).length === 1) node = unparenthesize(argumentsOf(node)[0]);
  if (node.type === "identifier") return node.text;
  if (node.type !== "subscript") return null;
  const value = node.childForFieldName("value");
  const index = node.childrenForFieldName("subscript").filter((c): c is Node => !!c && c.type !== "comment");
  return value?.type === "identifier" && index.length === 1 && index[0].type === "integer" ? `${value.text}[${index[0].text}]` : null;
}


