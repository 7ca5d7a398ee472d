/**
 * Whether running a loop body can change, rebind or consume what a name referred to when the
 * loop started. Rules that drop a defensive copy (`for k in list(d)` → `for k in d`) or make an
 * iterable lazy ask this; every answer errs towards "it may change", so a rule that trusts it
 * stays silent when unsure.
 *
 * The reasoning is about object identity, not types: a body can reach the object behind `d`
 * through `d` itself (checked use by use), or through another name or unknown code. The second
 * way is ruled out only for a container built fresh in this scope (`d = {}`, `d = list(x)`) that
 * never escapes: never stored, passed to a function, yielded, or touched from a nested function.
 */
import type { Node } from "web-tree-sitter";
import { MUTATING_METHODS, type Scope, type SemanticModel, targetNames, unparenthesize } from "./model.js";

export type ContainerKind = "list" | "dict" | "set" | "frozenset" | "tuple" | "str" | "bytes" | "deque";

const IMMUTABLE_KINDS: ReadonlySet<ContainerKind> = new Set(["frozenset", "tuple", "str", "bytes"]);

const CONSTRUCTOR_KINDS: ReadonlyMap<string, ContainerKind> = new Map([
  ["builtins.list", "list"], ["builtins.sorted", "list"], ["builtins.dict", "dict"], ["builtins.set", "set"],
  ["builtins.frozenset", "frozenset"], ["builtins.tuple", "tuple"], ["builtins.str", "str"], ["builtins.bytes", "bytes"],
  ["collections.defaultdict", "dict"], ["collections.OrderedDict", "dict"], ["collections.Counter", "dict"],
  ["collections.deque", "deque"],
]);

/** Methods of list, dict, set and deque that only read the container. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
  "get", "keys", "values", "items", "copy", "count", "index", "issubset", "issuperset", "isdisjoint",
  "union", "intersection", "difference", "symmetric_difference", "most_common", "total", "elements",
  "__contains__", "__len__", "__getitem__",
]);

/**
 * Methods of `str` (and `bytes`). A call of one of these is taken to run no user code whatever
 * its receiver: a user class that defines `strip()` to mutate shared state is not worth the
 * silence it would cost on every `line.strip()`.
 */
const STR_METHODS: ReadonlySet<string> = new Set([
  "capitalize", "casefold", "center", "count", "decode", "encode", "endswith", "expandtabs", "find", "format",
  "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
  "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
  "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
  "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill", "hex",
]);

/** Builtins that run no user code on plain data (they may call dunders of their arguments). */
const HARMLESS_FUNCTIONS: ReadonlySet<string> = new Set([
  "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "complex", "dict",
  "divmod", "enumerate", "filter", "float", "format", "frozenset", "hash", "hex", "id", "int", "isinstance",
  "issubclass", "iter", "len", "list", "map", "max", "min", "oct", "ord", "pow", "print", "range", "repr",
  "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "type", "zip",
].map((n) => `builtins.${n}`));

/** Standard modules whose functions run no user code given plain data. */
const HARMLESS_MODULES: readonly string[] = ["math.", "cmath.", "os.path.", "re.", "string.", "textwrap.", "unicodedata."];

/** Builtins whose positional arguments are read but not iterated. */
const READING_BUILTINS: ReadonlySet<string> = new Set([
  "len", "print", "str", "repr", "ascii", "bool", "isinstance", "issubclass", "type", "id", "hash", "format", "callable",
  "range", "int", "float", "complex", "abs", "round", "chr", "ord", "hex", "bin", "oct", "divmod", "pow", "slice",
].map((n) => `builtins.${n}`));

/** Builtins that iterate their positional arguments (and keep nothing that could change them). */
const ITERATING_BUILTINS: ReadonlySet<string> = new Set([
  "sorted", "sum", "min", "max", "any", "all", "list", "tuple", "set", "frozenset", "dict", "enumerate",
  "zip", "reversed", "iter", "map", "filter",
].map((n) => `builtins.${n}`));

