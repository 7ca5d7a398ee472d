/**
 * What a class of the file is: its bases, methods, members and `__slots__`; whether it is an
 * enum, a metaclass, a named tuple, a singleton; whether its instances have a `__dict__` and can
 * be weakly referenced; which class a variable's objects belong to. Rules ask these through
 * `ctx.facts.classes`; each answer is computed once per lint.
 *
 * Everything here reads class headers and bodies, except `isModuleSingleton`, which also reads
 * the methods' bodies (does a method make another instance?): asking it is recorded, so that an
 * incremental lint compares that part of an edited method (`singletonReads`).
 */
import type { Node } from "web-tree-sitter";
import { type Binding, parameterName, type Scope, type SemanticModel, unparenthesize } from "../model.js";
import type { SummaryContext } from "../types.js";

const ENUM_BASES: ReadonlySet<string> = new Set(["enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"]);
const METACLASS_BASES: ReadonlySet<string> = new Set(["builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"]);
const NAMED_TUPLE_BASES: ReadonlySet<string> = new Set(["typing.NamedTuple", "typing_extensions.NamedTuple", "collections.namedtuple"]);

/** Builtin bases whose subclasses cannot be weakly referenced (variable-size instances). */
const NO_WEAKREF_BASES: ReadonlySet<string> = new Set([
  "builtins.int", "builtins.bool", "builtins.tuple", "builtins.bytes", "builtins.str", "builtins.float",
  "builtins.complex", "typing.NamedTuple",
]);

/** Methods Python calls with the class as first argument even without `@classmethod`. */
const IMPLICIT_CLASS_METHODS: ReadonlySet<string> = new Set(["__new__", "__init_subclass__", "__class_getitem__"]);

/** A first parameter with one of these names is a class, not an instance (metaclass methods, `classmethod(f)`). */
const CLASS_PARAMETER_NAMES: ReadonlySet<string> = new Set(["cls", "mcs", "mcls", "metacls"]);

const ACCESSOR_DECORATOR = /(^|\.)(property|cached_property|setter|getter|deleter)$/;

/** The fact kind recorded when `isModuleSingleton` is asked (see the module comment). */
export const SINGLETON_FACT = "singleton";

export interface Parameter {
  name: string;
  /** Can be passed by position (before `*`, `*args`). */
  positional: boolean;
}

export interface MethodInfo {
  node: Node;
  name: string;
  /** The instance parameter; null for static and class methods. */
  selfName: string | null;
  /** Parameters after the instance parameter (parsed on first use). */
  readonly parameters: Parameter[];
}

export interface ClassInfo {
  node: Node;
  name: string;
  decorators: Node[];
  bases: Node[];
  /** `metaclass=`, `**kwargs` or unpacked bases. */
  unusualBases: boolean;
  methods: MethodInfo[];
  /** Names defined in the class body: methods, class attributes, nested classes. */
  members: Set<string>;
  /** Properties and descriptors (class-level `name = SomeDescriptor()`): their storage is unknown. */
  accessors: Set<string>;
  /** The value of `__slots__`, when the class body sets it. */
  slots: Node | null;
}

export interface MethodShape {
  classNode: Node;
  /** `instance`: the first parameter is the instance; `class`: it is the class; `static`: none. */
  binding: "instance" | "class" | "static";
  /** The first parameter's identifier (the instance or class), when there is one. */
  receiver: Node | null;
}

/** The parameters of a function, separators and comments left out. */
export function parameterList(definition: Node): Node[] {
  const parameters = definition.childForFieldName("parameters");
  const out: Node[] = [];
  for (const p of parameters?.namedChildren ?? []) {
    if (!p || p.type === "comment" || p.type === "positional_separator" || p.type === "keyword_separator") continue;
    out.push(p);
  }
  return out;
}

/** The class a method's function definition belongs to, or null for plain functions. */
export function enclosingClass(fn: Node): Node | null {
  let parent = fn.parent;
  if (parent?.type === "decorated_definition") parent = parent.parent;
  return parent?.type === "block" && parent.parent?.type === "class_definition" ? parent.parent : null;
}

/** Every class scope of the file, outermost first. */
export function classScopes(scope: Scope, out: Scope[] = []): Scope[] {
  for (const child of scope.children) {
    if (child.kind === "class") out.push(child);
    classScopes(child, out);
  }
  return out;
}

