/**
 * The parser behind an interface: the rest of the engine asks for a tree and never touches the
 * grammar file or the WebAssembly runtime. The grammar is loaded once per thread.
 *
 * Every parse reads brackets left open before a statement keyword as errors on their own line
 * (unclosed.ts). To reparse an edited document incrementally, use EditableTree
 * (editable-tree.ts), which keeps the tree and those brackets in step with the edits.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Language, Parser, type Tree } from "web-tree-sitter";
import { maskedInput, type ParserInput, unclosedBrackets } from "./unclosed.js";

export type { Tree };

export interface PythonParser {
  /** A fresh tree for `source`. */
  parse(source: string): Tree;
  /**
   * Parse `input` as given, reusing `oldTree` (already `edit`ed to match it) when there is one.
   * For EditableTree: `input` must be the text with its unclosed brackets masked (maskedInput).
   */
  parseMasked(input: ParserInput, oldTree: Tree | null): Tree;
  readonly language: Language;
}

const GRAMMAR_FILE = "tree-sitter-python.wasm";

/** The grammar shipped in `grammars/`, found from either `server/engine` or `dist/server/engine`. */
export function grammarPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "grammars", GRAMMAR_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`memhint: cannot find grammars/${GRAMMAR_FILE} next to the installed package`);
}

let loading: Promise<PythonParser> | null = null;

/** One parser per thread, created on first use. */
export function loadPythonParser(): Promise<PythonParser> {
  loading ??= (async () => {
    await Parser.init();
    const language = await Language.load(grammarPath());
    const parser = new Parser();
    parser.setLanguage(language);
    const parseMasked = (input: ParserInput, oldTree: Tree | null): Tree => {
      const tree = parser.parse(input, oldTree);
      if (!tree) throw new Error("memhint: tree-sitter returned no tree");
      return tree;
    };
    return {
      language,
      parse: (source: string): Tree => parseMasked(maskedInput(source, unclosedBrackets(source)), null),
      parseMasked,
    };
  })();
  return loading;
}