/** Node types through which a value passes unchanged to the enclosing expression. */
const PASS_THROUGH: ReadonlySet<string> = new Set(["parenthesized_expression", "boolean_operator", "conditional_expression"]);

/** Containers of assignment targets: `a, b = ...`, `[a, *b] = ...`. */
const TARGET_PATTERNS: ReadonlySet<string> = new Set([
  "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list", "parenthesized_expression",
  "list_splat_pattern", "as_pattern_target",
]);

/**
 * What one use of a name does to the object it refers to.
 * - `read`: looks at it without iterating (`d[k]`, `d.get(k)`, `len(d)`, `if d:`);
 * - `iterate`: iterates it (`for x in d`, `k in d`, `sorted(d)`), which consumes an iterator;
 * - `mutate`: changes it in place (`d[k] = v`, `del d[k]`, `d.pop()`, `d += x`);
 * - `bind`: (re)binds the name itself;
 * - `escape`: hands it to code that could keep or change it (`f(d)`, `y = d`, `d.method()`).
 */
export type UseKind = "read" | "iterate" | "mutate" | "bind" | "escape";

/** The container kind an expression evaluates to when it builds a new one; null otherwise. */
export function containerKindOf(expr: Node, model: SemanticModel): ContainerKind | null {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "list":
    case "list_comprehension":
      return "list";
    case "dictionary":
    case "dictionary_comprehension":
      return "dict";
    case "set":
    case "set_comprehension":
      return "set";
    case "tuple":
      return "tuple";
    case "string":
      return /^[a-z]*b/i.test(node.text) ? "bytes" : "str";
    case "concatenated_string": {
      const first = node.namedChild(0);
      return first && /^[a-z]*b/i.test(first.text) ? "bytes" : "str";
    }
    case "call": {
      const fn = node.childForFieldName("function");
      const qualified = fn ? model.qualifiedName(fn) : null;
      return qualified ? CONSTRUCTOR_KINDS.get(qualified) ?? null : null;
    }
    default:
      return null;
  }
}

/** Plain assignments of `name` in `owner`; null when some binding is not one (parameter, for target, import...). */
function assignedValues(name: string, owner: Scope): Node[] | null {
  const values: Node[] = [];
  for (const binding of owner.bindings.get(name) ?? []) {
    if (binding.kind === "annotation" || binding.kind === "augmented" || binding.kind === "delete") continue;
    if (binding.kind !== "assignment" || !binding.value) return null;
    // `a = b = []` binds two names to one object.
    if (binding.statement.childForFieldName("right")?.type === "assignment") return null;
    if (binding.statement.parent?.type === "assignment") return null;
    values.push(binding.value);
  }
  return values.length > 0 ? values : null;
}

/**
 * The kind of container a variable always holds when every binding of it in `owner` builds a
 * new one of the same kind (`d = {}`, `d = dict(x)`); null for parameters, other values, mixed
 * kinds and class attributes.
 */
export function freshContainerKind(name: string, owner: Scope, model: SemanticModel): ContainerKind | null {
  if (owner.kind === "class") return null;
  const values = assignedValues(name, owner);
  if (!values) return null;
  let kind: ContainerKind | null = null;
  for (const value of values) {
    const k = containerKindOf(value, model);
    if (!k || (kind && k !== kind)) return null;
    kind = k;
  }
  return kind;
}

const SCALAR_LITERALS: ReadonlySet<string> = new Set(["integer", "float", "true", "false", "none", "string", "concatenated_string"]);

/**
 * A variable that can never be the same object as a container of unknown origin: every binding
 * builds a new container or a constant. Changing it in place cannot change anything else.
 */
function holdsOwnObject(name: string, owner: Scope, model: SemanticModel): boolean {
  if (owner.kind === "class") return false;
  const values = assignedValues(name, owner);
  if (!values) return false;
  return values.every((v) => {
    const node = unparenthesize(v);
    if (SCALAR_LITERALS.has(node.type)) return true;
    if (node.type === "unary_operator") return SCALAR_LITERALS.has(unparenthesize(node.childForFieldName("argument") ?? node).type);
    return containerKindOf(node, model) !== null;
  });
}

