/**
 * A unified diff of two texts, as `diff -u` and `git diff` print it, so `patch -p1` and
 * `git apply` take it. Lines end at `\n` (a `\r\n` line keeps its `\r`); a last line without a
 * newline gets the `\ No newline at end of file` marker. The line diff is Myers' O((N+M)·D)
 * algorithm after trimming the common head and tail, which is where fixes leave most lines.
 */
const CONTEXT = 3;

type Op = { kind: " " | "-" | "+"; line: string };

/** Split into lines, each keeping its `\n`. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** The shortest edit script from `a` to `b` (Myers 1986, with the forward pass's V arrays kept for backtracking). */
function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    // Round d reads v[k - 1] and v[k + 1] for k in [-d, d]: keep that window for backtracking.
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const window = trace[d];
    const at = (k: number): number => window[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: " ", line: a[x - 1] });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "+", line: b[prevY] });
      else ops.push({ kind: "-", line: a[prevX] });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** The line edit script from `a` to `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  return [
    ...a.slice(0, head).map((line): Op => ({ kind: " ", line })),
    ...middle,
    ...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })),
  ];
}

function range(start: number, count: number): string {
  // diff -u: an empty range names the line before it; a one-line range omits the count.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

function emit(op: Op): string {
  const line = op.kind + op.line;
  return line.endsWith("\n") ? line : `${line}\n\\ No newline at end of file\n`;
}

/**
 * A unified diff from `before` to `after` with `--- a/<path>` and `+++ b/<path>` headers
 * (a leading `/` of an absolute path is dropped, as git does); "" when they are equal.
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return "";
  const ops = diffLines(splitLines(before), splitLines(after));
  const name = path.replace(/\\/g, "/").replace(/^\/+/, "");
  let out = `--- a/${name}\n+++ b/${name}\n`;
  // Old and new line numbers (1-based) at each op.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let nw = 1;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(nw);
    if (op.kind !== "+") o++;
    if (op.kind !== "-") nw++;
  }
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i].kind === " ") i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - CONTEXT);
    // Extend the hunk while the next change is within 2 × CONTEXT unchanged lines.
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end].kind !== " ") end++;
      let next = end;
      while (next < ops.length && ops[next].kind === " ") next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) {
        end = next;
        continue;
      }
      end = Math.min(ops.length, end + CONTEXT);
      break;
    }
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((op) => op.kind !== "+").length;
    const newCount = hunk.filter((op) => op.kind !== "-").length;
    out += `@@ -${range(oldAt[start], oldCount)} +${range(newAt[start], newCount)} @@\n`;
    for (const op of hunk) out += emit(op);
    i = end;
  }
  return out;
}
