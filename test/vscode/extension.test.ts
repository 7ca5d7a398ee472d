/**
 * End to end in real VS Code: the extension's .vsix (`npm run package:vscode`) installed into
 * code-server, driven in headless Chromium by playwright-core. On a file with CJK text before a
 * finding: the squiggle sits under the comprehension, the Problems row has the code, the source
 * and the UTF-16 column, the hover explains it, the quick fix is offered and applied, the saved
 * file has the fix and the finding is gone; fix-on-save applies safe fixes; an untitled Python
 * file is linted and "memhint: Fix all safe findings" fixes it; a settings change (memhint.ignore)
 * takes effect without restarting the server; "memhint: Restart server" starts a new one; no
 * error notification shows. All in a multi-root workspace. Then memhint.path names a missing
 * command: the extension reports the failure, fast.
 *
 * Needs code-server (scripts/install-code-server.sh puts it in .cache/code-server; .ci/run does
 * that) and Debian's chromium. Screenshots of each step go to artifacts/vscode/ (git-ignored).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const CODE_SERVER = process.env.MEMHINT_CODE_SERVER ?? join(ROOT, ".cache", "code-server", "bin", "code-server");
const CHROMIUM = process.env.MEMHINT_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts", "vscode");
const missing = [
  existsSync(CODE_SERVER) ? null : `code-server (${CODE_SERVER}; run scripts/install-code-server.sh)`,
  existsSync(CHROMIUM) ? null : `chromium (${CHROMIUM}; apt-get install chromium)`,
].filter((m): m is string => m !== null);
// CI installs both (.ci/run); elsewhere the test says why it did not run.
const run = missing.length === 0 || process.env.CI ? describe : describe.skip;

// Line 3 (index 2) has CJK names before the comprehension; line 4 has a second finding.
const DEMO = [
  "# -*- coding: utf-8 -*-",
  "import sys",
  '名前 = ["日本語", "中文", "한국어", "😀"] + sys.argv[1:]; 合計 = sum([len(字) for 字 in 名前]); print("合計:", 合計)',
  'print("最大", max([x * x for x in range(10**6)]))',
  "",
].join("\n");
const FIX_ON_SAVE = "total = sum([x * x for x in range(10**6)])\nprint(total)\n";
const WORKSPACE_SETTINGS = { "memhint.select": ["ALL"], "[python]": { "editor.codeActionsOnSave": { "source.fixAll.memhint": "explicit" } } };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The pids of memhint servers started from the extensions folder `dir`. */
function serverPids(dir: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(dir) && l.includes("memhint.js") && l.includes(" lsp")).map((l) => Number(l.trim().split(/\s+/)[0]));
}

