import type { Node } from "web-tree-sitter";
import { loopTargetNames, mayReachOtherObjects } from "../server/engine/loop-mutation.js";
import { type Binding, type SemanticModel, targetNames, unparenthesize } from "../server/engine/model.js";
import { ruleDocs } from "../server/engine/docs.js";
import { defineRule, type Evidence, type Fix, type RuleContext } from "../server/engine/types.js";

/** Functions returning a file object whose iteration yields exactly what `readlines()` returns. */
const OPENERS: ReadonlyMap<string, "text" | "binary"> = new Map([
  ["builtins.open", "text"], ["io.open", "text"], ["gzip.open", "binary"], ["bz2.open", "binary"], ["lzma.open", "binary"],
]);

/** Functions that open the file named by their first argument (for the evidence: which file is read). */
const EVIDENCE_OPENERS: ReadonlyMap<string, unknown> = new Map<string, unknown>([...OPENERS, ["codecs.open", "text"]]);

/** Standard streams: file objects that iterate by lines, whose content is run-time data. */
const STANDARD_STREAMS: ReadonlySet<string> = new Set(["sys.stdin", "sys.stdin.buffer"]);

type Shape =
  /** `f.readlines()` */
  | "readlines"
  /** `f.read().splitlines()` */
  | "read-splitlines"
  /** `f.read().split("\n")` */
  | "read-split"
  /** `p.read_text().splitlines()`, `p.read_bytes().split(b"\n")` */
  | "path-lines";

interface Candidate {
  shape: Shape;
  /** The call the diagnostic covers. */
  call: Node;
  /** The file object (`f`) or path (`p`). */
  receiver: Node;
  /** `read_text` or `read_bytes` for path shapes. */
  pathMethod?: string;
  /** How the message shows the splitting call: `splitlines()`, `split("\n")`. */
  method: string;
  /** `read_text`'s keyword arguments, for `open(...)` in the hint. */
  readArguments: string;
}

interface OpenedFile {
  mode: "text" | "binary" | "unknown";
  /** `newline=` was given: line endings are not translated, so `splitlines` differs more. */
  newlineArgument: boolean;
}

export default defineRule({
  code: "MH103",
  name: "read-all-lines",
  severity: "warning",
  fixable: "sometimes",
  evidence: "size",
  optIn: true,
  peers: ["ruff FURB129"],
  messages: {
    readlines: "Holds every line at once ({{evidence}}); iterate the file",
    readThenSplit: "Holds the file twice ({{evidence}}); iterate it line by line",
    pathLines: "Holds the file twice ({{evidence}}); iterate `{{path}}.open({{openArgs}})`",
  },
  docs: ruleDocs(new URL("./mh103-read-all-lines.md", import.meta.url)),
  nodeTypes: ["for_statement", "for_in_clause"],
  check(node, ctx) {
    if (node.child(0)?.type === "async") return;
    let iterable: Node | null;
    let statement: Node;
    let repeated: Node[];
    let targets: Set<string>;
    if (node.type === "for_statement") {
      iterable = node.childForFieldName("right");
      const body = node.childForFieldName("body");
      if (!body) return;
      statement = node;
      repeated = [body];
      targets = loopTargetNames(node);
    } else {
      const comprehension = node.parent;
      if (!comprehension || !["list_comprehension", "set_comprehension", "dictionary_comprehension"].includes(comprehension.type)) return;
      if (!comprehension.namedChildren.find((c) => c?.type === "for_in_clause")?.equals(node)) return;
      iterable = node.childForFieldName("right");
      statement = comprehension;
      repeated = comprehension.namedChildren.filter((c): c is Node => !!c && !c.equals(node) && c.type !== "comment");
      const left = node.childForFieldName("left");
      targets = new Set(left ? targetNames(left).map((id) => id.text) : []);
    }
    if (!iterable) return;
    const candidate = matchShape(unparenthesize(iterable));
    if (!candidate) return;
    if (candidate.shape === "readlines" && delegatesReadlines(node, ctx.model)) return;
    if (usedIn(candidate.receiver, repeated, statement, ctx.model)) return;
    report(candidate, node, statement, repeated, targets, ctx);
  },
});

