/**
 * memhint for VS Code: starts memhint's language server (bundled, or the workspace's own, see
 * server-choice.ts) with vscode-languageclient, shows its state in the status bar, and adds three
 * commands. Everything memhint reports or fixes comes from the server.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, RevealOutputChannelOn, type ServerOptions, State, TransportKind } from "vscode-languageclient/node";
import { chooseServer, type ServerChoice } from "./server-choice";

/** Keys of the `memhint` section that the extension reads and the server passes over. */
const CLIENT_KEYS = new Set(["enable", "path", "trace"]);

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
/** The server's keys, from the manifest's contributes.configuration. */
let serverKeys: string[] = [];
/** Serialises start and stop: a restart never runs beside another. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel("memhint");
  status = vscode.window.createStatusBarItem("memhint.status", vscode.StatusBarAlignment.Right, 100);
  status.name = "memhint";
  status.command = "memhint.showOutput";
  const properties = (context.extension.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } }).contributes.configuration.properties;
  serverKeys = Object.keys(properties).map((k) => k.replace(/^memhint\./, "")).filter((k) => !CLIENT_KEYS.has(k.split(".")[0]));

  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("memhint.restart", () => restart(context)),
    vscode.commands.registerCommand("memhint.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("memhint.fixAll", () =>
      vscode.commands.executeCommand("editor.action.codeAction", { kind: "source.fixAll.memhint", apply: "first" })),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("memhint.enable") || event.affectsConfiguration("memhint.path")) void restart(context);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      // A folder with its own node_modules/memhint may have come or gone.
      if (client && chosen(context).module !== currentModule) void restart(context);
    }),
  );
  void restart(context);
}

export function deactivate(): Promise<void> {
  return stop();
}

let currentModule: string | undefined;

function chosen(context: vscode.ExtensionContext): { module: string | undefined; choice: ServerChoice } {
  const choice = chooseServer({
    trusted: vscode.workspace.isTrusted,
    configuredPath: vscode.workspace.getConfiguration("memhint").get<string>("path"),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath),
    bundled: context.asAbsolutePath(path.join("server", "bin", "memhint.js")),
  });
  return { module: choice.kind === "module" ? choice.module : choice.command, choice };
}

function restart(context: vscode.ExtensionContext): Promise<void> {
  lifecycle = lifecycle.then(async () => {
    await stopClient();
    await start(context);
  });
  return lifecycle;
}

function stop(): Promise<void> {
  lifecycle = lifecycle.then(stopClient);
  return lifecycle;
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  currentModule = undefined;
  if (!running) return;
  try {
    await running.dispose(2000);
  } catch (error) {
    output.appendLine(`[client] stopping the server failed: ${describe(error)}`);
  }
}

function show(state: "starting" | "running" | "stopped" | "failed" | "off", detail?: string): void {
  const icons = { starting: "$(sync~spin)", running: "$(check)", stopped: "$(debug-stop)", failed: "$(error)", off: "$(circle-slash)" };
  const words = { starting: "starting", running: "running", stopped: "stopped", failed: "failed to start", off: "disabled (memhint.enable)" };
  status.text = `${icons[state]} memhint`;
  const label = `memhint: ${words[state]}${detail ? `: ${detail}` : ""}`;
  status.tooltip = `${label}\nClick to show memhint's output.`;
  status.accessibilityInformation = { label };
  status.backgroundColor = state === "failed" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  status.show();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  if (!vscode.workspace.getConfiguration("memhint").get<boolean>("enable", true)) {
    output.appendLine("[client] memhint.enable is false: the server is not started");
    show("off");
    return;
  }
  const { module, choice } = chosen(context);
  output.appendLine(`[client] ${choice.note}`);
  const serverOptions: ServerOptions = choice.kind === "module"
    ? {
      run: { module: choice.module, transport: TransportKind.ipc, args: ["lsp"] },
      debug: { module: choice.module, transport: TransportKind.ipc, args: ["lsp"] },
    }
    : { command: choice.command, args: ["lsp", "--stdio"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    synchronize: { configurationSection: "memhint" },
    middleware: {
      workspace: {
        // VS Code fills every contributed key with its declared default; sending those would
        // override the project's [tool.memhint] with defaults the user never chose. Send only the
        // server's keys the user set, and any other key as it is (the server passes over the
        // extension's own keys and warns of unknown ones).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return answers.map((answer, i) => {
            const item = params.items[i];
            return item?.section === "memhint" ? userSettings(answer, item.scopeUri) : answer;
          });
        },
      },
    },
  };
  const next = new LanguageClient("memhint", "memhint", serverOptions, clientOptions);
  client = next;
  currentModule = module;
  show("starting", choice.note);
  next.onDidChangeState((event) => {
    if (client !== next) return;
    if (event.newState === State.Running) show("running", choice.note);
    else if (event.newState === State.Stopped && status.accessibilityInformation?.label?.startsWith("memhint: running")) show("stopped");
  });
  try {
    await next.start();
  } catch (error) {
    const message = describe(error);
    output.appendLine(`[client] memhint failed to start: ${message}`);
    if (client === next) {
      show("failed", message);
      client = undefined;
    }
    // Its settings listener would otherwise try to start it again on the next change.
    await next.dispose(2000).catch(() => undefined);
    // vscode-languageclient has already shown an error notification (with "Go to output"):
    // the reason is in the status bar item and the output channel.
  }
}

/** The `memhint` section with only the server keys the user set, at any level. */
function userSettings(answer: unknown, scopeUri: string | undefined): unknown {
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) return answer;
  const config = vscode.workspace.getConfiguration("memhint", scopeUri ? vscode.Uri.parse(scopeUri) : undefined);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(answer)) {
    if (!serverKeys.includes(key)) {
      out[key] = value;
      continue;
    }
    const seen = config.inspect(key);
    const set = [seen?.globalValue, seen?.workspaceValue, seen?.workspaceFolderValue, seen?.globalLanguageValue, seen?.workspaceLanguageValue, seen?.workspaceFolderLanguageValue]
      .some((v) => v !== undefined);
    if (set) out[key] = value;
  }
  return out;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
