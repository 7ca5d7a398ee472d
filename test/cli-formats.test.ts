/**
 * `memhint check --output-format`: full, concise, json-lines, sarif, github and junit, and
 * `--output-file`. Run as the built binary in temporary directories (a pseudo-terminal from
 * util-linux `script` where a terminal matters), except the colour palette, checked in-process
 * with a stdout that says it is a terminal. SARIF is validated against the SARIF 2.1.0 schema
 * that @microsoft/jest-sarif ships; JUnit is parsed by Python's xml.etree.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { escapeData, escapeProperty } from "../server/cli/formats/github.js";
import { layoutLine } from "../server/cli/formats/full.js";
import { run } from "../server/cli/main.js";
import { BIN, CHECK, memhint, tempDir, writeTree } from "./helpers/cli.js";

const require = createRequire(import.meta.url);

/** MH101 on the brackets (evidence: `data` is a parameter of a public function); a tab and CJK text before it. */
const CJK = "def f(data):\n\t名前 = sum([i for i in data])  # 日本語\n\treturn 名前\n";
/** MH101 on the brackets, whose safe fix drops them. */
const BAD = "total = sum([i * i for i in range(10**6)])\n";

interface JsonFinding {
  code: string;
  message: string;
  path: string;
  severity: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
  fix: null | { description: string; safety: string };
}

function json(args: readonly string[], cwd: string): JsonFinding[] {
  return JSON.parse(memhint([...CHECK, "--output-format", "json", ...args], cwd).stdout) as JsonFinding[];
}

/** The time on the last line of full output varies: replace it. */
function timeless(text: string): string {
  return text.replace(/ in \d+\.\d\ds\.\n$/, " in T.\n");
}

