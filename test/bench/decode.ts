/**
 * Decode throughput of proxy/wire against imapflow's own response parser (ImapStream framing +
 * imap-parser), on the same synthesized Dovecot-like s2c byte streams fed in 64 KiB chunks:
 *
 *   (a) bulk FETCH: `UID FETCH 1:20 BODY.PEEK[]` answered with 20 literals of 5 MiB
 *   (b) `FETCH 1:2000 (FLAGS ENVELOPE BODYSTRUCTURE)` of 2,000 small messages
 *
 * imapscope runs twice: as the product decodes by default (literal bodies skipped by count, only
 * the preview copied) and with `--literal-hashes` (sha256 of every body, opt-in).
 *
 * `benchDecode()` returns the figures (median of rounds); run standalone it prints a table:
 *   node --import tsx test/bench/decode.ts
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import imapflowParse from 'imapflow/lib/handler/imap-parser.js';
import { WireDecoder } from '../../proxy/wire/index.ts';

export interface DecodeBenchResult {
  name: string;
  stream: 'bulk-fetch' | 'envelope-fetch';
  /** `imapscope-sha256`: imapscope with --literal-hashes (the framer's `hashLiterals`). */
  parser: 'imapscope' | 'imapscope-sha256' | 'imapflow';
  bytes: number;
  messages: number;
  /** Median of rounds, MB = 10^6 bytes. */
  mbps: number;
  rounds: number;
}

const CHUNK = 64 * 1024;
const BULK_MESSAGES = 20;
const BULK_BYTES = 5 * 1024 * 1024;
const SMALL_MESSAGES = 2_000;

