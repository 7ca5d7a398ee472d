/**
 * The cache of `memhint check` (server/cli/cache.ts), through the built binary.
 *
 * A hit is proven without timing: after a first run, the test rewrites the file's entry as a
 * valid entry (the cache's own encoder, with the right key and checksum) whose finding says
 * "FROM THE CACHE". A run that prints it read the entry; a run that prints the real message
 * linted the file. An engine change is simulated honestly: a copy of the package (bin, dist,
 * grammars, package.json; node_modules linked) in a temporary folder, one of whose built rule
 * files then gets an extra comment, as a rebuild between two commits would change it.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry } from "../server/cli/cache.js";
import { CHECK, memhint, ROOT, tempDir, writeTree, type Ran } from "./helpers/cli.js";

const BAD = "total = sum([i * i for i in range(10**6)])\n";
const FORGED = "FROM THE CACHE";
const CACHE = ".memhint_cache";

/** The entry files under `dir`'s cache (path → content). */
function entries(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const cache = join(dir, CACHE);
  for (const name of readdirSync(cache, { recursive: true, encoding: "utf8" })) {
    const path = join(cache, name);
    if (/^[0-9a-f]{64}$/.test(name.split("/").at(-1) ?? "")) out.set(path, readFileSync(path, "utf8"));
  }
  return out;
}

/** Rewrite every entry as an intact one whose findings say FORGED. */
function forgeEntries(dir: string): void {
  const all = entries(dir);
  expect(all.size).toBeGreaterThan(0);
  for (const [path, text] of all) {
    const key = path.split("/").at(-1) as string;
    const lint = decodeEntry(key, text);
    expect(lint).not.toBeNull();
    for (const d of lint!.diagnostics) d.message = FORGED;
    writeFileSync(path, encodeEntry(key, lint!));
  }
}

/** A project (a .git folder) with one file holding one MH101 finding, checked once. */
function checkedProject(): { dir: string; first: Ran } {
  const dir = tempDir();
  mkdirSync(join(dir, ".git"));
  writeTree(dir, { "a.py": BAD });
  const first = memhint([...CHECK], dir);
  expect(first.status).toBe(1);
  expect(first.stdout).toContain("a.py:1:13: MH101");
  return { dir, first };
}

