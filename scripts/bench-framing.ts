/**
 * `npm run bench:framing`: how long the language server takes to read one large message, by
 * size. Spawns `memhint lsp --stdio`, sends requests of 5, 10, 20 and 40 MB (an unknown method
 * whose params carry a long string, answered with MethodNotFound once read) and times each from
 * the first byte written to the answer. Reading must grow linearly with the size: the last
 * column divides each time by the 5 MB one. Then the frame reader alone, in this process: its
 * time and how many bytes it copied to join chunks (once the message, whatever its size).
 *
 *   npm run bench:framing [-- --sizes=5,10,20,40 --rounds=3]
 */
import { FrameParser } from "../server/lsp/framing.js";
import { LspClient, ResponseFailure } from "../test/helpers/lsp-client.js";

function option(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const SIZES_MB = (option("sizes") ?? "5,10,20,40").split(",").map(Number);
const ROUNDS = Number(option("rounds") ?? 3);
const MB = 1024 * 1024;

/** A whole frame whose body is `bytes` long: a request for an unknown method with a padding string. */
function frame(id: number, bytes: number): Buffer {
  const head = `{"jsonrpc":"2.0","id":${id},"method":"memhint/bench","params":{"pad":"`;
  const tail = `"}}`;
  const body = Buffer.alloc(bytes, "x");
  body.write(head, 0, "utf8");
  body.write(tail, bytes - tail.length, "utf8");
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes}\r\n\r\n`, "ascii"), body]);
}

/** The frame reader alone, fed 64 KiB chunks as a pipe delivers them: time and bytes copied. */
function parserAlone(mb: number): { ms: number; copied: number } {
  const bytes = frame(1, Math.round(mb * MB));
  let best = Infinity;
  let copied = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let got = 0;
    const parser = new FrameParser({ message: () => got++, bad: (reason) => { throw new Error(reason); } });
    const start = performance.now();
    for (let at = 0; at < bytes.length; at += 65_536) parser.push(bytes.subarray(at, at + 65_536));
    best = Math.min(best, performance.now() - start);
    if (got !== 1) throw new Error(`the parser read ${got} messages from one`);
    copied = parser.copiedBytes;
  }
  return { ms: best, copied };
}

async function main(): Promise<void> {
  const client = LspClient.start();
  await client.initialize({});
  let id = 1000;
  const rows: Array<{ mb: number; best: number; all: number[] }> = [];
  for (const mb of SIZES_MB) {
    const all: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bytes = frame(++id, Math.round(mb * MB));
      const answer = client.expectAnswer(id, 120_000).then(
        () => "answered",
        (error: unknown) => (error instanceof ResponseFailure ? `error ${error.code}` : Promise.reject(error)),
      );
      const start = performance.now();
      client.writeRaw(bytes);
      const outcome = await answer;
      all.push((performance.now() - start) / 1000);
      if (outcome !== "error -32601") throw new Error(`unexpected answer to a ${mb} MB request: ${outcome}`);
    }
    rows.push({ mb, best: Math.min(...all), all });
  }
  const base = rows[0].best;
  console.log(`memhint lsp --stdio: one request of N MB, from the first byte sent to the answer (best of ${ROUNDS})`);
  for (const row of rows) {
    console.log(`${String(row.mb).padStart(4)} MB  ${row.best.toFixed(3).padStart(7)} s   (rounds: ${row.all.map((s) => s.toFixed(3)).join(", ")})   ×${(row.best / base).toFixed(1)} the ${rows[0].mb} MB time`);
  }
  await client.shutdown();
  console.log(`\nThe frame reader alone (server/lsp/framing.ts, JSON.parse included), 64 KiB chunks (best of ${ROUNDS})`);
  for (const mb of SIZES_MB) {
    const { ms, copied } = parserAlone(mb);
    console.log(`${String(mb).padStart(4)} MB  ${ms.toFixed(1).padStart(7)} ms   bytes copied: ${(copied / MB).toFixed(2)} MB (${(copied / (mb * MB)).toFixed(2)}x the message)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