/** Whether `inner` (a call or an attribute) may make another instance: `cls()`, `self()`, `type(...)()`, `x.__class__`. */
function instantiatesAgain(inner: Node): boolean {
  if (inner.type === "attribute") return inner.childForFieldName("attribute")?.text === "__class__";
  const fn = unparenthesize(inner.childForFieldName("function") ?? inner);
  if (fn.type === "identifier" && (fn.text === "cls" || fn.text === "self")) return true;
  return fn.type === "call" && fn.childForFieldName("function")?.text === "type";
}

/**
 * Whether `call` makes another instance of the class it is written in, whatever its name:
 * `cls(...)`, `type(self)(...)`, `self.__class__(...)` (stricter than `instantiatesAgain`:
 * calling `self` or reading `__class__` makes nothing).
 */
export function remakesInstance(call: Node): boolean {
  if (call.type !== "call") return false;
  const fn = unparenthesize(call.childForFieldName("function") ?? call);
  if (fn.type === "identifier") return fn.text === "cls";
  if (fn.type === "attribute") return fn.childForFieldName("attribute")?.text === "__class__";
  return fn.type === "call" && fn.childForFieldName("function")?.text === "type";
}

/**
 * What `isModuleSingleton` reads of a method of the class (`fn`), or of its class-level
 * statements in [ctx.bodyStart, ctx.bodyEnd): whether they may make another instance, and
 * (for `EvidenceFacts.madeMany`) the statements that do (`remakesInstance`).
 */
export function singletonReads(fn: Node | null, ctx: SummaryContext): string {
  const { bodyStart, bodyEnd } = ctx;
  // Without a function: the statements in the range, not the whole class body around them.
  const around = fn ?? ctx.model.root.descendantForIndex(bodyStart, Math.max(bodyStart, bodyEnd - 1));
  if (!around) return "";
  const inRange = (n: Node): boolean => n.startIndex >= bodyStart && n.endIndex <= bodyEnd;
  const roots = inRange(around) ? [around] : around.namedChildren.filter((c): c is Node => !!c && c.endIndex > bodyStart && c.startIndex < bodyEnd);
  let may = false;
  const remaking: string[] = [];
  for (const root of roots) {
    for (const inner of root.descendantsOfType(["call", "attribute"])) {
      if (!inner || !inRange(inner) || !instantiatesAgain(inner)) continue;
      may = true;
      if (!remakesInstance(inner)) continue;
      let statement: Node = inner;
      while (statement.parent && !statement.type.endsWith("statement") && statement.parent.type !== "block") statement = statement.parent;
      remaking.push(statement.text);
    }
  }
  return may ? ["may make another instance", ...remaking].join("\n") : "";
}

/** Whether an identifier sits in a type annotation (of a variable, a parameter or a return). */
export function inAnnotation(id: Node): boolean {
  for (let node: Node | null = id.parent; node; node = node.parent) {
    if (node.type === "type") return true;
    if (node.type.endsWith("statement") || node.type === "block" || node.type === "module") return false;
  }
  return false;
}

/** The name of a plain or annotated parameter; null for `*args`, `**kwargs` and defaults. */
function receiverName(parameter: Node): Node | null {
  if (parameter.type === "identifier") return parameter;
  if (parameter.type !== "typed_parameter") return null;
  const first = parameter.namedChild(0);
  return first?.type === "identifier" ? first : null;
}

/** The parameters of a `def`, without the instance parameter when `skipFirst`. */
function parseParameters(list: Node | null, skipFirst: boolean): Parameter[] {
  const parameters: Parameter[] = [];
  let positional = true;
  let first = true;
  for (const p of list?.namedChildren ?? []) {
    if (!p || p.type === "comment" || p.type === "positional_separator") continue;
    if (p.type === "list_splat_pattern" || p.type === "keyword_separator" || p.type === "dictionary_splat_pattern") {
      positional = false;
      first = false;
      continue;
    }
    // A typed `*args: T` is skipped, as an untyped name-less parameter is.
    const name = p.type === "typed_parameter" && p.namedChild(0)?.type !== "identifier" ? null : parameterName(p);
    if (!name) continue;
    if (!(first && skipFirst)) parameters.push({ name: name.text, positional });
    first = false;
  }
  return parameters;
}

