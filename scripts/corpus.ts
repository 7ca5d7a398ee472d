/** The benchmark corpora: the local CPython standard library, walked for `*.py` files. */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function stdlibPath(): string {
  return execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();
}

/** Every `*.py` under `dir`, sorted, skipping `site-packages` and `__pycache__`. */
export function pythonFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "site-packages" && entry.name !== "__pycache__") pythonFiles(path, out);
    } else if (entry.name.endsWith(".py")) out.push(path);
  }
  return out.sort();
}