/** `x[i] = v`, `del x[i]`, `x[i] += v`, `for x[i] in ...`: the subscript or attribute is written. */
function isWriteTarget(target: Node): boolean {
  let node = target;
  let parent = node.parent;
  while (parent && TARGET_PATTERNS.has(parent.type)) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  switch (parent.type) {
    case "assignment":
    case "augmented_assignment":
    case "for_statement":
    case "for_in_clause":
      return parent.childForFieldName("left")?.equals(node) ?? false;
    case "delete_statement":
    case "with_item":
    case "as_pattern":
      return true;
    default:
      return false;
  }
}

/**
 * Whether a node's code runs at another time than the code of `owner` around it: inside a nested
 * function, lambda, class body or generator expression (a list comprehension runs in place).
 */
function runsDeferred(node: Node, owner: Scope, model: SemanticModel): boolean {
  let scope: Scope | null = model.scopeOf(node);
  while (scope && scope !== owner) {
    if (scope.kind !== "comprehension" || scope.node.type === "generator_expression") return true;
    scope = scope.parent;
  }
  return false;
}

/** Classify one reference (an identifier resolving to the variable owned by `owner`). */
export function classifyUse(identifier: Node, owner: Scope, model: SemanticModel): UseKind {
  const bindings = owner.bindings.get(identifier.text) ?? [];
  if (bindings.some((b) => b.node.startIndex === identifier.startIndex)) {
    return identifier.parent?.type === "augmented_assignment" ? "mutate" : "bind";
  }
  let node = identifier;
  let parent = node.parent;
  while (parent && PASS_THROUGH.has(parent.type)) {
    if (parent.type === "conditional_expression" && parent.namedChild(1)?.equals(node)) return "read";
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return "escape";
  switch (parent.type) {
    case "subscript":
      if (!parent.childForFieldName("value")?.equals(node)) return "read";
      return isWriteTarget(parent) ? "mutate" : "read";
    case "attribute": {
      if (!parent.childForFieldName("object")?.equals(node)) return "escape";
      if (isWriteTarget(parent)) return "mutate";
      const call = parent.parent;
      const method = parent.childForFieldName("attribute")?.text ?? "";
      if (call?.type !== "call" || !call.childForFieldName("function")?.equals(parent)) return "escape";
      if (READ_ONLY_METHODS.has(method)) return "read";
      return MUTATING_METHODS.has(method) ? "mutate" : "escape";
    }
    case "comparison_operator": {
      const operator = node.previousSibling;
      return operator && (operator.type === "in" || operator.type === "not in") ? "iterate" : "read";
    }
    case "not_operator":
    case "binary_operator":
    case "unary_operator":
    case "assert_statement":
    case "expression_statement":
    case "interpolation":
      return "read";
    case "if_statement":
    case "elif_clause":
    case "while_statement":
      return parent.childForFieldName("condition")?.equals(node) ? "read" : "escape";
    case "for_statement":
    case "for_in_clause":
      return parent.childForFieldName("right")?.equals(node) ? "iterate" : "escape";
    case "list_splat":
    case "dictionary_splat":
      return "iterate";
    case "call":
      // Calling a variable runs its code, but does not hand it to anyone.
      return parent.childForFieldName("function")?.equals(node) ? "read" : "escape";
    case "expression_list":
    case "tuple":
    case "return_statement": {
      // `return d`, `return a, d`: returning ends this invocation; a new one binds a new object.
      const statement = parent.type === "return_statement" ? parent : parent.parent;
      if (statement?.type !== "return_statement") return "escape";
      const fn = model.ownerScopeOf(statement);
      return fn === owner && owner.kind === "function" ? "read" : "escape";
    }
    case "keyword_argument":
    case "argument_list": {
      if (parent.type === "keyword_argument" && !parent.childForFieldName("value")?.equals(node)) return "escape";
      const args = parent.type === "keyword_argument" ? parent.parent : parent;
      const call = args?.parent;
      if (args?.type !== "argument_list" || call?.type !== "call") return "escape";
      const fn = unparenthesize(call.childForFieldName("function") ?? call);
      const qualified = model.qualifiedName(fn);
      if (qualified && READING_BUILTINS.has(qualified)) return "read";
      if (parent.type === "keyword_argument") return "escape";
      if (qualified === "builtins.min" || qualified === "builtins.max") {
        // `min(a, b)` compares its arguments; `min(xs)` iterates its only one.
        const positional = args.namedChildren.filter((c) => c && c.type !== "comment" && c.type !== "keyword_argument");
        return positional.length > 1 ? "read" : "iterate";
      }
      if (qualified && ITERATING_BUILTINS.has(qualified)) return "iterate";
      // `", ".join(d)`, `"{}".format(d)`: methods of a string literal.
      if (fn.type === "attribute") {
        const receiver = fn.childForFieldName("object");
        if (receiver && (receiver.type === "string" || receiver.type === "concatenated_string")) return "iterate";
      }
      return "escape";
    }
    default:
      return "escape";
  }
}

/** A call that runs no user code that could reach a container of unknown origin. */
function isHarmlessCall(call: Node, model: SemanticModel, ownNames: ReadonlySet<string>): boolean {
  const fn = unparenthesize(call.childForFieldName("function") ?? call);
  const qualified = fn.type === "identifier" || fn.type === "attribute" ? model.qualifiedName(fn) : null;
  if (qualified && (HARMLESS_FUNCTIONS.has(qualified) || HARMLESS_MODULES.some((m) => qualified.startsWith(m)))) {
    return callableArgumentsHarmless(call, qualified, model);
  }
  if (fn.type !== "attribute") return false;
  const method = fn.childForFieldName("attribute")?.text ?? "";
  const receiver = unparenthesize(fn.childForFieldName("object") ?? fn);
  if (STR_METHODS.has(method)) return true;
  if (receiver.type === "identifier" && (MUTATING_METHODS.has(method) || READ_ONLY_METHODS.has(method))) {
    if (method === "sort" && !callableArgumentsHarmless(call, "list.sort", model)) return false;
    if (ownNames.has(receiver.text)) return true;
    const owner = model.resolveScope(receiver.text, model.scopeOf(receiver));
    return !!owner && freshContainerKind(receiver.text, owner, model) !== null;
  }
  return false;
}

/** `key=` functions and `map`/`filter` functions are called: they must be builtins or lambdas. */
function callableArgumentsHarmless(call: Node, qualified: string, model: SemanticModel): boolean {
  const args = call.childForFieldName("arguments");
  if (!args || args.type !== "argument_list") return true;
  const positional = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment" && c.type !== "keyword_argument");
  const callables: Node[] = [];
  if ((qualified === "builtins.map" || qualified === "builtins.filter") && positional[0]) callables.push(positional[0]);
  for (const arg of args.namedChildren) {
    if (arg?.type !== "keyword_argument") continue;
    if (arg.childForFieldName("name")?.text === "key") {
      const value = arg.childForFieldName("value");
      if (value) callables.push(value);
    }
  }
  return callables.every((c) => {
    const node = unparenthesize(c);
    if (node.type === "lambda" || node.type === "none") return true; // a lambda's calls are checked where they stand
    if (node.type === "attribute") {
      // `key=str.lower`
      const object = node.childForFieldName("object");
      const method = node.childForFieldName("attribute")?.text ?? "";
      return !!object && model.isBuiltin(object, "str") && STR_METHODS.has(method);
    }
    const name = model.qualifiedName(node);
    return !!name && HARMLESS_FUNCTIONS.has(name);
  });
}

/**
 * Whether code inside `nodes` may reach objects it does not name: a call of unknown code,
 * `yield`/`await` (the caller runs), a `with` block, or an in-place change (`x[i] = v`,
 * `x += y`, `x.attr = v`) of something that is not a container built in this scope.
 * `ownNames` are names whose objects cannot be the container in question (a loop's targets).
 */
export function mayReachOtherObjects(nodes: readonly Node[], model: SemanticModel, ownNames: ReadonlySet<string> = new Set()): boolean {
  const types = ["call", "yield", "await", "with_statement", "augmented_assignment", "assignment", "delete_statement"];
  for (const root of nodes) {
    const found = root.descendantsOfType(types);
    for (const node of found) {
      if (!node) continue;
      switch (node.type) {
        case "call":
          if (!isHarmlessCall(node, model, ownNames)) return true;
          break;
        case "assignment":
        case "augmented_assignment": {
          const left = node.childForFieldName("left");
          if (left && writesForeignObject(left, node.type === "augmented_assignment", model, ownNames)) return true;
          break;
        }
        case "delete_statement":
          for (const target of node.namedChildren) {
            if (target && writesForeignObject(target, false, model, ownNames)) return true;
          }
          break;
        default:
          return true;
      }
    }
  }
  return false;
}

/** Whether writing to `target` may change an object that is not known to be built in this scope. */
function writesForeignObject(target: Node, inPlace: boolean, model: SemanticModel, ownNames: ReadonlySet<string>): boolean {
  const node = unparenthesize(target);
  switch (node.type) {
    case "identifier": {
      if (!inPlace || ownNames.has(node.text)) return false; // rebinding a name changes no object
      const owner = model.resolveScope(node.text, model.scopeOf(node));
      return !owner || !holdsOwnObject(node.text, owner, model);
    }
    case "subscript": {
      const base = unparenthesize(node.childForFieldName("value") ?? node);
      if (base.type !== "identifier") return true;
      if (ownNames.has(base.text)) return false;
      const owner = model.resolveScope(base.text, model.scopeOf(base));
      return !owner || !holdsOwnObject(base.text, owner, model);
    }
    case "attribute":
      return true; // a setter or __setattr__ may run
    default:
      for (const child of node.namedChildren) {
        if (child && writesForeignObject(child, inPlace, model, ownNames)) return true;
      }
      return false;
  }
}

export interface LoopStability {
  /** The container kind the name always holds, when every binding builds a new one. */
  fresh: ContainerKind | null;
}

/**
 * Whether the object a name refers to at the start of a `for` loop stays the same, unchanged
 * and unconsumed, while the loop body runs: the body neither rebinds the name, nor changes or
 * iterates the object through it (iterating is fine for a known container), nor runs code
 * that could reach the object another way. Null when that cannot be shown.
 */
export function stableDuringLoop(name: Node, loop: Node, model: SemanticModel): LoopStability | null {
  const body = loop.childForFieldName("body");
  if (!body || name.type !== "identifier") return null;
  const owner = model.resolveScope(name.text, model.scopeOf(name));
  if (!owner) return null;
  const bindings = owner.bindings.get(name.text) ?? [];
  if (bindings.some((b) => b.node.startIndex >= loop.startIndex && b.node.startIndex < loop.endIndex)) return null;
  if (usesIntrospection(body)) return null;
  const fresh = freshContainerKind(name.text, owner, model);
  const references = model.referencesOf(name.text, owner);
  for (const ref of references) {
    if (ref.startIndex < body.startIndex || ref.startIndex >= body.endIndex) continue;
    const use = classifyUse(ref, owner, model);
    if (fresh && IMMUTABLE_KINDS.has(fresh) ? use === "bind" : !(use === "read" || (fresh && use === "iterate"))) return null;
  }
  if (fresh && IMMUTABLE_KINDS.has(fresh)) return { fresh };
  if (!mayReachOtherObjects([body], model, loopTargetNames(loop))) return { fresh };
  // Unknown code runs in the body: only a container that nobody else can reach is safe.
  if (!fresh) return null;
  // At `yield` or `await` the caller runs: it can change any variable but the function's own.
  if (owner !== model.ownerScopeOf(loop) && body.descendantsOfType(["yield", "await"]).length > 0) return null;
  for (const ref of references) {
    const use = classifyUse(ref, owner, model);
    if (use === "escape") return null;
    if (use === "mutate" && runsDeferred(ref, owner, model)) return null;
  }
  return { fresh };
}

/** `exec`, `eval`, `globals()`, `locals()`, `vars()`: they reach variables by name. */
function usesIntrospection(body: Node): boolean {
  return body.descendantsOfType("call").some((call) => {
    const fn = call?.childForFieldName("function");
    return fn?.type === "identifier" && INTROSPECTION.has(fn.text);
  });
}

const INTROSPECTION: ReadonlySet<string> = new Set(["exec", "eval", "globals", "locals", "vars"]);

/** Names bound by a `for` statement's target (not the bases of `for obj.attr in ...`). */
export function loopTargetNames(loop: Node): Set<string> {
  const left = loop.childForFieldName("left");
  return new Set(left ? targetNames(left).map((id) => id.text) : []);
}

const DEFINITION_KINDS: ReadonlySet<string> = new Set(["function", "class", "import"]);

/**
 * The first use of each variable that `expr` (a comprehension, generator expression or lambda)
 * reads from outside itself; builtins and names bound inside it are left out.
 */
export function freeNames(expr: Node, model: SemanticModel): Node[] {
  const seenNames = new Map<string, Set<Scope>>();
  const out: Node[] = [];
  for (const id of expr.descendantsOfType("identifier")) {
    if (!id) continue;
    const parent = id.parent;
    if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.equals(id)) continue;
    if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.equals(id)) continue;
    const owner = model.resolveScope(id.text, model.scopeOf(id));
    if (!owner || (owner.start >= expr.startIndex && owner.end <= expr.endIndex)) continue;
    let scopes = seenNames.get(id.text);
    if (!scopes) seenNames.set(id.text, (scopes = new Set()));
    if (scopes.has(owner)) continue;
    scopes.add(owner);
    out.push(id);
  }
  return out;
}

