/**
 * Imports for fixes that bring in a standard-library name (`functools.lru_cache`,
 * `collections.deque`, `weakref.ref`): reuse a module-level import the file already has, or add
 * `import <module>` where module-level imports go.
 */
import type { Node } from "web-tree-sitter";
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