run(`VS Code extension in code-server${missing.length ? ` (not installed: ${missing.join(", ")})` : ""}`, () => {
  let work: string;
  /** The first workspace folder (demo.py); the second one holds fix_on_save.py. */
  let workspace: string;
  let second: string;
  let workspaceFile: string;
  let extensions: string;
  let codeServer: ChildProcess | undefined;
  let codeServerLog = "";
  let browser: Browser | undefined;
  let page: Page;
  let step = 0;

  const shot = async (name: string): Promise<void> => {
    step++;
    await page.screenshot({ path: join(ARTIFACTS, `${String(step).padStart(2, "0")}-${name}.png`) });
  };
  /** The multi-root workspace's settings (in its .code-workspace file). */
  const settings = (values: Record<string, unknown>): void => {
    writeFileSync(workspaceFile, `${JSON.stringify({ folders: [{ path: "project" }, { path: "second" }], settings: values }, null, 2)}\n`);
  };
  const command = async (title: string): Promise<void> => {
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible" });
    await input.fill(`>${title}`);
    // The row whose label starts with the title ("File: Compare New Untitled Text Files" also contains "New Untitled Text File").
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) }).first().click();
  };
  const openFile = async (name: string): Promise<void> => {
    // From the Explorer: Quick Open's list reorders while it searches.
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).dblclick();
    await page.locator(".tab.active", { hasText: name }).waitFor();
    await page.locator(".monaco-editor.focused").waitFor();
  };
  const squiggles = () => page.locator(".monaco-editor .view-overlays .squiggly-warning");
  /** Where `needle` is drawn on the editor line holding it (a DOM range over its characters). */
  const textBox = (needle: string) => page.evaluate((needle) => {
    for (const line of document.querySelectorAll(".monaco-editor .view-lines .view-line")) {
      const text = (line.textContent ?? "").replace(/\u00a0/g, " ");
      const at = text.indexOf(needle);
      if (at < 0) continue;
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let offset = 0;
      let started = false;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const length = node.textContent?.length ?? 0;
        if (!started && at < offset + length) {
          range.setStart(node, at - offset);
          started = true;
        }
        if (started && at + needle.length <= offset + length) {
          range.setEnd(node, at + needle.length - offset);
          const r = range.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        }
        offset += length;
      }
    }
    return null;
  }, needle);

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`CI is set but the end-to-end test cannot run: missing ${missing.join(", ")} (.ci/run installs them)`);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    work = mkdtempSync(join(tmpdir(), "memhint-vscode-"));
    workspace = join(work, "project");
    second = join(work, "second");
    workspaceFile = join(work, "memhint.code-workspace");
    mkdirSync(second);
    extensions = join(work, "extensions");
    mkdirSync(workspace);
    writeFileSync(join(workspace, "demo.py"), DEMO);
    writeFileSync(join(second, "fix_on_save.py"), FIX_ON_SAVE);
    // Most rules are opt-in: the workspace selects them, as a user would; and fixes on save.
    settings(WORKSPACE_SETTINGS);

    // `npm test` has built dist/; make the .vsix from it, as `npm run package:vscode` does.
    execFileSync(process.execPath, [join(ROOT, "scripts", "package-vscode.mjs")], { cwd: ROOT, stdio: "pipe" });
    const vsix = readdirSync(join(ROOT, "dist")).find((f) => f.startsWith("memhint-vscode-") && f.endsWith(".vsix"));
    expect(vsix).toBeDefined();

    const env = {
      ...process.env,
      XDG_CONFIG_HOME: join(work, "config"),
      XDG_DATA_HOME: join(work, "data"),
      XDG_CACHE_HOME: join(work, "cache"),
    };
    const userData = join(work, "user-data");
    mkdirSync(join(userData, "User"), { recursive: true });
    writeFileSync(join(userData, "User", "settings.json"), JSON.stringify({
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "telemetry.telemetryLevel": "off",
      "update.mode": "none",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "extensions.ignoreRecommendations": true,
      "chat.disableAIFeatures": true,
      "editor.hover.delay": 100,
      "files.autoSave": "off",
      "window.restoreWindows": "none",
    }));
    const common = ["--user-data-dir", userData, "--extensions-dir", extensions];
    execFileSync(CODE_SERVER, [...common, "--install-extension", join(ROOT, "dist", vsix!)], { env, stdio: "pipe", timeout: 60_000 });

    const port = await freePort();
    codeServer = spawn(CODE_SERVER, [
      ...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-workspace-trust", "--disable-telemetry",
      "--disable-update-check", "--disable-getting-started-override", "--vscode-option", "force-disable-user-env",
    ], { env, stdio: ["ignore", "pipe", "pipe"] });
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        codeServerLog += chunk.toString();
        if (codeServerLog.includes("HTTP server listening")) resolve();
      };
      codeServer!.stdout!.on("data", onData);
      codeServer!.stderr!.on("data", onData);
      codeServer!.once("exit", (code) => reject(new Error(`code-server exited with ${code}:\n${codeServerLog}`)));
    });
    await listening;

    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.setDefaultTimeout(30_000);
    // A multi-root workspace: demo.py in the first folder, fix_on_save.py in the second.
    await page.goto(`http://127.0.0.1:${port}/?workspace=${encodeURIComponent(workspaceFile)}`);
    await page.locator(".monaco-workbench").waitFor();
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "demo.py" }).waitFor();
  }, 180_000);

  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && page) await page.screenshot({ path: join(ARTIFACTS, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, "-")}.png`) });
  });

  afterAll(async () => {
    await browser?.close();
    codeServer?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("shows the finding, its Problems row and hover; applies the quick fix and fix-on-save; follows settings without a restart", async () => {
    await openFile("demo.py");
    const running = page.locator('#workbench\\.parts\\.statusbar a.statusbar-item-label[aria-label^="memhint: running"]');
    await running.waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 2);
    await shot("squiggles");

    // The squiggle on the CJK line is under `[len(字) for 字 in 名前]`, from bracket to bracket.
    const target = await textBox("[len(字) for 字 in 名前]");
    expect(target).not.toBeNull();
    const boxes = await squiggles().evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom })));
    const onLine = boxes.find((b) => b.top < target!.bottom && b.bottom > target!.top);
    expect(onLine, JSON.stringify({ boxes, target })).toBeDefined();
    expect(Math.abs(onLine!.left - target!.left)).toBeLessThan(2);
    expect(Math.abs(onLine!.right - target!.right)).toBeLessThan(2);

    // Problems: code, source and the UTF-16 column (the emoji counts two UTF-16 units, each CJK character one).
    await page.keyboard.press("Control+Shift+M");
    const rows = page.locator(".markers-panel .monaco-list-row");
    await rows.filter({ hasText: "sum()" }).waitFor();
    const row = (await rows.filter({ hasText: "sum()" }).first().textContent()) ?? "";
    expect(row).toContain("A list built only for `sum()`");
    expect(row).toMatch(/memhint\s*\(?\s*MH101\s*\)?\s*\[Ln/);
    const column = DEMO.split("\n")[2].indexOf("[len(") + 1;
    expect(column).toBe(58);
    expect(row).toContain(`[Ln 3, Col ${column}]`);
    await shot("problems");

    // Hover over the squiggle.
    await page.mouse.move((onLine!.left + onLine!.right) / 2, (target!.top + target!.bottom) / 2);
    const hover = page.locator(".monaco-hover:visible", { hasText: "memhint MH101" });
    await hover.waitFor();
    const hoverText = (await hover.textContent()) ?? "";
    expect(hoverText).toContain("comprehension-in-consumer");
    expect(hoverText).toContain("length comes from sys.argv, command-line arguments");
    expect(hoverText).toContain("Replace the list comprehension with a generator expression (safe)");
    await shot("hover");
    await page.keyboard.press("Escape");

    // The quick fix, listed and applied.
    // The cursor inside the finding: a click on the squiggled text.
    await page.mouse.click((onLine!.left + onLine!.right) / 2, (target!.top + target!.bottom) / 2);
    await page.locator(".statusbar-item", { hasText: /Ln 3, Col (59|6\d|7\d)\b/ }).waitFor();
    // Away from the squiggle, so that its hover does not come back over the quick fix menu.
    await page.mouse.move(5, 5);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator(".monaco-hover:visible").count()).toBe(0);
    const fix = page.locator(".action-widget .monaco-list-row", { hasText: "Replace the list comprehension with a generator expression" });
    // Ctrl+. right after the click can come before VS Code has the actions: ask again until the menu shows.
    await expect.poll(async () => {
      if (!(await fix.isVisible())) await page.keyboard.press("Control+.");
      return fix.isVisible();
    }, { timeout: 20_000, interval: 1000 }).toBe(true);
    const offered = await page.locator(".action-widget .monaco-list-row").allTextContents();
    expect(offered.join("\n")).toContain("Ignore MH101 on this line");
    await shot("quick-fix");
    await fix.click();
    // Monaco draws spaces as no-break spaces.
    await page.waitForFunction(() => [...document.querySelectorAll(".monaco-editor .view-line")]
      .some((l) => (l.textContent ?? "").replace(/\u00a0/g, " ").includes("sum(len(字) for 字 in 名前)")));
    // Saved without the fix-on-save (tested below), so that the other finding stays for later.
    await command("File: Save without Formatting");
    await expect.poll(() => readFileSync(join(workspace, "demo.py"), "utf8"), { timeout: 15_000 }).toContain("合計 = sum(len(字) for 字 in 名前);");
    expect(readFileSync(join(workspace, "demo.py"), "utf8")).toContain("max([x * x for x in range(10**6)])");
    // The finding is gone, from the editor and from Problems; the other one stays.
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 1);
    await rows.filter({ hasText: "sum()" }).waitFor({ state: "detached" });
    await rows.filter({ hasText: "max()" }).waitFor();
    await shot("fixed");

    // Fix on save.
    await openFile("fix_on_save.py");
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 1);
    await page.keyboard.press("Control+End");
    await page.keyboard.type("# edited\n");
    await page.keyboard.press("Control+S");
    await expect.poll(() => readFileSync(join(second, "fix_on_save.py"), "utf8"), { timeout: 15_000 })
      .toBe("total = sum(x * x for x in range(10**6))\nprint(total)\n# edited\n");
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 0);
    await shot("fix-on-save");

    // An unsaved (untitled) Python file is linted too.
    await command("File: New Untitled Text File");
    await page.locator(".tab.active", { hasText: "Untitled-1" }).waitFor();
    await command("Change Language Mode");
    await page.locator(".quick-input-widget input").fill("Python");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: /^Python\s*\(python\)/ }).first().click();
    await page.locator(".statusbar-item", { hasText: /^Python$/ }).waitFor();
    await page.locator(".monaco-editor.focused").waitFor();
    await page.keyboard.type("total = sum([x * x for x in range(10**6)])\n");
    // Problems names an untitled file by its first line.
    const untitledRow = rows.filter({ hasText: "[Ln 1, Col 13]" });
    await untitledRow.waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 1);
    await shot("untitled");
    // The command applies the safe fixes, as fix-on-save does.
    await command("memhint: Fix all safe findings");
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 0);
    await page.locator(".monaco-editor .view-line", { hasText: /sum\(x\s\*\sx\sfor\sx\sin\srange/ }).waitFor();
    await untitledRow.waitFor({ state: "detached" });
    await command("View: Revert and Close Editor");

    // memhint.ignore, changed in the settings, removes the other finding; the server stays the same process.
    await openFile("demo.py");
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 1);
    const before = serverPids(extensions);
    expect(before).toHaveLength(1);
    settings({ ...WORKSPACE_SETTINGS, "memhint.ignore": ["MH101"] });
    await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .view-overlays .squiggly-warning").length === 0);
    await rows.filter({ hasText: "max()" }).waitFor({ state: "detached" });
    expect(serverPids(extensions)).toEqual(before);
    await running.waitFor();
    await shot("ignored");

    // Restart server: a new process, with the same settings.
    await command("memhint: Restart server");
    await expect.poll(() => serverPids(extensions)[0] !== before[0] && serverPids(extensions).length === 1, { timeout: 20_000 }).toBe(true);
    await running.waitFor();
    await expect.poll(() => page.locator(".monaco-editor .view-overlays .squiggly-warning").count()).toBe(0);

    // No error notification at any point: none in the notification center.
    await command("Notifications: Show Notifications");
    await page.locator(".notifications-center").waitFor();
    const notices = await page.locator(".notifications-center .notification-list-item").allTextContents();
    expect(await page.locator(".notifications-center .notification-list-item .codicon-error").count(), notices.join("\n")).toBe(0);
    expect(notices.join("\n")).not.toMatch(/memhint/i);
    await shot("no-notifications");
    await page.keyboard.press("Escape");
  }, 180_000);

  it("reports a memhint.path that does not exist, at once, instead of hanging", async () => {
    const started = Date.now();
    settings({ ...WORKSPACE_SETTINGS, "memhint.path": "/nonexistent/bin/memhint" });
    const failed = page.locator('#workbench\\.parts\\.statusbar a.statusbar-item-label[aria-label^="memhint: failed to start"]');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.getAttribute("aria-label")).toMatch(/nonexistent/);
    await page.locator(".notifications-toasts .notification-toast", { hasText: "memhint client: couldn't create connection to server" }).waitFor({ timeout: 10_000 });
    // The output channel says why.
    await command("memhint: Show output");
    await page.locator(".output-view .view-line", { hasText: "spawn /nonexistent/bin/memhint ENOENT" }).first().waitFor({ timeout: 10_000 });
    await shot("missing-server");
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(serverPids(extensions)).toEqual([]);
  }, 60_000);
});
