/**
 * Writing a fixed file: only when its bytes on disk are still the ones that were linted, through a
 * temporary file in the same directory (same file system) renamed over the original, so a reader
 * never sees half a file and a crash leaves the original intact. The temporary file gets the
 * original's permission bits (and owner, where the process may set it) before the rename.
 * A symbolic link is written through: its target is replaced, the link stays.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export class FileChangedError extends Error {
  constructor() {
    super("the file changed on disk while memhint was working; run again");
  }
}

/** Replace the file at `path` with `data` if it still holds exactly `expected`. */
export function writeFileAtomically(path: string, data: Uint8Array, expected: Uint8Array): void {
  const target = realpathSync(path);
  const unchanged = (): boolean => Buffer.from(expected).equals(readFileSync(target));
  if (!unchanged()) throw new FileChangedError();
  const stat = statSync(target);
  const temp = join(dirname(target), `.${basename(target)}.memhint-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  let renamed = false;
  try {
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      chownSync(temp, stat.uid, stat.gid);
    } catch {
      // Not permitted for other users' files; the new file then belongs to us, like any editor's save.
    }
    chmodSync(temp, stat.mode & 0o7777);
    if (!unchanged()) throw new FileChangedError();
    renameSync(temp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
}
