// `npm run package:vscode`: the VS Code extension's .vsix, from a built checkout (`npm run build`),
// with no network. The extension's own code is bundled by esbuild (vscode-languageclient
// included); memhint's server is staged as the npm package holds it (bin/, dist/server,
// dist/rules, grammars/) with its runtime dependencies (web-tree-sitter and the others) under
// editors/vscode/server/, and run on VS Code's Node. Prints the .vsix's path.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const extension = join(root, "editors", "vscode");
const staged = join(extension, "server");
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const manifest = JSON.parse(readFileSync(join(extension, "package.json"), "utf8"));

function run(command, args, cwd = root) {
  execFileSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
}

if (!existsSync(join(root, "dist", "server", "lsp", "server.js"))) {
  console.error("package:vscode: memhint is not built: run `npm run build` first");
  process.exit(1);
}
// The manifest's settings must be those the server reads.
run(process.execPath, [join(root, "dist", "scripts", "gen-vscode-manifest.js"), "--check"]);
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", extension]);

const esbuild = await import("esbuild");
await esbuild.build({
  entryPoints: [join(extension, "src", "extension.ts")],
  outfile: join(extension, "dist", "extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  minify: true,
  sourcemap: false,
  logLevel: "warning",
});

// The server, as the npm package ships it.
rmSync(staged, { recursive: true, force: true });
const skipMaps = (source) => !source.endsWith(".map");
for (const part of ["bin", "dist/server", "dist/rules", "grammars"]) {
  cpSync(join(root, part), join(staged, part), { recursive: true, filter: skipMaps });
}
writeFileSync(join(staged, "package.json"), `${JSON.stringify({
  name: rootPackage.name, version: rootPackage.version, type: "module", license: rootPackage.license, dependencies: rootPackage.dependencies,
}, null, 2)}\n`);

// Its runtime dependencies and theirs, copied from this checkout's node_modules.
const seen = new Set();
function copyDependencies(fromDir, pkg) {
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    if (seen.has(name)) continue;
    seen.add(name);
    const require = createRequire(join(fromDir, "package.json"));
    let packageJson;
    try {
      packageJson = require.resolve(`${name}/package.json`);
    } catch {
      // Packages whose exports hide package.json: find the folder on the lookup path.
      packageJson = require.resolve.paths(name).map((p) => join(p, name, "package.json")).find((p) => existsSync(p));
    }
    if (!packageJson) throw new Error(`package:vscode: cannot find ${name}, a dependency of ${pkg.name}`);
    const dir = dirname(packageJson);
    cpSync(dir, join(staged, "node_modules", name), {
      recursive: true,
      filter: (source) => {
        const rel = relative(dir, source);
        return skipMaps(source) && !/\.d\.c?ts$/.test(source) && !rel.startsWith("node_modules") && !rel.startsWith("debug");
      },
    });
    copyDependencies(dir, JSON.parse(readFileSync(packageJson, "utf8")));
  }
}
copyDependencies(root, rootPackage);

copyFileSync(join(root, "LICENSE"), join(extension, "LICENSE"));
const out = join(root, "dist", `memhint-vscode-${manifest.version}.vsix`);
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });
run(process.execPath, [join(root, "node_modules", "@vscode", "vsce", "vsce"), "package", "--no-dependencies", "--no-update-package-json", "--out", out], extension);
console.log(`${relative(process.cwd(), out)} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
