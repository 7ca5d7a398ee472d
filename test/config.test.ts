/** server/config.ts: finding, parsing and strictly validating memhint's settings. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigError, ConfigResolver, DEFAULT_EXCLUDE, loadConfig, parseConfigTable, perFileIgnoredCodes, registryCodes, validateSettingsObject,
} from "../server/config.js";
import { tempDir, writeTree } from "./helpers/cli.js";

/** A new temporary folder holding `files`. */
function tree(files: Record<string, string>): string {
  const dir = tempDir();
  writeTree(dir, files);
  return dir;
}

const codes = ["MH001", "MH101", "MH102", "MH201", "MH202"];

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfigTable", () => {
  it("maps every kebab-case key to the engine's camelCase settings", () => {
    const values = parseConfigTable({
      select: ["mh1", "MH201"],
      ignore: ["MH102"],
      severity: { MH101: "error", mh202: "hint" },
      "huge-allocation-bytes": 1048576,
      "lru-cache-maxsize": 256,
      "target-version": "py312",
      "inlay-hints": false,
      "syntax-errors": true,
      exclude: ["build"],
      "extend-exclude": ["gen/*.py"],
    }, "pyproject.toml", { knownCodes: codes });
    expect(values).toEqual({
      settings: {
        select: ["MH1", "MH201"],
        ignore: ["MH102"],
        severity: { MH101: "error", MH202: "hint" },
        hugeAllocationBytes: 1048576,
        lruCacheMaxsize: 256,
        targetVersion: "py312",
      },
      editor: { inlayHints: false, syntaxErrors: true },
      exclude: ["build"],
      extendExclude: ["gen/*.py"],
    });
  });

  it("accepts an empty table and ALL", () => {
    expect(parseConfigTable({}, "m.toml", { knownCodes: codes })).toEqual({ settings: {}, editor: {} });
    expect(parseConfigTable({ select: ["ALL"] }, "m.toml", { knownCodes: codes }).settings.select).toEqual(["ALL"]);
  });

  it.each([
    [{ selekt: [] }, 'unknown key "tool.memhint.selekt"; did you mean "select"?'],
    [{ colour: [] }, 'unknown key "tool.memhint.colour"; known keys: select, ignore, severity, huge-allocation-bytes'],
    [{ "extend-selct": [] }, 'unknown key "tool.memhint.extend-selct"; did you mean "extend-select"?'],
    [{ "per-file-ignores": ["MH101"] }, "tool.memhint.per-file-ignores: expected a table of glob = [rule codes], got an array"],
    [{ "per-file-ignores": { "tests/*": "MH101" } }, 'tool.memhint.per-file-ignores."tests/*": expected an array of strings'],
    [{ "force-exclude": "yes" }, 'tool.memhint.force-exclude: expected true or false, got the string "yes"'],
    [{ extend: 1 }, "tool.memhint.extend: expected the path of another config file, got the number 1"],
    [{ inlayHints: true }, 'unknown key "tool.memhint.inlayHints"; did you mean "inlay-hints"?'],
    [{ lru_cache_maxsize: 1 }, 'unknown key "tool.memhint.lru_cache_maxsize"; did you mean "lru-cache-maxsize"?'],
    [{ select: "MH101" }, 'tool.memhint.select: expected an array of strings, got the string "MH101"'],
    [{ select: ["MH101", 7] }, "tool.memhint.select[1]: expected a string, got the number 7"],
    [{ ignore: ["MH3"] }, 'tool.memhint.ignore[0]: unknown rule code or prefix "MH3"; known codes: MH001, MH101, MH102, MH201, MH202'],
    [{ ignore: ["E501"] }, 'tool.memhint.ignore[0]: "E501" is not a rule code or prefix'],
    [{ select: [""] }, "tool.memhint.select[0]: empty rule selector"],
    [{ severity: ["MH101"] }, "tool.memhint.severity: expected a table of rule code = severity, got an array"],
    [{ severity: { MH1: "error" } }, 'tool.memhint.severity.MH1: unknown rule code "MH1" (severity needs a full code'],
    [{ severity: { MH101: "fatal" } }, 'tool.memhint.severity.MH101: expected one of "error", "warning", "information", "hint", got the string "fatal"'],
    [{ "huge-allocation-bytes": "64MB" }, 'tool.memhint.huge-allocation-bytes: expected a positive integer, got the string "64MB"'],
    [{ "huge-allocation-bytes": 0 }, "expected a positive integer, got the number 0"],
    [{ "lru-cache-maxsize": 1.5 }, "tool.memhint.lru-cache-maxsize: expected a positive integer, got the number 1.5"],
    [{ "target-version": "3.11" }, 'tool.memhint.target-version: expected one of "py38", "py39", "py310", "py311", "py312", "py313", got the string "3.11"'],
    [{ "inlay-hints": "yes" }, 'tool.memhint.inlay-hints: expected true or false, got the string "yes"'],
    [{ exclude: ["ok", " "] }, "tool.memhint.exclude[1]: an empty pattern excludes nothing"],
  ])("rejects %j", (table, message) => {
    const error = errorOf(() => parseConfigTable(table, "/p/pyproject.toml", { knownCodes: codes, keyPrefix: "tool.memhint." }));
    expect(error.source).toBe("/p/pyproject.toml");
    expect(error.message.startsWith("/p/pyproject.toml: ")).toBe(true);
    expect(error.detail).toContain(message);
  });

  it("rejects a value that is not a table", () => {
    expect(errorOf(() => parseConfigTable(["select"], "m.toml", { knownCodes: codes })).detail).toBe("expected a table of settings, got an array");
  });

  it("checks codes against the registry by default", () => {
    const known = registryCodes();
    expect(known).toContain("MH001");
    expect(() => parseConfigTable({ select: ["MH001"] }, "m.toml")).not.toThrow();
    expect(() => parseConfigTable({ select: ["MH998"] }, "m.toml")).toThrow(ConfigError);
  });
});

