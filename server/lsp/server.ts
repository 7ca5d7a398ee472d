/**
 * memhint's language server: transport, capabilities and wiring. The work lives in documents.ts
 * (text and trees), analysis.ts (linting), diagnostics.ts (push/pull), actions.ts, hover.ts,
 * inlay.ts and settings.ts; this file only connects them to the protocol.
 *
 * Started by `memhint lsp --stdio` (or `--node-ipc`, `--socket=PORT`, `--pipe=NAME`).
 */
import { createRequire } from "node:module";
import { createConnection as connectSocket } from "node:net";
import { isAbsolute, resolve } from "node:path";
import {
  type ClientCapabilities, type Connection, createConnection, DidChangeConfigurationNotification,
  DiagnosticRefreshRequest, DidChangeWatchedFilesNotification, DidChangeWorkspaceFoldersNotification, type WorkspaceFoldersChangeEvent, ErrorCodes, InlayHintRefreshRequest, type InitializeParams, type InitializeResult,
  IPCMessageReader, IPCMessageWriter, type MessageReader, type MessageWriter, MessageType, StreamMessageWriter,
  type Message, type RequestMessage, ResponseError, type ResponseMessage, TextDocumentSyncKind, ShowMessageNotification,
} from "vscode-languageserver/node.js";
import { allRules } from "../../rules/index.js";
import { unknownOption } from "../args.js";
import { loadPythonParser, type PositionEncoding, type Rule } from "../engine/index.js";
import { type ActionContext, CODE_ACTION_KINDS, codeActions, resolveCodeAction } from "./actions.js";
import { Analyzer } from "./analysis.js";
import { DiagnosticsService } from "./diagnostics.js";
import { Backlog } from "./backlog.js";
import { DocumentStore } from "./documents.js";
import { DEFAULT_MAX_MESSAGE_BYTES, FramedMessageReader } from "./framing.js";
import { Lifecycle } from "./lifecycle.js";
import { negotiatePositionEncoding } from "./encoding.js";
import { hover } from "./hover.js";
import { inlayHints } from "./inlay.js";
import { createLogger, describeError, type Logger, routeConsole } from "./log.js";
import { documentPath, SettingsManager } from "./settings.js";

const CONFIG_GLOB = "**/{pyproject.toml,memhint.toml,.memhint.toml}";

function packageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    for (const candidate of ["../../package.json", "../../../package.json"]) {
      try {
        return (require(candidate) as { version: string }).version;
      } catch {
        // try the next layout (sources or dist/)
      }
    }
  } catch {
    // fall through
  }
  return "0.0.0";
}

type Transport = { kind: "stdio" } | { kind: "ipc" } | { kind: "socket"; port: number } | { kind: "pipe"; name: string };

export const LSP_HELP = `Usage: memhint lsp [--stdio | --node-ipc | --socket=PORT | --pipe=NAME] [--max-message-bytes=N]

Starts memhint's language server (on stdio unless another transport is named).

  --max-message-bytes=N   refuse messages larger than N bytes (default ${DEFAULT_MAX_MESSAGE_BYTES}, 64 MiB;
                          also MEMHINT_LSP_MAX_MESSAGE_BYTES); a refused message is answered with a
                          parse error and its bytes are skipped
`;

const LSP_OPTIONS = ["--stdio", "--node-ipc", "--socket", "--port", "--pipe", "--max-message-bytes", "--help"];

export interface LspArguments {
  /** The transport named on the command line (`--stdio` when none is; the first one named wins). */
  transport: Transport;
  /** The largest message read (stream transports): `--max-message-bytes`, else MEMHINT_LSP_MAX_MESSAGE_BYTES, else 64 MiB. */
  maxMessageBytes: number;
  help: boolean;
}

function byteCount(value: string | undefined, what: string): number {
  const n = value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`memhint lsp: ${what} needs a positive number of bytes, got "${value ?? ""}"`);
  return n;
}