/** A method; its instance parameter is null unless it receives an instance (not a class). */
function methodInfo(fn: Node, decorators: Node[], metaclass: boolean): MethodInfo {
  const name = fn.childForFieldName("name")?.text ?? "";
  const bound = !metaclass && !IMPLICIT_CLASS_METHODS.has(name)
    && !decorators.some((d) => /(^|\.)(staticmethod|classmethod)$/.test(d.namedChild(0)?.text ?? ""));
  const list = fn.childForFieldName("parameters");
  const first = list?.firstNamedChild;
  const firstName = bound && (first?.type === "identifier" || first?.type === "typed_parameter")
    ? (first.type === "identifier" ? first : first.namedChildren.find((c) => c?.type === "identifier"))?.text ?? null
    : null;
  const selfName = firstName !== null && !CLASS_PARAMETER_NAMES.has(firstName) ? firstName : null;
  let parameters: Parameter[] | null = null;
  return {
    node: fn,
    name,
    selfName,
    get parameters() {
      parameters ??= parseParameters(list, firstName !== null);
      return parameters;
    },
  };
}

/** The expression bound: `x = v`, or the matching item of `a, b = v, w`. */
function assignedValue(binding: Binding): Node | null {
  if (binding.value) return unparenthesize(binding.value);
  const left = binding.statement.childForFieldName("left");
  const right = binding.statement.childForFieldName("right");
  if (!left || !right || (left.type !== "pattern_list" && left.type !== "tuple_pattern")) return null;
  if (right.type !== "expression_list" && right.type !== "tuple") return null;
  const targets = left.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  const values = right.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  const index = targets.findIndex((t) => t.equals(binding.node));
  if (targets.length !== values.length || index < 0 || values.some((v) => v.type === "list_splat")) return null;
  return unparenthesize(values[index]);
}

/** Facts about the classes of one file, for one lint (cached by node start). */
export class ClassFacts {
  private readonly infos = new Map<number, ClassInfo>();
  private readonly methods = new Map<number, MethodInfo>();
  private readonly metaclasses = new Map<number, boolean>();
  private readonly enums = new Map<number, boolean>();

  constructor(private readonly model: SemanticModel, private readonly onSingletonAsked: () => void = () => undefined) {}

  /** The scope a class's bases and decorators are evaluated in (the class scope starts at `class`). */
  scopeAround(definition: Node): Scope {
    const own = this.model.scopeOf(definition);
    return own.node.equals(definition) && own.parent ? own.parent : own;
  }

  /** The class definition that `expr` names, when it is a class defined once in this file. */
  definitionOf(expr: Node, scope: Scope): Node | null {
    const node = unparenthesize(expr);
    if (node.type !== "identifier") return null;
    const bindings = this.model.lookup(node.text, scope);
    if (bindings.length !== 1 || bindings[0].kind !== "class") return null;
    return bindings[0].statement.type === "class_definition" ? bindings[0].statement : null;
  }

  /** Whether some base of the class, or of a same-file base class, is one of `roots`. */
  private derivesFrom(classNode: Node, roots: ReadonlySet<string>, depth = 0): boolean {
    if (depth > 8) return false;
    const bases = classNode.childForFieldName("superclasses");
    if (!bases) return false;
    const scope = this.scopeAround(classNode);
    for (const base of bases.namedChildren) {
      if (!base || base.type === "keyword_argument" || base.type === "comment") continue;
      const qualified = this.model.qualifiedName(base, scope);
      if (qualified && roots.has(qualified)) return true;
      const inFile = this.definitionOf(base, scope);
      if (inFile && !inFile.equals(classNode) && this.derivesFrom(inFile, roots, depth + 1)) return true;
    }
    return false;
  }

  /** A subclass of `enum.Enum` (or IntEnum, StrEnum, Flag...), directly or through classes of the file. */
  isEnum(classNode: Node): boolean {
    let known = this.enums.get(classNode.startIndex);
    if (known === undefined) this.enums.set(classNode.startIndex, (known = this.derivesFrom(classNode, ENUM_BASES)));
    return known;
  }

