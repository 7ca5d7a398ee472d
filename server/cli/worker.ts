/**
 * A worker thread of `memhint check`: its own parser and the rule registry; receives inputs, sends
 * back reports (server/cli/process.ts). The main thread prints the reports in input order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { allRules } from "../../rules/index.js";
import { loadPythonParser, type Settings } from "../engine/index.js";
import { processFile, type Input, type ProcessOptions } from "./process.js";
import { useWriteGate } from "./write.js";

export interface WorkerData {
  options: ProcessOptions;
  /** Shared with the main thread so that an interrupt never cuts a write short (write.ts). */
  writeGate: SharedArrayBuffer | null;
}

export interface WorkerRequest {
  index: number;
  input: Input;
  /** The settings for this input (each folder may have its own config). */
  settings: Settings;
}

const port = parentPort;
if (!port) throw new Error("server/cli/worker.js runs as a worker thread of memhint check");
const { options, writeGate } = workerData as WorkerData;
if (writeGate) useWriteGate(writeGate);
const parser = await loadPythonParser();
// Requests posted while the parser loaded wait in the port's queue until this listener starts it.
port.on("message", ({ index, input, settings }: WorkerRequest) => {
  port.postMessage({ index, report: processFile(input, null, options, parser, allRules, settings) });
});
