/**
 * Writing a fixed file without ever losing somebody else's write.
 *
 * The fixed text was computed from bytes read earlier. Another program (an editor, a formatter,
 * a second memhint) may write the file in the meantime, and a check "unchanged since read"
 * followed by a rename is not one step. So the original is never overwritten while it might hold
 * a newer write:
 *   1. The file is opened and checked: the same bytes as linted, the same inode as read, a
 *      write permission bit, a single link. The descriptor stays open to the end.
 *   2. The fixed bytes go to a temporary file in the same directory (same file system), with
 *      the original's permission bits and owner, flushed to disk.
 *   3. The original is moved aside to a guard name by `rename`, which atomically takes whatever
 *      is at the path at that instant. Unless that is the inode checked in step 1, still
 *      holding the linted bytes, it is moved back and nothing is written.
 *   4. The temporary file is hard-linked at the path. `link` fails when the path exists, that is
 *      when a writer created the file again after step 3: that newer file stays.
 *   5. The original's content is read once more through the descriptor of step 1. A writer that
 *      had it open may have written to it after the check; then the original is moved back over
 *      the fix, keeping the newer content.
 * Between steps 3 and 4 the path is briefly absent (a few microseconds); a reader never sees a
 * partial file. On a file system without hard links step 4 falls back to a rename, after a check
 * that the path is still free.
 *
 * Each case that keeps the other write throws FileChangedError: the file is reported and the run
 * exits 2. Files without a write bit and files with several hard links are refused
 * (WriteRefusedError): replacing a hard-linked file would split its links, and writing it in place
 * would change every linked copy. A symbolic link is written through: its target is replaced.
 *
 * Temporary and guard files are listed while they exist, so that an interrupted run can remove
 * them (`cleanUpAfterInterrupt`): all of this is synchronous, so a signal handler on the same
 * thread only ever runs between two files.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync, chownSync, closeSync, constants, existsSync, fstatSync, fsyncSync, linkSync, openSync, readSync,
  realpathSync, renameSync, type Stats, statSync, unlinkSync, writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export class FileChangedError extends Error {
  constructor(detail = "the file changed on disk while memhint was working") {
    super(`${detail}; the newer content was kept; run again`);
    this.name = "FileChangedError";
  }
}

/** The file is not one memhint will replace (read-only, hard-linked). */
export class WriteRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WriteRefusedError";
  }
}

export interface WriteOptions {
  /** Write files whose mode has no write bit (they are refused otherwise). */
  allowReadOnly?: boolean;
  /**
   * Tests only: called at the moments where another writer could race: "checked" (the original
   * checked and the temporary file written, before step 3), "moved" (after step 3) and "linked"
   * (after step 4).
   */
  onStep?: (step: "checked" | "moved" | "linked") => void;
}

/** The file was not written because the run is being interrupted. */
export class InterruptedError extends Error {
  constructor() {
    super("not written: the run was interrupted");
    this.name = "InterruptedError";
  }
}

/**
 * Shared by the threads of a run: [writes in progress, closing]. The main thread closes it
 * before exiting on a second signal, waiting for the writes in progress on worker threads: a
 * thread terminated between step 3 and step 4 would leave the file under its guard name.
 */
const WRITERS = 0;
const CLOSING = 1;
let gate: Int32Array | null = null;

export function newWriteGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/** Take part in `buffer`'s gate (each thread of a run calls this once). */
export function useWriteGate(buffer: SharedArrayBuffer): void {
  gate = new Int32Array(buffer);
}

/** No write starts after this; returns once the writes in progress have finished. */
export function closeWriteGate(buffer: SharedArrayBuffer): void {
  const shared = new Int32Array(buffer);
  Atomics.store(shared, CLOSING, 1);
  for (let writers = Atomics.load(shared, WRITERS); writers > 0; writers = Atomics.load(shared, WRITERS)) {
    Atomics.wait(shared, WRITERS, writers, 50);
  }
}

/** Side files of writes in progress on this thread: removed if the run is interrupted. */
const inProgress = new Set<string>();

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
  inProgress.delete(path);
}

/** Remove the temporary files of writes in progress (for a signal handler). */
export function cleanUpAfterInterrupt(): void {
  for (const path of [...inProgress]) unlinkQuietly(path);
}