/**
 * `memhint lsp`'s arguments. Besides its own, it takes the one argument a client adds,
 * vscode-languageclient's `--clientProcessId`; anything else is a mistake worth saying so.
 */
export function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LspArguments {
  let transport: Transport | null = null;
  let maxMessageBytes: number | null = null;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split("=", 2);
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--stdio") transport ??= { kind: "stdio" };
    else if (arg === "--node-ipc") transport ??= { kind: "ipc" };
    else if (flag === "--socket" || flag === "--port") {
      const text = value();
      const port = Number(text);
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`memhint lsp: ${flag} needs a port number, got "${text ?? ""}"`);
      transport ??= { kind: "socket", port };
    } else if (flag === "--pipe") {
      const name = value();
      if (!name) throw new Error("memhint lsp: --pipe needs a pipe name");
      transport ??= { kind: "pipe", name };
    } else if (flag === "--max-message-bytes") {
      maxMessageBytes = byteCount(value(), "--max-message-bytes");
    } else if (flag === "--clientProcessId") {
      if (inline === undefined) i++;
    } else if (arg.startsWith("-")) {
      throw new Error(`memhint lsp: ${unknownOption(arg, LSP_OPTIONS)}`);
    } else {
      throw new Error(`memhint lsp: unexpected argument "${arg}"`);
    }
  }
  if (maxMessageBytes === null && env.MEMHINT_LSP_MAX_MESSAGE_BYTES !== undefined && env.MEMHINT_LSP_MAX_MESSAGE_BYTES !== "") {
    maxMessageBytes = byteCount(env.MEMHINT_LSP_MAX_MESSAGE_BYTES, "MEMHINT_LSP_MAX_MESSAGE_BYTES");
  }
  return { transport: transport ?? { kind: "stdio" }, maxMessageBytes: maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, help };
}

export interface ServerOptions {
  /** The rules to run (tests pass their own); the registry by default. */
  rules?: readonly Rule[];
  /** Own the process: route console.* to the client log and survive uncaught errors. */
  processHooks?: boolean;
  /** The connection's reader and writer: malformed input is logged and answered with a parse error. */
  reader?: MessageReader;
  writer?: MessageWriter;
  /** Counts of received and handled messages, to lint once a backlog of edits is handled. */
  backlog?: Backlog;
  /** The lifecycle checks in front of the connection (they log through the server's log). */
  lifecycle?: Lifecycle;
}

let shutdownRequested = false;

/** Answer `$/cancelRequest` for a request still queued with RequestCancelled, without running it. */
function cancelStrategy(backlog: Backlog | null) {
  return {
    cancelUndispatched(message: Message): ResponseMessage {
      // Neither the request nor the cancellation will be handled now.
      if (backlog) backlog.handled += 2;
      return { jsonrpc: "2.0", id: (message as RequestMessage).id, error: { code: -32800, message: "request cancelled before it ran" } };
    },
  };
}

interface Channel {
  reader: MessageReader;
  writer: MessageWriter;
}

/** The byte-stream transports read frames with framing.ts (bad frames reported, sizes capped). */
function channel(args: LspArguments): Channel {
  const { transport, maxMessageBytes } = args;
  switch (transport.kind) {
    case "stdio":
      return { reader: new FramedMessageReader(process.stdin, maxMessageBytes), writer: new StreamMessageWriter(process.stdout) };
    case "ipc":
      return { reader: new IPCMessageReader(process), writer: new IPCMessageWriter(process) };
    case "socket":
    case "pipe": {
      // The client listens; the server connects to it (as vscode-languageserver's own transports do).
      const socket = transport.kind === "socket" ? connectSocket(transport.port, "127.0.0.1") : connectSocket(transport.name);
      return { reader: new FramedMessageReader(socket, maxMessageBytes), writer: new StreamMessageWriter(socket) };
    }
  }
}