/** The shapes this rule knows, with cheap text checks first. */
function matchShape(call: Node): Candidate | null {
  if (call.type !== "call") return null;
  const fn = call.childForFieldName("function");
  if (fn?.type !== "attribute") return null;
  const method = fn.childForFieldName("attribute")?.text;
  const object = fn.childForFieldName("object");
  if (!object || (method !== "readlines" && method !== "splitlines" && method !== "split")) return null;
  const args = call.childForFieldName("arguments");
  if (args?.type !== "argument_list") return null;
  const items = args.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (method === "readlines") return items.length === 0 ? { shape: "readlines", call, receiver: object, method: "readlines()", readArguments: "" } : null;
  if (method === "splitlines" ? items.length !== 0 : items.length !== 1 || !isNewlineLiteral(items[0])) return null;
  const read = unparenthesize(object);
  if (read.type !== "call") return null;
  const readFn = read.childForFieldName("function");
  const readMethod = readFn?.type === "attribute" ? readFn.childForFieldName("attribute")?.text : null;
  const receiver = readFn?.childForFieldName("object");
  const readArgs = read.childForFieldName("arguments");
  if (!receiver || readArgs?.type !== "argument_list") return null;
  const readItems = readArgs.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
  if (readMethod === "read") {
    if (readItems.length !== 0) return null;
    return { shape: method === "splitlines" ? "read-splitlines" : "read-split", call, receiver, method: "", readArguments: "" };
  }
  if (readMethod === "read_text" || readMethod === "read_bytes") {
    // `read_text(encoding=..., errors=...)` reads the whole file all the same; a positional
    // argument means another API (`Distribution.read_text(filename)`).
    if (readItems.some((c) => c.type !== "keyword_argument") || (readMethod === "read_bytes" && readItems.length > 0)) return null;
    const split = method === "splitlines" ? "splitlines()" : `split(${items[0].text})`;
    const readArguments = readItems.map((c) => c.text).join(", ");
    return { shape: "path-lines", call, receiver, pathMethod: readMethod, method: split, readArguments };
  }
  return null;
}

/**
 * Inside a method named `readlines`: a file wrapper implementing `readlines()` by delegating to
 * the wrapped file's, which must return a list anyway (`return [echo(x) for x in self._input.readlines()]`).
 */
function delegatesReadlines(node: Node, model: SemanticModel): boolean {
  const owner = model.ownerScopeOf(node);
  return owner.kind === "function" && owner.node.childForFieldName("name")?.text === "readlines";
}

