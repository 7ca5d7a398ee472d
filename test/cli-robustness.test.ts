/**
 * `memhint check` on hostile input: files that are not regular files, unbounded input, races
 * with other writers, read-only and hard-linked files, signals, file names that could forge
 * output lines. Each test reproduces a report from an adversarial review with the real thing (a
 * real FIFO, a real link to /dev/zero, a real concurrent writer, real signals); tests about
 * permissions also run as an unprivileged user (uid 65534).
 */
import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import {
  chmodSync, chownSync, existsSync, linkSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, statSync,
  symlinkSync, writeFileSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileChangedError, WriteRefusedError, writeFileAtomically } from "../server/cli/write.js";
import { BIN, CHECK, memhint, tempDir, writeTree } from "./helpers/cli.js";

const BAD = "total = sum([i * i for i in range(10**6)])\n";
const GOOD = "total = sum(i * i for i in range(10**6))\n";
const NOBODY = 65534;

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

/** Run the binary with options (a user id, a time limit); never hangs the test. */
function run(args: readonly string[], cwd: string, options: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 30_000, ...options });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Side files a write leaves behind if it is cut short. */
function sideFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (/\.memhint-\d+-[0-9a-f]+\.(tmp|orig)$/.test(entry.name)) out.push(entry.name);
  }
  return out;
}

/** A directory every user may enter and write, for tests that run as nobody. */
function sharedDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o777);
  return dir;
}

const noStackTrace = (stderr: string): void => {
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|internal error/);
};