/**
 * Whether every variable that `expr` reads from outside stays unchanged while `loop`'s body runs
 * (see `stableDuringLoop`); functions, classes and modules only must not be rebound in the loop.
 */
export function freeNamesStableDuringLoop(expr: Node, loop: Node, model: SemanticModel): boolean {
  for (const id of freeNames(expr, model)) {
    const owner = model.resolveScope(id.text, model.scopeOf(id));
    if (!owner) continue;
    const bindings = owner.bindings.get(id.text) ?? [];
    if (bindings.length > 0 && bindings.every((b) => DEFINITION_KINDS.has(b.kind))) {
      if (bindings.some((b) => b.node.startIndex >= loop.startIndex && b.node.startIndex < loop.endIndex)) return false;
      // `sys.modules`, `Registry.items`: a module's or a class's attribute is a shared object
      // that the body can change (`del sys.modules[m]`) through the name or unknown code.
      if (readsAttributeOf(expr, id.text) && !attributesStableDuringLoop(id.text, owner, loop, model)) return false;
      continue;
    }
    if (!stableDuringLoop(id, loop, model)) return false;
  }
  return true;
}

/** `expr` reads an attribute of the name `name` (`name.attr`). */
function readsAttributeOf(expr: Node, name: string): boolean {
  return expr.descendantsOfType("attribute").some((a) => {
    const object = a?.childForFieldName("object");
    return object?.type === "identifier" && object.text === name;
  });
}

/**
 * The attributes of a module, class or function named `name` stay unchanged while the loop body
 * runs: the body never names it and runs no code that could reach it another way.
 */
function attributesStableDuringLoop(name: string, owner: Scope, loop: Node, model: SemanticModel): boolean {
  const body = loop.childForFieldName("body");
  if (!body) return false;
  if (model.referencesOf(name, owner).some((ref) => ref.startIndex >= body.startIndex && ref.startIndex < body.endIndex)) return false;
  return !usesIntrospection(body) && !mayReachOtherObjects([body], model, loopTargetNames(loop));
}
