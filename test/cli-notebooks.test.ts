/**
 * Jupyter notebooks in `memhint check` (server/notebook.ts, server/cli/notebook.ts), through the
 * built binary: findings by cell and line, IPython syntax masked, names known across cells,
 * `--fix`/`--diff`/`--add-noqa` touching nothing but the edited cells' `source`, bad notebooks.
 * Fixed notebooks are loaded with Python's json module and their code cells run with python3,
 * before and after, for the same output.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maskIPython, parseNotebook, sourceLines, touchesMask, virtualModule, writeNotebook } from "../server/notebook.js";
import { BIN, CHECK, memhint, tempDir, writeTree } from "./helpers/cli.js";

const require = createRequire(import.meta.url);

/** The SARIF 2.1.0 schema's validator, as test/cli-formats.test.ts builds it. */
function sarifValidator(): ((data: unknown) => boolean) & { errors?: unknown } {
  const schema = JSON.parse(readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8")) as object;
  const Ajv = require("ajv-draft-04") as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
  const addFormats = require("ajv-formats") as (ajv: unknown) => void;
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

type Source = string | string[];

interface CellSpec {
  type?: "code" | "markdown" | "raw";
  source: Source;
  outputs?: unknown[];
}

/** A notebook as nbformat writes it: `indent` spaces (1 by default), non-ASCII as is, a final line break. */
function notebook(cells: CellSpec[], options: { indent?: number; ascii?: boolean; language?: string; nbformat?: number; finalNewline?: boolean } = {}): string {
  const doc = {
    cells: cells.map((c, i) => (c.type ?? "code") === "code"
      ? { cell_type: "code", execution_count: i + 1, id: `cell-${i}`, metadata: { tags: ["t"] }, outputs: c.outputs ?? [], source: c.source }
      : { cell_type: c.type, id: `cell-${i}`, metadata: {}, source: c.source }),
    metadata: {
      kernelspec: { display_name: "Python 3", language: options.language ?? "python", name: "python3" },
      language_info: { name: options.language ?? "python", version: "3.12.0" },
    },
    nbformat: options.nbformat ?? 4,
    nbformat_minor: 5,
  };
  let text = JSON.stringify(doc, null, options.indent ?? 1);
  if (options.ascii) text = text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return options.finalNewline === false ? text : `${text}\n`;
}

/** `text` as nbformat's list of lines. */
const lines = (text: string): string[] => sourceLines(text);

const BIG_SUM = "total = sum([i * i for i in range(N)])";
const OUTPUT = [{ name: "stdout", output_type: "stream", text: ["4 MB é\n"] }, { data: { "image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"] }, metadata: {}, output_type: "display_data" }];

/**
 * Run the notebook's code cells in order with python3, in one namespace, IPython lines replaced
 * by `pass` (cell magics skip the cell), and return what they print.
 */
function runCells(path: string): string {
  const script = `
import json, sys, io, contextlib
nb = json.load(open(sys.argv[1], encoding="utf-8"))
ns = {}
out = io.StringIO()
with contextlib.redirect_stdout(out):
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if src.lstrip().startswith("%%"):
            continue
        kept = []
        for line in src.split("\\n"):
            s = line.lstrip()
            kept.append(line[: len(line) - len(s)] + "pass" if s[:1] in ("%", "!") else line)
        exec(compile("\\n".join(kept), "cell", "exec"), ns)
print(out.getvalue(), end="")
`;
  const result = spawnSync("python3", ["-c", script, path], { encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout;
}

/** The spans of `after` that differ from `before`, as a list of [before, after] snippets. */
function changedSpans(before: string, after: string): [string, string][] {
  let head = 0;
  while (head < before.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return before === after ? [] : [[before.slice(head, before.length - tail), after.slice(head, after.length - tail)]];
}

describe("memhint check: notebooks", () => {
  it("reports findings by cell (markdown cells count) and line within the cell, in every text and JSON format", () => {
    const dir = tempDir();
    writeTree(dir, {
      "nb.ipynb": notebook([
        { type: "markdown", source: ["# Squares\n", "Sums of squares."] },
        { source: lines("N = 10**5\n") },
        { source: lines(`print("start")\n\n${BIG_SUM}\nprint(total)`) },
      ]),
    });
    const concise = memhint([...CHECK, "--output-format", "concise", "nb.ipynb"], dir);
    expect(concise.stderr).toBe("");
    expect(concise.status).toBe(1);
    expect(concise.stdout).toMatch(/^nb\.ipynb:cell 3:3:13: MH101 \[\*\] A list built only for `sum\(\)`/);
    expect(concise.stdout).toContain("Found 1 finding (1 fixable with --fix).");

    const full = memhint([...CHECK, "--output-format", "full", "nb.ipynb"], dir);
    expect(full.stdout).toContain("nb.ipynb:cell 3:3:13: MH101");
    expect(full.stdout).toMatch(/^3 \| total = sum\(\[i \* i for i in range\(N\)\]\)\n {2}\| {13}\^+ MH101$/m);

    const json = memhint([...CHECK, "--output-format", "json", "nb.ipynb"], dir);
    const [d] = JSON.parse(json.stdout);
    expect(d).toMatchObject({ code: "MH101", path: "nb.ipynb", cell: 3, range: { start: { line: 3, column: 13 }, end: { line: 3, column: 38 } } });
    expect(Object.keys(d).slice(0, 6)).toEqual(["code", "name", "severity", "message", "path", "cell"]);
    expect(d.fix.edits[0].range.start).toEqual({ line: 3, column: 13 });

    const jsonLines = memhint([...CHECK, "--output-format", "json-lines", "nb.ipynb"], dir);
    expect(JSON.parse(jsonLines.stdout.trim())).toMatchObject({ cell: 3, range: { start: { line: 3, column: 13 } } });

    const sarif = JSON.parse(memhint([...CHECK, "--output-format", "sarif", "nb.ipynb"], dir).stdout);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const result = sarif.runs[0].results[0];
    expect(result.properties).toEqual({ cell: 3 });
    expect(result.message.text).toMatch(/^cell 3: /);
    expect(result.locations[0].physicalLocation.region).toMatchObject({ startLine: 3, startColumn: 13 });

    const github = memhint([...CHECK, "--output-format", "github", "nb.ipynb"], dir);
    expect(github.stdout).toMatch(/^::warning title=memhint \(MH101\),file=nb\.ipynb::MH101 cell 3:3:13: A list/);

    const junit = memhint([...CHECK, "--output-format", "junit", "nb.ipynb"], dir);
    expect(junit.stdout).toContain('name="MH101 at cell 3:3:13"');
    expect(junit.stdout).toContain("nb.ipynb:cell 3:3:13: MH101");
  });

  it("knows names bound in earlier cells: the size evidence of N in cell 1 reaches cell 2", () => {
    const dir = tempDir();
    writeTree(dir, {
      "both.ipynb": notebook([{ source: "N = 10**5" }, { source: BIG_SUM }]),
      "alone.ipynb": notebook([{ source: BIG_SUM }]),
    });
    const ran = memhint([...CHECK, "both.ipynb", "alone.ipynb"], dir);
    expect(ran.stdout).toContain("both.ipynb:cell 2:1:13: MH101");
    expect(ran.stdout).toMatch(/≈ 3\.8 MiB for 100,000 elements/);
    expect(ran.stdout).not.toContain("alone.ipynb");
  });

  it("masks magics, shell escapes, help and automagics, lints the body of %%time but skips %%bash, and keeps columns after a masked line", () => {
    const dir = tempDir();
    const cells: CellSpec[] = [
      { source: lines("%matplotlib inline\nN = 10**5\n!pip install numpy\nfiles = !ls\nprint?\n??print\nlen?\n%load_ext autoreload\n") },
      { source: lines("%%bash\necho this is { not python\n") },
      { source: lines("%%time\nM = 10**5\n") },
      { source: lines("for k in range(2):\n    %time x = 1\n    !echo hi \\\n      there\n    " + BIG_SUM + "\n") },
      { source: lines("x = (1\n     % 2)\nsql = '''\n%s is not a magic\n'''\nenv = %env\npip install numpy\n" + BIG_SUM.replace("(N)", "(M)")) },
    ];
    writeTree(dir, { "magic.ipynb": notebook(cells) });
    const ran = memhint([...CHECK, "--output-format", "concise", "magic.ipynb"], dir);
    expect(ran.stderr).toBe("");
    // No MH000: what IPython would run is no syntax error here.
    expect(ran.stdout.split("\n").filter((l) => l.includes("MH"))).toEqual([
      expect.stringMatching(/^magic\.ipynb:cell 4:5:17: MH101 /),
      expect.stringMatching(/^magic\.ipynb:cell 5:8:13: MH101 /),
    ]);
  });

  it("masks IPython lines with stand-ins of the same length, never inside strings or brackets", () => {
    const text = "%time f()\n  !ls -l\nx = !ls\nobj?\ny = (1\n % 2)\ns = '''\n%s\n'''\nz = 1  # why?\n";
    const { masked, masks, skipped } = maskIPython(text);
    expect(skipped).toBe(false);
    expect(masked.length).toBe(text.length);
    expect(masked).toBe("pass     \n  pass  \nx = 0  \npass\ny = (1\n % 2)\ns = '''\n%s\n'''\nz = 1  # why?\n");
    expect(masks.map((m) => m.original)).toEqual(["%time f()", "!ls -l", "!ls", "obj?"]);
    expect(maskIPython("\n%%bash\necho { hi\n").skipped).toBe(true);
    // A cell magic whose body is Python: its line is masked, the body linted.
    expect(maskIPython("%%time\nx = 1\n")).toMatchObject({ skipped: false, masked: "pass  \nx = 1\n" });
    expect(maskIPython("pip install numpy\nls -la\nls = 1\ncd(ls)\n").masked).toBe("pass             \npass  \nls = 1\ncd(ls)\n");
    // An edit inside a masked line is refused; one beside it is not.
    expect(touchesMask({ start: 2, end: 3, newText: "" }, masks)).toBe(true);
    expect(touchesMask({ start: 13, end: 13, newText: "" }, masks)).toBe(true);
    expect(touchesMask({ start: 12, end: 12, newText: "    " }, masks)).toBe(false);
    expect(touchesMask({ start: 0, end: 0, newText: "import x\n" }, masks)).toBe(false);
    // Nothing goes before a cell magic: it must stay the cell's first line.
    expect(touchesMask({ start: 0, end: 0, newText: "import x\n" }, maskIPython("%%time\nx = 1\n").masks)).toBe(true);
  });

  it("takes only a name followed by ? or ?? as help, never a line that opens a string", () => {
    expect(maskIPython("obj.attr??\nnp.*load*?\n").masked).toBe("pass      \npass      \n");
    const prose = 'HELP = """Want the total?\nprint(sum([len(w) for w in words]))\n"""\nwhy = x?y\n';
    expect(maskIPython(prose).masks).toEqual([]);
  });

  it("never edits the text of a string whose first line ends with ?, with --fix or --add-noqa", () => {
    const dir = tempDir();
    const text = notebook([
      { source: lines("import sys\nwords = sys.argv[1:]") },
      { source: lines('HELP = """Want the total?\nprint(sum([len(w) for w in words]))\nbuf = [0] * 10**9\n"""\nprint(HELP)') },
    ]);
    writeTree(dir, { "str.ipynb": text });
    const ran = memhint([...CHECK, "str.ipynb"], dir);
    expect(ran.stdout).toBe("All checks passed.\n");
    expect(memhint([...CHECK, "--fix", "--unsafe-fixes", "str.ipynb"], dir).status).toBe(0);
    expect(memhint(["check", "--add-noqa", "str.ipynb"], dir).status).toBe(0);
    expect(readFileSync(join(dir, "str.ipynb"), "utf8")).toBe(text);
  });

  it("drops a fix that would add an import above a cell magic", () => {
    const dir = tempDir();
    const text = notebook([{ source: lines("%%time\n_squares = {}\n\ndef square(n):\n    if n not in _squares:\n        _squares[n] = n * n\n    return _squares[n]\n\nprint(square(3))") }]);
    writeTree(dir, { "magic.ipynb": text });
    const fixed = memhint([...CHECK, "--fix", "--unsafe-fixes", "--output-format", "concise", "magic.ipynb"], dir);
    expect(fixed.stdout).toMatch(/^magic\.ipynb:cell 1:2:12: MH201 [^[]/m);
    expect(fixed.stdout).toContain("(0 fixed, 1 remaining)");
    expect(readFileSync(join(dir, "magic.ipynb"), "utf8")).toBe(text);
  });

  it("joins code cells with a line break each, so offsets map back to cells exactly", () => {
    const parsed = parseNotebook(notebook([{ source: "a = 1" }, { type: "markdown", source: "x" }, { source: ["b = 2\n", "c = 3\n"] }]));
    expect(parsed.cells.map((c) => c.index)).toEqual([0, 2]);
    const module = virtualModule(parsed.cells);
    expect(module.text).toBe("a = 1\nb = 2\nc = 3\n\n");
    expect(module.parts).toEqual([{ position: 0, start: 0, length: 5 }, { position: 1, start: 6, length: 12 }]);
    // Unchanged cells write back byte for byte.
    expect(writeNotebook(parsed, parsed.cells.map((c) => c.text))).toBe(parsed.json);
  });

  it("writes a cell's new source exactly as the notebook's own writer would (random sources, layouts, escapes)", () => {
    let seed = 20261207;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ["a", "b", " ", "\n", "\n", "\r\n", "\t", '"', "\\", "é", "→", "😀", "\u0001", "\u007f", "%", "!", "'", "{", "]"];
    const text = (): string => Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]).join("");
    for (let round = 0; round < 200; round++) {
      const options = { indent: [1, 2, 4][random(3)], ascii: random(2) === 0, finalNewline: random(2) === 0 };
      const asList = random(2) === 0;
      const form = (t: string): Source => (asList ? lines(t) : t);
      const before = Array.from({ length: 1 + random(4) }, () => text());
      const after = before.map((t) => (random(2) === 0 ? t : text()));
      const written = writeNotebook(parseNotebook(notebook(before.map((t) => ({ source: form(t) })), options)), after);
      expect(written).toBe(notebook(after.map((t) => ({ source: form(t) })), options));
    }
  });

  for (const [label, options, form] of [
    ["nbformat's layout (indent 1, lists of lines)", {}, "list"],
    ["indent 2, sources as strings, no final line break", { indent: 2, finalNewline: false }, "string"],
    ["\\u escapes (ensure_ascii)", { ascii: true }, "list"],
  ] as const) {
    it(`--fix changes only the fixed cells' source, byte for byte elsewhere: ${label}`, () => {
      const dir = tempDir();
      const src = (text: string): Source => (form === "list" ? lines(text) : text);
      const before = notebook([
        { type: "markdown", source: src("# Über\nnotes") },
        { source: src("N = 10**5\nprint('é')\n"), outputs: OUTPUT },
        { source: src(`for k in range(2):\n    ${BIG_SUM}\nprint(total)`), outputs: OUTPUT },
        { source: src("%timeit -n1 sum([1, 2])\nprint(N)"), outputs: [] },
        { source: src(`total = sum([i for i in range(N)])\nprint(total, "ü")`), outputs: OUTPUT },
      ], options);
      writeTree(dir, { "nb.ipynb": before });
      const ranBefore = runCells(join(dir, "nb.ipynb"));
      const fixed = memhint([...CHECK, "--fix", "nb.ipynb"], dir);
      expect(fixed.stderr).toBe("");
      expect(fixed.status).toBe(0);
      expect(fixed.stdout).toContain("nb.ipynb: fixed 2 findings (MH101 x2)");
      const after = readFileSync(join(dir, "nb.ipynb"), "utf8");
      // Only the two sources changed: parse both and compare everything else.
      const [b, a] = [JSON.parse(before), JSON.parse(after)];
      for (const i of [2, 4]) b.cells[i].source = a.cells[i].source;
      expect(a).toEqual(b);
      expect(JSON.stringify(a.cells[2].source)).toContain("sum(i * i for i in range(N))");
      expect(typeof a.cells[2].source === "string").toBe(form === "string");
      // Byte for byte: the text differs only between the first and the last edited source.
      const [[oldSpan, newSpan]] = changedSpans(before, after);
      expect(before.indexOf(oldSpan)).toBeGreaterThan(before.indexOf('"# '));
      expect(newSpan.length).toBe(oldSpan.length - 4);
      expect(after.endsWith("\n")).toBe(options.finalNewline !== false);
      expect(/[^\x00-\x7f]/.test(after)).toBe(!("ascii" in options));
      // It still loads, and its cells print the same.
      expect(spawnSync("python3", ["-c", "import json, sys; json.load(open(sys.argv[1]))", join(dir, "nb.ipynb")]).status).toBe(0);
      expect(runCells(join(dir, "nb.ipynb"))).toBe(ranBefore);
      expect(ranBefore).toContain("é");
      // Converged: nothing left to fix.
      expect(memhint([...CHECK, "nb.ipynb"], dir).status).toBe(0);
    });
  }

  it("a notebook as nbformat writes it (Python's json.dumps, sorted keys, indent 1) is still exactly that after --fix", () => {
    const dir = tempDir();
    const path = join(dir, "nb.ipynb");
    writeTree(dir, { "nb.ipynb": notebook([{ source: lines("N = 10**5\nprint('ü →')\n") }, { source: lines(`${BIG_SUM}\nprint(total)`), outputs: OUTPUT }]) });
    // nbformat.writes: json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    const nbformatWrites = `import json, sys
p = sys.argv[1]
nb = json.load(open(p, encoding="utf-8"))
open(p + ".nbformat", "w", encoding="utf-8").write(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\\n")`;
    const canonical = (): string => {
      expect(spawnSync("python3", ["-c", nbformatWrites, path]).status).toBe(0);
      return readFileSync(`${path}.nbformat`, "utf8");
    };
    writeFileSync(path, canonical());
    expect(memhint([...CHECK, "--fix", "nb.ipynb"], dir).stdout).toContain("nb.ipynb: fixed 1 finding (MH101)");
    const fixed = readFileSync(path, "utf8");
    expect(fixed).toContain('"total = sum(i * i for i in range(N))\\n",');
    expect(canonical()).toBe(fixed);
  });

  it("--diff shows each changed cell and writes nothing", () => {
    const dir = tempDir();
    const text = notebook([{ source: "N = 10**5" }, { source: lines(`x = 1\n${BIG_SUM}\n`) }]);
    writeTree(dir, { "nb.ipynb": text });
    const ran = memhint([...CHECK, "--diff", "nb.ipynb"], dir);
    expect(ran.status).toBe(1);
    expect(ran.stdout).toBe(
      "--- a/nb.ipynb:cell 2\n+++ b/nb.ipynb:cell 2\n@@ -1,2 +1,2 @@\n x = 1\n-total = sum([i * i for i in range(N)])\n+total = sum(i * i for i in range(N))\n",
    );
    expect(readFileSync(join(dir, "nb.ipynb"), "utf8")).toBe(text);
  });

  it("drops a fix that would span two cells, and reports the finding without one", () => {
    const dir = tempDir();
    // MH201's fix adds `import functools` at the top, deletes the cache and decorates the function.
    const split = notebook([
      { source: "import collections" },
      { source: "_squares = {}" },
      { source: lines("def square(n):\n    if n not in _squares:\n        _squares[n] = n * n\n    return _squares[n]\n\nprint(square(3))") },
    ]);
    writeTree(dir, { "split.ipynb": split });
    const ran = memhint([...CHECK, "--output-format", "concise", "split.ipynb"], dir);
    expect(ran.stdout).toMatch(/^split\.ipynb:cell 2:1:12: MH201 [^[]/m);
    const fixed = memhint([...CHECK, "--fix", "--unsafe-fixes", "split.ipynb"], dir);
    expect(fixed.stdout).toBe(`${ran.stdout.split("\n")[0]}\nFound 1 finding (0 fixed, 1 remaining).\n`);
    expect(readFileSync(join(dir, "split.ipynb"), "utf8")).toBe(split);

    // The same code in one cell is fixed.
    writeTree(dir, { "one.ipynb": notebook([{ source: lines("import collections\n_squares = {}\n\ndef square(n):\n    if n not in _squares:\n        _squares[n] = n * n\n    return _squares[n]\n\nprint(square(3))") }]) });
    const one = memhint([...CHECK, "--fix", "--unsafe-fixes", "one.ipynb"], dir);
    expect(one.stdout).toContain("one.ipynb: fixed 1 finding (MH201)");
    expect(runCells(join(dir, "one.ipynb"))).toBe("9\n");
  });

  it("--add-noqa writes the comments into the cells", () => {
    const dir = tempDir();
    writeTree(dir, { "nb.ipynb": notebook([{ source: "N = 10**5\n!ls" }, { source: lines(`${BIG_SUM}\nprint(total)`) }]) });
    const added = memhint([...CHECK, "--add-noqa", "nb.ipynb"], dir);
    expect(added.stderr).toBe("");
    expect(added.stdout).toContain("nb.ipynb: added 1 suppression comment (MH101)");
    const doc = JSON.parse(readFileSync(join(dir, "nb.ipynb"), "utf8"));
    expect(doc.cells[1].source).toEqual([`${BIG_SUM}  # noqa: MH101\n`, "print(total)"]);
    expect(doc.cells[0].source).toBe("N = 10**5\n!ls");
    expect(memhint([...CHECK, "nb.ipynb"], dir).status).toBe(0);
  });

  it("reads a notebook from stdin with --stdin-filename and, with --fix, prints it fixed", () => {
    const dir = tempDir();
    const text = notebook([{ source: "N = 10**5" }, { source: BIG_SUM }]);
    const ran = memhint([...CHECK, "--stdin-filename", "x.ipynb"], dir, text);
    expect(ran.stdout).toContain("x.ipynb:cell 2:1:13: MH101");
    const fixed = memhint([...CHECK, "--fix", "--stdin-filename", "x.ipynb"], dir, text);
    expect(JSON.parse(fixed.stdout).cells[1].source).toBe("total = sum(i * i for i in range(N))");
    // Outputs make notebooks large: stdin takes a notebook up to 50 MB, as files.
    const large = notebook([{ source: "N = 10**5" }, { source: BIG_SUM, outputs: [{ output_type: "stream", name: "stdout", text: "x".repeat(12 * 1024 * 1024) }] }]);
    const fixedLarge = spawnSync(process.execPath, [BIN, ...CHECK, "--fix", "--stdin-filename", "x.ipynb"], { cwd: dir, input: large, encoding: "utf8", maxBuffer: 64 << 20 });
    expect(fixedLarge.status).toBe(0);
    expect(fixedLarge.stdout.length).toBe(large.length - "[".length - "]".length);
    expect(JSON.parse(fixedLarge.stdout).cells[1].source).toBe("total = sum(i * i for i in range(N))");
  });

  it("finds notebooks in folders, obeying the excludes, and lists them with --show-files", () => {
    const dir = tempDir();
    writeTree(dir, {
      "a.py": "x = 1\n",
      "nb.ipynb": notebook([{ source: "x = 1" }]),
      "old/nb.ipynb": notebook([{ source: "x = 1" }]),
      "ignored.ipynb": notebook([{ source: "x = 1" }]),
      ".ipynb_checkpoints/nb-checkpoint.ipynb": notebook([{ source: "x = 1" }]),
      "UPPER.IPYNB": notebook([{ source: "x = 1" }]),
      ".gitignore": "ignored.ipynb\n",
      "memhint.toml": 'extend-exclude = ["old"]\n',
    });
    const ran = memhint(["check", "--show-files"], dir);
    expect(ran.stdout).toBe("UPPER.IPYNB\na.py\nnb.ipynb\n");
  });

  it("skips a bad notebook with one notice each (exit 2) and a non-Python one with a notice (exit 0), checking the rest", () => {
    const dir = tempDir();
    writeTree(dir, {
      "a.py": "x = 1\n",
      "broken.ipynb": '{"cells": [',
      "nocells.ipynb": '{"metadata": {}, "nbformat": 4}',
      "old.ipynb": JSON.stringify({ nbformat: 3, worksheets: [{ cells: [] }] }),
      "latin.ipynb": Buffer.from([0x7b, 0xe9, 0x7d]),
      "badsource.ipynb": JSON.stringify({ nbformat: 4, cells: [{ cell_type: "code", source: 3 }] }),
    });
    const ran = memhint([...CHECK, "."], dir);
    expect(ran.status).toBe(2);
    const notices = ran.stderr.split("\n").filter((l) => l.includes(".ipynb"));
    expect(notices).toEqual([
      expect.stringMatching(/^badsource\.ipynb: skipped: not a valid notebook: cell 1's "source" is not a string or a list of strings$/),
      expect.stringMatching(/^broken\.ipynb: skipped: not a valid notebook: invalid JSON \(.+\)$/),
      expect.stringMatching(/^latin\.ipynb: skipped: not a valid notebook: not UTF-8 text$/),
      expect.stringMatching(/^nocells\.ipynb: skipped: not a valid notebook: it has no "cells" list$/),
      expect.stringMatching(/^old\.ipynb: skipped: nbformat 3 notebooks are not supported/),
    ]);
    expect(ran.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(ran.stdout).toContain("No findings in what could be checked.");

    const r = tempDir();
    writeTree(r, { "r.ipynb": notebook([{ source: "x <- c(1, 2)" }], { language: "R" }), "a.py": "x = 1\n" });
    const foreign = memhint([...CHECK, "."], r);
    expect(foreign.stderr).toBe('r.ipynb: skipped: its kernel\'s language is "R", not Python\n');
    expect(foreign.status).toBe(0);
  });

  it("skips a notebook over 50 MB", () => {
    const dir = tempDir();
    const big = notebook([{ source: "x = 1", outputs: [{ output_type: "stream", name: "stdout", text: "x".repeat(51 * 1024 * 1024) }] }]);
    writeFileSync(join(dir, "big.ipynb"), big);
    const ran = memhint([...CHECK, "big.ipynb"], dir);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toMatch(/^big\.ipynb: skipped: .*50 MB.*memhint does not lint files this large\n/);
  });

  it("caches a notebook's lint by its content", () => {
    const dir = tempDir();
    writeTree(dir, { ".git/HEAD": "", "nb.ipynb": notebook([{ source: "N = 10**5" }, { source: BIG_SUM }]) });
    const first = memhint([...CHECK, "nb.ipynb"], dir);
    expect(first.stdout).toContain("cell 2:1:13: MH101");
    expect(memhint([...CHECK, "nb.ipynb"], dir).stdout).toBe(first.stdout);
    writeTree(dir, { "nb.ipynb": notebook([{ source: "N = 10**5" }, { source: `\n${BIG_SUM}` }]) });
    expect(memhint([...CHECK, "nb.ipynb"], dir).stdout).toContain("cell 2:2:13: MH101");
  });
});
