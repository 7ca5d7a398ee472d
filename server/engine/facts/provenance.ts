/**
 * Provenance: whether the values an expression can take are bounded by the code, come from
 * run-time data, or cannot be told. Rules ask it for the few expressions a finding rests on (a
 * cache's key, an appended value, a loop's iterable), through `ctx.facts.provenance.of(expr)`,
 * and quote the reason in their message ("keys come from `url`, a parameter of
 * `fetch()`"). Unknown is no evidence either way.
 *
 * Bounded by the code (origin "code"):
 *   - literals, f-strings and collections of bounded parts; `range()` of bounded arguments;
 *   - names bound (at module level, in a class body or locally) only to bounded values and never
 *     changed with anything else: constants, constant tables, and their entries, keys, values
 *     and loop variables over them (`for k, v in TABLE.items()`, `TABLE[k]` for any `k`);
 *   - enum members (`Color.RED`, `for c in Color`), class constants (`C.X`, `self.X` when
 *     nothing in the file writes an attribute `X`);
 *   - parameters with a few-valued annotation (`bool`, `Literal[...]`, an enum of the file), or
 *     annotated as a class (`type[Exception]`: classes are defined by the code), and `cls`;
 *   - classes, functions, modules, builtins and imported names (their identity), and the names
 *     written in the source (`__name__`, `__qualname__`, `type(x)`...);
 *   - install paths and facts of the interpreter (INSTALL_PATHS, PROCESS_FACTS) and pure
 *     functions of bounded values (`os.path.join`, `Path(__file__).parent`, `str(x)`, `"-".join`);
 *   - parameters of a private function (a `_name`, or a function nested in another) that every
 *     call in the file passes bounded values (defaults included);
 *   - a new object made once, at import time.
 * Run-time data (origin "runtime"):
 *   - parameters of a public function or method (not `self`/`cls`: their identity is a matter
 *     of lifetime, not of keys), and what callers pass to a private function's parameter;
 *   - what is read from files, sockets, processes, databases, the environment, the command line
 *     or a web request, and clocks and random values (RUNTIME_CALLS, RUNTIME_VALUES,
 *     READING_METHODS, REQUEST_ATTRIBUTES, NETWORK_MODULES);
 *   - `id(x)`, and a new object made in a loop or a function (its identity);
 *   - anything derived from run-time data by an operation, a method call, an attribute or a loop:
 *     the reason then names the underlying source.
 * Anything else is unknown: results of user functions, attributes of objects memhint does not
 * follow, names rebound through `global` in functions, star imports.
 *
 * Incremental linting: uses of module-level names are found through `referencesOf` and
 * `mutationsOf` only. Two answers read other functions' bodies, and asking records the fact kind
 * PROVENANCE_FACT, whose summary (`provenanceReads`) covers them: what a function passes to the
 * private functions of the module it calls (and whether from a loop), and which attribute names it writes (a class
 * constant must not be written through an instance).
 */
import type { Node } from "web-tree-sitter";
import { type Binding, MUTATING_METHODS, type Mutation, parameterName, type Scope, type SemanticModel, unparenthesize } from "../model.js";
import type { SummaryContext } from "../types.js";
import { isFewValuedParameter } from "./annotations.js";
import { ClassFacts, enclosingClass } from "./classes.js";

export type Origin = "code" | "runtime" | "unknown";

/**
 * What a run-time source says about how much data it holds:
 *   - "bulk": as much as the world makes it: files, directory listings, the network, databases,
 *     subprocesses, deserialized data, standard input, command-line arguments (a shell expands a
 *     glob to thousands), a web request, the modules imported;
 *   - "parameter": whatever the callers of a public function pass, which one file cannot see;
 *   - "few": single values or a handful: the environment, user input, a clock, random values, an
 *     object's identity, a new object.
 * Any of them is evidence of growth (keys that vary at run time accumulate); only "bulk" is
 * evidence of size by itself.
 */
export type Volume = "bulk" | "parameter" | "few";

export interface Provenance {
  origin: Origin;
  /**
   * A short noun phrase for messages, naming the thing in backticks: "`url`, a parameter of
   * `fetch()`", "`MODES`, a module-level constant". For run-time data, it names the
   * underlying source, however the value was derived from it.
   */
  reason: string;
  /** The node that decided: the source of run-time data, the constant, what could not be followed. */
  at: Node | null;
  /** For run-time data: how much data its source may hold. */
  volume?: Volume;
  /** For `passedTo`: the call in this file that passes the run-time data. */
  via?: Node;
}

/** The fact kind recorded when provenance is asked (see the module comment). */
export const PROVENANCE_FACT = "provenance";

// ---- the tables of sources ---------------------------------------------------------------------
// Qualified names, as the model resolves them through any import style or alias.

function table(groups: Record<string, readonly string[]>): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [what, names] of Object.entries(groups)) for (const name of names) map.set(name, what);
  return map;
}

/** Calls whose result is run-time data, with what it is. */
const RUNTIME_CALLS = table({
  "a file read at run time": [
    "builtins.open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open", "os.fdopen", "tarfile.open",
    "zipfile.ZipFile", "fileinput.input", "os.read",
  ],
  "user input": ["builtins.input", "getpass.getpass"],
  "the environment": ["os.getenv", "os.getenvb", "os.environ.get"],
  "a directory listing": ["os.listdir", "os.scandir", "os.walk", "os.fwalk", "glob.glob", "glob.iglob"],
  "deserialized data": [
    "json.load", "json.loads", "pickle.load", "pickle.loads", "marshal.load", "marshal.loads", "tomllib.load",
    "tomllib.loads", "plistlib.load", "plistlib.loads", "yaml.load", "yaml.safe_load", "yaml.full_load",
    "yaml.load_all", "yaml.safe_load_all", "csv.reader", "csv.DictReader", "shelve.open",
  ],
  "a subprocess's output": [
    "subprocess.check_output", "subprocess.run", "subprocess.Popen", "subprocess.getoutput",
    "subprocess.getstatusoutput", "os.popen",
  ],
  "a database": ["sqlite3.connect"],
  "a clock reading": [
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns",
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
  ],
  "a random value": [
    "uuid.uuid1", "uuid.uuid4", "os.urandom", "random.random", "random.randint", "random.randrange", "random.choice",
    "random.choices", "random.sample", "random.getrandbits", "random.uniform", "random.gauss", "secrets.token_hex",
    "secrets.token_bytes", "secrets.token_urlsafe", "secrets.choice", "secrets.randbelow",
  ],
});

/** Modules whose calls talk to the network (any function or class of theirs). */
const NETWORK_MODULES: readonly string[] = ["requests", "httpx", "aiohttp", "urllib.request", "urllib3", "http.client", "socket"];

/** Values (not calls) that hold run-time data. */
const RUNTIME_VALUES = table({
  "command-line arguments": ["sys.argv", "sys.orig_argv"],
  "standard input": ["sys.stdin"],
  "the environment": ["os.environ", "os.environb"],
  // What the program has imported so far: plugins and modules loaded by name at run time too.
  "the modules imported at run time": ["sys.modules"],
});

/** Methods that read run-time data, whatever they are called on. */
const READING_METHODS = table({
  "data read at run time": [
    "read", "readline", "readlines", "read1", "readinto", "readall", "recv", "recvfrom", "recv_into", "recvmsg",
    "read_text", "read_bytes",
  ],
  "a directory listing": ["iterdir", "glob", "rglob"],
  "rows from a database": ["fetchall", "fetchone", "fetchmany"],
  "a subprocess's output": ["communicate"],
});

/** Attributes of a web request (a name `request` or `req`) that hold what the client sent. */
const REQUEST_ATTRIBUTES: ReadonlySet<string> = new Set([
  "args", "form", "json", "values", "data", "files", "headers", "cookies", "GET", "POST", "COOKIES", "FILES", "META",
  "body", "query_params", "path_params", "query", "params", "match_info", "content", "stream", "query_string",
]);
const REQUEST_NAMES: ReadonlySet<string> = new Set(["request", "req"]);
const REQUEST_OBJECTS: ReadonlySet<string> = new Set(["flask.request", "quart.request", "bottle.request"]);

/** Install paths: values, and calls that return them. */
const INSTALL_PATHS: ReadonlySet<string> = new Set([
  "sys.prefix", "sys.exec_prefix", "sys.base_prefix", "sys.base_exec_prefix", "sys.executable", "sys.platlibdir",
  "sysconfig.get_paths", "sysconfig.get_path", "sysconfig.get_config_var", "sysconfig.get_config_vars",
  "sysconfig.get_python_lib", "site.getsitepackages", "site.getusersitepackages", "importlib.resources.files",
  "importlib.resources.path", "importlib.resources.as_file", "importlib_resources.files", "pkg_resources.resource_filename",
  "distutils.sysconfig.get_python_lib",
]);

/** Facts of the interpreter and the platform, and constants of standard modules (values or calls). */
const PROCESS_FACTS: ReadonlySet<string> = new Set([
  "sys.platform", "sys.version", "sys.version_info", "sys.hexversion", "sys.implementation", "sys.byteorder",
  "sys.maxsize", "sys.maxunicode", "sys.float_info", "sys.int_info", "sys.flags", "sys.api_version",
  "sys.builtin_module_names", "sys.stdlib_module_names", "sys.getdefaultencoding", "sys.getfilesystemencoding",
  "sys.getrecursionlimit", "os.name", "os.sep", "os.altsep", "os.linesep", "os.pathsep", "os.curdir", "os.pardir",
  "os.extsep", "os.devnull", "os.path.sep", "os.path.altsep", "os.path.curdir", "os.path.pardir", "os.path.extsep",
  "os.cpu_count", "platform.system", "platform.machine", "platform.python_version", "platform.python_version_tuple",
  "platform.python_implementation", "platform.release", "platform.platform", "platform.architecture",
  "locale.getpreferredencoding", "string.ascii_letters", "string.ascii_lowercase", "string.ascii_uppercase",
  "string.digits", "string.hexdigits", "string.octdigits", "string.punctuation", "string.printable",
  "string.whitespace", "math.pi", "math.e", "math.tau", "math.inf", "math.nan",
]);

