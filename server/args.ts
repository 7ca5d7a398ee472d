/**
 * One line for the user out of `node:util`'s parseArgs errors, which are written for programmers
 * ("Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at
 * the end of the command after '--', as in '-- "--bogus"'). Every subcommand words them alike:
 * `unknown option --bogus`, with "did you mean" when a known option is one or two edits away.
 */

/** The part of a parseArgs option table this reads. */
export type OptionTable = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>>;

/** The message for a parseArgs error (without the `memhint <command>: ` prefix). */
export function argumentError(error: unknown, options: OptionTable): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const name = /Unknown option '([^']*)'/.exec(message)?.[1] ?? message;
    return unknownOption(name, options);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
    if (missing) return `${missing[1]} needs a value`;
    const extra = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
    if (extra) return `${extra[1]} takes no value`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const name = /Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (name !== undefined) return `unexpected argument "${name}"`;
  }
  return message.split("\n")[0].split(". ")[0];
}

/** `unknown option --bogus`, with the nearest known option when one is close. */
export function unknownOption(name: string, options: OptionTable | readonly string[]): string {
  const known = Array.isArray(options) ? (options as readonly string[]) : Object.keys(options).map((o) => `--${o}`);
  const near = name.startsWith("--") ? nearest(name.split("=")[0], known) : null;
  return `unknown option ${name}${near ? ` (did you mean ${near}?)` : ""}`;
}

/** The candidate within two edits of `word` (case-insensitive), the closest first; null when none is. */
export function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}