describe("memhint check reads only regular files, never without a limit", () => {
  it("skips a link to /dev/zero found in a folder, with a notice, and checks the rest", () => {
    const dir = tempDir();
    writeTree(dir, { "t/a.py": BAD });
    symlinkSync("/dev/zero", join(dir, "t", "z.py"));
    const r = run([...CHECK, "t", "--no-config"], dir);
    expect(r.stderr).toContain("t/z.py: skipped: not a regular file (a link to a character device)");
    expect(r.stdout).toMatch(/^t\/a\.py:1:13: MH101/m);
    expect(r.status).toBe(1); // a notice: nothing that was asked for went unchecked
  });

  it("refuses /dev/zero named on the command line: exit 2, a reason, nothing on stdout", () => {
    const r = run([...CHECK, "/dev/zero", "--no-config"], tempDir());
    expect(r.stderr).toContain("/dev/zero: skipped: not a regular file (a character device)");
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });

  it("does not wait on a FIFO named on the command line, nor on one found in a folder", () => {
    const dir = tempDir();
    writeTree(dir, { "f/a.py": BAD });
    mkfifo(join(dir, "f", "x.py"));
    const named = run([...CHECK, "f/x.py", "--no-config"], dir, { timeout: 20_000 });
    expect(named.stderr).toContain("f/x.py: skipped: not a regular file (a FIFO)");
    expect(named.stdout).toBe("");
    expect(named.status).toBe(2);
    const walked = run([...CHECK, "f", "--no-config"], dir, { timeout: 20_000 });
    expect(walked.stderr).toContain("f/x.py: skipped: not a regular file (a FIFO)");
    expect(walked.stdout).toMatch(/^f\/a\.py:1:13: MH101/m);
    expect(walked.status).toBe(1);
  });

  it("--fix --jobs 1 never blocks on a *.py link to a FIFO found in a folder (the reported hang)", () => {
    // The cause of the `--fix --jobs 1` hangs: opening a FIFO for reading waits for a writer
    // (the main thread in fifo_open, the others idle in futex waits).
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    mkfifo(join(dir, "pipe"));
    symlinkSync("pipe", join(dir, "pipe_link.py"));
    symlinkSync("/dev/null", join(dir, "null_link.py"));
    const r = run([...CHECK, "--fix", "--jobs", "1", "--no-config"], dir, { timeout: 20_000 });
    expect(r.stdout).toBe("a.py: fixed 1 finding (MH101)\nFound 1 finding (1 fixed, 0 remaining).\n");
    expect(r.stderr).toContain("pipe_link.py: skipped: not a regular file (a link to a FIFO)");
    expect(r.stderr).toContain("null_link.py: skipped: not a regular file (a link to a character device)");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(GOOD);
  });

  it("passes over a .gitignore that is a FIFO or a link to /dev/zero, with a notice", () => {
    const dir = tempDir();
    writeTree(dir, { "u/a.py": BAD, "g/a.py": BAD });
    symlinkSync("/dev/zero", join(dir, "u", ".gitignore"));
    mkfifo(join(dir, "g", ".gitignore"));
    const r = run([...CHECK, "u", "g", "--no-config"], dir, { timeout: 20_000 });
    expect(r.stderr).toContain("u/.gitignore: not a regular file (a character device); its patterns were not applied");
    expect(r.stderr).toContain("g/.gitignore: not a regular file (a FIFO); its patterns were not applied");
    expect(r.stdout.match(/MH101/g)).toHaveLength(2);
    expect(r.status).toBe(1);
  });

  it("passes over a config file that is a FIFO, and says what --config names", () => {
    const dir = tempDir();
    writeTree(dir, { "p/a.py": BAD });
    mkfifo(join(dir, "p", "pyproject.toml"));
    const found = run([...CHECK, "p"], dir, { timeout: 20_000 });
    expect(found.stderr).toContain("memhint check: warning: p/pyproject.toml: config file skipped: not a regular file (a FIFO)");
    expect(found.stdout).toMatch(/MH101/);
    expect(found.status).toBe(1);
    const named = run([...CHECK, "p", "--config", "p/pyproject.toml"], dir, { timeout: 20_000 });
    expect(named.stderr).toBe(`memhint check: configuration error: ${join(dir, "p", "pyproject.toml")}: cannot use this config file: it is a FIFO, not a regular file\n`);
    expect(named.status).toBe(2);
  });

  it("stops reading stdin past 10 MB: exit 2, a clear message, nothing on stdout", async () => {
    const child = spawn(process.execPath, [BIN, ...CHECK, "-", "--no-config"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const chunk = Buffer.from("x = 1\n".repeat(100_000)); // 600 KB
    let written = 0;
    let open = true;
    child.stdin.on("error", () => (open = false)); // EPIPE once memhint stops reading
    const status = await new Promise<number | null>((resolve) => {
      child.on("close", (code) => {
        open = false;
        resolve(code);
      });
      const pump = (): void => {
        // Like `yes | memhint check -`: write for as long as the pipe is open (at most 200 MB).
        while (open && written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!child.stdin.write(chunk)) {
            child.stdin.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("-: skipped: the input on stdin is larger than 10 MB");
    expect(written).toBeLessThan(64 * 1024 * 1024); // it stopped reading, so the writer stopped too
  });
});

describe("memhint check: clean errors, never a stack trace", () => {
  it("a symbolic link loop as the first path", () => {
    const dir = tempDir();
    symlinkSync("loop2", join(dir, "loop1"));
    symlinkSync("loop1", join(dir, "loop2"));
    const r = run([...CHECK, "loop1", "--no-config"], dir);
    expect(r.stderr).toContain("loop1: skipped: cannot access: too many levels of symbolic links");
    noStackTrace(r.stderr);
    expect(r.status).toBe(2);
  });

  it("a file named in a folder the user cannot enter (as uid 65534)", () => {
    const dir = sharedDir();
    writeTree(dir, { "locked/sub/a.py": BAD });
    chmodSync(join(dir, "locked"), 0o700);
    const r = run([...CHECK, "locked/sub/a.py", "--no-config"], dir, { uid: NOBODY, gid: NOBODY });
    expect(r.stderr).toContain("locked/sub/a.py: skipped: cannot access: permission denied");
    noStackTrace(r.stderr);
    expect(r.status).toBe(2);
  });

  it("a .gitignore line too long to compile is skipped with a notice; the other lines apply", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, "b.py": BAD, ".gitignore": `${"a".repeat(100_000)}*\nb.py\n` });
    const r = run([...CHECK, ".", "--no-config"], dir);
    expect(r.stderr).toContain(".gitignore: line 1: pattern not applied: too long to compile (100001 characters)");
    noStackTrace(r.stderr);
    expect(r.stdout).toMatch(/^a\.py:1:13/m);
    expect(r.stdout).not.toMatch(/^b\.py/m);
    expect(r.status).toBe(1);
  });

  it("too many exclude patterns, or a config file over 1 MB, are configuration errors", () => {
    const dir = tempDir();
    const patterns = (n: number): string => `[tool.memhint]\nextend-exclude = [${Array.from({ length: n }, (_, i) => `"p${i}"`).join(",")}]\n`;
    writeTree(dir, { "a.py": BAD, "pyproject.toml": patterns(20_000) });
    const many = run([...CHECK, "."], dir);
    expect(many.stderr).toContain("tool.memhint.extend-exclude: 20000 patterns; memhint accepts at most 10000");
    expect(many.status).toBe(2);
    writeFileSync(join(dir, "pyproject.toml"), patterns(600_000));
    const huge = run([...CHECK, "."], dir);
    expect(huge.stderr).toMatch(/pyproject\.toml: cannot read the file: larger than 1 MB \(\d+ bytes\)/);
    noStackTrace(huge.stderr);
    expect(huge.status).toBe(2);
  });

  it("never says 'All checks passed.' when an input could not be checked", () => {
    const dir = tempDir();
    writeTree(dir, { "ok.py": GOOD, "bin.py": Buffer.from([0x61, 0x00]) });
    const r = run([...CHECK, "."], dir);
    expect(r.stdout).toBe("No findings in what could be checked.\n");
    expect(r.status).toBe(2);
  });
});

describe("memhint check: file names cannot forge output", () => {
  it("quotes a name holding a line break or an escape character in text; JSON keeps the real name", () => {
    const dir = tempDir();
    const forged = "fake.py:9:9: MH999 injected\nz.py";
    const escape = "e\u001b[31mred.py";
    writeTree(dir, { [forged]: BAD, [escape]: BAD });
    const text = run([...CHECK, ".", "--no-config"], dir);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3); // two findings and the summary: no injected line
    expect(lines[0]).toMatch(/^"e\\x1b\[31mred\.py":1:13: MH101/);
    expect(lines[1]).toMatch(/^"fake\.py:9:9: MH999 injected\\nz\.py":1:13: MH101/);
    expect(text.stdout).not.toContain("\u001b");
    const json = JSON.parse(run([...CHECK, ".", "--no-config", "--format", "json"], dir).stdout) as Array<{ path: string }>;
    expect(json.map((d) => d.path).sort()).toEqual([escape, forged].sort());
  });
});

describe("--fix never loses another writer's write", () => {
  const ORIGINAL = Buffer.from(BAD);
  const FIXED = Buffer.from(GOOD);
  const NEWER = "total = 42  # written by someone else\n";

  function setUp(): { dir: string; path: string } {
    const dir = tempDir();
    const path = join(dir, "a.py");
    writeFileSync(path, ORIGINAL);
    return { dir, path };
  }

  it("a write in place after the check keeps the newer content and reports the file", () => {
    const { dir, path } = setUp();
    expect(() => writeFileAtomically(path, FIXED, ORIGINAL, null, { onStep: (step) => step === "checked" && writeFileSync(path, NEWER) }))
      .toThrow(FileChangedError);
    expect(readFileSync(path, "utf8")).toBe(NEWER);
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("a file replaced by rename after the check keeps the newer file", () => {
    const { dir, path } = setUp();
    const replace = (): void => {
      writeFileSync(join(dir, "new"), NEWER);
      renameSync(join(dir, "new"), path);
    };
    expect(() => writeFileAtomically(path, FIXED, ORIGINAL, null, { onStep: (step) => step === "checked" && replace() })).toThrow(FileChangedError);
    expect(readFileSync(path, "utf8")).toBe(NEWER);
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("a file created again while the original is moved aside stays", () => {
    const { dir, path } = setUp();
    expect(() => writeFileAtomically(path, FIXED, ORIGINAL, null, { onStep: (step) => step === "moved" && writeFileSync(path, NEWER) }))
      .toThrow(FileChangedError);
    expect(readFileSync(path, "utf8")).toBe(NEWER);
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("a write through a descriptor opened before, landing after the fix is linked in, is restored", () => {
    const { dir, path } = setUp();
    const fd = openSync(path, "r+"); // an editor holding the file open
    try {
      const writeInPlace = (): void => {
        writeSync(fd, Buffer.from(NEWER.padEnd(ORIGINAL.length, " ")), 0, ORIGINAL.length, 0);
      };
      expect(() => writeFileAtomically(path, FIXED, ORIGINAL, null, { onStep: (step) => step === "linked" && writeInPlace() }))
        .toThrow(FileChangedError);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe(NEWER.padEnd(ORIGINAL.length, " "));
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("replaces the file when nobody else writes, keeping its mode", () => {
    const { dir, path } = setUp();
    chmodSync(path, 0o640);
    writeFileAtomically(path, FIXED, ORIGINAL);
    expect(readFileSync(path, "utf8")).toBe(GOOD);
    expect(statSync(path).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["a.py"]);
  });

  it("under a real concurrent writer, every file ends as the writer's last content or its fix", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const files = 150;
    const content = (v: number): string => `total${v} = sum([i for i in range(10**6 + ${v})])\n`;
    for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}.py`), content(0));
    // The writer alternates writes in place and replacements by rename, for 4 seconds.
    const writerScript = `
      const { writeFileSync, renameSync } = require("node:fs");
      const [dir, n] = [process.argv[1], Number(process.argv[2])];
      const last = {};
      const end = Date.now() + 4000;
      for (let v = 1; Date.now() < end; v++) {
        for (let i = 0; i < n; i++) {
          const text = "total" + v + " = sum([i for i in range(10**6 + " + v + ")])\\n";
          if (v % 2) writeFileSync(dir + "/f" + i + ".py", text);
          else { writeFileSync(dir + "/.w" + i, text); renameSync(dir + "/.w" + i, dir + "/f" + i + ".py"); }
          last[i] = text;
        }
      }
      process.stdout.write(JSON.stringify(last));`;
    const writer = spawn(process.execPath, ["-e", writerScript, dir, String(files)], { stdio: ["ignore", "pipe", "inherit"] });
    let lastJson = "";
    writer.stdout.on("data", (d: Buffer) => (lastJson += d.toString()));
    const writerDone = new Promise<void>((resolve) => writer.on("close", () => resolve()));
    let reported = 0;
    let runs = 0;
    let writing = true;
    void writerDone.then(() => (writing = false));
    while (writing || runs < 2) {
      const jobs = runs % 2 === 0 ? "1" : "2";
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...CHECK, ".", "--no-config", "--fix", "--quiet", "--jobs", jobs], { cwd: dir });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (status) => resolve({ status, stderr }));
      });
      runs++;
      reported += (r.stderr.match(/not fixed: the file (changed|was written)/g) ?? []).length;
      expect([0, 1, 2]).toContain(r.status);
      noStackTrace(r.stderr);
    }
    await writerDone;
    const last = JSON.parse(lastJson) as Record<string, string>;
    for (let i = 0; i < files; i++) {
      const now = readFileSync(join(dir, `f${i}.py`), "utf8");
      const newest = last[i];
      expect([newest, newest.replace("sum([", "sum(").replace("])", ")")]).toContain(now);
    }
    expect(sideFiles(dir)).toEqual([]);
    expect(runs).toBeGreaterThanOrEqual(2);
    console.log(`concurrent writer: ${runs} memhint runs, ${reported} writes kept and reported`);
  });
});

describe("--fix refuses files it must not replace", () => {
  for (const user of ["root", "uid 65534"] as const) {
    it(`leaves a read-only file alone unless --allow-read-only is given (as ${user})`, () => {
      const dir = sharedDir();
      writeTree(dir, { "ro.py": BAD });
      const path = join(dir, "ro.py");
      chmodSync(path, 0o444);
      if (user !== "root") chownSync(path, NOBODY, NOBODY);
      const as = user === "root" ? {} : { uid: NOBODY, gid: NOBODY };
      const refused = run([...CHECK, "--fix", "--no-config", "ro.py"], dir, as);
      expect(refused.stderr).toContain("ro.py: not fixed: the file is read-only (no write permission bit); pass --allow-read-only to fix it anyway");
      expect(refused.status).toBe(2);
      expect(readFileSync(path, "utf8")).toBe(BAD);
      const allowed = run([...CHECK, "--fix", "--allow-read-only", "--no-config", "ro.py"], dir, as);
      expect(allowed.status).toBe(0);
      expect(readFileSync(path, "utf8")).toBe(GOOD);
      expect(statSync(path).mode & 0o777).toBe(0o444);
    });
  }

  it("refuses a file with several hard links instead of splitting them", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    linkSync(join(dir, "a.py"), join(dir, "twin.txt"));
    const r = run([...CHECK, "--fix", "--no-config", "a.py"], dir);
    expect(r.stderr).toContain("a.py: not fixed: the file has 2 hard links");
    expect(r.status).toBe(2);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe(BAD);
    expect(statSync(join(dir, "a.py")).ino).toBe(statSync(join(dir, "twin.txt")).ino);
    expect(() => writeFileAtomically(join(dir, "a.py"), Buffer.from(GOOD), Buffer.from(BAD))).toThrow(WriteRefusedError);
  });

  it("keeps CRLF line endings in unsafe fixes", () => {
    const dir = tempDir();
    const source = "CACHE = {}\r\n\r\ndef get(key):\r\n    if key not in CACHE:\r\n        CACHE[key] = key * 2\r\n    return CACHE[key]\r\n";
    writeTree(dir, { "c.py": source });
    const r = run([...CHECK, "--fix", "--unsafe-fixes", "--no-config", "c.py"], dir);
    expect(r.stdout).toContain("c.py: fixed");
    const after = readFileSync(join(dir, "c.py"), "utf8");
    expect(after).not.toBe(source);
    expect(after.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  });
});

describe("--fix stops cleanly on SIGINT and SIGTERM", () => {
  for (const [signal, status, jobs] of [["SIGINT", 130, "1"], ["SIGTERM", 143, "2"]] as const) {
    it(`${signal} with --jobs ${jobs}: exits ${status}, leaves no temporary file and no half-fixed file`, { timeout: 120_000 }, async () => {
      const dir = tempDir();
      const files = 600;
      const source = `${BAD}${"x = [1, 2, 3]\n".repeat(200)}`;
      for (let i = 0; i < files; i++) writeFileSync(join(dir, `m${String(i).padStart(3, "0")}.py`), source);
      const child = spawn(process.execPath, [BIN, ...CHECK, ".", "--no-config", "--fix", "--jobs", jobs], { cwd: dir });
      let stdout = "";
      let stderr = "";
      let signalled = false;
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          // Once the first files are fixed, the run is in the middle of writing.
          if (!signalled && (stdout.match(/: fixed /g) ?? []).length >= 3) {
            signalled = true;
            child.kill(signal);
          }
        });
        child.on("close", (c) => resolve(c));
      });
      expect(signalled).toBe(true);
      expect(code).toBe(status);
      expect(stderr).toMatch(new RegExp(`interrupted by ${signal}; \\d+ files? not checked`));
      expect(sideFiles(dir)).toEqual([]);
      let fixed = 0;
      for (const name of readdirSync(dir)) {
        const text = readFileSync(join(dir, name), "utf8");
        expect([source, source.replace(BAD, GOOD)]).toContain(text);
        if (text !== source) fixed++;
      }
      expect(fixed).toBe((stdout.match(/: fixed /g) ?? []).length);
      expect(fixed).toBeLessThan(files);
    });
  }

  it("a second signal exits at once, still without side files", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    for (let i = 0; i < 400; i++) writeFileSync(join(dir, `m${i}.py`), `${BAD}${"y = 2\n".repeat(300)}`);
    const child = spawn(process.execPath, [BIN, ...CHECK, ".", "--no-config", "--fix", "--jobs", "2"], { cwd: dir });
    let stdout = "";
    let stderr = "";
    let sent = 0;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (sent === 0 && stdout.includes(": fixed ")) {
          sent = 1;
          child.kill("SIGINT");
        }
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (sent === 1 && stderr.includes("SIGINT received")) {
          sent = 2;
          child.kill("SIGINT");
        }
      });
      child.on("close", (c) => resolve(c));
    });
    expect(sent).toBe(2);
    expect(code).toBe(130);
    expect(sideFiles(dir)).toEqual([]);
    expect(existsSync(join(dir, "m0.py"))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith(".py"))).toHaveLength(400);
  });
});

describe("an unwritable folder", () => {
  it("reports a fix it cannot write (as uid 65534) and leaves the file as it was", () => {
    const dir = sharedDir();
    mkdirSync(join(dir, "ro"));
    writeTree(dir, { "ro/a.py": BAD });
    chmodSync(join(dir, "ro", "a.py"), 0o666);
    chmodSync(join(dir, "ro"), 0o755); // owned by root: nobody may not create files in it
    const r = run([...CHECK, "--fix", "--no-config", "ro/a.py"], dir, { uid: NOBODY, gid: NOBODY });
    expect(r.stderr).toContain("ro/a.py: not fixed: cannot write: permission denied");
    expect(r.status).toBe(2);
    expect(readFileSync(join(dir, "ro", "a.py"), "utf8")).toBe(BAD);
    expect(sideFiles(dir)).toEqual([]);
  });
});
