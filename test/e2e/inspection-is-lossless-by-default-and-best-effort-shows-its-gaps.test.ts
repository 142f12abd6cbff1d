/**
 * DESIGN rule 1, "lose nothing": a real imapscope in front of Dovecot, its inspection thread
 * made slower than the relay (the test-only IMAPSCOPE_TEST_SLOW_INSPECTION_MS_PER_MB), and a
 * 12 MB FETCH by imapflow. By default the relay waits for inspection: every byte arrives and
 * every byte is decoded (the FETCH literal's sha256 in the events is the message's), with no
 * gap, in bounded memory. With `--inspection best-effort` the relay never waits and the bytes
 * inspection could not take are a visible gap: an event, the session row's counts and a
 * marker in every export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';
import { makeMessage, sha256 } from '../helpers/mail.ts';
import { apiGet, appendDirect, endedRow, peakRss, sessionEvents } from '../helpers/scope-api.ts';
import { PLAIN, imapflowFor } from '../helpers/scope-over-dovecot.ts';

const SIZE = 12_000_000;
/** 100 ms per MiB: inspection takes about 10 MB/s, far slower than loopback relaying. */
const SLOW = { IMAPSCOPE_TEST_SLOW_INSPECTION_MS_PER_MB: '100' };
/**
 * Peak RSS of the whole imapscope process (relay thread, inspection thread, archive). At idle
 * it is about 170 MB; the lossless backlog adds at most its bounds (32 MB in all, 8 MB per
 * session) plus what one post and the archive hold, however large the FETCH.
 */
const MAX_RSS = 320 * 1024 * 1024;

let dovecot: Dovecot;
const message = makeMessage(SIZE, 'bulk');

beforeAll(async () => {
  dovecot = await startDovecot();
  await appendDirect(dovecot, message);
});
afterAll(async () => {
  await dovecot?.stop();
});

/**
 * FETCHes the message through imapscope; returns what the client got, the session id and the
 * session's `session close` summary line.
 */
async function fetchThrough(
  scope: Imapscope,
): Promise<{ body: Buffer; session: string; summary: LogLine }> {
  const client = imapflowFor(scope, dovecot, PLAIN);
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  let body: Buffer = Buffer.alloc(0);
  try {
    const msg = await client.fetchOne('1', { source: true });
    if (msg && msg.source) body = msg.source;
  } finally {
    lock.release();
  }
  await client.logout();
  const close = await scope.waitForLog((l) => l.msg === 'session close');
  return { body, session: String(close.session), summary: close };
}

const literalHashes = (events: ImapscopeEvent[]): string[] =>
  [...JSON.stringify(events).matchAll(/"sha256":"([0-9a-f]{64})"/g)].map((m) => m[1]!);

describe('inspection that falls behind the relay', () => {
  it('by default slows the relay down: every byte relayed is decoded, no gap, bounded memory', async () => {
    // --literal-hashes: the FETCH literal's hash (below) proves it was decoded whole.
    const scope = await startImapscope(
      ['--upstream', `${dovecot.host}:${dovecot.port}`, '--log-level', 'debug', '--literal-hashes'],
      SLOW,
    );
    try {
      expect(scope.readyLine.inspection).toBe('lossless');
      const { body, session, summary } = await fetchThrough(scope);
      expect(sha256(body)).toBe(sha256(message));

      // The relay's own figures are in its debug line (the info summary comes from inspection).
      const close = scope.logs.find((l) => l.msg === 'relay close')!;
      // The relay did wait for inspection (else this test proves nothing).
      expect(close.inspectionPauses).toBeGreaterThan(0);
      // The outbox dropped nothing: a loss would reach inspection as a gap, which the session's
      // summary line counts.
      expect(summary).toMatchObject({ gaps: 0, gapBytes: 0 });

      const row = await endedRow(scope, session);
      expect({ gapCount: row.gapCount, gapBytes: row.gapBytes }).toEqual({
        gapCount: 0,
        gapBytes: 0,
      });
      const events = await sessionEvents(scope, session);
      expect(events.filter((e) => e.type === 'gap')).toEqual([]);
      // The FETCH literal was decoded whole: its hash over all 12 MB is the message's.
      expect(literalHashes(events)).toContain(sha256(message));
      expect(scope.logs.filter((l) => l.msg === 'inspection gap')).toEqual([]);
      expect(peakRss(scope.process.pid!)).toBeLessThan(MAX_RSS);
    } finally {
      await scope.stop();
    }
  }, 90_000);

  it('with --inspection best-effort does not slow the relay, and the gap shows in the row, the events and every export', async () => {
    const scope = await startImapscope(
      [
        '--upstream',
        `${dovecot.host}:${dovecot.port}`,
        '--inspection',
        'best-effort',
        '--log-level',
        'debug',
      ],
      // A 1 MB backlog, so that a 12 MB FETCH overflows it.
      { ...SLOW, IMAPSCOPE_TEST_BEST_EFFORT_BACKLOG_BYTES: '1000000' },
    );
    try {
      expect(scope.readyLine.inspection).toBe('best-effort');
      const { body, session, summary } = await fetchThrough(scope);
      expect(sha256(body)).toBe(sha256(message));
      // The relay's own figures are in its debug line (the info summary comes from inspection).
      const close = scope.logs.find((l) => l.msg === 'relay close')!;
      expect(close.inspectionPauses).toBeUndefined();

      const row = await endedRow(scope, session);
      expect(row.gapCount).toBeGreaterThan(0);
      expect(row.gapBytes).toBeGreaterThan(0);
      expect(row.gapBytes).toBeLessThan(SIZE + 1000);
      expect(summary).toMatchObject({ gaps: row.gapCount, gapBytes: row.gapBytes });
      const events = await sessionEvents(scope, session);
      const gaps = events.filter((e) => e.type === 'gap');
      expect(gaps.length).toBe(row.gapCount);
      // The lost bytes are (mostly) the FETCH response's; a command sent meanwhile may be too.
      expect(gaps.some((g) => g.direction === 's2c')).toBe(true);
      expect(gaps.reduce((n, g) => n + g.droppedBytes, 0)).toBe(row.gapBytes);
      expect(literalHashes(events)).not.toContain(sha256(message));

      const exp = (format: string): Promise<Buffer> =>
        apiGet(scope, `/api/sessions/${session}/export?format=${format}`);
      const jsonl = (await exp('jsonl')).toString();
      expect(jsonl.split('\n').filter((l) => l.includes('"type":"gap"'))).toHaveLength(gaps.length);
      const transcript = (await exp('transcript')).toString();
      const markers = transcript.split('\n').filter((l) => / gap [CS]: \d+ bytes/.test(l));
      expect(markers).toHaveLength(gaps.length);
      expect(markers.every((l) => l.startsWith('# '))).toBe(true);
      const pcap = await exp('pcapng');
      expect(pcap.includes('imapscope: inspection gap')).toBe(true);
    } finally {
      await scope.stop();
    }
  }, 90_000);
});