describe("--output-format full", () => {
  it("prints a code frame: tabs expanded to 4 columns, CJK two cells wide, the span underlined, the fix as help", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": CJK });
    const [finding] = json([], dir);
    const r = memhint([...CHECK, "--output-format", "full"], dir);
    expect(r.status).toBe(1);
    // "\t名前 = sum(" is 4 + 4 + 7 = 15 cells wide; "[i for i in data]" 17 code points.
    expect(timeless(r.stdout)).toBe(
      `a.py:2:11: MH101 [*] ${finding.message}\n`
      + "  |\n"
      + "2 |     名前 = sum([i for i in data])  # 日本語\n"
      + `  | ${" ".repeat(15)}${"^".repeat(17)} MH101\n`
      + "  |\n"
      + `  = help: ${finding.fix?.description}\n`
      + "\n"
      + "Found 1 finding (1 fixable with --fix).\n"
      + "Checked 1 file in T.\n",
    );
    expect(r.stdout).not.toContain("\u001b"); // not a terminal: no colour
  });

  it("underlines each line of a span over several lines, and says a fix is unsafe", () => {
    const dir = tempDir();
    writeTree(dir, { "m.py": "def g(xs):\n    return any([\n        x > 0 for x in xs\n    ])\n" });
    const [finding] = json([], dir);
    expect(finding.fix?.safety).toBe("unsafe");
    const r = memhint([...CHECK, "--output-format", "full", "--quiet"], dir);
    expect(r.stdout).toBe(
      `m.py:2:16: MH101 [!] ${finding.message}\n`
      + "  |\n"
      + "2 |     return any([\n"
      + `  | ${" ".repeat(15)}^\n`
      + "3 |         x > 0 for x in xs\n"
      + `  | ${"^".repeat(25)}\n`
      + "4 |     ])\n"
      + "  | ^^^^^ MH101\n"
      + "  |\n"
      + `  = help: ${finding.fix?.description} (unsafe: applied with --fix --unsafe-fixes)\n`
      + "\n",
    );
  });

  it("lays out tabs, wide and zero-width characters by screen cell, and never prints control characters", () => {
    expect(layoutLine("a\tb")).toEqual({ text: "a   b", cells: [0, 1, 4, 5] });
    expect(layoutLine("日a")).toEqual({ text: "日a", cells: [0, 2, 3] });
    expect(layoutLine("e\u0301x").cells).toEqual([0, 1, 1, 2]);
    expect(layoutLine("a\u001b[31mb\u202e").text).toBe("a\ufffd[31mb\ufffd");
  });

  it("is in colour on a terminal, and plain with NO_COLOR or in a file", async () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const inProcess = async (env: Record<string, string>, extra: string[] = []): Promise<string> => {
      let out = "";
      const stdout = { isTTY: true, write: (chunk: string | Uint8Array) => (out += chunk.toString()) };
      await run([...CHECK, ...extra], { stdout, stderr: { write: () => true }, stdin: Readable.from([]), cwd: dir, env });
      return out;
    };
    const coloured = await inProcess({});
    expect(coloured).toContain("\u001b[1ma.py:1:13:\u001b[0m \u001b[1;31mMH101\u001b[0m [*] ");
    expect(coloured).toContain(`  \u001b[1;34m|\u001b[0m ${" ".repeat(12)}\u001b[1;31m${"^".repeat(29)} MH101\u001b[0m\n`);
    const plain = await inProcess({ NO_COLOR: "1" });
    expect(plain).not.toContain("\u001b");
    expect(plain).toContain(`  | ${" ".repeat(12)}${"^".repeat(29)} MH101\n`);
    // NO_COLOR set but empty does not count (no-color.org).
    expect(await inProcess({ NO_COLOR: "" })).toContain("\u001b[");
    expect(await inProcess({}, ["--output-format", "concise"])).not.toContain("\u001b");
    await inProcess({}, ["--output-file", "report.txt"]);
    expect(readFileSync(join(dir, "report.txt"), "utf8")).toMatch(/^a\.py:1:13: MH101 \[\*\] .*\nFound 1 finding/); // a file gets concise
  });

  it("is the default on a real terminal (a pseudo-terminal), and concise when stdout is a pipe", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check --select ALL`;
    const onTerminal = (env: NodeJS.ProcessEnv): string => {
      const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: dir, encoding: "utf8", env, timeout: 60_000 });
      expect(r.status).toBe(1);
      return r.stdout.replace(/\r\n/g, "\n");
    };
    const { NO_COLOR: _ignored, ...environment } = process.env;
    const coloured = onTerminal(environment);
    expect(coloured).toContain("\u001b[1;31mMH101\u001b[0m");
    expect(coloured).toMatch(/Checked 1 file in \d+\.\d\ds\.\n$/);
    const plain = onTerminal({ ...environment, NO_COLOR: "1" });
    expect(plain).not.toContain("\u001b");
    expect(plain).toContain("  = help: ");
    const piped = memhint([...CHECK], dir);
    expect(piped.stdout).toBe(memhint([...CHECK, "--output-format", "concise"], dir).stdout);
    expect(piped.stdout).toBe(memhint([...CHECK, "--format", "text"], dir).stdout);
    expect(piped.stdout).toMatch(/^a\.py:1:13: MH101 \[\*\] .*\nFound 1 finding \(1 fixable with --fix\)\.\n$/);
  });

  it("ends with the files checked, the findings, the fixable ones and the time taken", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, "b.py": "x = 1\n", "c.py": BAD });
    const r = memhint([...CHECK, "--output-format", "full"], dir);
    expect(r.stdout).toMatch(/\nFound 2 findings \(2 fixable with --fix\)\.\nChecked 3 files in \d+\.\d\ds\.\n$/);
    const fixed = memhint([...CHECK, "--output-format", "full", "--fix"], dir);
    expect(fixed.stdout).toMatch(/\nFound 2 findings \(2 fixed, 0 remaining\)\.\nChecked 3 files in \d+\.\d\ds\.\n$/);
  });
});

describe("--output-format json-lines", () => {
  it("prints one JSON object per line, the same objects as --output-format json", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, "b.py": BAD });
    const r = memhint([...CHECK, "--output-format", "json-lines"], dir);
    expect(r.status).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line))).toEqual(json([], dir));
    expect(lines).toHaveLength(2);
  });
});

describe("--output-format sarif", () => {
  const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8")) as object;
  const Ajv = require("ajv-draft-04") as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
  const addFormats = require("ajv-formats") as (ajv: unknown) => void;
  // The schema's pattern for `language` has a stray "]", which only a non-Unicode RegExp accepts.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  /** A repository with the findings in a subfolder, checked from that subfolder. */
  function repository(): string {
    const dir = tempDir();
    mkdirSync(join(dir, ".git"));
    writeTree(dir, { "pkg/a b.py": `import os\n${BAD}`, "pkg/m.py": "def g(xs):\n    return any([x > 0 for x in xs])\n" });
    return dir;
  }

  it("is valid SARIF 2.1.0 (the schema that @microsoft/jest-sarif ships) in the shape GitHub code scanning reads", () => {
    const dir = repository();
    const r = memhint([...CHECK, "--output-format", "sarif", "."], join(dir, "pkg"));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    const log = JSON.parse(r.stdout);
    const valid = validate(log);
    expect(validate.errors ?? null).toBeNull();
    expect(valid).toBe(true);
    // The validator is live: a 0-based line or another version is refused.
    const zeroBased = JSON.parse(r.stdout);
    zeroBased.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(zeroBased)).toBe(false);
    expect(validate({ ...log, version: "2.0.0" })).toBe(false);

    expect(log.version).toBe("2.1.0");
    const [runEntry] = log.runs;
    const driver = runEntry.tool.driver;
    expect(driver.name).toBe("memhint");
    const rule = driver.rules.find((x: { id: string }) => x.id === "MH101");
    expect(rule.shortDescription.text).toMatch(/^Finds a list comprehension passed as the only iterable.*\.$/);
    expect(rule.helpUri).toBe("https://memhint.dev/rules/MH101");
    for (const each of driver.rules) expect(Object.keys(each)).toEqual(expect.arrayContaining(["id", "shortDescription", "helpUri"]));
    expect(runEntry.originalUriBaseIds["%SRCROOT%"].uri).toBe(`file://${dir}/`);

    const results = runEntry.results;
    expect(results).toHaveLength(2);
    const [first, second] = results;
    expect(first.ruleId).toBe("MH101");
    expect(driver.rules[first.ruleIndex].id).toBe("MH101");
    expect(first.level).toBe("warning");
    const jsonFindings = json(["."], join(dir, "pkg"));
    expect(first.message.text).toBe(jsonFindings[0].message);
    // Relative to the repository root, not to the folder memhint ran in; percent-encoded.
    expect(first.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "pkg/a%20b.py", uriBaseId: "%SRCROOT%" },
      region: { startLine: 2, startColumn: 13, endLine: 2, endColumn: 42 },
    });
    expect(second.locations[0].physicalLocation.artifactLocation).toEqual({ uri: "pkg/m.py", uriBaseId: "%SRCROOT%" });
    expect(first.fixes[0].description.text).toBe(jsonFindings[0].fix?.description);
    expect(first.fixes[0].artifactChanges[0].replacements).toEqual([
      { deletedRegion: { startLine: 2, startColumn: 13, endLine: 2, endColumn: 14 }, insertedContent: { text: "" } },
      { deletedRegion: { startLine: 2, startColumn: 41, endLine: 2, endColumn: 42 }, insertedContent: { text: "" } },
    ]);
    expect(second.fixes[0].description.text).toMatch(/\(unsafe fix\)$/);
    expect(first.partialFingerprints["memhintFingerprint/v1"]).toMatch(/^[0-9a-f]{32}$/);
    expect(first.partialFingerprints["memhintFingerprint/v1"]).not.toBe(second.partialFingerprints["memhintFingerprint/v1"]);
  });

  it("keeps a finding's fingerprint when lines above it move, and tells two equal lines apart", () => {
    const dir = repository();
    const fingerprints = (): string[] => {
      const log = JSON.parse(memhint([...CHECK, "--output-format", "sarif", "pkg/a b.py"], dir).stdout);
      return log.runs[0].results.map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints["memhintFingerprint/v1"]);
    };
    const [before] = fingerprints();
    writeFileSync(join(dir, "pkg/a b.py"), `import os\n\n\nimport sys\n${BAD}${BAD}`);
    const after = fingerprints();
    expect(after).toHaveLength(2);
    expect(after[0]).toBe(before);
    expect(after[1]).not.toBe(before);
  });

  it("is valid with no findings", () => {
    const dir = tempDir();
    writeTree(dir, { "clean.py": "x = 1\n" });
    const clean = JSON.parse(memhint([...CHECK, "--output-format", "sarif"], dir).stdout);
    expect(validate(clean)).toBe(true);
    expect(clean.runs[0].results).toEqual([]);
  });

  it("puts a file outside the repository at its absolute file: URI", () => {
    const repo = repository();
    const elsewhere = tempDir();
    writeTree(elsewhere, { "e.py": BAD });
    const log = JSON.parse(memhint([...CHECK, "--output-format", "sarif", join(elsewhere, "e.py")], repo).stdout);
    expect(validate(log)).toBe(true);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: `file://${elsewhere}/e.py` });
  });
});