/** `"\n"`, `'\n'`, `b"\n"`. */
function isNewlineLiteral(node: Node): boolean {
  return node.type === "string" && /^[bBuU]?(["'])\\n\1$/.test(node.text);
}

/**
 * Whether the repeated part (loop body, or the comprehension's element and other clauses) uses
 * the file object or path: it would see another position or content once reading is lazy.
 */
function usedIn(receiver: Node, repeated: readonly Node[], statement: Node, model: SemanticModel): boolean {
  const node = unparenthesize(receiver);
  const inside = (n: Node) => repeated.some((r) => n.startIndex >= r.startIndex && n.endIndex <= r.endIndex);
  if (node.type === "identifier") {
    const owner = model.resolveScope(node.text, model.scopeOf(node));
    if (!owner) return false;
    const rebound = (owner.bindings.get(node.text) ?? []).some((b) => b.node.startIndex >= statement.startIndex && b.node.startIndex < statement.endIndex);
    return rebound || model.referencesOf(node.text, owner).some(inside);
  }
  if (node.type === "attribute") {
    const text = node.text;
    return repeated.some((r) => r.descendantsOfType("attribute").some((a) => !!a && a.text === text));
  }
  return false;
}

function report(candidate: Candidate, node: Node, statement: Node, repeated: Node[], targets: Set<string>, ctx: RuleContext): void {
  const { call, receiver, shape } = candidate;
  const model = ctx.model;
  const source = ctx.source;
  const name = source.slice(receiver.startIndex, receiver.endIndex);
  const shortName = name.replace(/\s+/g, " ");
  const opened = openedFile(receiver, statement, model);
  let messageId: string;
  let openArgs = "";
  let fix: Fix | null = null;
  switch (shape) {
    case "readlines": {
      messageId = "readlines";
      const safe = opened !== null
        && !hasCommentOutside(call, receiver)
        && !usedOutside(receiver, statement, model)
        && !mayReachOtherObjects(repeated, model, targets);
      fix = {
        description: "Iterate the file object instead of `readlines()`",
        safety: safe ? "safe" : "unsafe",
        edits: [{ start: call.startIndex, end: call.endIndex, newText: name }],
      };
      break;
    }
    case "read-splitlines":
    case "read-split": {
      messageId = "readThenSplit";
      const left = node.type === "for_statement" ? node.childForFieldName("left") : null;
      if (shape === "read-splitlines" && left && opened?.mode === "text" && !opened.newlineArgument && !hasCommentOutside(call, receiver)) {
        const variable = left.type === "identifier" ? left.text : "line";
        fix = {
          description: "Iterate the file object, stripping each line's newline",
          safety: "unsafe",
          edits: [{ start: call.startIndex, end: call.endIndex, newText: `(${variable}.rstrip("\\n") for ${variable} in ${name})` }],
        };
      }
      break;
    }
    case "path-lines": {
      openArgs = candidate.pathMethod === "read_bytes" ? "\"rb\"" : candidate.readArguments;
      messageId = "pathLines";
      break;
    }
  }
  const evidence = evidenceOf(candidate, statement, ctx);
  ctx.report({ node: call, messageId, data: { evidence: evidence?.text ?? "size unknown", path: shortName, openArgs }, estimatedBytes: null, fix, evidence });
}

/**
 * Why the whole file is worth not holding: its length comes from run-time data. A file opened
 * here (`open(path)`, `Path(path)`) is, unless `path` points into the program's own
 * installation; a stream from elsewhere is when it is itself run-time data (a public function's
 * parameter, `sys.stdin`). `x.read().splitlines()` counts only on a file object known to iterate
 * by lines: an object with `read()` may have no iteration at all.
 */
function evidenceOf(candidate: Candidate, statement: Node, ctx: RuleContext): Evidence | null {
  const receiver = unparenthesize(candidate.receiver);
  const facts = ctx.facts.evidence;
  if (candidate.shape === "path-lines") {
    // `Path(p).read_text()`: the file is `p` (named so in the message).
    const fn = receiver.type === "call" ? receiver.childForFieldName("function") : null;
    const made = fn && ctx.model.qualifiedName(fn)?.startsWith("pathlib.") ? pathArgument(receiver) : null;
    return facts.sizeOfFile(made ?? receiver);
  }
  const calls = openingCalls(receiver, statement, ctx.model, EVIDENCE_OPENERS);
  if (calls) {
    for (const call of calls) {
      const path = pathArgument(call);
      const evidence = path ? facts.sizeOfFile(path) : null;
      if (evidence) return evidence;
    }
    return null;
  }
  if (candidate.shape === "readlines" || STANDARD_STREAMS.has(ctx.model.qualifiedName(receiver) ?? "")) return facts.sizeOfStream(receiver);
  return null;
}

/** The file argument of an opener call: its first positional argument, or `file=`/`filename=`. */
function pathArgument(call: Node): Node | null {
  const args = call.childForFieldName("arguments");
  if (args?.type !== "argument_list") return null;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "keyword_argument") {
      const key = arg.childForFieldName("name")?.text;
      if (key === "file" || key === "filename") return arg.childForFieldName("value");
      continue;
    }
    return arg.type === "list_splat" || arg.type === "dictionary_splat" ? null : arg;
  }
  return null;
}

/**
 * The file `f` refers to in `statement` when that is known: the `with open(...) as f` block that
 * contains the statement, or, failing that, every binding of `f` in scope is a known opener.
 */
function openedFile(receiver: Node, statement: Node, model: SemanticModel): OpenedFile | null {
  if (unparenthesize(receiver).type !== "identifier") return null;
  const calls = openingCalls(receiver, statement, model, OPENERS);
  if (!calls) return null;
  let result: OpenedFile | null = null;
  for (const call of calls) {
    const opened = openCall(call, model);
    if (!opened) return null;
    result = result && (result.mode !== opened.mode || result.newlineArgument !== opened.newlineArgument)
      ? { mode: "unknown", newlineArgument: true }
      : opened;
  }
  return result;
}

/**
 * The calls of `openers` that made the file `receiver` in `statement`: `receiver` itself
 * (`open(p).readlines()`), the `with open(...) as f` block that contains the statement, or every
 * binding of `f` in scope; null when some binding is not such a call.
 */
