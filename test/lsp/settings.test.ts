/**
 * Settings: initializationOptions, workspace/configuration, workspace/didChangeConfiguration
 * and the project's [tool.memhint]; every change re-lints the open documents (push) or asks the
 * client to pull again (pull). Bad settings are shown to the user and logged.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, fileUri, LspClient, type StartOptions } from "../helpers/lsp-client.js";

const BAD = "total = sum([x for x in range(10**6)])\nsquares = [i * i for i in range(1_000_000)]\n";
const clients: LspClient[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of clients) c.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(options?: StartOptions): LspClient {
  const c = LspClient.start(options);
  clients.push(c);
  return c;
}

function hasStrace(): boolean {
  try {
    execFileSync("strace", ["-o", "/dev/null", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function open(c: LspClient, uri: string, text = BAD): void {
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
}

const codes = (ds: any[]): string[] => ds.map((d) => d.code);

describe("client settings", () => {
  it("initializationOptions select, ignore and severity overrides", async () => {
    const c = start();
    await c.initialize({}, { initializationOptions: { memhint: { select: ["ALL"], severity: { MH101: "error" } } } });
    open(c, "file:///tmp/memhint-settings/a.py");
    const [d] = await c.diagnostics("file:///tmp/memhint-settings/a.py", 1);
    expect(d.severity).toBe(1);
    const ignoring = start();
    await ignoring.initialize({}, { initializationOptions: { select: ["ALL"], ignore: ["MH1"] } });
    open(ignoring, "file:///tmp/memhint-settings/b.py");
    expect(await ignoring.diagnostics("file:///tmp/memhint-settings/b.py", 1)).toEqual([]);
  });

  it("workspace/configuration on start and after didChangeConfiguration, re-linting open documents", async () => {
    const c = start();
    let section: unknown = { select: ["ALL"], ignore: ["MH101"] };
    c.onRequest("workspace/configuration", (params) => params.items.map((item: any) => (item.section === "memhint" ? section : null)));
    await c.initialize({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } });
    await c.waitFor((m) => m.method === "client/registerCapability" && m.params.registrations[0].method === "workspace/didChangeConfiguration");
    await c.waitFor((m) => m.method === "workspace/configuration");
    const uri = "file:///tmp/memhint-settings/c.py";
    open(c, uri);
    // The configuration answer may arrive after the first lint: the document is linted again.
    await c.waitFor((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.diagnostics.length === 0);
    section = { select: ["ALL"], severity: { MH101: "hint" } };
    const republished = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: null });
    const pushed = await republished;
    expect(codes(pushed.params.diagnostics)).toEqual(["MH101"]);
    expect(pushed.params.diagnostics[0].severity).toBe(4);
  });

  it("didChangeConfiguration settings for clients without workspace/configuration; inlay hints switch off", async () => {
    const c = start();
    await c.initialize({});
    const uri = "file:///tmp/memhint-settings/d.py";
    open(c, uri);
    expect(codes(await c.diagnostics(uri, 1))).toEqual(["MH101"]);
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    expect((await c.request("textDocument/inlayHint", { textDocument: { uri }, range })).length).toBeGreaterThan(0);
    const republished = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { select: ["MH2"], inlayHints: false } } });
    expect((await republished).params.diagnostics).toEqual([]);
    expect(await c.request("textDocument/inlayHint", { textDocument: { uri }, range })).toEqual([]);
  });

  it("pull mode: a settings change asks the client to pull again, and the new pull reflects it", async () => {
    const c = start();
    await c.initialize({ textDocument: { diagnostic: {} }, workspace: { diagnostics: { refreshSupport: true } } });
    const uri = "file:///tmp/memhint-settings/e.py";
    open(c, uri);
    const first = await c.request("textDocument/diagnostic", { textDocument: { uri } });
    expect(codes(first.items)).toEqual(["MH101"]);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { ignore: ["MH101"] } } });
    await c.waitFor((m) => m.method === "workspace/diagnostic/refresh");
    const second = await c.request("textDocument/diagnostic", { textDocument: { uri }, previousResultId: first.resultId });
    expect(second).toMatchObject({ kind: "full", items: [] });
    expect(c.published()).toEqual([]);
  });

  it("a didChangeConfiguration without settings changes nothing (found by fuzz:lsp: it reset them)", async () => {
    const c = start();
    await c.initialize({}, { initializationOptions: { memhint: { select: ["ALL"], ignore: ["MH101"] } } });
    c.notify("workspace/didChangeConfiguration", { settings: null });
    c.notify("workspace/didChangeConfiguration", {});
    const uri = "file:///tmp/memhint-settings/null-settings.py";
    open(c, uri);
    expect(codes(await c.diagnostics(uri, 1))).not.toContain("MH101");
    expect(c.logs()).toContain("A workspace/didChangeConfiguration came without settings: the current settings stay");
    // Explicit settings still replace them.
    const next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { select: ["ALL"] } } });
    expect(codes((await next).params.diagnostics)).toContain("MH101");
  });

  it("shows invalid client settings to the user and keeps working", async () => {
    const c = start();
    await c.initialize({}, { initializationOptions: { memhint: { select: ["MH1O1"], bogus: 1 } } });
    const shown = await c.waitFor((m) => m.method === "window/showMessage");
    expect(shown.params.message).toContain("invalid settings");
    const uri = "file:///tmp/memhint-settings/f.py";
    // The defaults apply: MH101 is opt-in; MH001 (an unknown code in a suppression) is reported.
    open(c, uri, `${BAD}x = 1  # memhint: ignore[MH999]\n`);
    expect(codes(await c.diagnostics(uri, 1))).toEqual(["MH001"]);
  });
});

describe("keys the server does not own (issue 17: VS Code sends the extension's own keys)", () => {
  it("passes over the extensions' keys in silence, and warns once, with a did-you-mean, of other unknown keys", async () => {
    const c = start();
    // What VS Code answers: the whole memhint section, the extension's enable, path and trace included.
    let section: Record<string, unknown> = { enable: true, path: "", trace: { server: "off" }, select: ["ALL"] };
    c.onRequest("workspace/configuration", (params) => params.items.map((item: any) => (item.section === "memhint" ? section : null)));
    const asked = (): number => c.received.filter((m) => m.method === "workspace/configuration").length;
    await c.initialize({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } }, { initializationOptions: section });
    const uri = "file:///tmp/memhint-settings/client-keys.py";
    open(c, uri);
    await c.waitFor((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && codes(m.params.diagnostics).includes("MH101"));
    expect(c.received.filter((m) => m.method === "window/showMessage")).toEqual([]);

    // A typo, sent several times (each didChangeConfiguration makes the server ask again): one warning.
    section = { ...section, selekt: ["MH1"], ignore: ["MH101"] };
    const relinted = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    for (let i = 0; i < 3; i++) {
      const before = asked();
      c.notify("workspace/didChangeConfiguration", { settings: null });
      await c.waitFor(() => asked() > before, 15_000, "workspace/configuration");
      // Let the test client write its answer before the next message.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The keys it knows still apply.
    expect(codes((await relinted).params.diagnostics)).toEqual([]);
    expect(await c.shutdown()).toBe(0);
    const shown = c.received.filter((m) => m.method === "window/showMessage");
    expect(shown).toHaveLength(1);
    expect(shown[0].params.type).toBe(2); // Warning, not Error
    expect(shown[0].params.message).toBe('memhint: passing over a setting it does not know: unknown key "memhint.selekt"; did you mean "memhint.select"?');
    expect(c.logs().filter((l) => l.includes("memhint.selekt")).length).toBeGreaterThan(0);
    expect(c.logs().filter((l) => /enable|trace|"path"/.test(l) && l.includes("unknown"))).toEqual([]);
  });
});

describe("project configuration", () => {
  it("applies [tool.memhint] from pyproject.toml, re-lints when it changes, and reports a bad one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memhint-lsp-config-"));
    dirs.push(dir);
    const pyproject = join(dir, "pyproject.toml");
    writeFileSync(pyproject, '[project]\nname = "demo"\n\n[tool.memhint]\nselect = ["ALL"]\nignore = ["MH101"]\n');
    const c = start();
    await c.initialize({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } }, { rootUri: fileUri(dir) });
    await c.waitFor((m) => m.method === "client/registerCapability" && m.params.registrations[0].method === "workspace/didChangeWatchedFiles");
    const uri = fileUri(join(dir, "pkg", "mod.py"));
    open(c, uri);
    expect(await c.diagnostics(uri, 1)).toEqual([]);

    // Editor settings win over the project's.
    let next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { select: ["ALL"], ignore: [] } } });
    expect(codes((await next).params.diagnostics)).toEqual(["MH101"]);
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: {} } });
    expect((await next).params.diagnostics).toEqual([]);

    writeFileSync(pyproject, '[tool.memhint]\nselect = ["MH101"]\nseverity = { MH101 = "error" }\n');
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fileUri(pyproject), type: 2 }] });
    const relinted = (await next).params.diagnostics;
    expect(codes(relinted)).toEqual(["MH101"]);
    expect(relinted[0].severity).toBe(1);

    writeFileSync(pyproject, '[tool.memhint]\nselect = "MH101"\nunknown-key = 3\n');
    next = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: fileUri(pyproject), type: 2 }] });
    const shown = await c.waitFor((m) => m.method === "window/showMessage");
    expect(shown.params.message).toContain("pyproject.toml");
    // The document is linted again with the defaults, where MH101 is opt-in.
    expect(codes((await next).params.diagnostics)).toEqual([]);
    expect(c.logs().some((m) => m.includes("bad configuration"))).toBe(true);
  });
});

/** A fresh folder tree: `files` maps relative paths to contents (a trailing `/` makes a folder). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "memhint-lsp-scope-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith("/")) {
      mkdirSync(join(root, path), { recursive: true });
    } else {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  }
  return root;
}

const IGNORE_MH101 = '[tool.memhint]\nignore = ["MH101"]\n';
const folder = (path: string) => ({ uri: fileUri(path), name: basename(path) });

/** The codes published for `uri` (opened with BAD), one per line of BAD that has a finding. */
async function findingsOf(c: LspClient, uri: string): Promise<string[]> {
  open(c, uri);
  return codes(await c.diagnostics(uri, 1)).sort();
}