describe("memhint check: the cache", () => {
  it("keeps .memhint_cache/ at the project root, ignored by git, and reads it on the next run", () => {
    const { dir, first } = checkedProject();
    expect(readFileSync(join(dir, CACHE, ".gitignore"), "utf8")).toBe("*\n");
    expect(readFileSync(join(dir, CACHE, "CACHEDIR.TAG"), "utf8")).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55\n/);
    expect(entries(dir).size).toBe(1);
    const git = spawnSync("git", ["init", "-q"], { cwd: dir });
    if (!git.error && git.status === 0) {
      const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir, encoding: "utf8" });
      expect(status.stdout).toBe("?? a.py\n");
    }
    // Second run, the entry untouched: the same report.
    expect(memhint([...CHECK], dir)).toEqual(first);
    forgeEntries(dir);
    const hit = memhint([...CHECK], dir);
    expect(hit.stdout).toContain(`a.py:1:13: MH101 [*] ${FORGED}`);
    expect(hit.status).toBe(1);
  });

  it("reports cached findings exactly as a fresh lint does, in every format", () => {
    const { dir } = checkedProject();
    writeTree(dir, { "b.py": `import os\n${BAD}${BAD}`, "tests/test_c.py": BAD, "broken.py": "def f(:\n" });
    for (const format of ["concise", "full", "json", "json-lines", "sarif", "github", "junit"]) {
      const fresh = memhint([...CHECK, "--output-format", format, "--no-cache"], dir);
      memhint([...CHECK, "--output-format", format], dir); // fills the cache
      const cached = memhint([...CHECK, "--output-format", format], dir);
      const timeless = (text: string) => text.replace(/in \d+\.\d+s/g, "in Xs").replace(/time="[^"]*"/g, 'time="X"');
      expect(timeless(cached.stdout)).toBe(timeless(fresh.stdout));
      expect(cached.stderr).toBe(fresh.stderr);
      expect(cached.status).toBe(fresh.status);
    }
    expect(entries(dir).size).toBe(4);
  });

  it("lints a file again when its content changes", () => {
    const { dir } = checkedProject();
    forgeEntries(dir);
    writeFileSync(join(dir, "a.py"), `# edited\n${BAD}`);
    const r = memhint([...CHECK], dir);
    expect(r.stdout).toContain("a.py:2:13: MH101");
    expect(r.stdout).not.toContain(FORGED);
    expect(entries(dir).size).toBe(2);
  });

  it("lints again when the settings change: a config file edit or a command-line selection", () => {
    const dir = tempDir();
    writeTree(dir, { "pyproject.toml": "[tool.memhint]\nselect = [\"ALL\"]\n", "sub/a.py": BAD });
    expect(memhint(["check"], join(dir, "sub")).stdout).toContain("a.py:1:13: MH101");
    expect(existsSync(join(dir, CACHE))).toBe(true); // the config file's folder is the project root
    expect(existsSync(join(dir, "sub", CACHE))).toBe(false);
    forgeEntries(dir);
    expect(memhint(["check"], join(dir, "sub")).stdout).toContain(FORGED);
    writeFileSync(join(dir, "pyproject.toml"), "[tool.memhint]\nselect = [\"ALL\"]\nlru-cache-maxsize = 200\n");
    const r = memhint(["check"], join(dir, "sub"));
    expect(r.stdout).toContain("a.py:1:13: MH101");
    expect(r.stdout).not.toContain(FORGED);
    forgeEntries(dir);
    expect(memhint(["check", "--select", "MH1"], join(dir, "sub")).stdout).not.toContain(FORGED);
  });

  it("lints again when the engine changes (a rebuilt rule file, same version)", () => {
    const install = tempDir();
    for (const part of ["bin", "grammars", "package.json", "dist/server", "dist/rules"]) {
      cpSync(join(ROOT, part), join(install, part), { recursive: true });
    }
    symlinkSync(join(ROOT, "node_modules"), join(install, "node_modules"));
    const dir = tempDir();
    mkdirSync(join(dir, ".git"));
    writeTree(dir, { "a.py": BAD });
    const run = () => spawnSync(process.execPath, [join(install, "bin", "memhint.js"), ...CHECK], { cwd: dir, encoding: "utf8" });
    expect(run().stdout).toContain("a.py:1:13: MH101");
    forgeEntries(dir);
    expect(run().stdout).toContain(FORGED);
    const ruleFile = join(install, "dist", "rules", "index.js");
    writeFileSync(ruleFile, `${readFileSync(ruleFile, "utf8")}\n// rebuilt\n`);
    const r = run();
    expect(r.stdout).toContain("a.py:1:13: MH101");
    expect(r.stdout).not.toContain(FORGED);
  });

  it("discards corrupt, truncated and foreign entries, and writes a good one in their place", () => {
    const { dir, first } = checkedProject();
    const [[path, good]] = [...entries(dir)];
    const key = path.split("/").at(-1) as string;
    const otherKey = "0".repeat(64);
    const lint = decodeEntry(key, good)!;
    lint.diagnostics[0].message = FORGED;
    const forged = encodeEntry(key, lint);
    const bad = [
      good.slice(0, good.length - 10), // truncated
      "", // empty
      "\u0000\u0001 binary garbage",
      forged.replace(FORGED, "FROM THE CACHF"), // edited after the checksum
      encodeEntry(otherKey, lint), // another file's entry
      forged.replace("memhint-cache 1", "memhint-cache 9"), // another format
      `memhint-cache 1 ${key} ${"0".repeat(64)}\n{}`,
      (() => { // intact, but not the shape of a lint
        const body = JSON.stringify({ diagnostics: [{ code: 1 }], hasSyntaxErrors: false });
        return `${encodeEntry(key, lint).split(" ").slice(0, 2).join(" ")} ${key} ${sha256(body)}\n${body}`;
      })(),
    ];
    for (const text of bad) {
      writeFileSync(path, text);
      expect(memhint([...CHECK], dir)).toEqual(first);
      expect(readFileSync(path, "utf8")).toBe(good); // rewritten
    }
  });

  it("--no-cache neither reads nor creates the cache", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const r = memhint([...CHECK, "--no-cache"], dir);
    expect(r.stdout).toContain("a.py:1:13: MH101");
    expect(existsSync(join(dir, CACHE))).toBe(false);
    memhint([...CHECK], dir);
    forgeEntries(dir);
    expect(memhint([...CHECK], dir).stdout).toContain(FORGED);
    expect(memhint([...CHECK, "--no-cache"], dir).stdout).not.toContain(FORGED);
  });

  it("--fix, --diff and stdin lint the file itself, never a cached result", () => {
    const { dir } = checkedProject();
    forgeEntries(dir);
    expect(memhint([...CHECK, "--diff"], dir).stdout).toContain("+total = sum(i * i for i in range(10**6))");
    expect(memhint([...CHECK, "--stdin-filename", "a.py"], dir, BAD).stdout).not.toContain(FORGED);
    const fixed = memhint([...CHECK, "--fix"], dir);
    expect(fixed.stdout).toContain("a.py: fixed 1 finding (MH101)");
  });

  it("leaves a .memhint_cache that memhint did not make alone, with a warning", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, ".memhint_cache/notes.txt": "mine\n" });
    const r = memhint([...CHECK], dir);
    expect(r.stdout).toContain("a.py:1:13: MH101");
    expect(r.stderr).toBe(`memhint check: warning: .memhint_cache was not made by memhint (it has no CACHEDIR.TAG of memhint's), so it is left alone; the cache is not used\n`);
    expect(readdirSync(join(dir, CACHE))).toEqual(["notes.txt"]);
    const file = tempDir();
    writeTree(file, { "a.py": BAD, ".memhint_cache": "a file\n" });
    expect(memhint([...CHECK], file).stderr).toBe("memhint check: warning: .memhint_cache is not a folder; the cache is not used\n");
  });

  it("is shared safely by worker threads and parallel runs", async () => {
    const dir = tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`m${i}.py`] = `x${i} = 1\n${BAD}`;
    writeTree(dir, files);
    const { spawn } = await import("node:child_process");
    const once = () => new Promise<string>((resolveRun) => {
      const child = spawn(process.execPath, [join(ROOT, "bin", "memhint.js"), ...CHECK, "--jobs", "4"], { cwd: dir });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.on("close", () => resolveRun(out));
    });
    const outputs = await Promise.all([once(), once(), once()]);
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toContain("Found 40 findings");
    const all = entries(dir);
    expect(all.size).toBe(40);
    for (const [path, text] of all) expect(decodeEntry(path.split("/").at(-1) as string, text)).not.toBeNull();
    expect(readdirSync(join(dir, CACHE), { recursive: true, encoding: "utf8" }).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(await once()).toBe(outputs[0]);
    // The first file changed: the worker threads lint it and read the other 39 from the cache.
    forgeEntries(dir);
    writeFileSync(join(dir, "m0.py"), `y = 2\n${BAD}`);
    const partly = await once();
    expect(partly.split(FORGED).length - 1).toBe(39);
    expect(partly).toMatch(/^m0\.py:2:13: MH101 \[\*\] (?!FROM)/m);
  });
});

