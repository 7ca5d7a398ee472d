/** Which memhint the VS Code extension runs (editors/vscode/src/server-choice.ts). */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseServer } from "../../editors/vscode/src/server-choice.js";
import { tempDir } from "../helpers/cli.js";

const bundled = "/ext/server/bin/memhint.js";

function workspaceWithMemhint(name = "memhint"): string {
  const dir = tempDir();
  mkdirSync(join(dir, "node_modules", "memhint", "bin"), { recursive: true });
  writeFileSync(join(dir, "node_modules", "memhint", "package.json"), JSON.stringify({ name }));
  writeFileSync(join(dir, "node_modules", "memhint", "bin", "memhint.js"), "");
  return dir;
}

describe("the server the extension runs", () => {
  it("is the bundled one when nothing else is set", () => {
    expect(chooseServer({ trusted: true, configuredPath: "", workspaceFolders: [tempDir()], bundled })).toMatchObject({ kind: "module", module: bundled, origin: "bundled" });
  });

  it("is the workspace's node_modules/memhint, from the first folder that has one", () => {
    const plain = tempDir();
    const local = workspaceWithMemhint();
    expect(chooseServer({ trusted: true, configuredPath: undefined, workspaceFolders: [plain, local], bundled }))
      .toMatchObject({ kind: "module", module: join(local, "node_modules", "memhint", "bin", "memhint.js"), origin: "workspace" });
    // A package of another name in that folder is not memhint.
    expect(chooseServer({ trusted: true, configuredPath: undefined, workspaceFolders: [workspaceWithMemhint("impostor")], bundled }).origin).toBe("bundled");
  });

  it("is memhint.path when set: a package folder or a .js file (on VS Code's Node), else a command", () => {
    const local = workspaceWithMemhint();
    const packageDir = join(local, "node_modules", "memhint");
    expect(chooseServer({ trusted: true, configuredPath: packageDir, workspaceFolders: [local], bundled }))
      .toMatchObject({ kind: "module", module: join(packageDir, "bin", "memhint.js"), origin: "setting" });
    expect(chooseServer({ trusted: true, configuredPath: "node_modules/memhint", workspaceFolders: [local], bundled }))
      .toMatchObject({ kind: "module", module: join(packageDir, "bin", "memhint.js") });
    expect(chooseServer({ trusted: true, configuredPath: "tools/memhint.mjs", workspaceFolders: [local], bundled }))
      .toMatchObject({ kind: "module", module: join(local, "tools", "memhint.mjs") });
    const script = join(local, "run-memhint");
    writeFileSync(script, "#!/bin/sh\n");
    chmodSync(script, 0o755);
    expect(chooseServer({ trusted: true, configuredPath: "./run-memhint", workspaceFolders: [local], bundled }))
      .toMatchObject({ kind: "command", command: script });
    // A bare name is looked up on PATH; a missing path is still run, so that starting it fails and says so.
    expect(chooseServer({ trusted: true, configuredPath: "memhint", workspaceFolders: [tempDir()], bundled })).toMatchObject({ kind: "command", command: "memhint" });
    expect(chooseServer({ trusted: true, configuredPath: "/nonexistent/memhint", workspaceFolders: [], bundled })).toMatchObject({ kind: "command", command: "/nonexistent/memhint" });
  });

  it("is always the bundled one in an untrusted workspace, which the output says", () => {
    const local = workspaceWithMemhint();
    const choice = chooseServer({ trusted: false, configuredPath: "/opt/memhint", workspaceFolders: [local], bundled });
    expect(choice).toMatchObject({ kind: "module", module: bundled, origin: "bundled" });
    expect(choice.note).toContain("untrusted workspace");
    expect(choice.note).toContain("memhint.path (/opt/memhint)");
    expect(choice.note).toContain(join(local, "node_modules", "memhint", "bin", "memhint.js"));
  });
});