/** A 5 MiB message body: headers then base64-looking 76-column lines, CRLF ended. */
function messageBody(n: number, size: number): Buffer {
  const head = Buffer.from(
    `Return-Path: <sender${n}@example.org>\r\nFrom: Sender ${n} <sender${n}@example.org>\r\n` +
      `To: user@example.com\r\nSubject: attachment ${n}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
  );
  const body = Buffer.alloc(size);
  head.copy(body);
  const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  let x = n * 2654435761;
  for (let i = head.length; i < size; i++) {
    const col = (i - head.length) % 78;
    if (col === 76) body[i] = 0x0d;
    else if (col === 77) body[i] = 0x0a;
    else {
      x = (x * 1103515245 + 12345) >>> 0;
      body[i] = alphabet[x >>> 26] as number;
    }
  }
  return body;
}

export function bulkFetchStream(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1; i <= BULK_MESSAGES; i++) {
    parts.push(
      Buffer.from(`* ${i} FETCH (UID ${i} FLAGS (\\Seen) BODY[] {${BULK_BYTES}}\r\n`),
      messageBody(i, BULK_BYTES),
      Buffer.from(')\r\n'),
    );
  }
  parts.push(Buffer.from('A5 OK Fetch completed (0.042 + 0.000 + 0.041 secs).\r\n'));
  return Buffer.concat(parts);
}

const NAMES = ['Alice Example', 'Bob Smith', 'Carol Jones', 'Dave Müller', 'Eve Adams'];

function addr(i: number): string {
  const name = NAMES[i % NAMES.length] as string;
  const quoted = /[^\x20-\x7e]/.test(name) ? '"=?utf-8?q?Dave_M=C3=BCller?="' : `"${name}"`;
  return `(${quoted} NIL "${name.split(' ')[0]?.toLowerCase()}" "example.org")`;
}

function smallFetch(i: number): string {
  const env =
    `("Mon, ${1 + (i % 28)} Feb 2025 10:${String(i % 60).padStart(2, '0')}:00 +0100" ` +
    `"Re: [project] weekly status report number ${i}" (${addr(i)}) (${addr(i)}) (${addr(i)}) ` +
    `(${addr(i + 1)}${i % 3 === 0 ? addr(i + 2) : ''}) ${i % 4 === 0 ? `(${addr(i + 3)})` : 'NIL'} NIL ` +
    `${i % 2 === 0 ? `"<msg${i - 1}@example.org>"` : 'NIL'} "<msg${i}.${i * 7}@example.org>")`;
  const text = `("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" ${800 + i} ${20 + (i % 30)} NIL NIL NIL NIL)`;
  const html = `("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" ${2400 + i} ${60 + (i % 50)} NIL NIL NIL NIL)`;
  const alt = `(${text}${html} "alternative" ("boundary" "alt-${i}") NIL NIL NIL)`;
  const pdf = `("application" "pdf" ("name" "report-${i}.pdf") NIL NIL "base64" ${40000 + i * 3} NIL ("attachment" ("filename" "report-${i}.pdf")) NIL NIL)`;
  const body =
    i % 3 === 0
      ? `(${alt}${pdf} "mixed" ("boundary" "mix-${i}") NIL NIL NIL)`
      : i % 3 === 1
        ? alt
        : text;
  const flags = i % 5 === 0 ? '(\\Seen \\Flagged)' : i % 2 === 0 ? '(\\Seen)' : '()';
  return `* ${i} FETCH (FLAGS ${flags} ENVELOPE ${env} BODYSTRUCTURE ${body})\r\n`;
}

export function envelopeFetchStream(): Buffer {
  let s = '';
  for (let i = 1; i <= SMALL_MESSAGES; i++) s += smallFetch(i);
  s += 'A7 OK Fetch completed (0.004 + 0.000 + 0.003 secs).\r\n';
  return Buffer.from(s);
}

function chunked(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += CHUNK) out.push(stream.subarray(i, i + CHUNK));
  return out;
}

/** Decodes the chunks with imapscope's WireDecoder; returns [ms, messages]. */
function runOurs(chunks: Buffer[], hashLiterals: boolean): [number, number] {
  const start = process.hrtime.bigint();
  const decoder = new WireDecoder('s2c', { hashLiterals });
  let messages = 0;
  let malformed = 0;
  for (const chunk of chunks) {
    for (const m of decoder.push(chunk)) {
      messages++;
      if (m.type === 'malformed') malformed++;
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (malformed > 0) throw new Error(`imapscope decoded ${malformed} malformed messages`);
  return [ms, messages];
}

const silent = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silent,
};

/** Frames with imapflow's ImapStream and parses every response with its imap-parser. */
async function runImapflow(chunks: Buffer[]): Promise<[number, number]> {
  const start = process.hrtime.bigint();
  const stream = new ImapStream({ logger: silent as never });
  let messages = 0;
  const reader = (async () => {
    for await (const item of stream as AsyncIterable<{
      payload: Buffer;
      literals: Buffer[];
      next: () => void;
    }>) {
      await imapflowParse(item.payload, { literals: item.literals });
      messages++;
      item.next();
    }
  })();
  for (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  await reader;
  return [Number(process.hrtime.bigint() - start) / 1e6, messages];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs both parsers on both streams, interleaved, `rounds` times after one warm-up round. */
export async function benchDecode(rounds = 5): Promise<DecodeBenchResult[]> {
  const streams = [
    { stream: 'bulk-fetch' as const, bytes: bulkFetchStream() },
    { stream: 'envelope-fetch' as const, bytes: envelopeFetchStream() },
  ];
  const results: DecodeBenchResult[] = [];
  for (const { stream, bytes } of streams) {
    const chunks = chunked(bytes);
    const times = {
      imapscope: [] as number[],
      'imapscope-sha256': [] as number[],
      imapflow: [] as number[],
    };
    const counts = { imapscope: 0, 'imapscope-sha256': 0, imapflow: 0 };
    for (let round = 0; round <= rounds; round++) {
      const [ourMs, ourCount] = runOurs(chunks, false);
      const [hashMs, hashCount] = runOurs(chunks, true);
      const [flowMs, flowCount] = await runImapflow(chunks);
      if (round === 0) continue; // warm-up
      times.imapscope.push(ourMs);
      times['imapscope-sha256'].push(hashMs);
      times.imapflow.push(flowMs);
      counts.imapscope = ourCount;
      counts['imapscope-sha256'] = hashCount;
      counts.imapflow = flowCount;
    }
    for (const parser of ['imapscope', 'imapscope-sha256', 'imapflow'] as const) {
      results.push({
        name: `${stream} ${parser}`,
        stream,
        parser,
        bytes: bytes.length,
        messages: counts[parser],
        mbps: bytes.length / 1e6 / (median(times[parser]) / 1000),
        rounds,
      });
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchDecode();
  console.log('stream           parser            MB       messages   MB/s');
  for (const r of results) {
    console.log(
      `${r.stream.padEnd(16)} ${r.parser.padEnd(16)} ${(r.bytes / 1e6).toFixed(1).padStart(6)} ` +
        `${String(r.messages).padStart(10)} ${r.mbps.toFixed(0).padStart(7)}`,
    );
  }
  for (const stream of ['bulk-fetch', 'envelope-fetch']) {
    const theirs = results.find((r) => r.stream === stream && r.parser === 'imapflow');
    for (const parser of ['imapscope', 'imapscope-sha256']) {
      const ours = results.find((r) => r.stream === stream && r.parser === parser);
      if (ours && theirs)
        console.log(`${stream} ${parser}: ${(ours.mbps / theirs.mbps).toFixed(2)}× imapflow`);
    }
  }
}
