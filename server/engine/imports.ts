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
 * Where `addImportEdit` puts the import:
 *   - `"before-code"`: on its own line just before the first module-level statement that is not
 *     the docstring or a `from __future__` import (`firstOrdinaryStatement`), below the comments
 *     that precede it;
 *   - `"after-header"`: on the line right after the docstring and the `from __future__` imports,
 *     above any comment that follows them; when there are none, before the first statement,
 *     set off from it by two blank lines unless it is an import.
 */
export type ImportPlacement = "before-code" | "after-header";

/**
 * An edit inserting `import <moduleName>` at the top of the module (see ImportPlacement). Null
 * when the top-level name is already taken by something other than that module, or a star import
 * could rebind it; and, after the header, when there is nowhere plain to put it (no statement, or
 * a first statement that does not start its line).
 */
export function addImportEdit(model: SemanticModel, moduleName: string, placement: ImportPlacement = "before-code"): TextEdit | null {
  const head = moduleName.split(".")[0];
  const existing = model.module.bindings.get(head);
  if (existing && !existing.every((b) => b.kind === "import" && b.qualifiedName === head)) return null;
  if (model.hasStarImport) return null;
  const line = `import ${moduleName}`; // (the engine writes the file's line ending)
  const { header, first } = moduleHead(model.root);
  if (placement === "after-header") {
    if (header) return { start: header.endIndex, end: header.endIndex, newText: `\n${line}` };
    if (!first || first.startPosition.column !== 0) return null;
    const spacing = first.type === "import_statement" || first.type === "import_from_statement" ? "" : "\n\n";
    return { start: first.startIndex, end: first.startIndex, newText: `${line}\n${spacing}` };
  }
  if (!first) return null;
  return { start: first.startIndex, end: first.startIndex, newText: `${line}\n` };
}

/** Where `addImportEdit` inserts: the first module-level statement that is not the docstring or a `from __future__` import. */
export function firstOrdinaryStatement(root: Node): Node | null {
  return moduleHead(root).first;
}

/** The last statement of the module's header (its docstring, `from __future__` imports), and the first statement after it. */
function moduleHead(root: Node): { header: Node | null; first: Node | null } {
  let header: Node | null = null;
  let index = 0;
  for (const statement of root.namedChildren) {
    if (!statement || statement.type === "comment") continue;
    const isDocstring = index === 0 && statement.type === "expression_statement" && statement.namedChildCount === 1 && statement.namedChild(0)?.type === "string";
    index++;
    if (isDocstring || statement.type === "future_import_statement") {
      header = statement;
      continue;
    }
    return { header, first: statement };
  }
  return { header, first: null };
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
