/**
 * A rule's documentation is a Markdown file beside its module (`rules/mh101-....md`), readable in
 * a diff, with fixed sections as in ruff's rule docs:
 *
 *     ## What it does
 *     ## Why is this bad?
 *     ## Example            (a ```python block)
 *     ## Use instead        (a ```python block)
 *     ## Fix safety
 *     ## Limits
 *
 * The build copies the files next to the compiled modules, so a module finds its docs the same
 * way from the sources (tests) and from `dist/`. docs/rules.md, hover and `memhint rules` are
 * made from what this reads.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RuleDocs } from "./types.js";

const SECTIONS: ReadonlyArray<[heading: string, key: keyof RuleDocs, code: boolean]> = [
  ["What it does", "what", false],
  ["Why is this bad?", "why", false],
  ["Example", "example", true],
  ["Use instead", "useInstead", true],
  ["Fix safety", "fixSafety", false],
  ["Limits", "limits", false],
];

/** Parse a rule's Markdown docs; `origin` names the file in errors. */
export function parseRuleDocs(markdown: string, origin: string): RuleDocs {
  const text = markdown.replace(/\r\n?/g, "\n");
  const found = new Map<string, string>();
  const headings = [...text.matchAll(/^## (.+)$/gm)];
  headings.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const end = i + 1 < headings.length ? headings[i + 1].index ?? text.length : text.length;
    found.set(m[1].trim(), text.slice(start, end).trim());
  });
  const docs = {} as RuleDocs;
  for (const [heading, key, code] of SECTIONS) {
    const body = found.get(heading);
    if (body === undefined || body === "") throw new Error(`${origin}: missing the section "## ${heading}"`);
    if (code) {
      const block = /^```python\n([\s\S]*?)\n```$/.exec(body);
      if (!block) throw new Error(`${origin}: "## ${heading}" must be one \`\`\`python block`);
      docs[key] = block[1];
    } else {
      docs[key] = body;
    }
  }
  const unknown = [...found.keys()].filter((h) => !SECTIONS.some(([heading]) => heading === h));
  if (unknown.length > 0) throw new Error(`${origin}: unknown section "## ${unknown[0]}"`);
  return docs;
}

/** The docs in the Markdown file at `url` (`new URL("./mh101-....md", import.meta.url)` in a rule). */
export function ruleDocs(url: URL): RuleDocs {
  const path = fileURLToPath(url);
  return parseRuleDocs(readFileSync(path, "utf8"), path);
}

/** Render docs as the Markdown file that `parseRuleDocs` reads (sections in order). */
export function renderRuleDocs(title: string, docs: RuleDocs): string {
  const parts = [`# ${title}`, ""];
  for (const [heading, key, code] of SECTIONS) {
    parts.push(`## ${heading}`, "", code ? `\`\`\`python\n${docs[key]}\n\`\`\`` : docs[key], "");
  }
  return parts.join("\n");
}
