/**
 * Additions to a container whose shape shows the code bounds them (MH201, MH204 ask through the
 * evidence facts, `growthOfAddition`), and fills that run only while the container is empty.
 * Bounded by its shape, whatever the provenance of what is added:
 * - keys that are classes: a parameter the function uses as a base class;
 * - flags: parameters defaulting to a bool, 0 or 1 that the function only tests for truth;
 * - a registration: `R[name] = value` / `R.setdefault(name, value)` storing the caller's
 *   arguments as given (a registry of what code registers, bounded by its call sites);
 * - a callback registry: appending a lambda or a `functools.partial(...)`;
 * - a decorator's registry: the function returns the parameter it adds (`return f`), and is used
 *   as a decorator in the file or keeps a function's attribute (`f.__code__`).
 * Such an addition is no evidence of growth: the finding then shows only as pattern advice
 * (`report-without-evidence`). A fill while empty is not growth at all (`filledOnce`).
 */
import type { Node } from "web-tree-sitter";
import { type Scope, type SemanticModel, unparenthesize } from "../model.js";
import { parameterSlots } from "./provenance.js";

export type ContainerKind = "dict" | "defaultdict" | "list" | "set";

/**
 * Why the addition at `site` (`C[k] = v`, `C.append(x)`, `C.setdefault(k, v)`...) to the
 * container named `container` is bounded by the code's shape ("a registration"...), or null.
 */
export function boundedByShape(site: Node, container: string, kind: ContainerKind, model: SemanticModel): string | null {
  const owner = model.ownerScopeOf(site);
  if (owner.kind !== "function") return null;
  const fn = site.type === "call" ? site.childForFieldName("function") : null;
  const method = fn?.type === "attribute" ? fn.childForFieldName("attribute")?.text ?? null : null;
  if (site.type === "call" && method === null) return null;
  const added = addedParts(site, method, kind);
  if (!added) return null;
  if (added.key) {
    if (isClassParameter(added.key, owner, model)) return "its keys are classes of the code";
    if (isFlagKey(added.key, container, owner, model)) return "its keys are flags";
    if (added.keyed && added.value && added.key.every((part) => isCallerKey(part, owner, model)) && isCallerValue(added.value, owner, model)) return "a registration of the caller's arguments";
  }
  if (added.element && isCallback(added.element, owner, model)) return "a registry of callbacks";
  return decoratorRegistry(added, owner, model) ? "a decorator's registry" : null;
}

/**
 * The addition at `site`, in the function `fn`, runs only while the container is empty: inside
 * `if not C:` (or `if not len(C):`, `if len(C) == 0:`), or after an `if C: return ...` (or
 * `raise`; `if len(C) > 0:`) among the statements of `fn`'s body before it. The container then
 * holds one batch, computed once
 * (`def mac_version(_cache=[]): if not _cache: _cache.append(...)`): it does not grow.
 */
export function filledOnce(site: Node, container: string, fn: Node): boolean {
  for (let child = site, parent = site.parent; parent && !parent.equals(fn); child = parent, parent = parent.parent) {
    if (parent.type !== "if_statement" || !parent.childForFieldName("consequence")?.equals(child)) continue;
    const condition = unparenthesize(parent.childForFieldName("condition") ?? parent);
    if (condition.type === "not_operator" && testsEmptiness(condition.childForFieldName("argument") ?? condition, container)) return true;
    if (comparesLength(condition, container, ["==", "0"], ["<", "1"])) return true;
  }
  for (const statement of fn.childForFieldName("body")?.namedChildren ?? []) {
    if (!statement || statement.startIndex >= site.startIndex) break;
    const condition = exitCondition(statement);
    if (condition && (testsEmptiness(condition, container) || comparesLength(condition, container, [">", "0"], ["!=", "0"], [">=", "1"]))) return true;
  }
  return false;
}

/** Statements that leave a block. */
const EXITS: ReadonlySet<string> = new Set(["return_statement", "raise_statement", "continue_statement", "break_statement"]);

/**
 * The condition of `statement` when it is an `if` without `else` whose body ends by leaving the
 * block (`return`, `raise`, `continue`, `break`): the code after it runs only when it is false.
 */
