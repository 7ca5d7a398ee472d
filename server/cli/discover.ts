/**
 * Which files `memhint check` lints.
 *
 * - A path given on the command line that is not a directory is linted whatever its name, even
 *   when an exclude pattern or a .gitignore would skip it (unless the config sets force-exclude).
 * - Each folder's files obey the exclude patterns of that folder's config (the nearest above it).
 * - Under a directory: files named `*.py` and Jupyter notebooks (`*.ipynb`), skipping directories that match the exclude patterns
 *   (by default `.git`, `node_modules`, `.venv`, `venv`, `__pycache__`), any directory holding a
 *   `pyvenv.cfg` (a virtualenv), and whatever the `.gitignore` files say. A directory given on the
 *   command line is always entered, even if it would be skipped when found.
 * - `.gitignore` files are read in every directory walked, and in the directories above a given
 *   directory up to the root of its git repository (the nearest directory that holds `.git`);
 *   `.git/info/exclude` is read too. Each file's patterns apply relative to its own directory, a
 *   deeper file overriding a shallower one (`!pattern` re-includes), as git does. Outside a git
 *   repository only the `.gitignore` files at or below the given directory count. When the given
 *   directory is itself ignored by the files above it, those files are not applied (it was asked
 *   for); likewise the exclude patterns are not applied inside a named directory they exclude.
 * - Symbolic links to directories are not followed (no cycles, no walking out of the tree);
 *   symbolic links to files are linted like files.
 * - Only regular files are linted. A FIFO, socket or device named `*.py` (or a link to one, such
 *   as a link to `/dev/zero`) is skipped with a notice; one named on the command line is a problem
 *   (exit 2), since it was asked for. `.gitignore` files are read only when regular and at most
 *   1 MB; a pattern that cannot be compiled is skipped with a notice.
 * - The result is sorted by path, component by component, and has no duplicates.
 */
import { readdirSync, statSync, type Dirent } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { patternProblem } from "../config.js";
import { fileKind, readRegularFile, UnreadableFileError } from "../read-file.js";
import { isNotebookPath } from "../notebook.js";

/** A `.gitignore` larger than this is not read (its patterns are not applied, with a notice). */
const MAX_GITIGNORE_BYTES = 1024 * 1024;

/** The exclude settings of one folder's config. */
export interface Exclusion {
  /** Gitignore-style patterns, relative to `excludeRoot`. */
  exclude: readonly string[];
  excludeRoot: string;
  /** Apply `exclude` to paths named on the command line too. */
  forceExclude?: boolean;
}

export interface DiscoverOptions {
  /** The exclusion that applies to the entries of folder `dir` (each folder may have its own config). */
  exclusionFor(dir: string): Exclusion;
}

export interface DiscoveryProblem {
  /** Absolute path. */
  path: string;
  message: string;
  /**
   * Only worth a notice: nothing that was asked for goes unchecked (a FIFO found in a folder...).
   * Its message is printed after the path as it is; a problem's after "skipped: ".
   */
  notice?: boolean;
}

export interface Discovery {
  /** Absolute paths of the files to lint, sorted. */
  files: string[];
  /** Paths given that do not exist: a usage error. */
  missing: string[];
  /** Things found that could not be walked or read (unreadable directory, broken link...). */
  problems: DiscoveryProblem[];
}

interface IgnoreLayer {
  /** Absolute directory the patterns are relative to. */
  base: string;
  matcher: Ignore;
}

/** Compare absolute paths component by component, so a directory's files stay together. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split(sep);
  const pb = b.split(sep);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/** `path` relative to `base` in posix form, or null when it is not strictly inside `base`. */
function inside(base: string, path: string): string | null {
  const rel = relative(base, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return toPosix(rel);
}

/** The verdict of a stack of ignore layers, deepest first: true skip, false keep. */
function ignoredBy(layers: readonly IgnoreLayer[], path: string, isDir: boolean): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const rel = inside(layers[i].base, path);
    if (rel === null) continue;
    const verdict = layers[i].matcher.test(isDir ? `${rel}/` : rel);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "EACCES": case "EPERM": return "permission denied";
    case "ENOENT": return "no such file or directory";
    case "ELOOP": return "too many levels of symbolic links";
    case "ENOTDIR": return "not a directory";
    default: return error instanceof Error ? error.message : String(error);
  }
}

export class Discoverer {
  private readonly matchers = new WeakMap<Exclusion, Ignore>();
  private readonly files = new Set<string>();
  private readonly problems: DiscoveryProblem[] = [];

  constructor(private readonly options: DiscoverOptions) {}

  /**
   * Whether an exclude pattern of the config of `path`'s folder matches `path` (relative to the
   * exclude root, or by name outside it).
   */
  private excluded(path: string, isDir: boolean, exclusion = this.options.exclusionFor(dirname(path))): boolean {
    let matcher = this.matchers.get(exclusion);
    if (!matcher) {
      matcher = ignore({ ignorecase: false }).add([...exclusion.exclude]);
      this.matchers.set(exclusion, matcher);
    }
    const rel = inside(exclusion.excludeRoot, path) ?? path.slice(path.lastIndexOf(sep) + 1);
    return matcher.ignores(isDir ? `${rel}/` : rel);
  }

