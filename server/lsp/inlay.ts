/**
 * Inlay hints: `≈ 38.1 MiB` after a collection of constant size that the code materializes, as
 * estimated by the engine's size model; switched by the `inlayHints` setting.
 */
import { StaleNodeError } from "../engine/model.js";
import type { InlayHint, InlayHintParams } from "vscode-languageserver";
import type { PositionEncoding } from "../engine/index.js";
import { comprehensionBytes, formatBytes } from "../engine/size.js";
import type { Analyzer } from "./analysis.js";
import type { DocumentStore } from "./documents.js";
import { toOffsets, toPosition } from "./encoding.js";

/** Smaller collections get no hint: a few hundred bytes is noise next to the code. */
export const MIN_HINT_BYTES = 1024;

const MATERIALIZING = ["list_comprehension", "set_comprehension", "dictionary_comprehension"];

export interface InlayContext {
  store: DocumentStore;
  analyzer: Analyzer;
  encoding(): PositionEncoding;
}

export function inlayHints(ctx: InlayContext, params: InlayHintParams): InlayHint[] {
  const uri = params?.textDocument?.uri;
  const doc = typeof uri === "string" ? ctx.store.get(uri) : undefined;
  if (!doc || doc.skipped) return [];
  if (!ctx.analyzer.inlayHintsFor(doc)) return [];
  const snapshot = ctx.analyzer.analyze(doc);
  if (!snapshot) return [];
  const encoding = ctx.encoding();
  const lines = doc.lines;
  const [from, to] = params.range ? toOffsets(lines, params.range, encoding) : [0, lines.text.length];
  /** Hint text per offset where a hint goes (the end of the collection's expression). */
  const sizes = new Map<number, number>();
  for (const d of snapshot.result.diagnostics) {
    if (d.estimatedBytes !== null && d.estimatedBytes >= MIN_HINT_BYTES && d.end >= from && d.start <= to) sizes.set(d.end, d.estimatedBytes);
  }
  const model = snapshot.result.model;
  const tree = ctx.store.tree(doc);
  if (model && tree) {
    const nodes = tree.rootNode.descendantsOfType(MATERIALIZING, lines.treePoint(from), lines.treePoint(to));
    for (const node of nodes) {
      if (!node || node.endIndex < from || node.startIndex > to || sizes.has(node.endIndex)) continue;
      let bytes: number | null;
      try {
        bytes = comprehensionBytes(node, model);
      } catch (error) {
        // A model updated incrementally cannot find a node of an earlier tree again (a zero-width
        // node of a syntax error): no hint there; the next full lint rebuilds the model.
        if (error instanceof StaleNodeError) continue;
        throw error;
      }
      if (bytes !== null && bytes >= MIN_HINT_BYTES) sizes.set(node.endIndex, bytes);
    }
  }
  return [...sizes.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([offset, bytes]) => ({
      position: toPosition(lines, offset, encoding),
      label: `≈ ${formatBytes(bytes)}`,
      paddingLeft: true,
      tooltip: `memhint: estimated peak memory of building this collection: ${Math.round(bytes).toLocaleString("en-US")} bytes (CPython 3.11, 64-bit)`,
    }));
}