describe("validateSettingsObject (editor settings)", () => {
  it("accepts camelCase and kebab-case spellings", () => {
    expect(validateSettingsObject({ inlayHints: false, "lru-cache-maxsize": 32, hugeAllocationBytes: 10, extendExclude: ["x"] }, "client settings", { knownCodes: codes }))
      .toEqual({ settings: { lruCacheMaxsize: 32, hugeAllocationBytes: 10 }, editor: { inlayHints: false }, extendExclude: ["x"] });
  });

  it("rejects the same setting spelt both ways, and a value that is not a table", () => {
    expect(errorOf(() => validateSettingsObject({ inlayHints: true, "inlay-hints": false }, "client settings", { knownCodes: codes, keyPrefix: "memhint." })).message)
      .toBe('client settings: "memhint.inlayHints" and "memhint.inlay-hints" are the same setting; give it once');
    expect(errorOf(() => validateSettingsObject(null, "client settings", { knownCodes: codes })).detail).toBe("expected a table of settings, got null");
  });

  it("passes over unknown keys with a did-you-mean (the rest applies), and the editor extensions' own keys in silence", () => {
    const values = validateSettingsObject(
      { colour: "red", selekt: ["MH101"], "inlay-hint": false, ignore: ["MH102"], enable: true, path: "/opt/memhint", trace: { server: "verbose" } },
      "client settings", { knownCodes: codes, keyPrefix: "memhint." });
    expect(values.settings).toEqual({ ignore: ["MH102"] });
    expect(values.unknownKeys).toEqual([
      expect.stringMatching(/^unknown key "memhint.colour"; known keys: select, ignore, severity, hugeAllocationBytes/),
      'unknown key "memhint.selekt"; did you mean "memhint.select"?',
      'unknown key "memhint.inlay-hint"; did you mean "memhint.inlayHints"?',
    ]);
    expect(validateSettingsObject({ enable: false, path: "x", trace: { server: "off" } }, "client settings", { knownCodes: codes })).toEqual({ settings: {}, editor: {} });
    // A config file is exact: the client keys are unknown there.
    expect(errorOf(() => parseConfigTable({ path: "x" }, "pyproject.toml", { knownCodes: codes })).detail).toMatch(/^unknown key "path"/);
  });
});