export function exitCondition(statement: Node): Node | null {
  if (statement.type !== "if_statement" || statement.childForFieldName("alternative")) return null;
  const last = statement.childForFieldName("consequence")?.namedChildren.filter((c) => c && c.type !== "comment").pop();
  const condition = statement.childForFieldName("condition");
  return last && EXITS.has(last.type) && condition ? unparenthesize(condition) : null;
}

/**
 * `len(name) OP limit`, as `{ op, limit }` with `len()` on the left (`N < len(C)` reads as
 * `len(C) > N`); null for any other test.
 */
export function lengthComparison(test: Node, name: string): { op: string; limit: Node } | null {
  const node = unparenthesize(test);
  if (node.type !== "comparison_operator") return null;
  const operands = node.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  const op = node.children.find((c) => !!c && !c.isNamed)?.type;
  if (operands.length !== 2 || !op) return null;
  const isLength = (n: Node) => unparenthesize(n).type === "call" && testsEmptiness(n, name);
  if (isLength(operands[0])) return { op, limit: operands[1] };
  const flipped: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=" };
  return isLength(operands[1]) && flipped[op] ? { op: flipped[op], limit: operands[0] } : null;
}

/** `len(name) OP N` for one of the (operator, number) pairs: `len(cache) == 0`. */
function comparesLength(condition: Node, name: string, ...forms: Array<[string, string]>): boolean {
  const compared = lengthComparison(condition, name);
  const limit = compared ? unparenthesize(compared.limit) : null;
  return !!compared && limit?.type === "integer" && forms.some(([o, n]) => o === compared.op && n === limit.text);
}

/** `name` or `len(name)`: a test of whether the container is empty. */
function testsEmptiness(condition: Node, name: string): boolean {
  const node = unparenthesize(condition);
  if (node.type === "identifier") return node.text === name;
  if (node.type !== "call" || node.childForFieldName("function")?.text !== "len") return false;
  const args = node.childForFieldName("arguments")?.namedChildren.filter((c) => c && c.type !== "comment") ?? [];
  return args.length === 1 && args[0]?.type === "identifier" && args[0].text === name;
}

/** What one addition puts in: a dict key (as its parts: `C[a, b]`), the value stored, a list or set element. */
interface Added {
  key: Node[] | null;
  value: Node | null;
  element: Node | null;
  /** `C[k] = v` or `C.setdefault(k, v)` on a plain dict: the entry replaces, or keeps, the one under `k`. */
  keyed: boolean;
}

/**
 * A decorator's registry: the function returns one of its parameters as given (`return f`), and
 * what it adds is that parameter or an attribute of it (`f`, `f.__code__`, `f.__qualname__`):
 * one entry per decorated definition, which the code writes (jinja2's `internalcode`).
 */
function decoratorRegistry(added: Added, owner: Scope, model: SemanticModel): boolean {
  const body = owner.node.childForFieldName("body");
  if (!body) return false;
  const returns = body.descendantsOfType("return_statement").filter((r): r is Node => !!r && model.ownerScopeOf(r) === owner);
  if (returns.length === 0) return false;
  const returned = returns.map((r) => unparenthesize(r.namedChild(0) ?? r));
  if (!returned.every((r) => isParameter(r, owner, model) && r.text === returned[0].text)) return false;
  const parameter = returned[0].text;
  const parts = [...(added.key ?? []), ...(added.element ? [added.element] : []), ...(added.keyed ? [] : added.value ? [added.value] : [])];
  let dunder = false;
  const ofParameter = parts.length > 0 && parts.every((part) => {
    let node = unparenthesize(part);
    while (node.type === "attribute") {
      if (/^__\w+__$/.test(node.childForFieldName("attribute")?.text ?? "")) dunder = true;
      node = unparenthesize(node.childForFieldName("object") ?? node);
    }
    return node.type === "identifier" && node.text === parameter;
  });
  // A function that returns what it is given is a decorator only when used as one, or when what
  // it keeps is a function's (`f.__code__`): `def intern(s): pool.add(s); return s` is no registry.
  return ofParameter && (dunder || usedAsDecorator(owner, model));
}

/** `@name` (or `@name(...)`) decorates some definition in the file, for the function `owner`. */
function usedAsDecorator(owner: Scope, model: SemanticModel): boolean {
  const name = owner.node.childForFieldName("name");
  const around = owner.parent;
  if (!name || !around) return false;
  return model.referencesOf(name.text, around).some((id) => {
    let node: Node = id;
    if (node.parent?.type === "call" && node.parent.childForFieldName("function")?.equals(node)) node = node.parent;
    return node.parent?.type === "decorator";
  });
}

