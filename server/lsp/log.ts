/**
 * The server's log: `window/logMessage`, which every client shows in its LSP log. Nothing is
 * written to stdout (it carries the protocol) and `console.*` is routed here too.
 */
import type { RemoteConsole } from "vscode-languageserver";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  /** Log a message only the first time `key` is seen (until `forget(key)`). */
  once(key: string, level: "info" | "warn" | "error", message: string): void;
  forget(keyPrefix: string): void;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

export function createLogger(remote: RemoteConsole): Logger {
  const seen = new Set<string>();
  const logger: Logger = {
    info: (message) => remote.info(message),
    warn: (message) => remote.warn(message),
    error: (message, error) => remote.error(error === undefined ? message : `${message}\n${describeError(error)}`),
    once(key, level, message) {
      if (seen.has(key)) return;
      seen.add(key);
      logger[level](message);
    },
    forget(keyPrefix) {
      for (const key of seen) if (key.startsWith(keyPrefix)) seen.delete(key);
    },
  };
  return logger;
}

/** Route `console.*` to the client's log so that a stray call cannot corrupt the stdio stream. */
export function routeConsole(logger: Logger): void {
  const text = (args: unknown[]): string => args.map((a) => (typeof a === "string" ? a : describeError(a))).join(" ");
  console.log = (...args: unknown[]) => logger.info(text(args));
  console.info = console.log;
  console.debug = console.log;
  console.warn = (...args: unknown[]) => logger.warn(text(args));
  console.error = (...args: unknown[]) => logger.error(text(args));
}
