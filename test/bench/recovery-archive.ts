/**
 * Builds a large archive the way a crashed imapscope leaves one, for the recovery benchmark:
 * synthetic IMAP sessions (LOGIN, SELECT, FETCHes of message bodies, NOOPs, LOGOUT) go through
 * the real session pipeline, hub and archive; the last sessions are still open when the
 * process SIGKILLs itself mid-traffic, so the next start finds interrupted sessions, a WAL and
 * a half-used raw segment. Run as a child process (it kills itself):
 *
 *   node --import tsx test/bench/recovery-archive.ts DATA_DIR TARGET_BYTES
 *
 * Prints one JSON line ({"sessions", "events", "rawBytes"}) to stdout just before the kill.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Archive } from '../../proxy/archive/archive.ts';
import { ARCHIVE_FILE } from '../../proxy/archive/schema.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { createSessionInspector, type TrackingInspector } from '../../proxy/inspection/pipeline.ts';
import type { TapChunk } from '../../proxy/transport.ts';

/** Bytes of each fetched message body; a session fetches FETCHES of them. */
const BODY_BYTES = 48 * 1024;
const FETCHES = 4;
const NOOPS = 20;
/** Sessions left open (never closed) when the builder kills itself. */
const OPEN_AT_KILL = 50;
const CHUNK = 64 * 1024;

function chunks(direction: TapChunk['direction'], text: Buffer, at: number): TapChunk[] {
  const out: TapChunk[] = [];
  for (let i = 0; i < text.length; i += CHUNK)
    out.push({ direction, data: text.subarray(i, i + CHUNK), at });
  return out;
}

const body = Buffer.alloc(
  BODY_BYTES,
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n',
);

/** One session's exchanges as tap batches, in order. */
function* transcript(at: number): Generator<TapChunk[]> {
  const c = (s: string): TapChunk[] => chunks('c2s', Buffer.from(s), at);
  const s = (t: string | Buffer): TapChunk[] =>
    chunks('s2c', typeof t === 'string' ? Buffer.from(t) : t, at);
  yield s('* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] Dovecot ready.\r\n');
  yield c('a1 LOGIN bench secret-password\r\n');
  yield s('a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n');
  yield c('a2 SELECT INBOX\r\n');
  yield s(
    '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 4 EXISTS\r\n* 0 RECENT\r\n' +
      'a2 OK [READ-WRITE] Select completed.\r\n',
  );
  for (let i = 1; i <= FETCHES; i++) {
    yield c(`f${i} FETCH ${i} (UID FLAGS BODY[])\r\n`);
    yield s(
      Buffer.concat([
        Buffer.from(`* ${i} FETCH (UID ${i} FLAGS (\\Seen) BODY[] {${body.length}}\r\n`),
        body,
        Buffer.from(`)\r\nf${i} OK Fetch completed.\r\n`),
      ]),
    );
  }
  for (let i = 1; i <= NOOPS; i++) {
    yield c(`n${i} NOOP\r\n`);
    yield s(`n${i} OK NOOP completed.\r\n`);
  }
  yield c('z LOGOUT\r\n');
  yield s('* BYE Logging out\r\nz OK Logout completed.\r\n');
}

async function main(): Promise<void> {
  const [dir, target] = process.argv.slice(2);
  if (!dir || !target) throw new Error('usage: recovery-archive.ts DATA_DIR TARGET_BYTES');
  mkdirSync(dir, { recursive: true });
  const archive = new Archive(path.join(dir, ARCHIVE_FILE));
  const hub = new Hub((sink, err) => {
    throw new Error(`${sink}: ${String(err)}`);
  });
  hub.add(archive);
  let sessions = 0;
  let bytes = 0;
  const perSession = FETCHES * BODY_BYTES + 4_000;
  const total = Math.ceil(Number(target) / perSession);
  const open: TrackingInspector[] = [];
  let at = Date.now() - total * 10;
  for (let n = 0; n < total; n++) {
    const id = `bench${n.toString(36)}`;
    at += 10;
    const inspector = createSessionInspector(
      {
        id,
        client: { host: '127.0.0.1', port: 40_000 + (n % 20_000) },
        upstream: { host: '127.0.0.1', port: 143 },
        startedAt: at,
      },
      { hub },
    );
    let c2s = 0;
    let s2c = 0;
    for (const batch of transcript(at)) {
      inspector.chunks(batch);
      for (const ch of batch) {
        if (ch.direction === 'c2s') c2s += ch.data.length;
        else s2c += ch.data.length;
      }
    }
    bytes += c2s + s2c;
    sessions += 1;
    if (n >= total - OPEN_AT_KILL) {
      open.push(inspector); // cut off by the kill: no close
    } else {
      inspector.close();
      inspector.closed({ bytes: { c2s, s2c }, reason: 'closed', durationMs: 10 });
    }
    // Let the archive's flush timer run now and then, as it would in the live process.
    if (n % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  // Whatever is queued past the last flush is lost with the kill, as in a real crash.
  await new Promise((r) => setTimeout(r, 300));
  process.stdout.write(
    JSON.stringify({ sessions, events: archive.stats.eventsWritten, rawBytes: bytes }) + '\n',
  );
  process.kill(process.pid, 'SIGKILL');
}

void main();
