// Part of `npm run build`: copy the rules' Markdown docs (rules/**/*.md, server/**/*.md) next to
// the compiled modules in dist/, where each module reads its own (server/engine/docs.ts), and the
// review's figures (rules/precision.json), which the registry reads.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function copyMarkdown(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyMarkdown(path);
    else if (entry.name.endsWith(".md")) {
      const target = join(root, "dist", relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
    }
  }
}

for (const dir of ["rules", "server"]) copyMarkdown(join(root, dir));
copyFileSync(join(root, "rules", "precision.json"), join(root, "dist", "rules", "precision.json"));