  /** A subclass of `type` (or ABCMeta, EnumMeta), whose instances are classes. */
  isMetaclass(classNode: Node): boolean {
    let known = this.metaclasses.get(classNode.startIndex);
    if (known === undefined) this.metaclasses.set(classNode.startIndex, (known = this.derivesFrom(classNode, METACLASS_BASES)));
    return known;
  }

  /** A named tuple (`typing.NamedTuple` or `collections.namedtuple(...)` base). */
  isNamedTuple(classNode: Node): boolean {
    const scope = this.scopeAround(classNode);
    return (classNode.childForFieldName("superclasses")?.namedChildren ?? []).some((base) => {
      if (!base || base.type === "keyword_argument" || base.type === "comment") return false;
      const callee = base.type === "call" ? base.childForFieldName("function") : base;
      const qualified = callee ? this.model.qualifiedName(callee, scope) : null;
      return !!qualified && NAMED_TUPLE_BASES.has(qualified);
    });
  }

  /**
   * A class whose instances the code fixes to a few: an enum (its members), a metaclass (its
   * classes), or a module singleton. A method's receiver then takes few values.
   */
  hasFewInstances(classNode: Node): boolean {
    return this.isEnum(classNode) || this.isMetaclass(classNode) || this.isModuleSingleton(classNode);
  }

  /**
   * A class instantiated exactly once, by a module-level call outside any loop or comprehension,
   * and never referenced otherwise in this file (no subclass, no second call, no `cls()` or
   * `type(self)()` inside it).
   */
  isModuleSingleton(classNode: Node): boolean {
    this.onSingletonAsked();
    const model = this.model;
    const name = classNode.childForFieldName("name");
    if (!name || this.scopeAround(classNode) !== model.module) return false;
    const bindings = model.module.bindings.get(name.text) ?? [];
    if (bindings.length !== 1 || bindings[0].kind !== "class") return false;
    // `MANAGER: Manager = Manager()`: a name in an annotation instantiates nothing.
    const uses = model.referencesOf(name.text, model.module).filter((id) => !id.equals(name) && !inAnnotation(id));
    if (uses.length !== 1) return false;
    const call = uses[0].parent;
    if (call?.type !== "call" || !call.childForFieldName("function")?.equals(uses[0])) return false;
    if (model.ownerScopeOf(call) !== model.module || model.loopOf(call, { includeComprehensions: true })) return false;
    if (call.startIndex >= classNode.startIndex && call.endIndex <= classNode.endIndex) return false;
    for (const inner of classNode.descendantsOfType(["call", "attribute"])) if (inner && instantiatesAgain(inner)) return false;
    return true;
  }

  /**
   * Instances without a `__dict__`: the class sets `__slots__` (without `"__dict__"`) or is a
   * named tuple. `functools.cached_property` and `self.method = ...` then fail with an error.
   */
  lacksInstanceDict(classNode: Node): "slots" | "named tuple" | null {
    const body = classNode.childForFieldName("body");
    for (const statement of body?.namedChildren ?? []) {
      const assignment = statement?.type === "expression_statement" ? statement.namedChild(0) : null;
      if (assignment?.type !== "assignment" || assignment.childForFieldName("left")?.text !== "__slots__") continue;
      if ((assignment.childForFieldName("right")?.text ?? "").includes("__dict__")) return null;
      break;
    }
    if (this.isNamedTuple(classNode)) return "named tuple";
    const slotted = (body?.namedChildren ?? []).some((statement) => {
      const assignment = statement?.type === "expression_statement" ? statement.namedChild(0) : null;
      return assignment?.type === "assignment" && assignment.childForFieldName("left")?.text === "__slots__";
    });
    return slotted ? "slots" : null;
  }

  /** How a function defined directly in a class body receives its first argument; null for non-methods. */
  methodShape(definition: Node): MethodShape | null {
    const outer = this.scopeAround(definition);
    if (outer.kind !== "class") return null;
    const classNode = outer.node;
    const decorated = definition.parent?.type === "decorated_definition" ? definition.parent : null;
    let binding: MethodShape["binding"] = "instance";
    if (IMPLICIT_CLASS_METHODS.has(definition.childForFieldName("name")?.text ?? "")) binding = "class";
    for (const decorator of decorated?.namedChildren ?? []) {
      if (decorator?.type !== "decorator") continue;
      const expr = decorator.namedChildren.find((c) => c !== null && c.type !== "comment");
      const qualified = expr ? this.model.qualifiedName(expr, outer) : null;
      if (qualified === "builtins.staticmethod") binding = "static";
      else if (qualified === "builtins.classmethod" && binding !== "static") binding = "class";
    }
    const first = parameterList(definition)[0];
    const receiver = binding === "static" || !first ? null : receiverName(first);
    if (binding !== "static" && !receiver) return null; // `def f(*args)` or no parameters at all
    return { classNode, binding, receiver };
  }

