/**
 * Reading a file that memhint did not create: a Python source, a `.gitignore`, a config file.
 *
 * Only regular files are read, and never more than a cap. A path may name (or link to) a FIFO,
 * which would block the open or the read forever, or a device such as `/dev/zero`, which never
 * ends; a file may also grow while it is read. So the file is opened without blocking, its type
 * is checked on the open descriptor (no window between a check and the open), and the read stops
 * one byte past the cap. Shared by the CLI and the language server.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/** The file is not a regular file, or is larger than the cap: it is not read. */
export class UnreadableFileError extends Error {
  constructor(readonly reason: "not-regular" | "too-large", message: string) {
    super(message);
    this.name = "UnreadableFileError";
  }
}

/** What kind of file `stat` describes, in words ("a FIFO", "a character device"...). */
export function fileKind(stat: Stats): string {
  if (stat.isFile()) return "a regular file";
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  if (stat.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** "10 MB" for a byte count that is a whole number of MB, else "N bytes". */
export function describeBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? `${mb} MB` : `${bytes} bytes`;
}

export interface RegularFile {
  bytes: Buffer;
  /** The file's status when it was opened (device, inode, mode, links...). */
  stat: Stats;
}

/**
 * Read the regular file at `path` (links followed), at most `maxBytes` bytes. Throws
 * UnreadableFileError for anything else, and the usual errno errors (ENOENT, EACCES, ELOOP...)
 * when it cannot be opened.
 */
export function readRegularFile(path: string, maxBytes: number): RegularFile {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It changes nothing
  // for a regular file.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UnreadableFileError("not-regular", `not a regular file (${fileKind(stat)})`);
    if (stat.size > maxBytes) throw tooLarge(stat.size, maxBytes);
    // Read up to one byte past the cap, whatever the size said: the file may be growing.
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw tooLarge(length, maxBytes, true);
    // A file that grew past its stat size but not past the cap: read the rest.
    if (length === buffer.length) return { bytes: readRest(fd, buffer, maxBytes), stat };
    return { bytes: buffer.subarray(0, length), stat };
  } finally {
    closeSync(fd);
  }
}

function readRest(fd: number, start: Buffer, maxBytes: number): Buffer {
  const chunks = [start];
  let total = start.length;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes + 1 - total), null);
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    total += n;
    if (total > maxBytes) throw tooLarge(total, maxBytes, true);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(size: number, maxBytes: number, growing = false): UnreadableFileError {
  const what = growing ? `more than ${describeBytes(maxBytes)} (it grew while being read)` : `larger than ${describeBytes(maxBytes)} (${size} bytes)`;
  return new UnreadableFileError("too-large", what);
}