describe("extend and per-file-ignores in the editor (issue 16)", () => {
  it("follows extend and applies per-file-ignores, as the command line does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memhint-lsp-extend-"));
    dirs.push(dir);
    writeFileSync(join(dir, "base.toml"), 'select = ["ALL"]\n[per-file-ignores]\n"gen/*.py" = ["MH101"]\n');
    writeFileSync(join(dir, "pyproject.toml"), '[tool.memhint]\nextend = "base.toml"\n');
    const c = start();
    await c.initialize({}, { rootUri: fileUri(dir) });
    const generated = fileUri(join(dir, "gen", "g.py"));
    const plain = fileUri(join(dir, "m.py"));
    open(c, generated);
    open(c, plain);
    expect(codes(await c.diagnostics(plain, 1))).toContain("MH101");
    expect(codes(await c.diagnostics(generated, 1))).not.toContain("MH101");
  });
});

describe("which configuration file applies (issue 12: the server read config files outside the workspace)", () => {
  it("a document in a workspace folder uses config files up to that folder, never above it", async () => {
    const root = tree({
      "pyproject.toml": IGNORE_MH101, // above the workspace: would hide the findings
      "ws/sub/x.py": "",
      "ws/configured/pyproject.toml": IGNORE_MH101,
      "ws/configured/deeper/y.py": "",
      "nest/pyproject.toml": IGNORE_MH101,
      "nest/inner/pkg/": "",
    });
    const c = start();
    const folders = [folder(join(root, "ws")), folder(join(root, "nest")), folder(join(root, "nest", "inner"))];
    await c.initialize({ workspace: { workspaceFolders: true } }, { workspaceFolders: folders });
    expect(await findingsOf(c, fileUri(join(root, "ws", "sub", "x.py")))).toContain("MH101");
    // `..` is resolved before anything is decided: this is ws/sub/x2.py.
    expect(await findingsOf(c, `${fileUri(join(root, "ws", "other"))}/../sub/x2.py`)).toContain("MH101");
    // Config files inside the workspace apply as before.
    expect(await findingsOf(c, fileUri(join(root, "ws", "configured", "deeper", "y.py")))).not.toContain("MH101");
    // The deepest workspace folder holding a document bounds it: nest/inner, not nest.
    expect(await findingsOf(c, fileUri(join(root, "nest", "inner", "pkg", "z.py")))).toContain("MH101");
    expect(await findingsOf(c, fileUri(join(root, "nest", "q.py")))).not.toContain("MH101");
  });

  it("a document outside every workspace folder uses its folder and those above it up to the repository root, or its folder alone", async () => {
    const root = tree({
      "pyproject.toml": IGNORE_MH101,
      "ws/a.py": "",
      "outside/z.py": "",
      "repo/.git/": "",
      "repo/pyproject.toml": IGNORE_MH101,
      "repo/pkg/w.py": "",
      "own/pyproject.toml": IGNORE_MH101,
    });
    const c = start();
    await c.initialize({}, { rootUri: fileUri(join(root, "ws")) });
    // file:///…/ws/../outside/z.py is outside the workspace: no repository above it, so only its
    // own folder counts and the pyproject.toml above it is not read.
    expect(await findingsOf(c, `${fileUri(join(root, "ws"))}/../outside/z.py`)).toContain("MH101");
    expect(await findingsOf(c, fileUri(join(root, "repo", "pkg", "w.py")))).not.toContain("MH101");
    expect(await findingsOf(c, fileUri(join(root, "own", "v.py")))).not.toContain("MH101");
  });

  it("untitled documents use the first workspace folder's config; workspace/didChangeWorkspaceFolders moves the bounds", async () => {
    const root = tree({ "first/pyproject.toml": IGNORE_MH101, "second/": "", "later/pyproject.toml": IGNORE_MH101, "later/pkg/m.py": "" });
    const c = start();
    const init = await c.initialize({ workspace: { workspaceFolders: true } }, { workspaceFolders: [folder(join(root, "first")), folder(join(root, "second"))] });
    expect(init.capabilities.workspace.workspaceFolders).toEqual({ supported: true, changeNotifications: true });
    const untitled = "untitled:Untitled-1";
    const module = fileUri(join(root, "later", "pkg", "m.py"));
    expect(await findingsOf(c, untitled)).not.toContain("MH101");
    // later/ is not a workspace folder and not a repository: only later/pkg is searched.
    expect(await findingsOf(c, module)).toContain("MH101");
    const untitledAgain = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === untitled);
    const moduleAgain = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === module);
    c.notify("workspace/didChangeWorkspaceFolders", { event: { added: [folder(join(root, "later"))], removed: [folder(join(root, "first"))] } });
    // Now the first folder is second/, which has no config; later/ holds m.py.
    expect(codes((await untitledAgain).params.diagnostics)).toContain("MH101");
    expect(codes((await moduleAgain).params.diagnostics)).not.toContain("MH101");
  });

  it("never opens a config file outside a document's bounds", async () => {
    // An invalid pyproject.toml above the workspace: reading it would be reported.
    const root = tree({ "pyproject.toml": "[tool.memhint\nselect = ", "ws/sub/x.py": "", "outside/z.py": "" });
    const trace = join(root, "strace.log");
    const traced = hasStrace();
    const c = traced
      ? start({ command: "strace", args: ["-f", "-qq", "-e", "trace=%file", "-o", trace, process.execPath, BIN, "lsp", "--stdio"] })
      : start();
    await c.initialize({}, { workspaceFolders: [folder(join(root, "ws"))] });
    const inside = fileUri(join(root, "ws", "sub", "x.py"));
    const outside = fileUri(join(root, "outside", "z.py"));
    expect(await findingsOf(c, inside)).toContain("MH101");
    expect(await findingsOf(c, outside)).toContain("MH101");
    expect(c.received.filter((m) => m.method === "window/showMessage")).toEqual([]);
    expect(c.logs().filter((m) => m.includes(join(root, "pyproject.toml")))).toEqual([]);
    if (!traced) return;
    expect(await c.shutdown()).toBe(0);
    // Every config file name the server touched (stat or open) is inside the documents' bounds.
    const touched = readFileSync(trace, "utf8").split("\n")
      .flatMap((line) => [...line.matchAll(/"([^"]*\/(?:pyproject\.toml|memhint\.toml|\.memhint\.toml))"/g)].map((m) => m[1]));
    expect(touched.length).toBeGreaterThan(0);
    const allowed = [join(root, "ws", "sub"), join(root, "ws"), join(root, "outside")];
    expect(touched.filter((path) => !allowed.includes(dirname(path)))).toEqual([]);
  });
});