function addedParts(node: Node, method: string | null, kind: ContainerKind): Added | null {
  if (method === null) {
    const target = node.type === "subscript" ? node : node.childForFieldName("left");
    if (target?.type !== "subscript") return null;
    const key = target.childrenForFieldName("subscript").filter((c): c is Node => !!c && c.type !== "comment");
    const value = node.type === "assignment" ? node.childForFieldName("right") : null;
    return { key, value: value?.type === "assignment" ? null : value, element: null, keyed: kind === "dict" && node.type === "assignment" };
  }
  const args = node.childForFieldName("arguments");
  if (args?.type !== "argument_list") return null;
  const list = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (list.some((a) => a.type === "keyword_argument" || a.type === "list_splat" || a.type === "dictionary_splat")) return null;
  if (method === "setdefault" && list.length >= 1) {
    // `R.setdefault(k, []).append(v)` grows the list under `k` on every call: not a registration.
    const chained = node.parent?.type === "attribute";
    return { key: [list[0]], value: list[1] ?? null, element: null, keyed: kind === "dict" && !chained };
  }
  if ((method === "add" || method === "append") && list.length === 1) return { key: null, value: null, element: list[0], keyed: false };
  return null;
}

const LITERAL_CONSTANTS: ReadonlySet<string> = new Set(["integer", "float", "true", "false", "none"]);

/** A literal that cannot vary: numbers, strings without interpolation, bools, None, tuples of them. */
function isLiteralConstant(expr: Node): boolean {
  const node = unparenthesize(expr);
  if (LITERAL_CONSTANTS.has(node.type)) return true;
  switch (node.type) {
    case "string":
      return !node.namedChildren.some((c) => c?.type === "interpolation");
    case "concatenated_string":
      return node.namedChildren.every((c) => !c || c.type === "comment" || isLiteralConstant(c));
    case "unary_operator": {
      const operand = node.childForFieldName("argument");
      return !!operand && (operand.type === "integer" || operand.type === "float");
    }
    case "tuple":
      return node.namedChildren.every((c) => !c || c.type === "comment" || isLiteralConstant(c));
    default:
      return false;
  }
}


/** The key is a parameter that the function uses as a base class: keys are classes, which the code defines. */
function isClassParameter(key: Node[], owner: Scope, model: SemanticModel): boolean {
  const part = key.length === 1 ? unparenthesize(key[0]) : null;
  if (part?.type !== "identifier") return false;
  const bindings = model.lookup(part.text, model.scopeOf(part));
  if (bindings.length !== 1 || bindings[0].kind !== "parameter" || bindings[0].scope !== owner) return false;
  return owner.node.descendantsOfType("class_definition").some((cls) =>
    cls?.childForFieldName("superclasses")?.namedChildren.some((base) => base?.type === "identifier" && base.text === part.text));
}

/**
 * Every part of the key is a flag: a parameter defaulting to `True`/`False`/`0`/`1` (or annotated
 * `bool`) that the function only tests for truth, besides keying the container with it.
 */
function isFlagKey(key: Node[], container: string, owner: Scope, model: SemanticModel): boolean {
  const parts = key.length === 1 && unparenthesize(key[0]).type === "tuple"
    ? unparenthesize(key[0]).namedChildren.filter((c): c is Node => !!c && c.type !== "comment")
    : key;
  if (parts.length === 0) return false;
  const slots = parameterSlots(owner.node);
  return parts.every((part) => {
    const node = unparenthesize(part);
    if (node.type !== "identifier") return false;
    const bindings = model.lookup(node.text, model.scopeOf(node));
    const slot = slots.find((s) => s.name === node.text);
    if (bindings.length !== 1 || bindings[0].kind !== "parameter" || bindings[0].scope !== owner || !slot || slot.kind === "args" || slot.kind === "kwargs") return false;
    const flagDefault = slot.default !== null && /^(True|False|0|1)$/.test(slot.default.text);
    const boolAnnotation = slot.node.childForFieldName("type")?.text === "bool";
    if (!flagDefault && !boolAnnotation) return false;
    return model.referencesOf(node.text, owner).every((reference) =>
      reference.equals(bindings[0].node) || isTruthTest(reference) || keysContainer(reference, container));
  });
}