/** Start the server on the transport named in `argv`; resolves once it is listening. */
export async function startServer(argv: string[], options: ServerOptions = {}): Promise<void> {
  let args: LspArguments;
  try {
    args = parseArguments(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nRun "memhint lsp --help" for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(LSP_HELP);
    return;
  }
  const transport = args.transport;
  const { reader, writer } = channel(args);
  const backlog = new Backlog();
  const lifecycle = new Lifecycle(writer);
  const connection = createConnection(backlog.count(lifecycle.reader(reader)), lifecycle.watch(writer), {
    connectionStrategy: cancelStrategy(backlog),
    messageStrategy: {
      handleMessage: (message: Message, next: (message: Message) => void) =>
        backlog.strategy.handleMessage(message, (counted) => lifecycle.handle(counted, next)),
    },
  });
  if (transport.kind === "stdio") {
    // The client closing our stdin ends the session, as in every stdio language server.
    const end = (): never => process.exit(shutdownRequested ? 0 : 1);
    process.stdin.on("end", end);
    process.stdin.on("close", end);
  }
  await serve(connection, { processHooks: true, ...options, reader, writer, backlog, lifecycle });
}

/** Serve on an existing connection (tests use in-memory streams). */
export async function serve(connection: Connection, options: ServerOptions = {}): Promise<void> {
  const log = createLogger(connection.console);
  const unreadable = (reason: string): void => {
    log.error(`Unreadable message from the client (answered with a parse error; the server keeps running): ${reason}`);
    void options.writer?.write({ jsonrpc: "2.0", id: null, error: { code: ErrorCodes.ParseError, message: `memhint: unreadable message: ${reason}` } } as ResponseMessage)
      .catch(() => undefined);
  };
  if (options.reader instanceof FramedMessageReader) {
    options.reader.onBadFrame(unreadable);
    options.reader.onError((error) => log.error("Reading from the client failed", error));
  } else {
    options.reader?.onError((error) => unreadable(error.message));
  }
  if (options.lifecycle) options.lifecycle.log = log;
  if (options.processHooks) {
    routeConsole(log);
    keepAlive(log);
  }
  const parser = await loadPythonParser();
  const rules = options.rules ?? allRules;

  let encoding: PositionEncoding = "utf-16";
  let capabilities: ClientCapabilities = {};
  const settings = new SettingsManager(log, {
    show: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message }),
    warn: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
  });
  const store = new DocumentStore(parser, log);
  const analyzer = new Analyzer(store, rules, settings, log);
  let diagnostics: DiagnosticsService | null = null;
  const service = (): DiagnosticsService => {
    diagnostics ??= new DiagnosticsService("push", store, analyzer, () => encoding, send, (m, e) => log.error(m, e));
    return diagnostics;
  };
  const send = (uri: string, version: number | undefined, items: import("vscode-languageserver").Diagnostic[]): void => {
    void connection.sendDiagnostics(version === undefined ? { uri, diagnostics: items } : { uri, version, diagnostics: items });
  };
  const actionContext = (): ActionContext => ({
    store, analyzer, diagnostics: service(), parser, rules, encoding: () => encoding,
    documentChanges: !!capabilities.workspace?.workspaceEdit?.documentChanges,
    resolveEdits: !!capabilities.textDocument?.codeAction?.resolveSupport?.properties?.includes("edit"),
    onRuleFailure: (doc, code, error) => {
      if (doc.disabled.has(code)) return;
      doc.disabled.add(code);
      doc.lint = null;
      log.error(`Rule ${code} failed while fixing ${doc.uri} and is disabled for this document until it is closed`, error);
    },
  });
  const view = { store, analyzer, rules, encoding: () => encoding };

  /** Re-lint everything after a settings change: push again, or ask pulling clients to pull. */
  const settingsChanged = (): void => {
    const d = service();
    if (d.mode === "push") d.relintAll();
    else if (capabilities.workspace?.diagnostics?.refreshSupport) {
      connection.sendRequest(DiagnosticRefreshRequest.type).then(undefined, (e: unknown) => log.error("workspace/diagnostic/refresh failed", e));
    }
    if (capabilities.workspace?.inlayHint?.refreshSupport) {
      connection.sendRequest(InlayHintRefreshRequest.type).then(undefined, (e: unknown) => log.error("workspace/inlayHint/refresh failed", e));
    }
  };
  settings.onConfigFileChange = settingsChanged;

  const pullConfiguration = async (): Promise<void> => {
    if (!capabilities.workspace?.configuration) return;
    try {
      const [section] = (await connection.workspace.getConfiguration([{ section: "memhint" }])) as unknown[];
      if (settings.setClientSettings(section ?? {}, "workspace/configuration")) settingsChanged();
    } catch (error) {
      log.error("workspace/configuration failed", error);
    }
  };

  /** Wrap a handler: log what it throws and answer requests with a proper error. */
  function guard<A extends unknown[], R>(name: string, handler: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      try {
        const result = handler(...args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            if (error instanceof ResponseError) throw error;
            log.error(`${name} failed`, error);
            throw new ResponseError(ErrorCodes.InternalError, `memhint: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
          }) as R;
        }
        return result;
      } catch (error) {
        if (error instanceof ResponseError) throw error;
        log.error(`${name} failed`, error);
        throw new ResponseError(ErrorCodes.InternalError, `memhint: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
  }
  function guardNotification<P>(name: string, handler: (params: P) => void): (params: P) => void {
    return (params) => {
      try {
        handler(params);
      } catch (error) {
        log.error(`${name} failed`, error);
      }
    };
  }

  connection.onInitialize(guard("initialize", (params: InitializeParams): InitializeResult => {
    capabilities = params?.capabilities ?? {};
    encoding = negotiatePositionEncoding(capabilities.general?.positionEncodings);
    const pull = !!capabilities.textDocument?.diagnostic;
    const timing = process.env.MEMHINT_LSP_TIMING === "1" ? (line: string) => log.info(line) : null;
    const drained = options.backlog ? (then: () => void, deadline: number) => options.backlog?.drained(then, deadline) : undefined;
    diagnostics = new DiagnosticsService(pull ? "pull" : "push", store, analyzer, () => encoding, send, (m, e) => log.error(m, e), timing, drained);
    settings.setWorkspaceFolders(workspaceFolderPaths(params));
    settings.setClientSettings(params?.initializationOptions ?? {}, "initializationOptions");
    log.info(`memhint ${packageVersion()} language server: ${encoding} positions, ${pull ? "pull" : "push"} diagnostics`);
    return {
      capabilities: {
        positionEncoding: encoding,
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        ...(pull ? { diagnosticProvider: { identifier: "memhint", interFileDependencies: false, workspaceDiagnostics: false } } : {}),
        codeActionProvider: { codeActionKinds: CODE_ACTION_KINDS, resolveProvider: true },
        hoverProvider: true,
        inlayHintProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: "memhint", version: packageVersion() },
    };
  }));

  connection.onInitialized(guardNotification("initialized", () => {
    if (capabilities.workspace?.didChangeConfiguration?.dynamicRegistration) {
      connection.client.register(DidChangeConfigurationNotification.type, { section: "memhint" }).then(undefined, (e: unknown) => log.error("registering for configuration changes failed", e));
    }
    if (capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: CONFIG_GLOB }] })
        .catch((e: unknown) => log.error("registering config file watchers failed", e));
    }
    void pullConfiguration();
    // Through vscode-languageserver's feature when the client declares workspace folders (the
    // feature owns the notification then); directly otherwise.
    const foldersChanged = guardNotification("workspace/didChangeWorkspaceFolders", (event: WorkspaceFoldersChangeEvent) => {
      const removed = new Set(folderPaths(event?.removed));
      const next = [...settings.workspaceFolders.filter((f) => !removed.has(f)), ...folderPaths(event?.added)];
      settings.setWorkspaceFolders(next);
      settingsChanged();
    });
    if (capabilities.workspace?.workspaceFolders) connection.workspace.onDidChangeWorkspaceFolders(foldersChanged);
    else connection.onNotification(DidChangeWorkspaceFoldersNotification.type, (params) => foldersChanged(params?.event));
  }));

  connection.onDidChangeConfiguration(guardNotification("workspace/didChangeConfiguration", (params) => {
    if (capabilities.workspace?.configuration) {
      void pullConfiguration();
      return;
    }
    // Without settings (null, or none at all) the notification carries nothing to apply: the
    // settings in force stay (it used to reset them to the defaults).
    const sent = (params as { settings?: unknown } | null)?.settings;
    if (sent === null || sent === undefined) {
      log.once("config:no-settings", "info", "A workspace/didChangeConfiguration came without settings: the current settings stay");
      return;
    }
    if (settings.setClientSettings(sent, "workspace/didChangeConfiguration")) settingsChanged();
  }));

  connection.onDidChangeWatchedFiles(guardNotification("workspace/didChangeWatchedFiles", () => {
    settings.invalidateConfigFiles();
    settingsChanged();
  }));

  connection.onDidOpenTextDocument(guardNotification("textDocument/didOpen", (params) => {
    if (!params?.textDocument || typeof params.textDocument.uri !== "string") {
      log.warn("Ignoring a didOpen without a text document");
      return;
    }
    const doc = store.open(params.textDocument);
    service().opened(doc);
  }));
  connection.onDidChangeTextDocument(guardNotification("textDocument/didChange", (params) => {
    const doc = store.change(params, encoding);
    if (doc) service().changed(doc);
  }));
  connection.onDidCloseTextDocument(guardNotification("textDocument/didClose", (params) => {
    const uri = params?.textDocument?.uri;
    if (typeof uri !== "string" || !store.close(uri)) return;
    service().closed(uri);
  }));

  connection.languages.diagnostics.on(guard("textDocument/diagnostic", (params, token) => service().pull(params, token)));
  connection.onCodeAction(guard("textDocument/codeAction", (params) => codeActions(actionContext(), params)));
  connection.onCodeActionResolve(guard("codeAction/resolve", (action) => resolveCodeAction(actionContext(), action)));
  connection.onHover(guard("textDocument/hover", (params) => hover(view, params)));
  connection.languages.inlayHint.on(guard("textDocument/inlayHint", (params) => inlayHints(view, params)));
  connection.onShutdown(() => {
    shutdownRequested = true;
    for (const doc of [...store.all()]) store.close(doc.uri);
  });
  connection.onNotification((method) => {
    if (!method.startsWith("$/")) log.once(`unknown:${method}`, "info", `Ignoring the notification ${method}, which memhint does not handle`);
  });

  connection.listen();
}

