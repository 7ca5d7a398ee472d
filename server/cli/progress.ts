/**
 * The progress bar of `memhint check` on long runs: on stderr, only when stderr is a terminal and
 * not in CI (`CI=true`), and only for more than 100 files. It is one line redrawn in place with
 * `\r`; it is erased before anything else is printed (the report may go to the same terminal),
 * and at the end, so that it never stays in the scrollback.
 */
import type { CliIO } from "./io.js";

export const PROGRESS_MIN_FILES = 100;
const WIDTH = 30;

export interface Progress {
  /** Erase the bar, before printing anything else. */
  clear(): void;
  /** One more file done; redraws the bar when it changed. */
  advance(): void;
}

const SILENT: Progress = { clear() {}, advance() {} };

export function progressBar(io: CliIO, total: number): Progress {
  const env = io.env ?? process.env;
  if (total <= PROGRESS_MIN_FILES || io.stderr.isTTY !== true || env.CI === "true" || env.CI === "1") return SILENT;
  let done = 0;
  let shown = "";
  let drawnAt = 0;
  const line = (): string => {
    const filled = Math.floor((done / total) * WIDTH);
    return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${done}/${total} files`;
  };
  return {
    clear() {
      if (shown === "") return;
      io.stderr.write("\r\x1b[K");
      shown = "";
    },
    advance() {
      done++;
      if (done >= total) return;
      // At most every 50 ms: a terminal redrawn for each of 10,000 small files slows the run.
      const now = performance.now();
      if (shown !== "" && now - drawnAt < 50) return;
      const next = line();
      if (next === shown) return;
      drawnAt = now;
      io.stderr.write(`\r${next}\x1b[K`);
      shown = next;
    },
  };
}