function readAllFrom(fd: number, size: number): Buffer {
  const buffer = Buffer.alloc(size + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/** Whether the open file `fd` still holds exactly `expected`. */
function holds(fd: number, expected: Uint8Array): boolean {
  const stat = fstatSync(fd);
  if (stat.size !== expected.length) return false;
  return Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).equals(readAllFrom(fd, stat.size));
}

const sameFile = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev;

function sideName(target: string, kind: "tmp" | "orig"): string {
  return join(dirname(target), `.${basename(target)}.memhint-${process.pid}-${randomBytes(6).toString("hex")}.${kind}`);
}

/**
 * Replace the file at `path` with `data` if it still holds exactly `expected` (and, when `read`
 * is given, is still the file that was read then).
 */
export function writeFileAtomically(path: string, data: Uint8Array, expected: Uint8Array, read: Stats | null = null, options: WriteOptions = {}): void {
  if (!gate) {
    writeChecked(path, data, expected, read, options);
    return;
  }
  Atomics.add(gate, WRITERS, 1);
  try {
    if (Atomics.load(gate, CLOSING) !== 0) throw new InterruptedError();
    writeChecked(path, data, expected, read, options);
  } finally {
    Atomics.sub(gate, WRITERS, 1);
    Atomics.notify(gate, WRITERS);
  }
}

function writeChecked(path: string, data: Uint8Array, expected: Uint8Array, read: Stats | null, options: WriteOptions): void {
  const target = realpathSync(path);
  const fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new WriteRefusedError("not a regular file");
    if ((read && !sameFile(stat, read)) || !holds(fd, expected)) throw new FileChangedError();
    if ((stat.mode & 0o222) === 0 && !options.allowReadOnly) {
      throw new WriteRefusedError("the file is read-only (no write permission bit); pass --allow-read-only to fix it anyway");
    }
    if (stat.nlink > 1) {
      throw new WriteRefusedError(`the file has ${stat.nlink} hard links; replacing it would split them and writing it in place would change every linked copy`);
    }
    const temp = writeTemporary(target, data, stat);
    try {
      options.onStep?.("checked");
      swapIn(target, temp, fd, stat, expected, options);
    } finally {
      unlinkQuietly(temp);
    }
  } finally {
    closeSync(fd);
  }
}

/** A temporary file beside `target` holding `data`, with the original's mode and owner. */
function writeTemporary(target: string, data: Uint8Array, original: Stats): string {
  const temp = sideName(target, "tmp");
  const fd = openSync(temp, "wx", 0o600);
  inProgress.add(temp);
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(temp);
    throw error;
  }
  closeSync(fd);
  try {
    chownSync(temp, original.uid, original.gid);
  } catch {
    // Not permitted for other users' files; the new file then belongs to us, like any editor's save.
  }
  chmodSync(temp, original.mode & 0o7777);
  return temp;
}

/** Steps 3 to 5: put `temp` at `target` unless the original (open as `fd`) changed. */
function swapIn(target: string, temp: string, fd: number, original: Stats, expected: Uint8Array, options: WriteOptions): void {
  const guard = sideName(target, "orig");
  inProgress.add(guard);
  renameSync(target, guard);
  const putBack = (): void => {
    // Back to its name, unless a writer has created the file again meanwhile: theirs is newer.
    try {
      linkSync(guard, target);
    } catch {
      // The path exists again (a newer file) or links are unsupported: rename only if still free.
      if (!existsSync(target)) renameSync(guard, target);
    }
    unlinkQuietly(guard);
  };
  const moved = statSync(guard);
  if (!sameFile(moved, original) || !holds(fd, expected)) {
    putBack();
    throw new FileChangedError();
  }
  options.onStep?.("moved");
  try {
    linkSync(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      unlinkQuietly(guard); // a newer file took the path; the moved original is the old content
      throw new FileChangedError("the file was written again while memhint was fixing it");
    }
    if (existsSync(target)) {
      unlinkQuietly(guard);
      throw new FileChangedError("the file was written again while memhint was fixing it");
    }
    try {
      renameSync(temp, target); // no hard links on this file system
    } catch (renameError) {
      putBack();
      throw renameError;
    }
  }
  options.onStep?.("linked");
  if (!holds(fd, expected)) {
    // Written in place after the check, through a descriptor opened before: keep that content.
    renameSync(guard, target);
    inProgress.delete(guard);
    throw new FileChangedError("the file was written while memhint was fixing it");
  }
  unlinkQuietly(guard);
}