describe("loadConfig", () => {
  it("walks up to the nearest pyproject.toml that has [tool.memhint], passing over those without", () => {
    const dir = tree({
      "pyproject.toml": '[tool.memhint]\nignore = ["MH202"]\nextend-exclude = ["gen"]\n',
      "pkg/pyproject.toml": "[project]\nname = 'pkg'\n",
      "pkg/sub/x.py": "",
    });
    const config = loadConfig(join(dir, "pkg", "sub"), { knownCodes: codes });
    expect(config).toEqual({
      settings: { ignore: ["MH202"] }, editor: {}, exclude: [...DEFAULT_EXCLUDE, "gen"], path: join(dir, "pyproject.toml"), root: dir, skipped: [],
      perFileIgnores: [], forceExclude: false, files: [join(dir, "pyproject.toml")],
    });
  });

  it("stops after stopDir, when given (the language server's workspace bound); without it, walks to the root", () => {
    const dir = tree({ "pyproject.toml": '[tool.memhint]\nignore = ["MH202"]\n', "ws/pkg/x.py": "", "ws/memhint.toml": 'select = ["MH101"]\n' });
    expect(loadConfig(join(dir, "ws", "pkg"), { knownCodes: codes, stopDir: join(dir, "ws", "pkg") })).toMatchObject({ path: null, root: join(dir, "ws", "pkg") });
    expect(loadConfig(join(dir, "ws", "pkg"), { knownCodes: codes, stopDir: join(dir, "ws") })).toMatchObject({ path: join(dir, "ws", "memhint.toml") });
    rmSync(join(dir, "ws", "memhint.toml"));
    expect(loadConfig(join(dir, "ws", "pkg"), { knownCodes: codes, stopDir: join(dir, "ws") }).path).toBeNull();
    expect(loadConfig(join(dir, "ws", "pkg"), { knownCodes: codes }).path).toBe(join(dir, "pyproject.toml"));
  });

  it("prefers .memhint.toml over memhint.toml over pyproject.toml in one directory", () => {
    const dir = tree({
      "pyproject.toml": '[tool.memhint]\nselect = ["MH101"]\n',
      "memhint.toml": 'select = ["MH102"]\n',
      ".memhint.toml": 'select = ["MH201"]\n',
    });
    expect(loadConfig(dir, { knownCodes: codes })).toMatchObject({ path: join(dir, ".memhint.toml"), settings: { select: ["MH201"] } });
  });

  it("lets exclude replace the default excludes", () => {
    const dir = tree({ "memhint.toml": 'exclude = ["out"]\nextend-exclude = ["tmp"]\n' });
    expect(loadConfig(dir, { knownCodes: codes }).exclude).toEqual(["out", "tmp"]);
  });

  it("returns the defaults when there is no config, or with noConfig", () => {
    const dir = tree({ "x.py": "" });
    expect(loadConfig(dir, { knownCodes: codes })).toMatchObject({ settings: {}, path: null, root: dir, exclude: [...DEFAULT_EXCLUDE] });
    const configured = tree({ "memhint.toml": 'select = ["MH101"]\n' });
    expect(loadConfig(configured, { knownCodes: codes, noConfig: true })).toMatchObject({ settings: {}, path: null });
  });

  it("reads an explicit config file, which must exist and have its table", () => {
    const dir = tree({ "conf/a.toml": 'select = ["MH101"]\n', "conf/pyproject.toml": "[project]\n" });
    expect(loadConfig(dir, { knownCodes: codes, configFile: join(dir, "conf", "a.toml") })).toMatchObject({ settings: { select: ["MH101"] }, root: join(dir, "conf") });
    expect(errorOf(() => loadConfig(dir, { knownCodes: codes, configFile: join(dir, "conf", "pyproject.toml") })).detail).toBe("has no [tool.memhint] table");
    expect(errorOf(() => loadConfig(dir, { knownCodes: codes, configFile: join(dir, "none.toml") })).message).toBe(`${join(dir, "none.toml")}: cannot use this config file: no such file or directory`);
    expect(errorOf(() => loadConfig(dir, { knownCodes: codes, configFile: join(dir, "conf") })).detail).toBe("cannot use this config file: it is a directory, not a regular file");
  });

  it("reports TOML syntax errors with the file, line and column", () => {
    const dir = tree({ "pyproject.toml": '[tool.memhint]\nselect = ["MH101"\nignore = []\n' });
    const error = errorOf(() => loadConfig(dir, { knownCodes: codes }));
    expect(error.source).toMatch(new RegExp(`^${join(dir, "pyproject.toml")}:3:\\d+$`));
    expect(error.detail).toMatch(/^invalid TOML: /);
  });

  it("reports a wrong [tool] shape and a wrong [tool.memhint] shape", () => {
    expect(errorOf(() => loadConfig(tree({ "pyproject.toml": "tool = 3\n" }), { knownCodes: codes })).detail).toBe("tool: expected a table, got the number 3");
    expect(errorOf(() => loadConfig(tree({ "pyproject.toml": "[tool]\nmemhint = true\n" }), { knownCodes: codes })).detail).toBe("tool.memhint: expected a table of settings, got true");
  });
});