  /** The class's members, methods, bases, decorators and `__slots__` (one object per class and lint). */
  info(cls: Node): ClassInfo {
    const cached = this.infos.get(cls.startIndex);
    if (cached) return cached;
    const decorated = cls.parent?.type === "decorated_definition" ? cls.parent : null;
    const info: ClassInfo = {
      node: cls,
      name: cls.childForFieldName("name")?.text ?? "",
      decorators: decorated ? decorated.namedChildren.filter((c): c is Node => c?.type === "decorator") : [],
      bases: [],
      unusualBases: false,
      methods: [],
      members: new Set(),
      accessors: new Set(),
      slots: null,
    };
    this.infos.set(cls.startIndex, info);
    for (const base of cls.childForFieldName("superclasses")?.namedChildren ?? []) {
      if (!base || base.type === "comment") continue;
      if (base.type === "keyword_argument" || base.type === "list_splat" || base.type === "dictionary_splat") info.unusualBases = true;
      else info.bases.push(base);
    }
    for (const statement of cls.childForFieldName("body")?.namedChildren ?? []) {
      if (!statement) continue;
      const definition = statement.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
      const decorators = statement.type === "decorated_definition"
        ? statement.namedChildren.filter((c): c is Node => c?.type === "decorator")
        : [];
      if (definition?.type === "function_definition") {
        const method = this.methodOf(statement, cls, definition, decorators) as MethodInfo;
        info.methods.push(method);
        info.members.add(method.name);
        if (decorators.some((d) => ACCESSOR_DECORATOR.test(d.namedChild(0)?.text ?? ""))) info.accessors.add(method.name);
      } else if (definition?.type === "class_definition") {
        info.members.add(definition.childForFieldName("name")?.text ?? "");
      } else if (statement.type === "expression_statement") {
        const assignment = statement.namedChild(0);
        if (assignment?.type !== "assignment") continue;
        const left = assignment.childForFieldName("left");
        if (left?.type !== "identifier") continue;
        info.members.add(left.text);
        const value = assignment.childForFieldName("right");
        if (left.text === "__slots__") info.slots = value;
        else if (value?.type === "call" && !this.model.qualifiedName(value.childForFieldName("function") ?? value)?.startsWith("builtins.")) {
          info.accessors.add(left.text);
        }
      }
    }
    return info;
  }

  /**
   * The method a statement of the body of class `cls` defines, or null when it defines none (one
   * object per `def` and lint). The instance of a metaclass's method is a class, not an instance.
   */
  methodOf(statement: Node, cls: Node, definition?: Node | null, decorators?: Node[]): MethodInfo | null {
    const decorated = statement.type === "decorated_definition";
    definition ??= decorated ? statement.childForFieldName("definition") : statement;
    if (definition?.type !== "function_definition") return null;
    const cached = this.methods.get(definition.startIndex);
    if (cached) return cached;
    decorators ??= decorated ? statement.namedChildren.filter((c): c is Node => c?.type === "decorator") : [];
    const method = methodInfo(definition, decorators, this.isMetaclass(cls));
    this.methods.set(definition.startIndex, method);
    return method;
  }

  /** The class defined in this file that an expression names (`Node` in `Node(...)`). */
  reference(expr: Node | null, scope: Scope): ClassInfo | null {
    if (!expr) return null;
    const node = unparenthesize(expr);
    if (node.type !== "identifier") return null;
    const bindings = this.model.lookup(node.text, scope);
    if (bindings.length !== 1 || bindings[0].kind !== "class") return null;
    return this.info(bindings[0].statement);
  }