describe("--output-format github", () => {
  it("escapes %, CR and LF in messages, and also : and , in properties", () => {
    expect(escapeData("50% done\r\nnext: a,b")).toBe("50%25 done%0D%0Anext: a,b");
    expect(escapeProperty("50% done\r\nnext: a,b")).toBe("50%25 done%0D%0Anext%3A a%2Cb");
  });

  it("prints one workflow command per finding, with the path from the repository root", () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".git"));
    writeTree(dir, { "src/we,ird:100%.py": BAD, "src/m.py": "def g(xs):\n    return any([\n        x > 0 for x in xs\n    ])\n" });
    const findings = json(["."], join(dir, "src"));
    const r = memhint([...CHECK, "--output-format", "github", "."], join(dir, "src"));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    const message = (i: number): string => escapeData(`MH101 ${findings[i].message}`);
    expect(r.stdout).toBe(
      `::warning title=memhint (MH101),file=src/m.py,line=2,col=16,endLine=4::${message(0)}\n`
      + `::warning title=memhint (MH101),file=src/we%2Cird%3A100%25.py,line=1,col=13,endLine=1,endColumn=42::${message(1)}\n`,
    );
    expect(findings.map((f) => f.path)).toEqual(["m.py", "we,ird:100%.py"]);
  });
});

