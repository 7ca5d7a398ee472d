import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { grammarPath } from "../server/engine/parser.js";
import { parser } from "./helpers/engine.js";

const PINNED_VERSION = "0.25.0";
const PINNED_SHA256 = "16108b50df4ee9a30168794252ab55e7c93bfc5765d7fa0aa3e335752c515f47";

const EVERY_CONSTRUCT = `
from __future__ import annotations
import asyncio as aio
from typing import TypeVar

type Pair[T] = tuple[T, T]

@dataclass(frozen=True)
class Point[T]:
    x: T
    y: T

def first[T](items: list[T], /, *, default: T | None = None) -> T | None:
    return items[0] if items else default

async def gather(n):
    async with aio.timeout(1) as t:
        values = [x async for x in stream(n) if await ok(x)]
        async for v in stream(n):
            yield v
    return

def matcher(command):
    match command:
        case {"action": "go", "to": str(target)}:
            return target
        case [Point(x=0, y=0) as origin, *rest] if rest:
            return origin
        case 1 | 2 | 3:
            return "small"
        case _:
            return None

if (n := len(data := [1, 2, 3])) > 2:
    print(f"{n=} {data!r:>10} {'nested' + f'{n:{n}}'}")
lam = lambda *a, **k: (a, k)
squares = {k: v ** 2 for k, v in zip(range(3), range(3))}
try:
    pass
except* ValueError as group:
    raise
global_value: int = 1
print(*[1], **{"sep": ""})
`;

describe("grammar", () => {
  it("is the file the pinned tree-sitter-python package ships", () => {
    const bytes = readFileSync(grammarPath());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(PINNED_SHA256);
    const require = createRequire(import.meta.url);
    const pkg = require("tree-sitter-python/package.json") as { version: string };
    expect(pkg.version).toBe(PINNED_VERSION);
    const shipped = readFileSync(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
    expect(shipped.equals(bytes)).toBe(true);
  });

  it("parses every Python 3.12 construct without errors", () => {
    const tree = parser.parse(EVERY_CONSTRUCT);
    try {
      expect(tree.rootNode.hasError).toBe(false);
      const types = new Set(tree.rootNode.descendantsOfType([
        "match_statement", "named_expression", "type_alias_statement", "decorator", "interpolation",
        "list_comprehension", "dictionary_comprehension", "lambda", "type_parameter",
      ]).map((n) => n?.type));
      expect([...types].sort()).toEqual([
        "decorator", "dictionary_comprehension", "interpolation", "lambda", "list_comprehension",
        "match_statement", "named_expression", "type_alias_statement", "type_parameter",
      ]);
      const asyncFor = tree.rootNode.descendantsOfType("for_in_clause").filter((c) => c?.child(0)?.type === "async");
      expect(asyncFor).toHaveLength(1);
    } finally {
      tree.delete();
    }
  });

  it("reports syntax errors as errors rather than failing", () => {
    const tree = parser.parse("def broken(:\n    return [x for x in\n");
    try {
      expect(tree.rootNode.hasError).toBe(true);
    } finally {
      tree.delete();
    }
  });
});
