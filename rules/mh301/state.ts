/**
 * What MH301 keeps during one lint of a file (one object per semantic model): the methods it has
 * scanned, the attribute links seen so far, what it has reported, and the file-wide facts it has
 * asked for, each computed once.
 */
import type { Node } from "web-tree-sitter";
import type { MethodInfo } from "../../server/engine/facts/index.js";
import type { RuleContext, TextEdit } from "../../server/engine/types.js";
import type { NameFacts } from "./lifecycle.js";
import type { MethodScan } from "./stores.js";

export interface FileState {
  /** Per class: its `__init__`, and which `__init__` parameters it keeps. */
  inits: Map<number, MethodInfo | null>;
  keptByInit: Map<number, ReadonlySet<string>>;
  scans: Map<number, MethodScan>;
  /** Attribute assignments `a.x = b` seen so far, by `owner scope start|a|b`. */
  links: Map<string, Node[]>;
  reported: Set<number>;
  names: NameFacts | null;
  fixBlocked: boolean | null;
  /** The name `weakref` is reachable under at module level, and the import to add when it is not. */
  weakrefModule: { name: string; insert: TextEdit | null } | null | undefined;
}

const FILE_STATES = new WeakMap<object, FileState>();

export function fileState(ctx: RuleContext): FileState {
  let state = FILE_STATES.get(ctx.model);
  if (!state) {
    state = {
      inits: new Map(), keptByInit: new Map(), scans: new Map(), links: new Map(), reported: new Set(),
      names: null, fixBlocked: null, weakrefModule: undefined,
    };
    FILE_STATES.set(ctx.model, state);
  }
  return state;
}
