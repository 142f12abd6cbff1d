/**
 * What a SIGKILL under saturating load loses (issue 11, finding 6), with lossless inspection:
 * bulk FETCH sessions keep inspection's backlog at its bound (the relay pauses them there)
 * while short sessions (LOGIN, 10 NOOPs, LOGOUT, pipelined) complete beside them and a viewer
 * receives the events; then imapscope is SIGKILLed. Counted against the archive:
 *   - short sessions whose client had read the LOGOUT OK (acknowledged by the server, relayed)
 *     whose LOGOUT exchange is not archived, and how long before the kill the oldest ended;
 *   - events a viewer had received that are not archived, and the oldest one's age.
 * Relayed bytes not yet inspected never became events: the first figure covers them.
 */
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Dovecot } from '../helpers/dovecot.ts';
import { startImapscope } from '../helpers/imapscope.ts';
import { connectViewer } from '../helpers/viewer-client.ts';
import { progress } from './stats.ts';
import { gapBytes } from './workload.ts';

const LOAD_MS = 8_000;
const BULK_CLIENTS = 6;
const SHORT_CLIENTS = 12;
const NOOPS = 10;

export interface SigkillLoss {
  shortSessionsAcknowledged: number;
  shortSessionsLost: number;
  /** ms before the kill at which the oldest lost short session had ended (null: none lost). */
  oldestLostSessionMs: number | null;
  viewerEvents: number;
  viewerEventsLost: number;
  oldestLostEventMs: number | null;
  bulkMB: number;
  /**
   * imapscope's inspection gap over the load, from the log lines it wrote before the kill
   * (absent before the figure existed).
   */
  gapBytes?: number;
}

/** Sends everything at once, resolves with the local port when the last tag's OK arrives. */
function shortSession(host: string, port: number, dovecot: Dovecot): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    const lines = [`a0 LOGIN ${dovecot.user2.user} ${dovecot.user2.password}`];
    for (let i = 1; i <= NOOPS; i++) lines.push(`a${i} NOOP`);
    lines.push(`z LOGOUT`);
    let text = '';
    s.once('data', () => s.write(lines.join('\r\n') + '\r\n'));
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (/^z OK/m.test(text)) {
        resolve(s.localPort ?? 0);
        s.destroy();
      }
    });
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed')));
  });
}

/** FETCHes every message again and again until `running()` is false; counts bytes read. */
function bulkSession(
  host: string,
  port: number,
  dovecot: Dovecot,
  running: () => boolean,
  count: (n: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let n = 0;
    let tail = '';
    const next = (): void => {
      if (!running()) return void s.destroy();
      s.write(`f${++n} FETCH 1:* BODY.PEEK[]\r\n`);
    };
    s.once('data', () =>
      s.write(`l LOGIN ${dovecot.user} ${dovecot.password}\r\ns SELECT INBOX\r\n`),
    );
    s.on('data', (c: Buffer) => {
      count(c.length);
      tail = (tail + c.toString('latin1')).slice(-200);
      if (/^s OK/m.test(tail) && n === 0) {
        tail = '';
        next();
      } else if (new RegExp(`^f${n} OK`, 'm').test(tail)) {
        tail = '';
        next();
      }
    });
    s.once('error', () => resolve());
    s.once('close', () => resolve());
  });
}

export async function benchSigkillLoss(dovecot: Dovecot): Promise<SigkillLoss> {
  progress(`recovery: SIGKILL after ${LOAD_MS / 1000} s of saturating load`);
  const scope = await startImapscope(['--upstream', `${dovecot.host}:${dovecot.port}`]);
  const viewer = await connectViewer(scope.url);
  const seen = new Map<number, number>();
  viewer.ws.on('message', () => {
    const m = viewer.messages[viewer.messages.length - 1];
    if (m?.type === 'events') for (const e of m.events) seen.set(e.gseq, Date.now());
  });
  let running = true;
  let bulkBytes = 0;
  const { host, port } = scope.listen;
  const done = new Map<number, number>();
  const loops = [
    ...Array.from({ length: BULK_CLIENTS }, () =>
      bulkSession(
        host,
        port,
        dovecot,
        () => running,
        (n) => (bulkBytes += n),
      ),
    ),
    ...Array.from({ length: SHORT_CLIENTS }, async () => {
      while (running) {
        const local = await shortSession(host, port, dovecot).catch(() => null);
        if (local !== null && running) done.set(local, Date.now());
      }
    }),
  ];
  await new Promise((r) => setTimeout(r, LOAD_MS));
  const exited = new Promise((r) => scope.process.once('exit', r));
  const killedAt = Date.now();
  scope.process.kill('SIGKILL');
  running = false;
  await exited;
  await Promise.allSettled(loops);
  await viewer.close().catch(() => undefined);

  const db = new Database(path.join(scope.dataDir, 'archive.sqlite'), { readonly: true });
  const archived = new Set(
    (db.prepare('SELECT gseq FROM events').pluck().all() as number[]).map(Number),
  );
  const logouts = new Set(
    (
      db
        .prepare(
          `SELECT s.client FROM sessions s JOIN events e ON e.session = s.id
           WHERE e.type = 'exchange' AND e.body LIKE '%"command":"LOGOUT"%'`,
        )
        .pluck()
        .all() as string[]
    ).map((c) => Number(c.split(':').pop())),
  );
  db.close();
  await scope.stop();
  const lostSessions = [...done].filter(([local]) => !logouts.has(local));
  const lostEvents = [...seen].filter(([gseq]) => !archived.has(gseq));
  const oldest = (xs: [number, number][]): number | null =>
    xs.length === 0 ? null : killedAt - Math.min(...xs.map(([, at]) => at));
  const result: SigkillLoss = {
    shortSessionsAcknowledged: done.size,
    shortSessionsLost: lostSessions.length,
    oldestLostSessionMs: oldest(lostSessions),
    viewerEvents: seen.size,
    viewerEventsLost: lostEvents.length,
    oldestLostEventMs: oldest(lostEvents),
    bulkMB: bulkBytes / 1e6,
    gapBytes: gapBytes(scope.logs),
  };
  progress(`  recovery: SIGKILL under load: ${JSON.stringify(result)}`);
  return result;
}