function openingCalls(receiver: Node, statement: Node, model: SemanticModel, openers: ReadonlyMap<string, unknown>): Node[] | null {
  const node = unparenthesize(receiver);
  if (node.type === "call") return isOpener(node, model, openers) ? [node] : null;
  if (node.type !== "identifier") return null;
  const owner = model.resolveScope(node.text, model.scopeOf(node));
  const bindings = owner?.bindings.get(node.text) ?? [];
  const before = bindings.filter((b) => b.node.startIndex < statement.startIndex);
  const latest = before[before.length - 1];
  const block = latest?.kind === "with" ? latest.statement.parent?.parent : null;
  if (latest && block?.type === "with_statement" && block.startIndex <= statement.startIndex && block.endIndex >= statement.endIndex) {
    const call = openerOf(latest, model, openers);
    return call ? [call] : null;
  }
  if (bindings.length === 0) return null;
  const calls: Node[] = [];
  for (const binding of bindings) {
    const call = openerOf(binding, model, openers);
    if (!call) return null;
    calls.push(call);
  }
  return calls;
}

/** The opener call of `with open(...) as f` or `f = open(...)`; null for any other binding. */
function openerOf(binding: Binding, model: SemanticModel, openers: ReadonlyMap<string, unknown>): Node | null {
  let value: Node | null = null;
  if (binding.kind === "assignment") value = binding.value;
  else if (binding.kind === "with") {
    const pattern = binding.statement.childForFieldName("value");
    const alias = pattern?.type === "as_pattern" ? pattern.childForFieldName("alias") : null;
    // `with open(a) as f` only, not `with open(a) as (f, g)`.
    if (alias?.namedChild(0)?.type !== "identifier") return null;
    value = pattern?.namedChild(0) ?? null;
  }
  const call = value ? unparenthesize(value) : null;
  return call && isOpener(call, model, openers) ? call : null;
}

function isOpener(call: Node, model: SemanticModel, openers: ReadonlyMap<string, unknown>): boolean {
  if (call.type !== "call") return false;
  const fn = call.childForFieldName("function");
  const qualified = fn ? model.qualifiedName(fn) : null;
  return !!qualified && openers.has(qualified);
}

function openCall(call: Node, model: SemanticModel): OpenedFile | null {
  if (call.type !== "call") return null;
  const fn = call.childForFieldName("function");
  const qualified = fn ? model.qualifiedName(fn) : null;
  const defaultMode = qualified ? OPENERS.get(qualified) : undefined;
  if (!defaultMode) return null;
  const args = call.childForFieldName("arguments");
  if (args?.type !== "argument_list") return null;
  let modeNode: Node | null = null;
  let newlineArgument = false;
  let position = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === "comment") continue;
    if (arg.type === "list_splat" || arg.type === "dictionary_splat") return { mode: "unknown", newlineArgument: true };
    if (arg.type === "keyword_argument") {
      const key = arg.childForFieldName("name")?.text;
      if (key === "mode") modeNode = arg.childForFieldName("value");
      if (key === "newline") newlineArgument = true;
      continue;
    }
    if (position === 1) modeNode = arg;
    if (position === 5) newlineArgument = true; // open(file, mode, buffering, encoding, errors, newline)
    position++;
  }
  if (!modeNode) return { mode: defaultMode, newlineArgument };
  if (modeNode.type !== "string" || modeNode.namedChildren.some((c) => c?.type === "interpolation")) return { mode: "unknown", newlineArgument };
  const mode = modeNode.text.replace(/^[a-zA-Z]*["']|["']$/g, "");
  if (mode.includes("b")) return { mode: "binary", newlineArgument };
  if (mode.includes("t") || defaultMode === "text") return { mode: "text", newlineArgument };
  return { mode: defaultMode, newlineArgument };
}

/**
 * Whether `f` is used after the statement, or before it inside a loop that repeats it: after
 * a `break` the file's position differs between reading all lines and iterating.
 */
function usedOutside(receiver: Node, statement: Node, model: SemanticModel): boolean {
  const node = unparenthesize(receiver);
  const owner = model.resolveScope(node.text, model.scopeOf(node));
  if (!owner) return true;
  const starts = (owner.bindings.get(node.text) ?? []).map((b) => b.node.startIndex);
  const bindings = new Set(starts);
  const enclosing = model.loopOf(statement);
  for (const ref of model.referencesOf(node.text, owner)) {
    if (bindings.has(ref.startIndex) || ref.equals(node)) continue;
    if (ref.startIndex >= statement.startIndex) {
      // A later `with open(...) as f` or `f = ...` makes it another file.
      if (starts.some((s) => s >= statement.endIndex && s < ref.startIndex)) continue;
      return true;
    }
    if (enclosing && ref.startIndex >= enclosing.start) return true;
  }
  return false;
}

function hasCommentOutside(outer: Node, inner: Node): boolean {
  return outer.descendantsOfType("comment").some((c) => !!c && (c.startIndex < inner.startIndex || c.startIndex >= inner.endIndex));
}