describe("--output-format junit", () => {
  /** Parse with Python's xml.etree (a real XML parser) and return the document's structure. */
  function parseJunit(xml: string): { suites: Array<{ attrs: Record<string, string>; cases: Array<{ attrs: Record<string, string>; failure: Record<string, string> | null; text: string | null; error: Record<string, string> | null }> }>; attrs: Record<string, string> } {
    const script = [
      "import json, sys, xml.etree.ElementTree as ET",
      "root = ET.fromstring(sys.stdin.buffer.read())",
      "assert root.tag == 'testsuites', root.tag",
      "def case(c):",
      "    f = c.find('failure'); e = c.find('error')",
      "    return {'attrs': c.attrib, 'failure': None if f is None else f.attrib, 'text': None if f is None else f.text, 'error': None if e is None else e.attrib}",
      "print(json.dumps({'attrs': root.attrib, 'suites': [{'attrs': s.attrib, 'cases': [case(c) for c in s.findall('testcase')]} for s in root.findall('testsuite')]}))",
    ].join("\n");
    const r = spawnSync("python3", ["-c", script], { input: xml, encoding: "utf8" });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  }

  it("is well-formed XML: a suite per file, a failing case per finding, a passing case for a clean file, an error for a file not checked", () => {
    const dir = tempDir();
    writeTree(dir, { "a&<b>\".py": `${BAD}${BAD}`, "clean.py": "x = 1\n", "latin1.py": Buffer.from([0x78, 0x20, 0x3d, 0x20, 0x22, 0xe9, 0x22, 0x0a]) });
    const findings = json([], dir);
    const r = memhint([...CHECK, "--output-format", "junit"], dir);
    expect(r.status).toBe(2); // latin1.py cannot be decoded
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    const doc = parseJunit(r.stdout);
    expect(doc.attrs).toMatchObject({ name: "memhint", tests: "4", failures: "2", errors: "1" });
    expect(Number(doc.attrs.time)).toBeGreaterThanOrEqual(0);
    expect(doc.suites.map((s) => s.attrs.name)).toEqual(['a&<b>".py', "clean.py", "latin1.py"]);
    const [bad, clean, latin1] = doc.suites;
    expect(bad.attrs).toMatchObject({ tests: "2", failures: "2", errors: "0" });
    expect(bad.cases.map((c) => c.attrs)).toEqual([
      { name: "MH101 at 1:13", classname: 'a&<b>".py', file: 'a&<b>".py', line: "1" },
      { name: "MH101 at 2:13", classname: 'a&<b>".py', file: 'a&<b>".py', line: "2" },
    ]);
    expect(bad.cases[0].failure).toEqual({ message: findings[0].message, type: "MH101" });
    expect(bad.cases[0].text).toBe(`a&<b>".py:1:13: MH101 ${findings[0].message}`);
    expect(clean.cases).toEqual([{ attrs: { name: "memhint", classname: "clean.py", file: "clean.py" }, failure: null, text: null, error: null }]);
    expect(latin1.attrs).toMatchObject({ tests: "1", failures: "0", errors: "1" });
    expect(latin1.cases[0].error?.message).toMatch(/UTF-8/);
  });

  it("keeps names with control characters well-formed", () => {
    const dir = tempDir();
    writeTree(dir, { "a\u0001\n.py": BAD });
    const doc = parseJunit(memhint([...CHECK, "--output-format", "junit"], dir).stdout);
    expect(doc.suites[0].attrs.name).toBe('"a\\x01\\n.py"');
  });
});