/** Functions whose result is bounded when their arguments are (pure functions of them). */
const PURE_CALLS: ReadonlySet<string> = new Set([
  "os.path.join", "os.path.dirname", "os.path.basename", "os.path.abspath", "os.path.realpath", "os.path.normpath",
  "os.path.normcase", "os.path.split", "os.path.splitext", "os.path.splitdrive", "os.path.relpath",
  "os.path.commonpath", "os.path.commonprefix", "os.path.expanduser", "os.fspath", "os.fsencode", "os.fsdecode",
  "pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "pathlib.PosixPath",
  "pathlib.WindowsPath", "re.compile", "re.escape", "re.sub", "re.subn", "re.split", "re.findall", "re.match",
  "re.search", "re.fullmatch", "json.dumps", "struct.pack", "struct.unpack", "struct.calcsize", "copy.copy",
  "copy.deepcopy", "textwrap.dedent", "textwrap.indent", "textwrap.wrap", "textwrap.fill", "textwrap.shorten",
  "html.escape", "html.unescape", "urllib.parse.quote", "urllib.parse.quote_plus", "urllib.parse.unquote",
  "urllib.parse.urlencode", "urllib.parse.urlparse", "urllib.parse.urlsplit", "urllib.parse.urljoin",
  "binascii.hexlify", "binascii.unhexlify", "collections.Counter", "collections.OrderedDict", "collections.deque",
  "collections.defaultdict", "decimal.Decimal", "fractions.Fraction", "datetime.date", "datetime.datetime",
  "datetime.time", "datetime.timedelta", "enum.auto", "functools.partial", "operator.itemgetter",
  "operator.attrgetter", "operator.methodcaller",
]);
/** Modules all of whose functions are pure (itertools.count is not: it never ends). */
const PURE_MODULES: readonly string[] = ["hashlib", "math", "base64", "itertools", "operator", "unicodedata", "zlib"];
const IMPURE_IN_PURE_MODULES: ReadonlySet<string> = new Set(["itertools.count", "itertools.cycle"]);

/** Functions that return a truth value, whatever their arguments. */
const BOOL_CALLS: ReadonlySet<string> = new Set([
  "os.path.exists", "os.path.lexists", "os.path.isfile", "os.path.isdir", "os.path.islink", "os.path.isabs",
  "os.path.ismount", "os.path.samefile", "os.access", "keyword.iskeyword",
  "builtins.bool", "builtins.callable", "builtins.hasattr", "builtins.isinstance", "builtins.issubclass",
  "builtins.all", "builtins.any",
]);

/** Builtins whose result is bounded when their arguments are. */
const PURE_BUILTINS: ReadonlySet<string> = new Set([
  "abs", "ascii", "bin", "bytearray", "bytes", "chr", "complex", "dict", "divmod", "enumerate", "float", "format",
  "frozenset", "hash", "hex", "int", "iter", "len", "list", "max", "min", "next", "oct", "ord", "pow", "range",
  "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "zip", "memoryview",
]);

/** Methods of str, bytes, containers, paths, dates and matches whose result is bounded when the receiver and arguments are. */
const PURE_METHODS: ReadonlySet<string> = new Set([
  "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "replace", "format",
  "format_map", "encode", "decode", "title", "capitalize", "casefold", "swapcase", "center", "ljust", "rjust", "zfill",
  "partition", "rpartition", "removeprefix", "removesuffix", "expandtabs", "translate", "hex", "keys", "values",
  "items", "copy", "union", "intersection", "difference", "symmetric_difference", "count", "index", "find", "rfind",
  "rindex", "as_posix", "resolve", "absolute", "joinpath", "with_name", "with_suffix", "with_stem", "relative_to",
  "expanduser", "as_uri", "group", "groups", "groupdict", "to_bytes", "bit_length", "isoformat", "strftime",
  "hexdigest", "digest",
  // Methods of a compiled pattern.
  "match", "fullmatch", "search", "findall", "finditer", "sub", "subn",
]);
/** Methods that return a truth value. */
const BOOL_METHODS: ReadonlySet<string> = new Set([
  "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "istitle",
  "isidentifier", "isnumeric", "isdecimal", "isascii", "isprintable", "issubset", "issuperset", "isdisjoint", "exists",
  "is_file", "is_dir", "is_absolute", "is_symlink",
]);
/** Builtin types whose methods can be called through the type (`str.lower(x)`). */
const BUILTIN_TYPES: ReadonlySet<string> = new Set(["str", "bytes", "dict", "list", "set", "tuple", "int", "float", "frozenset"]);

/** Attributes that hold a name written in the source. */
const NAME_ATTRIBUTES: ReadonlySet<string> = new Set(["__name__", "__qualname__", "__module__", "__doc__"]);
/** Module globals Python defines. */
const MODULE_DUNDERS: ReadonlySet<string> = new Set([
  "__name__", "__doc__", "__package__", "__spec__", "__loader__", "__builtins__", "__path__", "__file__", "__cached__",
]);

/** Calls whose result iterates the items of their iterable arguments (all, or the one at `only`). */
const ITEM_PASSING = new Map<string, number | "all" | "rest">([
  ["builtins.enumerate", 0], ["builtins.sorted", 0], ["builtins.reversed", 0], ["builtins.list", 0], ["builtins.tuple", 0],
  ["builtins.set", 0], ["builtins.frozenset", 0], ["builtins.iter", 0], ["builtins.filter", 1], ["builtins.zip", "all"],
  ["itertools.chain", "all"], ["itertools.product", "all"], ["itertools.islice", 0], ["itertools.permutations", 0],
  ["itertools.combinations", 0], ["itertools.combinations_with_replacement", 0], ["itertools.groupby", 0],
  ["itertools.zip_longest", "all"], ["itertools.pairwise", 0], ["itertools.accumulate", 0], ["itertools.dropwhile", 1],
  ["itertools.takewhile", 1], ["itertools.filterfalse", 1], ["itertools.compress", 0], ["builtins.map", "rest"],
]);

/** Methods that add their arguments to the object (`items`: they add the items of an iterable). */
const ADDING_METHODS = new Map<string, "args" | "items" | "last">([
  ["append", "args"], ["add", "args"], ["appendleft", "args"], ["setdefault", "args"], ["__setitem__", "args"],
  ["insert", "last"], ["extend", "items"], ["extendleft", "items"], ["update", "items"], ["__iadd__", "items"],
  ["__ior__", "items"],
]);

/**
 * Guards against pathological code (deep chains of names, expressions nested hundreds deep): past
 * them the answer is unknown. Answers never depend on the order questions are asked in, except
 * past these limits, which is why they are far beyond what real code reaches.
 */
const MAX_HOPS = 64;
const MAX_NESTING = 400;

// ---- helpers -------------------------------------------------------------------------------------

