/**
 * End to end with a real editor: headless Neovim opens a file whose line has CJK text before a
 * wasteful comprehension, receives memhint's diagnostic at the right UTF-16 columns (and places
 * it at the right byte column), applies the quick fix with its own edit code, saves, and the
 * saved program prints what the original printed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN } from "../helpers/lsp-client.js";

const HERE = join(import.meta.dirname, "neovim");
const nvim = spawnSync("nvim", ["--version"], { encoding: "utf8" });
const available = nvim.status === 0;
// CI installs Neovim (.ci/run); elsewhere the test says why it did not run.
const run = available || process.env.CI ? describe : describe.skip;

function utf16Column(line: string, needle: string): number {
  return line.indexOf(needle);
}

function byteColumn(line: string, needle: string): number {
  return Buffer.byteLength(line.slice(0, line.indexOf(needle)), "utf8");
}

run(`Neovim ${available ? nvim.stdout.split("\n")[0] : "(not installed)"}`, () => {
  it("shows the diagnostic at the right columns, applies the quick fix, and the saved program behaves the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "memhint-nvim-"));
    try {
      const original = join(HERE, "cjk.py");
      const file = join(dir, "cjk.py");
      copyFileSync(original, file);
      // MH101 is opt-in: the project selects it, as a user would.
      writeFileSync(join(dir, "pyproject.toml"), '[tool.memhint]\nselect = ["ALL"]\n');
      const report = join(dir, "report.json");
      const result = spawnSync("nvim", ["--headless", "--clean", "-n", "-i", "NONE", "-c", `luafile ${join(HERE, "e2e.lua")}`], {
        env: {
          ...process.env,
          MEMHINT_E2E_FILE: file,
          MEMHINT_E2E_REPORT: report,
          MEMHINT_E2E_CMD: JSON.stringify([process.execPath, BIN, "lsp", "--stdio"]),
        },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(result.status, `nvim failed: ${result.stderr}`).toBe(0);
      const r = JSON.parse(readFileSync(report, "utf8"));
      expect(r.error ?? null).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.offset_encoding).toBe("utf-16");

      const lines = readFileSync(original, "utf8").split("\n");
      const cjkLine = lines[2];
      const received = r.raw.find((d: any) => d.range.start.line === 2);
      expect(received.code).toBe("MH101");
      expect(received.range).toEqual({
        start: { line: 2, character: utf16Column(cjkLine, "[len") },
        end: { line: 2, character: utf16Column(cjkLine, "]);") + 1 },
      });
      const placed = r.placed.find((d: any) => d.lnum === 2);
      expect(placed.col).toBe(byteColumn(cjkLine, "[len"));
      expect(placed.end_col).toBe(byteColumn(cjkLine, "]);") + 1);

      expect(r.fix_title).toBe("Replace the list comprehension with a generator expression");
      const saved = readFileSync(file, "utf8");
      expect(saved.split("\n")[2]).toBe('合計 = sum(len(字) for 字 in 名前); print("合計:", 合計)');
      const before = execFileSync("python3", [original], { encoding: "utf8" });
      const after = execFileSync("python3", [file], { encoding: "utf8" });
      expect(after).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