describe("extend, per-file-ignores and the per-folder resolver", () => {
  it("parses the new keys", () => {
    const values = parseConfigTable({
      "extend-select": ["mh202"], "force-exclude": true, extend: "../base.toml", "per-file-ignores": { "tests/*.py": ["mh1"] },
    }, "m.toml", { knownCodes: codes });
    expect(values).toMatchObject({ extendSelect: ["MH202"], forceExclude: true, extend: "../base.toml", perFileIgnores: { "tests/*.py": ["MH1"] } });
  });

  it("an editor may not set the keys that only make sense in a file", () => {
    expect(errorOf(() => validateSettingsObject({ extend: "x.toml" }, "client settings", { knownCodes: codes })).detail).toBe('"extend" can only be set in a config file (pyproject.toml or memhint.toml)');
    expect(validateSettingsObject({ extendSelect: ["MH101"] }, "client settings", { knownCodes: codes }).extendSelect).toEqual(["MH101"]);
  });

  it("extend merges the base under the file: keys set win, extend-* lists add up, severity merges", () => {
    const dir = tree({
      "base.toml": 'ignore = ["MH101"]\nlru-cache-maxsize = 5\nextend-exclude = ["a"]\nextend-select = ["MH202"]\n[severity]\nMH101 = "error"\n[per-file-ignores]\n"t/*" = ["MH102"]\n',
      "pkg/pyproject.toml": '[tool.memhint]\nextend = "../base.toml"\nignore = ["MH102"]\nextend-exclude = ["b"]\n[tool.memhint.severity]\nMH202 = "hint"\n',
    });
    const config = loadConfig(join(dir, "pkg"), { knownCodes: codes });
    expect(config.files).toEqual([join(dir, "pkg", "pyproject.toml"), join(dir, "base.toml")]);
    expect(config.settings).toEqual({ ignore: ["MH102"], lruCacheMaxsize: 5, severity: { MH101: "error", MH202: "hint" }, select: ["MH", "MH202"] });
    expect(config.exclude).toEqual([...DEFAULT_EXCLUDE, "a", "b"]);
    expect(config.root).toBe(join(dir, "pkg"));
    // The base's pattern stays relative to the base's folder.
    expect(perFileIgnoredCodes(config, join(dir, "t", "x.py"))).toEqual(["MH102"]);
    expect(perFileIgnoredCodes(config, join(dir, "pkg", "t", "x.py"))).toEqual([]);
  });

  it("a cycle names the chain; extending a pyproject.toml without [tool.memhint] is an error", () => {
    const dir = tree({ "a.toml": 'extend = "b/b.toml"\n', "b/b.toml": 'extend = "../a.toml"\n', "c.toml": 'extend = "pyproject.toml"\n', "pyproject.toml": "[project]\n" });
    expect(errorOf(() => loadConfig(dir, { configFile: join(dir, "a.toml"), knownCodes: codes })).detail)
      .toBe(`extend: the files extend each other in a cycle: ${join(dir, "a.toml")} -> ${join(dir, "b", "b.toml")} -> ${join(dir, "a.toml")}`);
    expect(errorOf(() => loadConfig(dir, { configFile: join(dir, "c.toml"), knownCodes: codes })).message).toBe(`${join(dir, "pyproject.toml")}: has no [tool.memhint] table`);
  });

  it("a file holding only [tool.memhint] is read through its table", () => {
    const dir = tree({ "lint.toml": '[tool.memhint]\nselect = ["MH101"]\n' });
    expect(loadConfig(dir, { configFile: join(dir, "lint.toml"), knownCodes: codes }).settings).toEqual({ select: ["MH101"] });
  });

  it("the resolver gives each folder its nearest config, reading each file once", () => {
    const dir = tree({ "memhint.toml": 'ignore = ["MH101"]\n', "sub/pyproject.toml": '[tool.memhint]\nignore = ["MH102"]\n', "sub/deep/x.py": "" });
    const resolver = new ConfigResolver(dir, { knownCodes: codes });
    expect(resolver.forDirectory(join(dir, "sub", "deep")).path).toBe(join(dir, "sub", "pyproject.toml"));
    expect(resolver.forPath(join(dir, "x.py")).path).toBe(join(dir, "memhint.toml"));
    expect(resolver.forDirectory(join(dir, "sub"))).toBe(resolver.forDirectory(join(dir, "sub", "deep")));
    const forced = new ConfigResolver(dir, { knownCodes: codes, configFile: join(dir, "memhint.toml") });
    expect(forced.forDirectory(join(dir, "sub")).path).toBe(join(dir, "memhint.toml"));
  });
});