function isTruthTest(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  switch (parent.type) {
    case "if_statement":
    case "elif_clause":
    case "while_statement":
      return parent.childForFieldName("condition")?.equals(node) ?? false;
    case "not_operator":
    case "boolean_operator":
      return true;
    case "conditional_expression":
      return parent.namedChildren.filter((c) => c?.type !== "comment")[1]?.equals(node) ?? false;
    default:
      return false;
  }
}

/** `C[(a, b)]`, `C.get((a, b))`, `(a, b) in C`: the name is only part of a key of the container. */
function keysContainer(node: Node, container: string): boolean {
  let key = node;
  while (key.parent && (key.parent.type === "tuple" || key.parent.type === "parenthesized_expression")) key = key.parent;
  const parent = key.parent;
  if (!parent) return false;
  const isContainer = (n: Node | null): boolean => !!n && unparenthesize(n).type === "identifier" && unparenthesize(n).text === container;
  if (parent.type === "subscript") return isContainer(parent.childForFieldName("value")) && !parent.childForFieldName("value")?.equals(key);
  if (parent.type === "comparison_operator") return parent.namedChildren.some((c) => c !== null && !c.equals(key) && isContainer(c));
  if (parent.type === "argument_list") {
    const fn = parent.parent?.type === "call" ? parent.parent.childForFieldName("function") : null;
    return fn?.type === "attribute" && isContainer(fn.childForFieldName("object"));
  }
  return false;
}

/** A parameter not rebound in the function. */
function isParameter(node: Node, owner: Scope, model: SemanticModel): boolean {
  if (node.type !== "identifier") return false;
  const bindings = model.lookup(node.text, model.scopeOf(node));
  return bindings.length === 1 && bindings[0].kind === "parameter" && bindings[0].scope === owner;
}

/** A registration key: a parameter, `name.lower()`-style normalisation of one, or a constant. */
function isCallerKey(expr: Node, owner: Scope, model: SemanticModel, depth = 0): boolean {
  const node = unparenthesize(expr);
  if (node.type === "tuple") return node.namedChildren.every((c) => !c || c.type === "comment" || isCallerKey(c, owner, model, depth));
  if (isParameter(node, owner, model) || isLiteralConstant(node)) return true;
  if (node.type === "identifier" && depth === 0) {
    // `key = (type_module, type_name)` then `R[key] = func`.
    const bindings = model.lookup(node.text, model.scopeOf(node));
    return bindings.length === 1 && bindings[0].kind === "assignment" && bindings[0].scope === owner && !!bindings[0].value
      && isCallerKey(bindings[0].value, owner, model, depth + 1);
  }
  if (node.type !== "call") return false;
  const fn = node.childForFieldName("function");
  const object = fn?.type === "attribute" ? fn.childForFieldName("object") : null;
  const args = node.childForFieldName("arguments");
  return !!object && isParameter(object, owner, model) && args?.type === "argument_list" && args.namedChildren.every((c) => c?.type === "comment");
}

/** A registered value: a parameter as given, or a list or tuple of parameters and constants. */
function isCallerValue(expr: Node, owner: Scope, model: SemanticModel): boolean {
  const node = unparenthesize(expr);
  if (isParameter(node, owner, model)) return true;
  if (node.type !== "list" && node.type !== "tuple") return false;
  const items = node.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  return items.some((c) => isParameter(c, owner, model)) && items.every((c) => isParameter(c, owner, model) || isLiteralConstant(c));
}

/** A lambda or `functools.partial(...)`, directly or through a local assigned once. */
function isCallback(expr: Node, owner: Scope, model: SemanticModel, depth = 0): boolean {
  const node = unparenthesize(expr);
  if (node.type === "lambda") return true;
  if (node.type === "call") return model.qualifiedName(node.childForFieldName("function") ?? node) === "functools.partial";
  if (node.type !== "identifier" || depth > 0) return false;
  const bindings = model.lookup(node.text, model.scopeOf(node));
  return bindings.length === 1 && bindings[0].kind === "assignment" && bindings[0].scope === owner && !!bindings[0].value
    && isCallback(bindings[0].value, owner, model, depth + 1);
}
