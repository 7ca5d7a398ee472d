/**
 * The parser behind an interface: the rest of the engine asks for a tree and never touches the
 * grammar file or the WebAssembly runtime. The grammar is loaded once per thread.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Language, Parser, type Tree } from "web-tree-sitter";

export type { Tree };

export interface PythonParser {
  /** Parse `source`; pass the previous tree, already `edit`ed, for an incremental reparse. */
  parse(source: string, oldTree?: Tree | null): Tree;
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
    return {
      language,
      parse(source: string, oldTree?: Tree | null): Tree {
        const tree = parser.parse(source, oldTree ?? null);
        if (!tree) throw new Error("memhint: tree-sitter returned no tree");
        return tree;
      },
    };
  })();
  return loading;
}