describe("config files that are not regular files, or too large (issue 12)", () => {
  it("a FIFO and a link to /dev/zero named pyproject.toml are logged and passed over; the document is linted with the defaults", async () => {
    const root = tree({ "fifo/": "", "zero/": "", "huge/": "" });
    execFileSync("mkfifo", [join(root, "fifo", "pyproject.toml")]);
    symlinkSync("/dev/zero", join(root, "zero", "pyproject.toml"));
    writeFileSync(join(root, "huge", "pyproject.toml"), `[tool.memhint]\nignore = ["MH101"]\n${"# padding\n".repeat(120_000)}`);
    const c = start();
    await c.initialize({}, { workspaceFolders: [folder(join(root, "fifo")), folder(join(root, "zero")), folder(join(root, "huge"))] });
    for (const name of ["fifo", "zero", "huge"]) {
      const uri = fileUri(join(root, name, "a.py"));
      expect(await findingsOf(c, uri), name).toEqual(["MH101"]);
      // Still answering.
      expect(await c.request("textDocument/hover", { textDocument: { uri }, position: { line: 0, character: 0 } }, 5000)).toBeNull();
    }
    const logs = c.logs();
    expect(logs).toContain(`Not reading ${join(root, "fifo", "pyproject.toml")}: not a regular file (a FIFO). Config files must be regular files; looking further up, up to ${join(root, "fifo")}`);
    expect(logs.some((m) => m.startsWith(`Not reading ${join(root, "zero", "pyproject.toml")}: not a regular file (a character device)`))).toBe(true);
    const shown = c.received.filter((m) => m.method === "window/showMessage").map((m) => m.params.message as string);
    expect(shown.some((m) => m.includes(join(root, "huge", "pyproject.toml")) && m.includes("larger than 1 MB"))).toBe(true);
  });
});

describe("syntax errors (MH000) in the editor", () => {
  it("are off by default, and the syntaxErrors setting turns them on", async () => {
    const c = start();
    await c.initialize({});
    const uri = "file:///tmp/memhint-settings/broken.py";
    c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: "total = sum([x * x for x in range(10**6)])\n\n\ndef f(:\n    pass\n" } });
    expect(codes(await c.diagnostics(uri, 1))).toEqual(["MH101"]);
    const republished = c.waitForNext((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
    c.notify("workspace/didChangeConfiguration", { settings: { memhint: { select: ["ALL"], syntaxErrors: true } } });
    const pushed = await republished;
    expect(codes(pushed.params.diagnostics)).toEqual(["MH101", "MH000"]);
    expect(pushed.params.diagnostics[1].severity).toBe(1);
  });
});