/** Source text in backticks, on one line and short enough for a message. */
export function quoted(text: string, max = 28): string {
  let t = text.replace(/\s+/g, " ").trim().replace(/`/g, "'");
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return `\`${t}\``;
}

/** A name that is private by convention (`_x`, not a dunder like `__init__`). */
export function isPrivateName(name: string): boolean {
  return name.startsWith("_") && !(name.startsWith("__") && name.endsWith("__") && name.length > 4);
}

/** How a bounded value may be used further: what its attributes, entries and items are. */
type Shape =
  | "literal" // written as a literal: all of it is bounded
  | "data" // a bounded value: its attributes, entries and items are bounded too
  | "collection" // a bounded collection of bounded objects (classes, functions): its entries are bounded
  | "definition" // a class, function, module or builtin: its identity (and, for classes, its members may be)
  | "identity"; // an object made once: only its identity is bounded

interface Verdict extends Provenance {
  shape: Shape;
  /** A class of the file, when the value is that class. */
  classNode?: Node;
}

function code(at: Node, reason: string, shape: Shape = "data", classNode?: Node): Verdict {
  return { origin: "code", reason, at, shape, classNode };
}

function runtime(at: Node, reason: string, volume: Volume = "few"): Verdict {
  return { origin: "runtime", reason, at, shape: "identity", volume };
}

/** The sources (as the tables name them) that may hold any amount of data. */
const BULK_SOURCES: ReadonlySet<string> = new Set([
  "a file read at run time", "a directory listing", "deserialized data", "a subprocess's output", "a database",
  "data from the network", "standard input", "the modules imported at run time", "data read at run time",
  "rows from a database", "command-line arguments",
]);

function volumeOf(what: string): Volume {
  return BULK_SOURCES.has(what) ? "bulk" : "few";
}

function unknown(at: Node, reason: string): Verdict {
  return { origin: "unknown", reason, at, shape: "identity" };
}

/** A literal no operation can change in place: numbers, strings, bytes, `None`, tuples of those. */
function isImmutableLiteral(value: Node): boolean {
  const node = unparenthesize(value);
  switch (node.type) {
    case "integer":
    case "float":
    case "true":
    case "false":
    case "none":
    case "string":
    case "concatenated_string":
      return true;
    case "tuple":
      return node.namedChildren.every((c) => c === null || c.type === "comment" || isImmutableLiteral(c));
    default:
      return false;
  }
}

/** The arguments of a call, comments left out (a lone generator argument is one argument). */
function argumentsOf(call: Node): Node[] {
  const args = call.childForFieldName("arguments");
  if (!args) return [];
  if (args.type !== "argument_list") return [args];
  return args.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
}

/** The positional arguments of a call (`*x` included), without keywords and `**x`. */
function positionalArguments(call: Node): Node[] {
  return argumentsOf(call).filter((a) => a.type !== "keyword_argument" && a.type !== "dictionary_splat");
}

/** The attribute name of a call's callee `x.name(...)`, and the object. */
function methodOf(call: Node): { object: Node; name: string } | null {
  const fn = call.childForFieldName("function");
  if (fn?.type !== "attribute") return null;
  const object = fn.childForFieldName("object");
  const name = fn.childForFieldName("attribute")?.text;
  return object && name ? { object, name } : null;
}

export interface ParameterSlot {
  name: string;
  node: Node;
  kind: "positional" | "keyword" | "args" | "kwargs";
  /** Position among the positional parameters (-1 for the others). */
  index: number;
  positionalOnly: boolean;
  default: Node | null;
}

/** The parameters of a function as calls fill them. */
export function parameterSlots(fn: Node): ParameterSlot[] {
  const slots: ParameterSlot[] = [];
  let keywordOnly = false;
  let index = 0;
  for (const p of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (!p || p.type === "comment") continue;
    if (p.type === "positional_separator") {
      for (const s of slots) s.positionalOnly = true;
      continue;
    }
    if (p.type === "keyword_separator") {
      keywordOnly = true;
      continue;
    }
    const first = p.type === "typed_parameter" ? p.namedChild(0) : p;
    const id = parameterName(p);
    if (!id) continue;
    if (first?.type === "list_splat_pattern" || first?.type === "dictionary_splat_pattern") {
      const kind = first.type === "list_splat_pattern" ? "args" : "kwargs";
      if (kind === "args") keywordOnly = true;
      slots.push({ name: id.text, node: p, kind, index: -1, positionalOnly: false, default: null });
      continue;
    }
    slots.push({
      name: id.text, node: p, kind: keywordOnly ? "keyword" : "positional", index: keywordOnly ? -1 : index++,
      positionalOnly: false, default: p.childForFieldName("value"),
    });
  }
  return slots;
}

/**
 * Where attributes are written or changed in place in `text` (a loose, textual match: strings
 * and comments count too): `x.NAME = ...`, `x.NAME += ...`, `del x.NAME`, `x.NAME[k] = ...`,
 * `x.NAME.append(...)` and the other mutating methods, `setattr(x, "NAME", ...)`.
 */
function attributeWrites(text: string): { names: Set<string>; anySetattr: boolean } {
  const names = new Set<string>();
  const name = "([\\p{L}_][\\p{L}\\p{N}_]*)";
  const assign = "(?:=(?!=)|(?:\\*\\*|\\/\\/|>>|<<|[-+*/%&|^@])=)";
  const patterns = [
    new RegExp(`\\.\\s*${name}\\s*(?:${assign}|:[^\\n=]*=)`, "gu"),
    new RegExp(`\\bdel\\s+[^\\n]*?\\.\\s*${name}`, "gu"),
    new RegExp(`\\.\\s*${name}\\s*\\[[^\\n]*?\\]\\s*${assign}`, "gu"),
    new RegExp(`\\.\\s*${name}\\s*\\.\\s*(?:${[...MUTATING_METHODS].join("|")})\\s*\\(`, "gu"),
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) names.add(m[1]);
  let anySetattr = false;
  for (const m of text.matchAll(/\bsetattr\s*\(\s*[^,()]*,\s*(?:(['"])([\p{L}_][\p{L}\p{N}_]*)\1\s*,)?/gu)) {
    if (m[2]) names.add(m[2]);
    else anySetattr = true;
  }
  return { names, anySetattr };
}

// ---- the facts -----------------------------------------------------------------------------------

/** Where values come from, for one lint (answers cached by node). */
export class ProvenanceFacts {
  /** Answers that hold whoever asks: cached for the lint. */
  private readonly cache = new Map<string, Verdict>();
  /**
   * Answers that depended on a question still being answered (a cycle) or on a limit: they may
   * differ when asked first, so they are kept only until the question asked of `of` is answered
   * (each node is still computed once per question, and answers never depend on the order in
   * which questions are asked).
   */
  private readonly provisional = new Map<string, Verdict>();
  private readonly active = new Set<string>();
  /** Bumped when an answer depends on something provisional. */
  private unsettled = 0;
  private nesting = 0;
  private writes: { names: Set<string>; anySetattr: boolean } | null = null;

  constructor(
    private readonly model: SemanticModel,
    private readonly classes: ClassFacts,
    private readonly onAsked: () => void = () => undefined,
  ) {}

  /**
   * Where the values of `expr` come from. `expr` may be any expression; an identifier that binds
   * (a parameter's name, an assignment's or `for` loop's target) asks about what that binding
   * gives it; a parameter node (`x=1`, `x: int`) asks about the parameter.
   */
  of(expr: Node): Provenance {
    return this.ask(() => this.evaluate(askedNode(expr), 0));
  }

  /** Where the values that iterating `iterable` yields come from (`for x in iterable`). */
  itemsOf(iterable: Node): Provenance {
    return this.ask(() => this.items(iterable, 0));
  }

  private ask(answer: () => Verdict): Provenance {
    this.onAsked();
    const outermost = this.active.size === 0;
    try {
      return publicOf(answer());
    } finally {
      if (outermost) this.provisional.clear();
    }
  }

  // ---- memo ----

  private memo(key: string, at: Node, compute: () => Verdict): Verdict {
    const known = this.cache.get(key);
    if (known) return known;
    const provisional = this.provisional.get(key);
    if (provisional) {
      this.unsettled++;
      return provisional;
    }
    if (this.active.has(key)) {
      this.unsettled++;
      return unknown(at, `${quoted(at.text)}, defined in terms of itself`);
    }
    if (this.nesting > MAX_NESTING) {
      this.unsettled++;
      return unknown(at, `${quoted(at.text)}, too deeply nested`);
    }
    this.active.add(key);
    this.nesting++;
    const before = this.unsettled;
    let verdict: Verdict;
    try {
      verdict = compute();
    } finally {
      this.active.delete(key);
      this.nesting--;
    }
    (this.unsettled === before ? this.cache : this.provisional).set(key, verdict);
    return verdict;
  }

  private evaluate(expr: Node, hops: number): Verdict {
    const node = unparenthesize(expr);
    return this.memo(`e${node.startIndex}:${node.endIndex}:${node.type}`, node, () => this.compute(node, hops));
  }

  private items(expr: Node, hops: number): Verdict {
    const node = unparenthesize(expr);
    return this.memo(`i${node.startIndex}:${node.endIndex}:${node.type}`, node, () => this.computeItems(node, hops));
  }

  private binding(b: Binding, hops: number): Verdict | null {
    if (b.kind === "annotation" || b.kind === "delete") return null;
    if (hops > MAX_HOPS) {
      this.unsettled++;
      return unknown(b.node, `${quoted(b.name)}, too far to follow`);
    }
    return this.memo(`b${b.node.startIndex}`, b.node, () => this.computeBinding(b, hops + 1));
  }

  /** Parts combined: run-time data wins, then unknown; bounded when all are. */
  private combine(node: Node, parts: readonly Verdict[], reason?: () => string): Verdict {
    for (const p of parts) if (p.origin === "runtime") return p;
    for (const p of parts) if (p.origin === "unknown") return p;
    if (parts.every((p) => p.shape === "literal")) return code(node, `${quoted(node.text)}, a literal`, "literal");
    const shape: Shape = parts.every((p) => p.shape === "literal" || p.shape === "data") ? "data" : "collection";
    const informative = parts.filter((p) => p.shape !== "literal");
    const text = reason?.() ?? (informative.length === 1 ? informative[0].reason : `${quoted(node.text)}, built from constants`);
    return code(node, text, shape);
  }

  // ---- expressions ----

  private compute(node: Node, hops: number): Verdict {
    switch (node.type) {
      case "integer":
      case "float":
      case "true":
      case "false":
      case "none":
      case "ellipsis":
        return code(node, `${quoted(node.text)}, a literal`, "literal");
      case "string": {
        const parts: Verdict[] = [];
        for (const child of node.namedChildren) {
          if (child?.type !== "interpolation") continue;
          const expression = child.childForFieldName("expression");
          if (expression) parts.push(this.evaluate(expression, hops));
          for (const inner of child.childForFieldName("format_specifier")?.namedChildren ?? []) {
            for (const e of inner?.type === "format_expression" ? inner.namedChildren : []) if (e) parts.push(this.evaluate(e, hops));
          }
        }
        return this.combine(node, parts);
      }
      case "concatenated_string":
      case "tuple":
      case "list":
      case "set":
      case "expression_list":
      case "dictionary":
      case "pair":
      case "slice":
      case "binary_operator":
      case "boolean_operator":
      case "conditional_expression": {
        let children = node.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
        // `a if condition else b` takes the value of a or b.
        if (node.type === "conditional_expression") children = children.filter((_, i) => i !== 1);
        return this.combine(node, children.map((c) => this.evaluate(c, hops)));
      }
      case "unary_operator": {
        const argument = node.childForFieldName("argument");
        return argument ? this.combine(node, [this.evaluate(argument, hops)]) : unknown(node, `${quoted(node.text)}`);
      }
      case "await": {
        // `await reader.read()`: what the awaited call gives is read like the call (a coroutine of
        // a reading method yields the data read).
        const inner = node.namedChildren.find((c) => c !== null && c.type !== "comment");
        return inner ? this.combine(node, [this.evaluate(inner, hops)]) : unknown(node, quoted(node.text));
      }
      case "comparison_operator":
      case "not_operator":
        return code(node, `${quoted(node.text)}, a truth value`);
      case "list_splat":
      case "dictionary_splat": {
        const inner = node.namedChildren.find((c) => c !== null && c.type !== "comment");
        return inner ? this.items(inner, hops) : unknown(node, quoted(node.text));
      }
      case "keyword_argument":
      case "named_expression": {
        const value = node.childForFieldName("value");
        return value ? this.evaluate(value, hops) : unknown(node, quoted(node.text));
      }
      case "list_comprehension":
      case "set_comprehension":
      case "generator_expression":
      case "dictionary_comprehension": {
        const parts: Verdict[] = [];
        const body = node.childForFieldName("body");
        if (body) parts.push(this.evaluate(body, hops));
        for (const clause of node.namedChildren) {
          const right = clause?.type === "for_in_clause" ? clause.childForFieldName("right") : null;
          if (right) parts.push(this.items(right, hops));
        }
        return this.combine(node, parts);
      }
      case "identifier":
        return this.identifier(node, hops);
      case "attribute":
        return this.attribute(node, hops);
      case "subscript":
        return this.subscript(node, hops);
      case "call":
        return this.call(node, hops);
      default:
        return unknown(node, `${quoted(node.text)}, an expression memhint does not follow`);
    }
  }

  // ---- names ----

  private identifier(node: Node, hops: number): Verdict {
    const name = node.text;
    const parent = node.parent;
    if ((parent?.type === "function_definition" || parent?.type === "class_definition")
      && parent.childForFieldName("name")?.startIndex === node.startIndex) {
      const what = parent.type === "class_definition" ? "a class" : "a function";
      return code(node, `${quoted(name)}, ${what}`, "definition", parent.type === "class_definition" ? parent : undefined);
    }
    const scope = this.model.scopeOf(node);
    const bindings = this.model.lookup(name, scope);
    const own = bindings.find((b) => b.node.startIndex === node.startIndex);
    if (own) return this.binding(own, hops) ?? unknown(node, `${quoted(name)}, declared without a value`);
    const owner = this.model.resolveScope(name, scope);
    if (!owner) return this.unbound(node, scope);
    return this.variable(node, name, owner, bindings, hops, quoted(name));
  }

  /** A name bound nowhere in the file: a module global Python defines, a builtin, or unknown. */
  private unbound(node: Node, scope: Scope): Verdict {
    const name = node.text;
    if (name === "__file__") return code(node, "`__file__`, an install path");
    if (MODULE_DUNDERS.has(name)) return code(node, `${quoted(name)}, set by Python for the module`);
    if (this.model.qualifiedName(node, scope)?.startsWith("builtins.")) return code(node, `${quoted(name)}, a builtin`, "definition");
    if (this.model.hasStarImport) return unknown(node, `${quoted(name)}, perhaps from a star import`);
    return unknown(node, `${quoted(name)}, not defined in this file`);
  }

  /** A variable owned by `owner`: every binding of it and what changes it in place. */
  private variable(node: Node, name: string, owner: Scope, bindings: readonly Binding[], hops: number, label: string): Verdict {
    if (bindings.length === 0) return unknown(node, `${label}, never assigned`);
    if (bindings.every((b) => b.kind === "import")) return this.imported(node, label, bindings);
    if (bindings.every((b) => b.kind === "function")) return code(node, `${label}, a function`, "definition");
    if (bindings.every((b) => b.kind === "class")) {
      const classNode = bindings.length === 1 && bindings[0].statement.type === "class_definition" ? bindings[0].statement : undefined;
      return code(node, `${label}, a class`, "definition", classNode);
    }
    if (bindings.every((b) => b.kind === "function" || b.kind === "class" || b.kind === "import")) {
      // `try: from gettext import gettext as _` / `except ImportError: def _(message): ...`
      const kinds = [...new Set(bindings.map((b) => (b.kind === "import" ? "an import" : `a ${b.kind}`)))];
      return code(node, `${label}, ${kinds.join(" or ")}`, "identity");
    }
    if (owner === this.model.module) {
      for (const b of bindings) {
        if (b.kind === "function" || b.kind === "class") continue;
        const fn = this.functionAround(b.node);
        if (fn) return unknown(b.node, `${label}, rebound in ${this.functionLabel(fn)}`);
      }
    }
    const parts: Verdict[] = [];
    for (const b of bindings) {
      const v = this.binding(b, hops);
      if (v) parts.push(v);
    }
    if (parts.length === 0) return unknown(node, `${label}, declared without a value`);
    for (const p of parts) if (p.origin === "runtime") return p;
    for (const p of parts) if (p.origin === "unknown") return p;
    // Only what is bounded can be made unbounded by changes in place; immutable values cannot be.
    const immutable = bindings.every((b) => b.kind === "function" || b.kind === "class" || b.kind === "import"
      || (b.kind === "assignment" && b.value !== null && isImmutableLiteral(b.value)));
    if (!immutable) {
      const changes = this.changes(name, owner, bindings, hops);
      for (const p of changes) if (p.origin === "runtime") return p;
      for (const p of changes) if (p.origin === "unknown") return p;
    }
    const loopVariable = bindings.length === 1 && (bindings[0].kind === "for" || bindings[0].kind === "comprehension-for");
    let reason: string;
    if (loopVariable) reason = parts[0].reason;
    else if (owner.kind === "module") reason = `${label}, a module-level constant`;
    else if (owner.kind === "class") reason = `${label}, a class constant`;
    else if (parts.length === 1 && parts[0].shape !== "literal") reason = parts[0].reason;
    else reason = `${label}, assigned only constants`;
    const shape: Shape = parts.length === 1 ? (parts[0].shape === "literal" ? "data" : parts[0].shape)
      : parts.every((p) => p.shape === "literal" || p.shape === "data") ? "data" : "collection";
    return code(node, reason, shape, parts.length === 1 ? parts[0].classNode : undefined);
  }

  /** A name bound only by imports. */
  private imported(node: Node, label: string, bindings: readonly Binding[]): Verdict {
    const qualified = this.model.qualifiedName(node);
    const known = qualified ? this.knownValue(qualified, node) : null;
    if (known) return known;
    if (qualified && REQUEST_OBJECTS.has(qualified)) return runtime(node, `${label}, the current web request`, "bulk");
    const first = bindings[0].statement;
    if (first.type === "import_statement") return code(node, `${label}, a module`, "definition");
    const from = first.childForFieldName("module_name")?.text ?? "";
    return code(node, `${label}, imported from ${quoted(from, 20)}`, "identity");
  }

  /** A qualified name found in the tables of values (not calls). */
  private knownValue(qualified: string, node: Node): Verdict | null {
    const what = RUNTIME_VALUES.get(qualified);
    if (what) return runtime(node, `${quoted(node.text)}, ${what}`, volumeOf(what));
    if (INSTALL_PATHS.has(qualified)) return code(node, `${quoted(node.text)}, an install path`);
    if (PROCESS_FACTS.has(qualified)) return code(node, `${quoted(node.text)}, fixed for the process`);
    return null;
  }

  /** What one binding gives the name. */
  private computeBinding(b: Binding, hops: number): Verdict {
    const label = quoted(b.name);
    switch (b.kind) {
      case "assignment": {
        if (b.value) return this.evaluate(b.value, hops);
        const statement = b.statement;
        const left = statement.childForFieldName("left");
        const right = statement.childForFieldName("right");
        if (!left || !right) return unknown(b.node, `${label}, declared without a value`);
        // `a, b = x, y`: the matching item; otherwise an item of the value.
        if ((right.type === "expression_list" || right.type === "tuple") && (left.type === "pattern_list" || left.type === "tuple_pattern")) {
          const targets = left.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
          const values = right.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
          const i = targets.findIndex((t) => t.startIndex === b.node.startIndex);
          if (i >= 0 && targets.length === values.length && !values.some((v) => v.type === "list_splat")) return this.evaluate(values[i], hops);
        }
        return this.items(right, hops);
      }
      case "augmented": {
        const right = b.statement.childForFieldName("right");
        if (!right) return unknown(b.node, label);
        const v = this.evaluate(right, hops);
        if (v.origin !== "code") return v;
        return this.repeated(b.statement, b.scope.bindings.get(b.name) ?? [], hops) ?? v;
      }
      case "walrus": {
        const value = b.value ?? b.statement.childForFieldName("value");
        return value ? this.evaluate(value, hops) : unknown(b.node, label);
      }
      case "for":
      case "comprehension-for": {
        const right = b.statement.childForFieldName("right");
        if (!right) return unknown(b.node, label);
        const v = this.items(right, hops);
        return v.origin === "code" ? { ...v, reason: `${label}, ${v.reason}`, at: b.node } : v;
      }
      case "with": {
        const value = b.statement.childForFieldName("value");
        const expression = value?.type === "as_pattern" ? value.namedChild(0) : null;
        return expression ? this.evaluate(expression, hops) : unknown(b.node, label);
      }
      case "parameter":
        return this.parameter(b, hops);
      case "function":
        return code(b.node, `${label}, a function`, "definition");
      case "class":
        return code(b.node, `${label}, a class`, "definition", b.statement.type === "class_definition" ? b.statement : undefined);
      case "import":
        return this.imported(b.node, label, [b]);
      case "type-alias":
        return code(b.node, `${label}, a type`, "definition");
      case "except":
        return unknown(b.node, `${label}, a caught exception`);
      default:
        return unknown(b.node, `${label}, bound by ${b.kind.replace("-", " ")}`);
    }
  }

  /**
   * Values added in place (`x.append(v)`, `x[k] = v`, `x += v`), as parts of the variable's
   * value. In the module, a change inside a function makes it unknown.
   */
  private changes(name: string, owner: Scope, bindings: readonly Binding[], hops: number): Verdict[] {
    const parts: Verdict[] = [];
    for (const m of this.model.mutationsOf(name, owner)) {
      if (owner.kind === "module" || owner.kind === "class") {
        const fn = this.functionAround(m.node);
        if (fn) return [unknown(m.node, `${quoted(name)}, changed in ${this.functionLabel(fn)}`)];
      }
      const added = this.addedValues(m, hops);
      if (added === null) return [unknown(m.node, `${quoted(name)}, changed by ${quoted(m.node.text)}`)];
      if (added.length === 0) continue;
      parts.push(...added);
      if (added.every((v) => v.origin === "code")) {
        const loop = this.repeated(m.node, bindings, hops);
        if (loop) parts.push(loop);
      }
    }
    return parts;
  }

  /** What a change adds to the object; null when it cannot be told. */
  private addedValues(m: Mutation, hops: number): Verdict[] | null {
    const statement = m.node;
    switch (m.kind) {
      case "method-call": {
        const how = ADDING_METHODS.get(m.method ?? "");
        if (!how) return [];
        const args = argumentsOf(statement);
        if (args.some((a) => a.type === "list_splat" || a.type === "dictionary_splat")) return null;
        if (how === "items") return args.map((a) => (a.type === "keyword_argument" ? this.evaluate(a, hops) : this.items(a, hops)));
        if (how === "last") return args.length > 0 ? [this.evaluate(args[args.length - 1], hops)] : [];
        return args.map((a) => this.evaluate(a, hops));
      }
      case "item-assign":
      case "aug-assign":
      case "attribute-assign": {
        if (statement.type !== "assignment" && statement.type !== "augmented_assignment") return null;
        const left = unparenthesize(statement.childForFieldName("left") ?? statement);
        const right = statement.childForFieldName("right");
        if (!right || right.type === "assignment") return null;
        const parts = [this.evaluate(right, hops)];
        if (left.type === "subscript") {
          for (const index of left.childrenForFieldName("subscript")) if (index) parts.push(this.evaluate(index, hops));
        } else if (left.type !== "identifier" && left.type !== "attribute") return null;
        return parts;
      }
      default:
        return [];
    }
  }

  /**
   * When `statement` repeats in a loop that the variable's binding is outside of (an append or
   * `+=` in a loop): the loop's iterable decides, unless it is bounded. Null when it is not in
   * such a loop or every such loop is over bounded items.
   */
  private repeated(statement: Node, bindings: readonly Binding[], hops: number): Verdict | null {
    // Where the variable is first given a value (not by `+=` itself).
    let bound = -1;
    for (const b of bindings) {
      if (b.kind === "augmented") continue;
      const start = this.model.bindingStatementStart(b);
      if (bound < 0 || start < bound) bound = start;
    }
    const innermost = this.model.loopOf(statement);
    for (let loop = innermost; loop && loop.owner === innermost?.owner; loop = loop.parent) {
      if (bound >= loop.bodyStart && bound < loop.bodyEnd) break;
      if (statement.startIndex < loop.bodyStart || statement.startIndex >= loop.bodyEnd) continue;
      if (loop.kind === "while") return unknown(statement, `${quoted(statement.text)}, repeated in a \`while\` loop`);
      if (loop.kind !== "for") continue;
      const right = loop.node.childForFieldName("right");
      const items = right ? this.items(right, hops) : null;
      if (!items || items.origin !== "code") return items ?? unknown(statement, quoted(statement.text));
    }
    return null;
  }

  // ---- parameters ----

  private parameter(b: Binding, hops: number): Verdict {
    const label = quoted(b.name);
    const fnScope = b.scope;
    const fn = fnScope.node;
    if (fn.type !== "function_definition") return this.lambdaParameter(b, fn) ?? unknown(b.node, `${label}, a parameter of a lambda`);
    const around = fnScope.parent ?? this.model.module;
    if (isFewValuedParameter(b.statement, this.model, this.classes, around)) {
      const annotation = b.statement.childForFieldName("type")?.text ?? "";
      return code(b.node, `${label}, a parameter typed ${quoted(annotation, 20)}`);
    }
    // A parameter annotated as a class (`type[Exception]`, `Type[T]`) takes classes, which the code defines.
    const annotation = b.statement.type === "typed_parameter" || b.statement.type === "typed_default_parameter" ? b.statement.childForFieldName("type") : null;
    if (annotation && /^(?:typing\.)?(?:type|Type)(?:\[.*\])?$/s.test(annotation.text.trim())) {
      return code(b.node, `${label}, a class`, "definition");
    }
    const shape = this.classes.methodShape(fn);
    if (shape?.receiver && shape.receiver.startIndex === b.node.startIndex) {
      return shape.binding === "class"
        ? code(b.node, `${label}, the class`, "definition", shape.classNode)
        : unknown(b.node, `${label}, the instance`);
    }
    const name = fn.childForFieldName("name")?.text ?? "";
    let nested = false;
    let privateClass = false;
    for (let s: Scope | null = around; s; s = s.parent) {
      if (s.kind === "function" || s.kind === "lambda") nested = true;
      if (s.kind === "class" && isPrivateName(s.node.childForFieldName("name")?.text ?? "")) privateClass = true;
    }
    if (!nested && !isPrivateName(name) && !privateClass && !(around === this.model.module && this.deletedAtImport(fn))) {
      return runtime(b.node, `${quoted(b.name, 20)}, a parameter of ${this.functionLabel(fn, 24)}`, "parameter");
    }
    if (around.kind === "class") return unknown(b.node, `${label}, a parameter of the private ${this.functionLabel(fn)}`);
    return this.passedByCallers(b, fn, around, hops);
  }

  /** A parameter of a private or nested function: what every call in the file passes it. */
  private passedByCallers(b: Binding, fn: Node, around: Scope, hops: number): Verdict {
    const label = quoted(b.name);
    const nameNode = fn.childForFieldName("name");
    const fnLabel = quoted(`${nameNode?.text ?? ""}()`);
    if (!nameNode) return unknown(b.node, label);
    const bindings = (around.bindings.get(nameNode.text) ?? []).filter((x) => x.kind !== "delete");
    if (bindings.length !== 1 || bindings[0].kind !== "function") return unknown(b.node, `${label}: ${fnLabel} is bound more than once`);
    const decorated = fn.parent?.type === "decorated_definition" ? fn.parent : null;
    for (const decorator of decorated?.namedChildren ?? []) {
      if (decorator?.type !== "decorator") continue;
      const expression = decorator.namedChildren.find((c) => c !== null && c.type !== "comment");
      const callee = expression?.type === "call" ? expression.childForFieldName("function") : expression;
      const qualified = callee ? this.model.qualifiedName(callee, around) : null;
      if (qualified !== "functools.cache" && qualified !== "functools.lru_cache") {
        return unknown(b.node, `${label}: ${fnLabel} is decorated`);
      }
    }
    const slot = parameterSlots(fn).find((s) => s.name === b.name);
    if (!slot) return unknown(b.node, label);
    const uses = this.model.referencesOf(nameNode.text, around).filter((id) => id.startIndex !== nameNode.startIndex && !inDelete(id));
    if (uses.length === 0) return unknown(b.node, `${label}: ${fnLabel} is never called here`);
    const parts: Verdict[] = [];
    for (const use of uses) {
      const call = use.parent;
      if (call?.type !== "call" || call.childForFieldName("function")?.startIndex !== use.startIndex) {
        return unknown(use, `${label}: ${fnLabel} is used other than by a call`);
      }
      // `via`: the call that passes the data, the innermost one that sits in a loop if any.
      const inLoop = (n: Node | undefined): boolean => !!n && !!this.model.loopOf(n, { includeComprehensions: true });
      parts.push(...this.passed(call, slot, hops).map((p) => (p.origin === "runtime" ? { ...p, via: inLoop(p.via) ? p.via : call } : p)));
    }
    // Run-time data passed from a loop first: the growth happens there.
    for (const p of parts) if (p.origin === "runtime" && p.via && this.model.loopOf(p.via, { includeComprehensions: true })) return p;
    for (const p of parts) if (p.origin === "runtime") return p;
    for (const p of parts) if (p.origin === "unknown") return p;
    return code(b.node, `${label}, passed only constants in this file`, parts.every((p) => p.shape === "literal" || p.shape === "data") ? "data" : "collection");
  }

  /** What one call passes for a parameter (its default when it passes nothing). */
  private passed(call: Node, slot: ParameterSlot, hops: number): Verdict[] {
    const args = argumentsOf(call);
    const positional: Node[] = [];
    let unpackedAt = -1;
    let unpackedKeywords: Node | null = null;
    const keywords = new Map<string, Node>();
    for (const a of args) {
      if (a.type === "keyword_argument") {
        const name = a.childForFieldName("name")?.text;
        const value = a.childForFieldName("value");
        if (name && value) keywords.set(name, value);
      } else if (a.type === "dictionary_splat") unpackedKeywords = a;
      else {
        if (a.type === "list_splat" && unpackedAt < 0) unpackedAt = positional.length;
        positional.push(a);
      }
    }
    const unpacked = (a: Node): Verdict => unknown(a, `${quoted(call.text)}, with unpacked arguments`);
    switch (slot.kind) {
      case "args": {
        const count = parameterSlots(this.functionOfSlot(slot)).filter((s) => s.kind === "positional").length;
        return positional.slice(count).map((a) => this.evaluate(a, hops));
      }
      case "kwargs": {
        const named = new Set(parameterSlots(this.functionOfSlot(slot)).filter((s) => !s.positionalOnly).map((s) => s.name));
        const parts = [...keywords].filter(([k]) => !named.has(k)).map(([, v]) => this.evaluate(v, hops));
        if (unpackedKeywords) parts.push(this.items(unpackedKeywords.namedChild(0) ?? unpackedKeywords, hops));
        return parts;
      }
      default: {
        const byName = slot.positionalOnly ? undefined : keywords.get(slot.name);
        if (byName) return [this.evaluate(byName, hops)];
        if (slot.index >= 0 && slot.index < positional.length && (unpackedAt < 0 || slot.index < unpackedAt)) {
          return [this.evaluate(positional[slot.index], hops)];
        }
        if (unpackedAt >= 0 && slot.index >= unpackedAt) return [unpacked(positional[unpackedAt])];
        if (unpackedKeywords) return [unpacked(unpackedKeywords)];
        if (slot.default) return [this.evaluate(slot.default, hops)];
        return [unknown(call, `${quoted(call.text)}, which misses ${quoted(slot.name)}`)];
      }
    }
  }

  private functionOfSlot(slot: ParameterSlot): Node {
    let node: Node | null = slot.node;
    while (node && node.type !== "function_definition") node = node.parent;
    return node ?? slot.node;
  }

  // ---- attributes, entries, calls ----

  private attribute(node: Node, hops: number): Verdict {
    const object = node.childForFieldName("object");
    const attr = node.childForFieldName("attribute")?.text ?? "";
    if (!object) return unknown(node, quoted(node.text));
    const scope = this.model.scopeOf(node);
    const qualified = this.model.qualifiedName(node, scope);
    if (qualified) {
      const known = this.knownValue(qualified, node);
      if (known) return known;
      if (REQUEST_OBJECTS.has(qualified)) return runtime(node, `${quoted(node.text)}, the current web request`, "bulk");
    }
    if (NAME_ATTRIBUTES.has(attr)) return code(node, `${quoted(node.text)}, a name in the source`);
    if (attr === "__class__") return code(node, `${quoted(node.text)}, a class`, "definition");
    if (REQUEST_ATTRIBUTES.has(attr) && this.isRequest(object, scope)) return runtime(node, `${quoted(node.text)}, data a client sent`, "bulk");
    const owner = this.classOf(object, scope);
    if (owner) {
      const member = this.classAttribute(node, owner.classNode, attr, owner.viaInstance, hops);
      if (member) return member;
      const assigned = owner.viaInstance ? this.instanceAttribute(node, owner.classNode, attr, hops) : null;
      if (assigned) return assigned;
    }
    const v = this.evaluate(object, hops);
    if (v.origin === "runtime") return v;
    if (v.origin === "code" && (v.shape === "literal" || v.shape === "data")) return { ...v, shape: "data", at: node, classNode: undefined };
    return unknown(node, `${quoted(node.text)}, an attribute memhint does not follow`);
  }

  /** `request`, `req`, `self.request`, or a framework's request object. */
  private isRequest(object: Node, scope: Scope): boolean {
    const node = unparenthesize(object);
    if (node.type === "identifier") return REQUEST_NAMES.has(node.text) || REQUEST_OBJECTS.has(this.model.qualifiedName(node, scope) ?? "");
    return node.type === "attribute" && REQUEST_NAMES.has(node.childForFieldName("attribute")?.text ?? "");
  }

  /** The class of the file an expression names, or whose instance (`self`) it is. */
  private classOf(object: Node, scope: Scope): { classNode: Node; viaInstance: boolean } | null {
    const node = unparenthesize(object);
    if (node.type !== "identifier") return null;
    const named = this.classes.definitionOf(node, scope);
    if (named) return { classNode: named, viaInstance: false };
    const bindings = this.model.lookup(node.text, scope);
    if (bindings.length !== 1 || bindings[0].kind !== "parameter") return null;
    const fn = bindings[0].scope.node;
    if (fn.type !== "function_definition") return null;
    const shape = this.classes.methodShape(fn);
    if (!shape?.receiver || shape.receiver.startIndex !== bindings[0].node.startIndex) return null;
    // `cls` may be a subclass as much as `self` may be a subclass's instance.
    return { classNode: shape.classNode, viaInstance: true };
  }

  /** `C.X`, `self.X`, `Color.RED`: a member set in the class body. Null when it is not one. */
  private classAttribute(node: Node, classNode: Node, attr: string, viaInstance: boolean, hops: number): Verdict | null {
    const scope = this.classScope(classNode);
    if (!scope) return null;
    const bindings = scope.bindings.get(attr) ?? [];
    if (this.classes.isEnum(classNode)) {
      if (attr === "__members__") return code(node, `${quoted(node.text)}, the members of an enum`);
      if (bindings.length > 0 && bindings.every((b) => b.kind === "assignment" || b.kind === "annotation")) {
        return code(node, `${quoted(node.text)}, an enum member`);
      }
    }
    if (bindings.length === 0 || bindings.every((b) => b.kind === "function")) return null;
    if (this.attributeWritten(attr)) return unknown(node, `${quoted(node.text)}, also set through an attribute`);
    if (viaInstance) {
      for (const other of this.classScopes()) {
        if (other !== scope && other.bindings.has(attr)) return unknown(node, `${quoted(node.text)}, also set by another class`);
      }
    }
    return this.variable(node, attr, scope, bindings, hops, quoted(node.text));
  }

  private classScope(classNode: Node): Scope | null {
    for (let s: Scope | null = this.model.scopeAt(classNode.startIndex); s; s = s.parent) {
      if (s.kind === "class" && s.start === classNode.startIndex) return s;
    }
    return null;
  }

  private classScopeList: Scope[] | null = null;

  private classScopes(): Scope[] {
    if (!this.classScopeList) {
      const out: Scope[] = [];
      const visit = (scope: Scope): void => {
        for (const child of scope.children) {
          if (child.kind === "class") out.push(child);
          visit(child);
        }
      };
      visit(this.model.module);
      this.classScopeList = out;
    }
    return this.classScopeList;
  }

  /** Whether some code of the file writes an attribute named `attr` (or any, through `setattr`). */
  private attributeWritten(attr: string): boolean {
    this.writes ??= attributeWrites(this.model.root.text);
    return this.writes.anySetattr || this.writes.names.has(attr);
  }

  private subscript(node: Node, hops: number): Verdict {
    const value = node.childForFieldName("value");
    if (!value) return unknown(node, quoted(node.text));
    const v = this.evaluate(value, hops);
    if (v.origin !== "code") return v;
    switch (v.shape) {
      case "literal":
      case "data":
        return code(node, `${quoted(node.text)}, from the constant ${quoted(value.text, 20)}`);
      case "collection":
        return code(node, `${quoted(node.text)}, from the constant ${quoted(value.text, 20)}`, "identity");
      case "definition": {
        if (v.classNode && this.classes.isEnum(v.classNode)) return code(node, `${quoted(node.text)}, an enum member`);
        return code(node, `${quoted(node.text)}, a type`, "definition");
      }
      default:
        return unknown(node, `${quoted(node.text)}, an entry memhint does not follow`);
    }
  }

  private call(node: Node, hops: number): Verdict {
    const fn = node.childForFieldName("function");
    if (!fn) return unknown(node, quoted(node.text));
    const callee = unparenthesize(fn);
    const scope = this.model.scopeOf(node);
    const shown = quoted(`${callee.text}()`);
    const args = argumentsOf(node);
    const all = (): Verdict[] => args.map((a) => this.evaluate(a, hops));
    const qualified = this.model.qualifiedName(callee, scope);
    if (qualified) {
      const source = RUNTIME_CALLS.get(qualified);
      if (source) return runtime(node, `${shown}, ${source}`, volumeOf(source));
      if (NETWORK_MODULES.some((m) => qualified.startsWith(`${m}.`))) return runtime(node, `${shown}, data from the network`, "bulk");
      if (INSTALL_PATHS.has(qualified)) return code(node, `${shown}, an install path`);
      if (PROCESS_FACTS.has(qualified)) return code(node, `${shown}, fixed for the process`);
      if (BOOL_CALLS.has(qualified)) return code(node, `${quoted(node.text)}, a truth value`);
      const pureModule = PURE_MODULES.some((m) => qualified.startsWith(`${m}.`)) && !IMPURE_IN_PURE_MODULES.has(qualified);
      if (PURE_CALLS.has(qualified) || pureModule) return this.combine(node, all(), () => this.derivedReason(node, args, hops));
      if (qualified.startsWith("builtins.")) return this.builtinCall(node, qualified.slice("builtins.".length), args, hops);
    }
    const method = methodOf(node);
    if (method) {
      const object = unparenthesize(method.object);
      if (object.type === "identifier" && BUILTIN_TYPES.has(object.text) && this.model.isBuiltin(object, object.text, scope)) {
        return PURE_METHODS.has(method.name) || method.name === "fromkeys" ? this.combine(node, all()) : unknown(node, `the result of ${shown}`);
      }
      const receiver = this.evaluate(method.object, hops);
      // (The receiver's source, when it has one, says more: `open()` rather than `.read()`.)
      if (receiver.origin === "runtime") return receiver;
      const reading = READING_METHODS.get(method.name);
      if (reading) return runtime(node, `${quoted(`${method.object.text}.${method.name}()`)}, ${reading}`, volumeOf(reading));
      if (BOOL_METHODS.has(method.name)) return code(node, `${quoted(node.text)}, a truth value`);
      if (receiver.origin === "code" && (receiver.shape === "literal" || receiver.shape === "data")) {
        if (method.name === "get") {
          // An entry of a bounded table, or the default.
          return this.combine(node, [receiver, ...(args[1] ? [this.evaluate(args[1], hops)] : [])]);
        }
        if (PURE_METHODS.has(method.name)) return this.combine(node, [receiver, ...all()]);
      }
      return unknown(node, `the result of ${shown}`);
    }
    if (callee.type === "identifier") {
      const classNode = this.classes.definitionOf(callee, scope);
      if (classNode) return this.instantiation(node, classNode, all);
    }
    return unknown(node, `the result of ${shown}`);
  }

  private builtinCall(node: Node, name: string, args: Node[], hops: number): Verdict {
    switch (name) {
      case "id":
        return runtime(node, `${quoted(node.text)}, an object's identity`);
      case "type":
        return args.length === 1 ? code(node, `${quoted(node.text)}, a class`, "definition") : unknown(node, `the result of ${quoted(node.text)}`);
      case "object":
        return this.newObject(node, "`object()`");
      case "map": {
        const fn = args[0] ? this.evaluate(args[0], hops) : null;
        const items = args.slice(1).map((a) => this.items(a, hops));
        const runtimePart = items.find((v) => v.origin === "runtime");
        if (runtimePart) return runtimePart;
        const builtin = args[0] && this.model.qualifiedName(args[0])?.startsWith("builtins.");
        return fn?.origin === "code" && builtin ? this.combine(node, items) : unknown(node, `the result of ${quoted(node.text)}`);
      }
      case "getattr": {
        const object = args[0] ? this.evaluate(args[0], hops) : null;
        return object?.origin === "runtime" ? object : unknown(node, `the result of ${quoted(node.text)}`);
      }
      default: {
        // `key=` picks among the values, `reverse=` orders them: neither adds values.
        const valued = args.filter((a) => !(a.type === "keyword_argument" && ["key", "reverse"].includes(a.childForFieldName("name")?.text ?? "")));
        if (PURE_BUILTINS.has(name)) return this.combine(node, valued.map((a) => this.evaluate(a, hops)), () => this.derivedReason(node, valued, hops));
        return unknown(node, `the result of ${quoted(`${name}()`)}`);
      }
    }
  }

  /** The reason of a bounded call of a pure function: its one informative argument's, or the call. */
  private derivedReason(node: Node, args: Node[], hops: number): string {
    const parts = args.map((a) => this.evaluate(a, hops)).filter((v) => v.shape !== "literal");
    return parts.length === 1 ? parts[0].reason : `${quoted(node.text)}, built from constants`;
  }

  /** `Cls(...)` for a class of the file. */
  private instantiation(node: Node, classNode: Node, all: () => Verdict[]): Verdict {
    const name = classNode.childForFieldName("name")?.text ?? "";
    if (this.classes.isEnum(classNode)) return code(node, `${quoted(node.text)}, an enum member`);
    const info = this.classes.info(classNode);
    // Objects equal by value (named tuples, dataclasses, `__eq__`): their arguments decide.
    const byValue = this.classes.isNamedTuple(classNode) || info.members.has("__eq__") || info.members.has("__hash__")
      || info.decorators.some((d) => /dataclass|attr\.s\b|attrs\.(define|frozen)|\bdefine\b|\bfrozen\b/.test(d.text));
    if (byValue) return this.combine(node, all(), () => `${quoted(node.text)}, built from constants`);
    return this.newObject(node, quoted(`${name}()`));
  }

  /** A new object: its identity is run-time data when it is made in a loop or a function. */
  private newObject(node: Node, shown: string): Verdict {
    if (this.model.loopOf(node, { includeComprehensions: true })) return runtime(node, `${shown}, a new object in each iteration`);
    const fn = this.functionAround(node);
    if (fn) return runtime(node, `${shown}, a new object each time ${this.functionLabel(fn, 24)} runs`);
    return code(node, `${shown}, an object made once at import`, "identity");
  }

  // ---- iteration ----

  private computeItems(node: Node, hops: number): Verdict {
    const scope = this.model.scopeOf(node);
    if (node.type === "call") {
      const method = methodOf(node);
      if (method && (method.name === "items" || method.name === "keys" || method.name === "values") && argumentsOf(node).length === 0) {
        return this.items(method.object, hops);
      }
      const callee = node.childForFieldName("function");
      const qualified = callee ? this.model.qualifiedName(callee, scope) : null;
      const which = qualified ? ITEM_PASSING.get(qualified) : undefined;
      if (which !== undefined) {
        const args = positionalArguments(node);
        const iterables = which === "all" ? args : which === "rest" ? args.slice(1) : args.slice(which, which + 1);
        if (which === "rest") {
          const fn = args[0] ? this.evaluate(args[0], hops) : null;
          const builtin = args[0] && this.model.qualifiedName(args[0], scope)?.startsWith("builtins.");
          const items = iterables.map((a) => this.items(a, hops));
          const runtimePart = items.find((v) => v.origin === "runtime");
          if (runtimePart) return runtimePart;
          if (fn?.origin !== "code" || !builtin) return unknown(node, `the items of ${quoted(node.text)}`);
          return this.itemVerdict(node, this.combine(node, items));
        }
        if (iterables.length > 0) return this.itemVerdict(node, this.combine(node, iterables.map((a) => this.items(a, hops))));
      }
    }
    if (node.type === "identifier") {
      const classNode = this.classes.definitionOf(node, scope);
      if (classNode && this.classes.isEnum(classNode)) return code(node, `a member of ${quoted(node.text)}`);
    }
    if (node.type === "list" || node.type === "tuple" || node.type === "set" || node.type === "expression_list") {
      const elements = node.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
      const parts = elements.map((e) => (e.type === "list_splat" ? this.items(e.namedChild(0) ?? e, hops) : this.evaluate(e, hops)));
      return this.itemVerdict(node, this.combine(node, parts));
    }
    return this.itemVerdict(node, this.evaluate(node, hops));
  }

  /** The items of a value whose own verdict is `v`. */
  private itemVerdict(node: Node, v: Verdict): Verdict {
    if (v.origin !== "code") return v;
    const reason = `an item of ${quoted(node.text)}`;
    switch (v.shape) {
      case "literal":
      case "data":
        return code(node, reason);
      case "collection":
        return code(node, reason, "identity");
      case "definition":
        if (v.classNode && this.classes.isEnum(v.classNode)) return code(node, `a member of ${quoted(node.text)}`);
        return unknown(node, `the items of ${quoted(node.text)}`);
      default:
        return unknown(node, `the items of ${quoted(node.text)}`);
    }
  }

  // ---- where code sits ----

  /** The function whose body holds `node` (nested ones included), or null at module or class level. */
  private functionAround(node: Node): Node | null {
    for (let s: Scope | null = this.model.scopeOf(node); s; s = s.parent) {
      if ((s.kind === "function" || s.kind === "lambda") && s.start !== node.startIndex) return s.node;
    }
    return null;
  }

  /** `fetch()`, `Client.fetch()` in backticks. */
  private functionLabel(fn: Node, max = 28): string {
    if (fn.type !== "function_definition") return "a lambda";
    const name = fn.childForFieldName("name")?.text ?? "";
    const cls = enclosingClass(fn);
    const className = cls?.childForFieldName("name")?.text;
    // A constructor's parameters are the class's: `Client()`.
    if (className && (name === "__init__" || name === "__new__")) return quoted(`${className}()`, max);
    // `Class.method()` when it fits, else the method alone rather than a name cut in the middle.
    const full = `${className ? `${className}.` : ""}${name}()`;
    return quoted(full.length > max ? `${name}()` : full, max);
  }

  // ---- for the growth rules (MH201, MH202, MH204) ----

  /**
   * What the calls of a function in this file pass to one of its parameters (`parameter`: the
   * parameter or its name), whether the function is public or private: run-time data when some
   * call passes it (the reason names its source: "`match`, a parameter of
   * `match_to_datetime()`"), bounded when every call passes bounded values, unknown when the
   * function is a method, is decorated (other than by a functools cache), is used other than by
   * calls or is not called here. For a public function "bounded" only says what this file
   * passes: other modules may pass anything, so it is no evidence that the values are few.
   */
  passedTo(parameter: Node): Provenance {
    return this.ask(() => {
      const id = askedNode(parameter);
      const b = this.model.lookup(id.text, this.model.scopeOf(id)).find((x) => x.kind === "parameter" && x.node.startIndex === id.startIndex);
      const fn = b?.scope.node;
      if (!b || fn?.type !== "function_definition") return unknown(id, quoted(id.text));
      const around = b.scope.parent ?? this.model.module;
      if (around.kind === "class") return unknown(id, `${quoted(id.text)}, a parameter of a method`);
      return this.passedByCallers(b, fn, around, 0);
    });
  }

  /**
   * A parameter of a lambda bound once to a public module-level name (`tag = lambda name: ...`):
   * other modules call it as they would a public function, so it is run-time data. Null otherwise.
   */
  private lambdaParameter(b: Binding, lambda: Node): Verdict | null {
    let value = lambda;
    while (value.parent?.type === "parenthesized_expression") value = value.parent;
    const assignment = value.parent;
    const target = assignment?.type === "assignment" && assignment.childForFieldName("right")?.equals(value) ? assignment.childForFieldName("left") : null;
    if (target?.type !== "identifier" || isPrivateName(target.text) || this.model.scopeOf(target) !== this.model.module) return null;
    if ((this.model.module.bindings.get(target.text) ?? []).length !== 1) return null;
    return runtime(b.node, `${quoted(b.name, 20)}, a parameter of ${quoted(`${target.text}()`, 24)}`, "parameter");
  }

  /**
   * A module-level function deleted by module-level code (`del name_op` at the end of opcode.py):
   * no other module can call it, so its parameters are what this file passes, as for a private one.
   */
  private deletedAtImport(fn: Node): boolean {
    const nameNode = fn.childForFieldName("name");
    if (!nameNode) return false;
    const bindings = this.model.module.bindings.get(nameNode.text) ?? [];
    const deletes = bindings.filter((x) => x.kind === "delete");
    return deletes.length > 0 && deletes.every((x) => this.model.ownerScopeOf(x.node) === this.model.module);
  }
  // ---- instance attributes (added for the size rules: `self.stream` set from a parameter) ----

  /**
   * `self.x` where a method of the class assigns `self.x = value` with `value` run-time data
   * (`def __init__(self, stream): self.stream = stream` in a public class): the attribute holds
   * that data at least some of the time, which is enough for size evidence. Null otherwise (the
   * caller then reports the attribute as unknown).
   */
  private instanceAttribute(node: Node, classNode: Node, attr: string, hops: number): Verdict | null {
    for (const right of this.instanceAssignments(classNode).get(attr) ?? []) {
      const v = this.evaluate(right, hops + 1);
      if (v.origin === "runtime") return runtime(node, v.reason);
    }
    return null;
  }

  private instanceWrites = new Map<number, Map<string, Node[]>>();

  /** The values a class's methods assign to `self.<attr>`, by attribute name (cached per class). */
  private instanceAssignments(classNode: Node): Map<string, Node[]> {
    let out = this.instanceWrites.get(classNode.startIndex);
    if (out) return out;
    out = new Map();
    this.instanceWrites.set(classNode.startIndex, out);
    for (const statement of classNode.childForFieldName("body")?.namedChildren ?? []) {
      const fn = statement?.type === "decorated_definition" ? statement.childForFieldName("definition") : statement;
      if (fn?.type !== "function_definition") continue;
      const receiver = this.classes.methodShape(fn)?.receiver?.text;
      if (!receiver) continue;
      for (const assignment of fn.descendantsOfType("assignment")) {
        const left = assignment?.childForFieldName("left");
        const right = assignment?.childForFieldName("right");
        if (!left || !right || left.type !== "attribute" || left.childForFieldName("object")?.text !== receiver) continue;
        const name = left.childForFieldName("attribute")?.text ?? "";
        out.set(name, [...(out.get(name) ?? []), right]);
      }
    }
    return out;
  }

  // ---- install paths (added for the size rules: a file the program ships is bounded by the code) ----

  /**
   * Whether `expr` is a path into the program's own installation: built from `__file__` or an
   * install path (INSTALL_PATHS: `sys.prefix`, `importlib.resources.files()`...), directly or
   * through assignments in this file (`HERE = os.path.dirname(__file__)`). Only the path's root
   * decides: `os.path.join(HERE, name)` and `Path(__file__).parent / name` are files of the
   * package even when a caller picks `name` (which of its shipped files), while
   * `os.path.join(user_dir, os.path.basename(__file__))` is not. A file there is data shipped
   * with the code, its size bounded by the code.
   */
  isInstallPath(expr: Node): boolean {
    return this.mentionsInstallPath(unparenthesize(askedNode(expr)), new Set());
  }

  private mentionsInstallPath(node: Node, seen: Set<number>): boolean {
    if (seen.size > MAX_HOPS) return false;
    const scope = this.model.scopeOf(node);
    switch (node.type) {
      case "identifier": {
        if (INSTALL_PATHS.has(this.model.qualifiedName(node, scope) ?? "")) return true;
        const bindings = this.model.lookup(node.text, scope);
        if (node.text === "__file__" && bindings.length === 0) return true;
        for (const b of bindings) {
          if (b.kind !== "assignment" || !b.value || seen.has(b.node.startIndex)) continue;
          seen.add(b.node.startIndex);
          if (this.mentionsInstallPath(unparenthesize(b.value), seen)) return true;
        }
        return false;
      }
      case "attribute": {
        if (INSTALL_PATHS.has(this.model.qualifiedName(node, scope) ?? "")) return true;
        const object = node.childForFieldName("object");
        return !!object && this.mentionsInstallPath(object, seen);
      }
      case "keyword_argument": {
        const value = node.childForFieldName("value");
        return !!value && this.mentionsInstallPath(value, seen);
      }
      case "call": {
        // An install path's function (`importlib.resources.files()`), the object of
        // `root.joinpath(...)`, or the root of `os.path.join(root, ...)`, `Path(root)`,
        // `dirname(root)`: the first positional argument.
        const fn = node.childForFieldName("function");
        if (fn && this.mentionsInstallPath(fn, seen)) return true;
        const args = node.childForFieldName("arguments");
        const first = args?.namedChildren.find((c) => !!c && c.type !== "comment" && c.type !== "keyword_argument");
        return !!first && this.mentionsInstallPath(unparenthesize(first), seen);
      }
      case "binary_operator": {
        // `root / name`, `root + "/x"`: the left operand is the root.
        const left = node.childForFieldName("left");
        return !!left && this.mentionsInstallPath(unparenthesize(left), seen);
      }
      default:
        for (const child of node.namedChildren) if (child && this.mentionsInstallPath(child, seen)) return true;
        return false;
    }
  }
}

/** Whether `id` is a target of a `del` statement. */
function inDelete(id: Node): boolean {
  const parent = id.parent;
  return parent?.type === "delete_statement" || (parent?.type === "expression_list" && parent.parent?.type === "delete_statement");
}

function publicOf(v: Verdict): Provenance {
  return { origin: v.origin, reason: v.reason, at: v.at, volume: v.volume, ...(v.via ? { via: v.via } : {}) };
}

/** The node `of` evaluates for what was asked: a parameter's name, a keyword argument's value... */
function askedNode(expr: Node): Node {
  const node = unparenthesize(expr);
  switch (node.type) {
    case "default_parameter":
    case "typed_default_parameter":
    case "typed_parameter":
    case "list_splat_pattern":
    case "dictionary_splat_pattern":
      return parameterName(node) ?? node;
    case "identifier": {
      const parent = node.parent;
      if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.startIndex === node.startIndex) return parent;
      if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.startIndex === node.startIndex) {
        return parent.childForFieldName("value") ?? node;
      }
      return node;
    }
    default:
      return node;
  }
}

// ---- incremental linting ---------------------------------------------------------------------------

/**
 * What provenance reads of one function's body (or of the class- or module-level statements in
 * [ctx.bodyStart, ctx.bodyEnd) when `fn` is null): the attribute names it writes, and what each
 * of its calls of a private function of the module passes. Answered without recording what it
 * asks of the model: the checks that read these answered the same questions when they ran.
 */
export function provenanceReads(fn: Node | null, ctx: SummaryContext): string {
  const { model, source, bodyStart, bodyEnd } = ctx;
  const parts: string[] = [];
  const writes = attributeWrites(source.slice(bodyStart, bodyEnd));
  if (writes.names.size > 0) parts.push(`writes ${[...writes.names].sort().join(" ")}`);
  if (writes.anySetattr) parts.push("setattr");
  const roots = fn ? [fn] : statementsIn(model, bodyStart, bodyEnd);
  const calls: Node[] = [];
  for (const root of roots) {
    for (const call of root.descendantsOfType("call")) {
      if (!call || call.startIndex < bodyStart || call.endIndex > bodyEnd) continue;
      const callee = call.childForFieldName("function");
      if (callee?.type !== "identifier" || !isPrivateName(callee.text)) continue;
      const owner = model.resolveScope(callee.text, model.scopeOf(callee));
      if (owner !== model.module || !(owner.bindings.get(callee.text) ?? []).every((b) => b.kind === "function")) continue;
      calls.push(call);
    }
  }
  // What a method assigns to `self.<attr>` (instanceAttribute reads it from other methods).
  const classes = new ClassFacts(model);
  const receiver = fn ? classes.methodShape(fn)?.receiver?.text : undefined;
  const sets: Array<[string, Node]> = [];
  for (const assignment of receiver && fn ? fn.descendantsOfType("assignment") : []) {
    const left = assignment?.childForFieldName("left");
    const right = assignment?.childForFieldName("right");
    if (left?.type !== "attribute" || !right || left.childForFieldName("object")?.text !== receiver) continue;
    sets.push([left.childForFieldName("attribute")?.text ?? "", right]);
  }
  if (calls.length === 0 && sets.length === 0) return parts.join("\n");
  quietly(model, () => {
    const provenance = new ProvenanceFacts(model, classes);
    for (const [attr, value] of sets) {
      const v = provenance.of(value);
      parts.push(`sets ${attr}: ${v.origin} ${v.reason}`);
    }
    for (const call of calls) {
      const passed = argumentsOf(call).map((a) => {
        const name = a.type === "keyword_argument" ? `${a.childForFieldName("name")?.text}=` : "";
        const v = provenance.of(a);
        return `${name}${v.origin} ${v.reason}`;
      });
      // (In a loop or not decides where growth through a parameter happens: growthOfParameter.)
      const looped = model.loopOf(call, { includeComprehensions: true }) ? " in a loop" : "";
      parts.push(`${call.childForFieldName("function")?.text}(${passed.join("; ")})${looped}`);
    }
  });
  return parts.join("\n");
}

/** The top-level statements of the module or a class body that overlap [start, end). */
export function statementsIn(model: SemanticModel, start: number, end: number): Node[] {
  const around = model.root.descendantForIndex(start, Math.max(start, end - 1));
  if (!around) return [];
  if (around.startIndex >= start && around.endIndex <= end) return [around];
  return around.namedChildren.filter((c): c is Node => !!c && c.endIndex > start && c.startIndex < end);
}

/**
 * Run `ask` (a summary's own questions) without recording them in the model's queried module
 * names and facts: a summary reads what the checks read; its questions are not the checks'.
 */
export function quietly<T>(model: SemanticModel, ask: () => T): T {
  const queriedNames = new Set(model.queriedModuleNames);
  const queriedFacts = new Set(model.queriedFacts);
  try {
    return ask();
  } finally {
    for (const name of [...model.queriedModuleNames]) if (!queriedNames.has(name)) model.queriedModuleNames.delete(name);
    for (const kind of [...model.queriedFacts]) if (!queriedFacts.has(kind)) model.queriedFacts.delete(kind);
  }
}
