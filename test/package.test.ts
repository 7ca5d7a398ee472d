/**
 * The published package, as a user gets it: `npm pack` of this checkout, installed into an empty
 * project, then `memhint check` and `memhint lsp --stdio` run from that project's
 * node_modules/.bin. The tarball holds what those two commands need and nothing else: no source
 * maps (they point at .ts files that are not shipped), no benchmark or fuzz scripts, no test
 * helpers; and it carries the LICENSE that package.json names.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, tempDir } from "./helpers/cli.js";
import { fileUri, LspClient } from "./helpers/lsp-client.js";

const npmVersion = spawnSync("npm", ["--version"], { encoding: "utf8" });
const npmAvailable = npmVersion.status === 0;

/**
 * The environment for a child npm: without the lowercase `npm_*` variables that `npm test`
 * passes to its scripts (`npm_config_local_prefix` and friends would point npm back at this
 * checkout instead of the scratch project).
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_")));
}

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync("npm", args, { cwd, env: npmEnv(), encoding: "utf8", timeout: 90_000 });
  if (result.error) throw result.error;
  return result;
}

/** Every Markdown file under `dir`, relative to the repository root. */
function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".md"))
    .map((path) => relative(ROOT, join(ROOT, dir, path)));
}

const SOURCES = {
  // MH104, on by default: a constant size of 1 GiB.
  "huge.py": "buf = bytearray(1 << 30)\n",
  // MH101, opt-in: the list's length comes from a parameter of a public function.
  "total.py": "def total(rows):\n    return sum([len(r) for r in rows])\n",
};

(npmAvailable ? describe : describe.skip)(`the npm package${npmAvailable ? "" : " (skipped: npm is not on PATH)"}`, () => {
  let files: string[];
  let project: string;
  let bin: string;
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

  beforeAll(() => {
    const out = tempDir();
    // `npm test` has built dist/ already; running the build again (prepare) would rewrite dist/
    // under the tests running beside this one.
    const pack = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", out], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed.files.map((f) => f.path);

    project = join(out, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", version: "1.0.0", private: true }));
    for (const [name, text] of Object.entries(SOURCES)) writeFileSync(join(project, name), text);
    // memhint's dependencies are in npm's cache after `npm ci`; if they are not, fetch them.
    const flags = ["--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"];
    const tarball = join(out, packed.filename);
    let install = npm(["install", "--offline", ...flags, tarball], project);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) install = npm(["install", "--prefer-offline", ...flags, tarball], project);
    expect(install.status, install.stderr).toBe(0);
    bin = join(project, "node_modules", ".bin", "memhint");
  }, 120_000);

  it("holds the CLI, the server, the rules with their docs, the grammar, README and LICENSE, and no source maps or scripts", () => {
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => /^(dist\/)?(scripts|test)\//.test(f))).toEqual([]);
    for (const required of ["LICENSE", "README.md", "package.json", "bin/memhint.js", "grammars/tree-sitter-python.wasm", "dist/server/cli/main.js", "dist/server/lsp/server.js", "dist/rules/index.js"]) {
      expect(files).toContain(required);
    }
    // Each module reads its docs beside it at run time (server/engine/docs.ts).
    for (const doc of [...markdownUnder("rules"), ...markdownUnder("server")]) expect(files).toContain(`dist/${doc}`);
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the memhint authors\n/);
  });

  it("installs a `memhint` command that checks files", () => {
    expect(existsSync(join(project, "node_modules", "memhint", "dist", "server", "cli", "main.js"))).toBe(true);
    const versionRun = spawnSync(bin, ["--version"], { cwd: project, encoding: "utf8" });
    expect(versionRun.stdout).toBe(`memhint ${version}\n`);

    const run = spawnSync(bin, ["check", "--select", "ALL", "huge.py", "total.py"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("huge.py:1:7: MH104 ");
    expect(run.stdout).toContain("total.py:2:16: MH101 [*] ");
    expect(run.stdout).toContain("Found 2 findings");
    expect(run.status).toBe(1);
  });

  it("installs a language server that answers initialize, publishes diagnostics and shuts down", async () => {
    const client = LspClient.start({ command: bin, args: ["lsp", "--stdio"], cwd: project });
    try {
      const init = await client.initialize();
      expect(init.serverInfo).toEqual({ name: "memhint", version });
      const uri = fileUri(join(project, "huge.py"));
      client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: SOURCES["huge.py"] } });
      const diagnostics = await client.diagnostics(uri, 1);
      expect(diagnostics.map((d) => d.code)).toEqual(["MH104"]);
      expect(await client.shutdown()).toBe(0);
    } finally {
      client.kill();
    }
  });
});