  /** When `name` is the instance parameter of a method in `scope`: that method's class. */
  selfClass(name: string, scope: Scope): ClassInfo | null {
    const bindings = this.model.lookup(name, scope);
    if (bindings.length !== 1 || bindings[0].kind !== "parameter") return null;
    return this.selfParameterClass(bindings[0]);
  }

  private selfParameterClass(binding: Binding): ClassInfo | null {
    const fn = binding.scope.node;
    if (fn.type !== "function_definition") return null;
    const cls = enclosingClass(fn);
    if (!cls) return null;
    const info = this.info(cls);
    const method = info.methods.find((m) => m.node.equals(fn));
    return method?.selfName === binding.name ? info : null;
  }

  /**
   * The class (defined in this file) of every object the variable can hold: the instance
   * parameter of a method, a parameter annotated with a local class, `x = Cls(...)`, or another
   * such variable. Null when any binding is something else.
   */
  instanceClass(name: string, scope: Scope, depth = 0): ClassInfo | null {
    if (depth > 4) return null;
    const bindings = this.model.lookup(name, scope);
    if (bindings.length === 0) return null;
    let found: ClassInfo | null = null;
    for (const binding of bindings) {
      let cls: ClassInfo | null = null;
      if (binding.kind === "parameter") {
        cls = this.selfParameterClass(binding) ?? this.annotatedClass(binding.statement.childForFieldName("type"), binding.scope);
      } else if (binding.kind === "assignment") {
        const value = assignedValue(binding);
        if (!value) return null;
        if (value.type === "call") cls = this.reference(value.childForFieldName("function"), binding.scope);
        else if (value.type === "identifier") cls = this.instanceClass(value.text, binding.scope, depth + 1);
      }
      if (!cls || (found && !found.node.equals(cls.node))) return null;
      found = cls;
    }
    return found;
  }

  /** `x: Node` or `x: "Node"` naming a class of this file. */
  private annotatedClass(type: Node | null, scope: Scope): ClassInfo | null {
    const inner = type?.namedChild(0);
    if (!inner) return null;
    if (inner.type === "identifier") return this.reference(inner, scope);
    if (inner.type !== "string") return null;
    const content = inner.namedChildren.find((c) => c?.type === "string_content")?.text ?? "";
    if (!/^[A-Za-z_]\w*$/.test(content)) return null;
    const bindings = this.model.lookup(content, scope);
    return bindings.length === 1 && bindings[0].kind === "class" ? this.info(bindings[0].statement) : null;
  }

  /** Whether `weakref.ref(instance)` works, as far as the file shows. */
  supportsWeakReferences(cls: ClassInfo, depth = 0): boolean {
    if (depth > 8) return false;
    if (cls.decorators.some((d) => /\bslots\s*=\s*True\b/.test(d.text) && !/\bweakref_slot\s*=\s*True\b/.test(d.text))) return false;
    const scope = this.model.scopeOf(cls.node);
    const locals: ClassInfo[] = [];
    for (const base of cls.bases) {
      const local = this.reference(base, scope);
      if (local) {
        if (!this.supportsWeakReferences(local, depth + 1)) return false;
        locals.push(local);
        continue;
      }
      const qualified = this.model.qualifiedName(base.type === "call" ? base.childForFieldName("function") ?? base : base, scope);
      if (qualified && (NO_WEAKREF_BASES.has(qualified) || qualified === "collections.namedtuple")) return false;
      // An unknown base with `__slots__` here: nothing shows that a `__weakref__` slot exists.
      if (cls.slots) return false;
    }
    if (!cls.slots) return true;
    return /["']__weakref__["']/.test(cls.slots.text) || locals.some((b) => !b.slots);
  }

  /**
   * The calls in the methods of the class (a class_definition) that make another instance of it
   * without naming it (`remakesInstance`: `cls(...)` in a factory, `type(self)(...)` in
   * `__add__`). Reads method bodies as `isModuleSingleton` does, and is recorded the same way.
   */
  remakingCalls(classNode: Node): Node[] {
    this.onSingletonAsked();
    const out: Node[] = [];
    for (const call of classNode.childForFieldName("body")?.descendantsOfType("call") ?? []) {
      if (!call || !remakesInstance(call)) continue;
      let around: Node | null = call.parent;
      while (around && around.type !== "class_definition") around = around.parent;
      if (around?.equals(classNode)) out.push(call);
    }
    return out;
  }
}
