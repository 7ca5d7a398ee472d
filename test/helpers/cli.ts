/** Running the built `memhint` binary and the CLI in-process, in temporary directories. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { run } from "../../server/cli/main.js";
import type { Rule } from "../../server/engine/types.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "memhint.js");

/**
 * `memhint check` with every rule selected, opt-in ones included: the CLI tests are about the
 * command line, not about which rules run by default (test/engine/lint.test.ts covers that).
 */
export const CHECK = ["check", "--select", "ALL"] as const;

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/memhint.js ...args` (the build in dist/) in `cwd`. */
export function memhint(args: readonly string[], cwd: string, input?: string | Uint8Array): Ran {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, input, encoding: "utf8", timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Run the CLI in this process with `rules` as the registry. */
export async function memhintWith(rules: readonly Rule[], args: readonly string[], cwd: string, input: string | Uint8Array = ""): Promise<Ran & { stdoutBytes: Buffer }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => ({ write: (chunk: string | Uint8Array) => into.push(Buffer.from(chunk)) });
  const status = await run(args, { stdout: sink(out), stderr: sink(err), stdin: Readable.from([Buffer.from(input)]), cwd }, rules);
  const stdoutBytes = Buffer.concat(out);
  return { status, stdout: stdoutBytes.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), stdoutBytes };
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory (real path, so printed paths compare), removed after the file's tests. */
export function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "memhint-cli-")));
  made.push(dir);
  return dir;
}

/** Create files under `root`: path → content (directories are made as needed). */
export function writeTree(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