describe("--output-file", () => {
  it("writes the report to the file and nothing to stdout", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const r = memhint([...CHECK, "--output-format", "sarif", "--output-file", "report.sarif"], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const log = JSON.parse(readFileSync(join(dir, "report.sarif"), "utf8"));
    expect(log.runs[0].results).toHaveLength(1);
    const text = memhint([...CHECK, "--output-file", "report.txt"], dir);
    expect(text.stdout).toBe("");
    expect(readFileSync(join(dir, "report.txt"), "utf8")).toBe(memhint([...CHECK], dir).stdout);
  });

  it("fails with one line and exit 2 when the file cannot be written, before checking anything", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    const r = memhint([...CHECK, "--output-file", "missing/report.txt"], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("memhint check: cannot write the report to missing/report.txt: ENOENT: no such file or directory, open '" + join(dir, "missing/report.txt") + "'\n");
  });
});

describe("--output-file with --show-files and --show-settings", () => {
  it("writes what they print to the file, and nothing to stdout", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD, "b/c.py": BAD });
    const files = memhint(["check", "--show-files", "--output-file", "files.txt"], dir);
    expect(files.status).toBe(0);
    expect(files.stdout).toBe("");
    expect(readFileSync(join(dir, "files.txt"), "utf8")).toBe(memhint(["check", "--show-files"], dir).stdout);
    expect(readFileSync(join(dir, "files.txt"), "utf8")).toBe("a.py\nb/c.py\n");
    const settings = memhint(["check", "--show-settings", "a.py", "--output-file", "settings.json"], dir);
    expect(settings.status).toBe(0);
    expect(settings.stdout).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "settings.json"), "utf8")).path).toBe(join(dir, "a.py"));
  });

  it("exits 2 with one line when the file cannot be written", () => {
    const dir = tempDir();
    writeTree(dir, { "a.py": BAD });
    for (const flag of ["--show-files", "--show-settings"]) {
      const r = memhint(["check", flag, "--output-file", "missing/out.txt"], dir);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^memhint check: cannot write the report to missing\/out\.txt: ENOENT[^\n]*\n$/);
    }
  });
});

describe("format usage errors exit 2 with one line", () => {
  const dir = tempDir();
  writeTree(dir, { "a.py": BAD });
  it.each([
    [["--output-format", "xml"], 'memhint check: --output-format must be one of full, concise, json, json-lines, sarif, github, junit, not "xml"'],
    [["--format", "json", "--output-format", "sarif"], 'memhint check: --format is another name for --output-format; they cannot differ ("json" and "sarif")'],
    [["--diff", "--output-format", "sarif"], "memhint check: --diff prints a unified diff; it cannot be combined with --output-format sarif"],
    [["--statistics", "--output-format", "junit"], "memhint check: --statistics prints text or JSON; it cannot be combined with --output-format junit"],
    [["--output-file", ""], "memhint check: --output-file needs a path"],
  ])("%j", (args, message) => {
    const r = memhint([...CHECK, ...args], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${message}\nRun "memhint check --help" for usage.\n`);
  });

  it("accepts --format and --output-format together when they agree, and --format as the alias", () => {
    expect(memhint([...CHECK, "--format", "json-lines", "--output-format", "json-lines"], dir).stdout).toBe(memhint([...CHECK, "--format", "json-lines"], dir).stdout);
  });
});