describe("memhint check: pruning the cache", () => {
  const DAY = 24 * 60 * 60 * 1000;
  const age = (path: string, days: number): void => {
    const at = new Date(Date.now() - days * DAY);
    utimesSync(path, at, at);
  };

  it("removes, once a day, the entries no run has used for 7 days, and keeps those the run used", () => {
    const { dir, first } = checkedProject();
    const [used] = [...entries(dir).keys()];
    // An entry of a file since changed, and one of a run killed while writing, both old.
    const stale = join(dir, CACHE, "ab", "ab".padEnd(64, "0"));
    const temporary = `${stale}.0123456789ab.tmp`;
    mkdirSync(join(dir, CACHE, "ab"), { recursive: true });
    writeFileSync(stale, "memhint-cache 1 stale\n{}");
    writeFileSync(temporary, "half");
    for (const path of [used, stale, temporary]) age(path, 8);
    // Pruned yesterday: not again today.
    age(join(dir, CACHE, "last-pruned"), 0.5);
    expect(memhint([...CHECK], dir).stdout).toBe(first.stdout);
    expect(existsSync(stale)).toBe(true);
    for (const path of [used, stale, temporary]) age(path, 8);
    age(join(dir, CACHE, "last-pruned"), 2);
    expect(memhint([...CHECK], dir).stdout).toBe(first.stdout);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(temporary)).toBe(false);
    expect(existsSync(join(dir, CACHE, "ab"))).toBe(false);
    // The entry this run read was kept (and marked used now); the cache's own files too.
    expect([...entries(dir).keys()]).toEqual([used]);
    expect(Date.now() - statSync(used).mtimeMs).toBeLessThan(DAY);
    expect(readdirSync(join(dir, CACHE)).filter((n) => !/^[0-9a-f]{2}$/.test(n)).sort()).toEqual([".gitignore", "CACHEDIR.TAG", "last-pruned"]);
  });

  it("keeps entries not used by this run while they are younger than 7 days (a run on part of the project)", () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".git"));
    writeTree(dir, { "memhint.toml": "", "a.py": BAD, "b/b.py": BAD });
    memhint([...CHECK], dir);
    expect(entries(dir).size).toBe(2);
    age(join(dir, CACHE, "last-pruned"), 2);
    memhint([...CHECK, "b"], dir);
    expect(entries(dir).size).toBe(2);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
