/**
 * MH301's fix: the back-reference stored as a `weakref.ref` behind a property with the
 * attribute's old name, on the class that holds it, and `import weakref` when the file has no
 * name for the module.
 */
import { IDENTIFIER_PART_PATTERN } from "../../server/engine/facts/identifiers.js";
import type { ClassInfo } from "../../server/engine/facts/index.js";
import { addImportEdit, importedReference } from "../../server/engine/imports.js";
import { indentBefore, nextLineStartOf } from "../../server/engine/positions.js";
import type { Fix, RuleContext, TextEdit } from "../../server/engine/types.js";
import { nameFacts } from "./lifecycle.js";
import type { FileState } from "./state.js";

/** Attribute access hooks that a property would bypass or fight with. */
const ATTRIBUTE_HOOKS = ["__getattr__", "__getattribute__", "__setattr__", "__delattr__"];

/** Code that copies, pickles or inspects instance dictionaries sees `_x_ref` and the weakref itself. */
const WEAK_FIX_BLOCKERS = /__dict__|\bvars\s*\(|\basdict\s*\(|__getstate__|__setstate__|__reduce(_ex)?__|^\s*(import|from)\s+(copy|pickle|_pickle|cPickle|shelve|dill|cloudpickle)\b/m;

export function weakPropertyFix(ctx: RuleContext, state: FileState, holder: ClassInfo | null, attr: string, target: ClassInfo | null): Fix | null {
  if (!holder || attr.startsWith("__")) return null;
  if (!propertyCanReplace(holder, attr, ctx)) return null;
  // `weakref.ref(value)` raises TypeError for instances without a `__weakref__` slot: the class
  // of what is stored must be known, and able to be weakly referenced.
  if (!target || !ctx.facts.classes.supportsWeakReferences(target)) return null;
  if (nameFacts(ctx, state).literalAssigned(attr)) return null;
  state.fixBlocked ??= WEAK_FIX_BLOCKERS.test(ctx.source);
  if (state.fixBlocked) return null;
  const source = ctx.source;
  if (source.includes(`_${attr}_ref`) || new RegExp(`\\bdel\\b[^\\n]*\\.${attr}(?!${IDENTIFIER_PART_PATTERN})`, "u").test(source)) return null;
  const weakref = weakrefModule(ctx, state);
  const property = propertyInsertion(holder, attr, weakref?.name ?? "", source);
  if (!weakref || !property) return null;
  return {
    description: `Store \`${attr}\` as a weakref.ref behind a \`${attr}\` property on \`${holder.name}\``,
    safety: "unsafe",
    edits: weakref.insert ? [weakref.insert, property] : [property],
  };
}

/** A property named `attr` on `holder` would be what every `x.attr` reads and writes. */
function propertyCanReplace(holder: ClassInfo, attr: string, ctx: RuleContext, depth = 0): boolean {
  if (depth > 8 || holder.decorators.length > 0 || holder.slots || holder.unusualBases) return false;
  if (holder.members.has(attr) || holder.members.has(`_${attr}_ref`) || ATTRIBUTE_HOOKS.some((h) => holder.members.has(h))) return false;
  const scope = ctx.model.scopeOf(holder.node);
  return holder.bases.every((base) => {
    const qualified = ctx.model.qualifiedName(base, scope);
    if (qualified === "builtins.object" || qualified === "abc.ABC") return true;
    const local = ctx.facts.classes.reference(base, scope);
    return local !== null && propertyCanReplace(local, attr, ctx, depth + 1);
  });
}

/**
 * The name the property's setter can call `weakref.ref` through, and the import to add when the
 * file has none. The setter runs after the module has run its top-level imports, so one anywhere
 * at the top level will do; one inside `if` or `try` (`if TYPE_CHECKING: import weakref`) may not
 * have run.
 */
function weakrefModule(ctx: RuleContext, state: FileState): { name: string; insert: TextEdit | null } | null {
  if (state.weakrefModule !== undefined) return state.weakrefModule;
  const name = importedReference(ctx.model, "weakref", ctx.source.length);
  const insert = name ? null : addImportEdit(ctx.model, "weakref", "after-header");
  state.weakrefModule = name ? { name, insert: null } : insert ? { name: "weakref", insert } : null;
  return state.weakrefModule;
}

/** The property and its setter, appended to the class body with the body's indentation. */
function propertyInsertion(holder: ClassInfo, attr: string, weakref: string, source: string): TextEdit | null {
  const cls = holder.node;
  const body = cls.childForFieldName("body");
  if (!body || body.startPosition.row === cls.startPosition.row) return null;
  const indent = indentBefore(source, body.startIndex);
  const classIndent = indentBefore(source, cls.startIndex);
  if (!/^[ \t]+$/.test(indent) || !/^[ \t]*$/.test(classIndent) || !indent.startsWith(classIndent) || indent === classIndent) return null;
  const unit = indent.slice(classIndent.length);
  // Just before the line break of the line holding `offset` (any of `\n`, `\r\n`, `\r`).
  const endOfLine = (offset: number): number => {
    let end = nextLineStartOf(source, offset);
    if (source[end - 1] === "\n") end--;
    if (source[end - 1] === "\r") end--;
    return end;
  };
  let lineEnd = endOfLine(body.endIndex);
  if (!/^[ \t]*(#.*)?$/.test(source.slice(body.endIndex, lineEnd))) return null;
  // Comment lines right below the last statement stay with it.
  for (let next = nextLineStartOf(source, lineEnd); next < source.length && /^[ \t]*#/.test(source.slice(next, endOfLine(next))); next = nextLineStartOf(source, next)) {
    lineEnd = endOfLine(next);
  }
  const i = indent;
  const text = [
    "", "",
    `${i}@property`,
    `${i}def ${attr}(self):`,
    `${i}${unit}ref = self._${attr}_ref`,
    `${i}${unit}return ref() if ref is not None else None`,
    "",
    `${i}@${attr}.setter`,
    `${i}def ${attr}(self, value):`,
    `${i}${unit}self._${attr}_ref = ${weakref}.ref(value) if value is not None else None`,
  ].join("\n"); // (the engine writes the file's line ending)
  return { start: lineEnd, end: lineEnd, newText: text };
}
