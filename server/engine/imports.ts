/**
 * Imports for fixes that bring in a standard-library name (`functools.lru_cache`,
 * `collections.deque`, `weakref.ref`): reuse a module-level import the file already has, or add
 * `import <module>` where module-level imports go.
 */
import type { Node } from "web-tree-sitter";
import { deleteStatementLines } from "./edits.js";
import type { SemanticModel } from "./model.js";
import type { TextEdit } from "./types.js";

/**
 * Text that refers to `qualified` (`functools.lru_cache`) in module-level code at offset `at`,
 * through a top-level import that runs before `at` and is the name's only binding: `lru_cache`
 * after `from functools import lru_cache`, `ft.lru_cache` after `import functools as ft`.
 * Null when the file has no such import.
 */
export function importedReference(model: SemanticModel, qualified: string, at: number): string | null {
  const dot = qualified.lastIndexOf(".");
  const moduleName = dot > 0 ? qualified.slice(0, dot) : qualified;
  const member = dot > 0 ? qualified.slice(dot + 1) : "";
  let viaModule: string | null = null;
  for (const [name, bindings] of model.module.bindings) {
    const usable = bindings.every((b) => b.kind === "import" && b.statement.parent?.type === "module" && b.statement.endIndex <= at);
    if (!usable) continue;
    const target = bindings[0].qualifiedName;
    if (!bindings.every((b) => b.qualifiedName === target)) continue;
    if (target === qualified) return name;
    if (target === moduleName && member && viaModule === null) viaModule = `${name}.${member}`;
  }
  return viaModule;
}

/**
 * An edit inserting `import <moduleName>` before the first module-level statement that is not the
 * docstring or a `from __future__` import. Null when the top-level name is already taken by
 * something other than that module, or a star import could rebind it.
 */
export function addImportEdit(model: SemanticModel, moduleName: string): TextEdit | null {
  const head = moduleName.split(".")[0];
  const existing = model.module.bindings.get(head);
  if (existing && !existing.every((b) => b.kind === "import" && b.qualifiedName === head)) return null;
  if (model.hasStarImport) return null;
  const anchor = firstOrdinaryStatement(model.root);
  if (!anchor) return null;
  return { start: anchor.startIndex, end: anchor.startIndex, newText: `import ${moduleName}\n` };
}

/** Where `addImportEdit` inserts: the first module-level statement that is not the docstring or a `from __future__` import. */
export function firstOrdinaryStatement(root: Node): Node | null {
  let first = true;
  for (const statement of root.namedChildren) {
    if (!statement || statement.type === "comment") continue;
    const isDocstring = first && statement.type === "expression_statement" && statement.namedChildCount === 1 && statement.namedChild(0)?.type === "string";
    first = false;
    if (isDocstring) continue;
    if (statement.type === "future_import_statement") continue;
    return statement;
  }
  return null;
}

/**
 * An edit taking the name `name` (a dotted_name or aliased_import of `statement`, a from-import)
 * out of the import: with the comma and blank space that separate it from its neighbour, or the
 * whole statement's lines when it is the only name. Null when that cannot be written plainly.
 */
export function removeImportedName(statement: Node, name: Node, source: string): TextEdit | null {
  const names = statement.childrenForFieldName("name").filter((n): n is Node => n !== null);
  const index = names.findIndex((n) => n.equals(name));
  if (index < 0) return null;
  if (names.length === 1) return deleteStatementLines(statement, source, true);
  // Up to the next name, or (the last name) from the end of the previous one.
  if (index < names.length - 1) return { start: name.startIndex, end: names[index + 1].startIndex, newText: "" };
  return { start: names[index - 1].endIndex, end: name.endIndex, newText: "" };
}
