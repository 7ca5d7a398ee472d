/**
 * The layering the code relies on, checked on the imports of every source file:
 *   - no rule imports another rule (shared knowledge lives in the engine's facts layer); a rule
 *     that is a folder (`rules/mh301/`) may import its own files; only the registry
 *     (`rules/index.ts`) imports rules;
 *   - the engine imports no rule and no front end;
 *   - the front ends reach the rules only through the registry.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The files a source file imports (relative specifiers only), as paths relative to the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/gm)) {
    const specifier = m[1] ?? m[2];
    out.push(relative(ROOT, resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))).split(sep).join("/"));
  }
  return out;
}

/** The rule a file under rules/ belongs to: its file, or its folder. Null for the registry. */
function ruleOf(path: string): string | null {
  const parts = path.split("/");
  if (parts[0] !== "rules" || path === "rules/index.ts") return null;
  return parts.length > 2 ? parts.slice(0, 2).join("/") : path;
}

const files = [...sourceFiles(join(ROOT, "rules")), ...sourceFiles(join(ROOT, "server"))].map((f) => ({
  path: relative(ROOT, f).split(sep).join("/"),
  imports: importsOf(f),
}));

describe("architecture", () => {
  it("finds the sources and their imports", () => {
    expect(files.filter((f) => f.path.startsWith("rules/")).length).toBeGreaterThan(8);
    expect(files.find((f) => f.path === "rules/index.ts")?.imports.length).toBeGreaterThan(8);
  });

  it("no rule imports another rule", () => {
    const crossings: string[] = [];
    for (const file of files) {
      const own = ruleOf(file.path);
      if (own === null) continue;
      for (const target of file.imports) {
        const other = ruleOf(target);
        if (target === "rules/index.ts" || (other !== null && other !== own)) crossings.push(`${file.path} imports ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it("the engine imports no rule and no front end", () => {
    const crossings = files
      .filter((f) => f.path.startsWith("server/engine/"))
      .flatMap((f) => f.imports.filter((t) => t.startsWith("rules/") || t.startsWith("server/cli/") || t.startsWith("server/lsp/")).map((t) => `${f.path} imports ${t}`));
    expect(crossings).toEqual([]);
  });

  it("the front ends reach rules only through the registry", () => {
    const crossings = files
      .filter((f) => !f.path.startsWith("rules/"))
      .flatMap((f) => f.imports.filter((t) => t.startsWith("rules/") && t !== "rules/index.ts").map((t) => `${f.path} imports ${t}`));
    expect(crossings).toEqual([]);
  });
});