  private readGitignore(dir: string, file: string, layers: IgnoreLayer[]): void {
    const path = join(dir, file);
    let text: string;
    try {
      text = readRegularFile(path, MAX_GITIGNORE_BYTES).bytes.toString("utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return;
      // Not a regular file (a FIFO, a link to a device): git cannot use it either. No finding is
      // lost for it, so it is worth a notice, not a failed run.
      const notice = error instanceof UnreadableFileError && error.reason === "not-regular";
      this.problems.push({ path, message: `${notice ? "" : "cannot read: "}${errorText(error)}; its patterns were not applied`, notice });
      return;
    }
    const usable: string[] = [];
    text.split(/\r?\n|\r/).forEach((line, i) => {
      const why = patternProblem(line);
      if (why === null) usable.push(line);
      else this.problems.push({ path, message: `line ${i + 1}: pattern not applied: ${why}`, notice: true });
    });
    layers.push({ base: dir, matcher: ignore({ ignorecase: false }).add(usable) });
  }

  /**
   * The ignore layers that apply to `dir` from above it: `.git/info/exclude`, then the
   * `.gitignore` files from the repository root down to `dir`'s parent. None outside a repository.
   */
  private ancestorLayers(dir: string): IgnoreLayer[] {
    const chain: string[] = [];
    let repoRoot: string | null = hasEntry(dir, ".git") ? dir : null;
    for (let d = dir; repoRoot === null; ) {
      const parent = dirname(d);
      if (parent === d) break;
      d = parent;
      chain.push(d);
      if (hasEntry(d, ".git")) repoRoot = d;
    }
    const layers: IgnoreLayer[] = [];
    if (repoRoot === null) return layers;
    this.readGitignore(repoRoot, join(".git", "info", "exclude"), layers);
    for (const d of chain.reverse()) this.readGitignore(d, ".gitignore", layers);
    return layers;
  }

  /** Add `path` (as given on the command line, resolved) to the run. */
  add(path: string): "ok" | "missing" {
    let stat;
    try {
      stat = statSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return "missing";
      this.problems.push({ path, message: `cannot access: ${errorText(error)}` });
      return "ok";
    }
    const exclusion = this.options.exclusionFor(dirname(path));
    // With force-exclude (as pre-commit needs, naming every changed file), named paths obey the excludes too.
    if (exclusion.forceExclude && this.excluded(path, stat.isDirectory(), exclusion)) return "ok";
    if (!stat.isDirectory()) {
      this.files.add(path);
      return "ok";
    }
    // A directory named on the command line is wanted even if the .gitignore files above it
    // ignore it (say, a virtualenv's stdlib inside a git-managed tool directory): then those
    // files, which would ignore everything in it, are not applied.
    // The same for the exclude patterns: `memhint check .venv` checks the virtualenv.
    const above = this.ancestorLayers(path);
    this.walk(path, ignoredBy(above, path, true) ? [] : above, !this.excluded(path, true));
    return "ok";
  }

  private walk(dir: string, inherited: readonly IgnoreLayer[], useExclude: boolean): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      this.problems.push({ path: dir, message: `cannot list directory: ${errorText(error)}` });
      return;
    }
    const layers = [...inherited];
    if (entries.some((e) => e.name === ".gitignore")) this.readGitignore(dir, ".gitignore", layers);
    const exclusion = this.options.exclusionFor(dir);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if ((useExclude && this.excluded(path, true, exclusion)) || ignoredBy(layers, path, true)) continue;
        if (hasEntry(path, "pyvenv.cfg")) continue;
        this.walk(path, layers, useExclude);
        continue;
      }
      if (!entry.name.endsWith(".py") && !isNotebookPath(entry.name)) continue;
      if ((useExclude && this.excluded(path, false, exclusion)) || ignoredBy(layers, path, false)) continue;
      if (entry.isSymbolicLink()) {
        let target;
        try {
          target = statSync(path);
        } catch (error) {
          this.problems.push({ path, message: `cannot read: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "broken symbolic link" : errorText(error)}` });
          continue;
        }
        if (target.isDirectory()) continue; // a link to a directory named *.py: not followed
        if (!target.isFile()) {
          this.problems.push({ path, message: `skipped: not a regular file (a link to ${fileKind(target)})`, notice: true });
          continue;
        }
      } else if (!entry.isFile()) {
        // Sockets, FIFOs, devices named *.py: reading one could block or never end.
        this.problems.push({ path, message: `skipped: not a regular file (${fileKindOf(entry)})`, notice: true });
        continue;
      }
      this.files.add(path);
    }
  }

  result(missing: string[]): Discovery {
    return {
      files: [...this.files].sort(comparePaths),
      missing,
      problems: [...this.problems].sort((a, b) => comparePaths(a.path, b.path)),
    };
  }
}

function fileKindOf(entry: Dirent): string {
  if (entry.isFIFO()) return "a FIFO";
  if (entry.isSocket()) return "a socket";
  if (entry.isCharacterDevice()) return "a character device";
  if (entry.isBlockDevice()) return "a block device";
  return "not a regular file";
}

function hasEntry(dir: string, name: string): boolean {
  try {
    statSync(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

/** Find the files to lint under `paths` (resolved against `cwd`). */
export function discover(paths: readonly string[], cwd: string, options: DiscoverOptions): Discovery {
  const discoverer = new Discoverer(options);
  const missing: string[] = [];
  for (const given of paths) {
    if (discoverer.add(resolve(cwd, given)) === "missing") missing.push(given);
  }
  return discoverer.result(missing);
}
