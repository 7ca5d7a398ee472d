/**
 * Paths as CI systems want them: relative to the repository root (the nearest folder above the
 * working directory that holds `.git`, else the working directory), with forward slashes.
 * GitHub resolves SARIF locations and annotation paths against the checkout's root, so a run
 * from a subfolder still points at the right file.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/** The nearest folder at or above `start` that holds `.git`; else `fallback`. */
export function repositoryRoot(start: string, fallback = start): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return resolve(fallback);
  }
}

/** `name` (as reported, relative to `cwd` or absolute) relative to `root`; null when outside it. */
export function repositoryPath(root: string, cwd: string, name: string): string | null {
  const rel = relative(root, resolve(cwd, name));
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep).join("/");
}

/** A relative path as a URI reference: each segment percent-encoded. */
export function relativeUri(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The root as the file URI that SARIF's `originalUriBaseIds` wants (ending with a slash). */
export function rootUri(root: string): string {
  const href = pathToFileURL(root).href;
  return href.endsWith("/") ? href : `${href}/`;
}

export function fileUri(cwd: string, name: string): string {
  return pathToFileURL(resolve(cwd, name)).href;
}
