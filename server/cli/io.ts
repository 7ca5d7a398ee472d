/** The streams and working directory a CLI command runs with (the process's, or a test's). */
export interface CliIO {
  stdout: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean };
  stderr: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  cwd: string;
  /** The environment (NO_COLOR); the process's when absent. */
  env?: Record<string, string | undefined>;
}
