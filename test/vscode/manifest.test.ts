/**
 * The VS Code extension's manifest: its settings are generated from the configuration reader's
 * key table (npm run vscode:manifest), and it has what the Marketplace and Open VSX ask for.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLIENT_KEYS, KEYS } from "../../server/config.js";
import { manifestPath, renderManifest } from "../../scripts/gen-vscode-manifest.js";

const path = manifestPath();
const dir = join(path, "..");
const text = readFileSync(path, "utf8");
const manifest = JSON.parse(text);
const properties: Record<string, any> = manifest.contributes.configuration.properties;

describe("the VS Code extension's manifest", () => {
  it("is up to date with server/config.ts's key table (run `npm run vscode:manifest`)", () => {
    expect(renderManifest(text)).toBe(text);
  });

  it("has a setting for every key an editor may set, and the extension's own keys, nothing else", () => {
    const serverKeys = KEYS.filter((k) => !k.fileOnly).map((k) => `memhint.${k.camel}`);
    expect(Object.keys(properties).sort()).toEqual([...serverKeys, "memhint.enable", "memhint.path", "memhint.trace.server"].sort());
    // The extension's keys are those the server passes over in silence.
    const own = Object.keys(properties).filter((k) => !serverKeys.includes(k)).map((k) => k.split(".")[1]);
    expect([...new Set(own)].sort()).toEqual([...CLIENT_KEYS].sort());
    expect(properties["memhint.inlayHints"].default).toBe(true);
    expect(properties["memhint.targetVersion"].enum).toContain("py313");
  });

  it("has what a Marketplace or Open VSX listing needs", () => {
    expect(manifest.publisher).toMatch(/^[a-z0-9-]+$/);
    expect(manifest.displayName).toBe("memhint");
    expect(manifest.categories).toContain("Linters");
    expect(manifest.license).toBe("MIT");
    expect(manifest.repository.url).toMatch(/^https:\/\/github\.com\//);
    expect(readFileSync(join(dir, manifest.icon)).subarray(1, 4).toString()).toBe("PNG");
    expect(existsSync(join(dir, "CHANGELOG.md"))).toBe(true);
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    for (const [, image] of readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expect(existsSync(join(dir, image)), image).toBe(true);
    expect(readme).toContain("source.fixAll.memhint");
  });

  it("runs only the bundled server in untrusted workspaces, and declares its commands", () => {
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe("limited");
    expect(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(["memhint.path"]);
    expect(manifest.contributes.commands.map((c: any) => `${c.category}: ${c.title}`)).toEqual([
      "memhint: Fix all safe findings", "memhint: Restart server", "memhint: Show output",
    ]);
    const source = readFileSync(join(dir, "src", "extension.ts"), "utf8");
    for (const c of manifest.contributes.commands) expect(source).toContain(`registerCommand("${c.command}"`);
  });
});
