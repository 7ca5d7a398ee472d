/** Build the model and the facts of a Python snippet, and find the nodes to ask about. */
import type { Node } from "web-tree-sitter";
import { factsOf, type Facts, setFilePath } from "../../server/engine/facts/index.js";
import { MODEL_NODE_TYPES, SemanticModel } from "../../server/engine/model.js";
import { parser } from "../helpers/engine.js";

export interface Snippet {
  source: string;
  root: Node;
  model: SemanticModel;
  facts: Facts;
  /**
   * The smallest node that spans an occurrence of `text` (counted from the end when `nth` is
   * negative: -1 is the last occurrence). `"f(x)"` finds the call, `"x"` the identifier.
   */
  at(text: string, nth?: number): Node;
  /** The value of the last assignment `name = ...` (or `name: T = ...`). */
  valueOf(name: string): Node;
}

export function snippet(source: string, path: string | null = null): Snippet {
  const tree = parser.parse(source);
  const root = tree.rootNode;
  const nodes = root.descendantsOfType([...MODEL_NODE_TYPES]).filter((n): n is Node => n !== null);
  const model = new SemanticModel(root, nodes);
  setFilePath(model, path);
  const facts = factsOf(model);
  const occurrences = (text: string): number[] => {
    const found: number[] = [];
    for (let i = source.indexOf(text); i >= 0; i = source.indexOf(text, i + 1)) {
      const before = source[i - 1] ?? " ";
      const after = source[i + text.length] ?? " ";
      // Whole words only, when the text starts or ends with one.
      if (/\w/.test(text[0]) && /\w/.test(before)) continue;
      if (/\w/.test(text[text.length - 1]) && /\w/.test(after)) continue;
      found.push(i);
    }
    return found;
  };
  const at = (text: string, nth = -1): Node => {
    const found = occurrences(text);
    const start = found[nth < 0 ? found.length + nth : nth];
    if (start === undefined) throw new Error(`no ${JSON.stringify(text)} in the snippet`);
    const node = root.descendantForIndex(start, start + text.length);
    if (!node || node.startIndex !== start || node.endIndex !== start + text.length) {
      throw new Error(`${JSON.stringify(text)} is not a node (found ${node?.type} ${JSON.stringify(node?.text)})`);
    }
    return node;
  };
  const valueOf = (name: string): Node => {
    const assignments = root.descendantsOfType("assignment").filter((a): a is Node => a?.childForFieldName("left")?.text === name);
    const last = assignments[assignments.length - 1];
    const right = last?.childForFieldName("right");
    if (!right) throw new Error(`no assignment to ${name}`);
    return right;
  };
  return { source, root, model, facts, at, valueOf };
}