/** The paths of the `file:` URIs among workspace folders (others have no config files). */
function folderPaths(folders: unknown): string[] {
  if (!Array.isArray(folders)) return [];
  return folders.flatMap((f: { uri?: unknown }) => {
    const path = typeof f?.uri === "string" ? documentPath(f.uri) : null;
    return path === null ? [] : [path];
  });
}

/** The workspace folders of `initialize`: `workspaceFolders`, else `rootUri`, else `rootPath`. */
function workspaceFolderPaths(params: InitializeParams): string[] {
  const folders = folderPaths(params?.workspaceFolders);
  if (folders.length > 0) return folders;
  if (typeof params?.rootUri === "string") return folderPaths([{ uri: params.rootUri }]);
  const rootPath = (params as { rootPath?: unknown })?.rootPath;
  return typeof rootPath === "string" && isAbsolute(rootPath) ? [resolve(rootPath)] : [];
}

let keptAlive = false;

/** An exception that escapes a handler is logged; it never takes the server down. */
function keepAlive(log: Logger): void {
  if (keptAlive) return;
  keptAlive = true;
  process.on("uncaughtException", (error) => log.error("Unexpected error (the server keeps running)", error));
  process.on("unhandledRejection", (reason) => log.error("Unhandled rejection (the server keeps running)", reason));
  process.stdout.on("error", (error) => log.error(`stdout: ${describeError(error)}`));
}

export { MessageType };
