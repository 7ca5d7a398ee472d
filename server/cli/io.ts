/** The streams and working directory a CLI command runs with (the process's, or a test's). */
export interface CliIO {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: { write(chunk: string | Uint8Array): unknown };
  stdin: NodeJS.ReadableStream;
  cwd: string;
}
