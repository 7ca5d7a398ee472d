/**
 * The published package, as a user gets it: `npm pack` of this checkout, installed into an empty
 * project, then `memhint check` and `memhint lsp --stdio` run from that project's
 * node_modules/.bin. The tarball holds what those two commands need and nothing else: no source
 * maps (they point at .ts files that are not shipped), no benchmark or fuzz scripts, no test
 * helpers; and it carries the LICENSE that package.json names.
 *
 * And the pre-commit hook (.pre-commit-hooks.yaml), run by a real `pre-commit` from a scratch
 * git repository, with this checkout as the hook repository: pre-commit installs it the way it
 * installs any `language: node` hook (npm install, npm pack, npm install -g of the tarball).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
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
    for (const required of ["LICENSE", "README.md", "package.json", "bin/memhint.js", "grammars/tree-sitter-python.wasm", "dist/server/cli/main.js", "dist/server/lsp/server.js", "dist/rules/index.js", "dist/rules/precision.json"]) {
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

const preCommit = spawnSync("pre-commit", ["--version"], { encoding: "utf8" });
const preCommitAvailable = preCommit.status === 0 && npmAvailable;
// CI installs pre-commit (.ci/run); elsewhere the test says why it did not run.
const runPreCommit = preCommitAvailable || process.env.CI ? describe : describe.skip;

/** Run git quietly in `cwd`, as a scratch identity. */
function git(args: string[], cwd: string): string {
  const identity = { GIT_AUTHOR_NAME: "memhint test", GIT_AUTHOR_EMAIL: "test@example.invalid", GIT_COMMITTER_NAME: "memhint test", GIT_COMMITTER_EMAIL: "test@example.invalid" };
  return execFileSync("git", args, { cwd, env: { ...process.env, ...identity }, encoding: "utf8" });
}

/**
 * A git repository holding this checkout's files as they are now (committed or not, ignored
 * ones left out), committed; returns its commit. pre-commit clones a hook repository at a
 * commit, and this way the hook under test is the one in the working tree.
 */
function snapshotOfCheckout(into: string): string {
  const paths = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    .split("\0")
    .filter((path) => path !== "" && path !== "node_modules" && existsSync(join(ROOT, path)));
  for (const path of paths) {
    mkdirSync(dirname(join(into, path)), { recursive: true });
    cpSync(join(ROOT, path), join(into, path));
  }
  git(["init", "-q"], into);
  git(["add", "-A"], into);
  git(["commit", "-q", "-m", "snapshot"], into);
  return git(["rev-parse", "HEAD"], into).trim();
}

runPreCommit(`the pre-commit hook (${preCommitAvailable ? preCommit.stdout.trim() : "skipped: pre-commit or npm is not installed"})`, () => {
  let project: string;
  let home: string;

  function preCommitRun(): SpawnSyncReturns<string> {
    const result = spawnSync("pre-commit", ["run", "--all-files", "--color", "never"], { cwd: project, env: { ...npmEnv(), PRE_COMMIT_HOME: home }, encoding: "utf8", timeout: 150_000 });
    if (result.error) throw result.error;
    return result;
  }

  beforeAll(() => {
    const dir = tempDir();
    const hookRepo = join(dir, "memhint");
    const rev = snapshotOfCheckout(hookRepo);
    home = join(dir, "pre-commit-home");
    project = join(dir, "project");
    mkdirSync(project);
    git(["init", "-q"], project);
    writeFileSync(join(project, ".pre-commit-config.yaml"), `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: memhint\n`);
  });

  it("installs memhint, checks the Python files it is given and fails on a finding; passes once it is fixed", () => {
    writeFileSync(join(project, "huge.py"), SOURCES["huge.py"]);
    writeFileSync(join(project, "clean.py"), "x = 1\n");
    // Not Python: pre-commit must not pass it (memhint would report a syntax error in it).
    writeFileSync(join(project, "notes.txt"), "def (\n");
    git(["add", "-A"], project);
    const failing = preCommitRun();
    expect(failing.stdout).toMatch(/^memhint\.+Failed$/m);
    expect(failing.stdout).toContain("huge.py:1:7: MH104 ");
    expect(failing.stdout).toContain("Found 1 finding.");
    expect(failing.stdout).not.toContain("notes.txt");
    expect(failing.status).toBe(1);

    writeFileSync(join(project, "huge.py"), "buf = bytearray(1024)\n");
    git(["add", "-A"], project);
    const passing = preCommitRun();
    expect(passing.stdout).toMatch(/^memhint\.+Passed$/m);
    expect(passing.status).toBe(0);
  }, 180_000);
});
