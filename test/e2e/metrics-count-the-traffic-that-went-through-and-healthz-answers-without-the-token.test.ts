/**
 * /metrics after known traffic through imapscope over Dovecot: the counts in the Prometheus
 * text (parsed by parse-prometheus-text-format) equal what the test sent. /healthz answers
 * without the token and says nothing else.
 */
import type { PromFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { startImapscope } from '../helpers/imapscope.ts';
import { metricSum, metricValue as value, scrapeMetrics } from '../helpers/metrics.ts';
import { converse } from '../helpers/raw-imap.ts';
import { sessionRows, endedRow } from '../helpers/scope-api.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const ctx = useScopeOverDovecot();
const SESSIONS = 3;

const scrape = (): ReturnType<typeof scrapeMetrics> => scrapeMetrics(ctx().scope);

/** Polls /metrics until `ready` holds (the relay's figures arrive once a second). */
async function scrapeUntil(ready: (f: PromFamily[]) => boolean): Promise<PromFamily[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { families } = await scrape();
    if (ready(families)) return families;
    if (Date.now() > deadline) return families;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('/metrics', () => {
  it('counts the sessions, commands (one NO each), bytes and latencies the test sent', async () => {
    const { scope, dovecot } = ctx();
    for (let i = 0; i < SESSIONS; i++) {
      const t = await converse(scope.listen.host, scope.listen.port, [
        `LOGIN ${dovecot.user} ${dovecot.password}`,
        'SELECT INBOX',
        'NOOP',
        'SELECT no-such-mailbox',
        'LOGOUT',
      ]);
      expect(t.replies[3]?.at(-1)).toMatch(/^a4 NO/);
    }
    const rows = await sessionRows(scope);
    expect(rows).toHaveLength(SESSIONS);
    const ended = await Promise.all(rows.map((r) => endedRow(scope, r.id)));
    const bytes = { c2s: 0, s2c: 0 };
    for (const r of ended) {
      bytes.c2s += r.bytesC2s ?? 0;
      bytes.s2c += r.bytesS2c ?? 0;
    }
    const f = await scrapeUntil(
      (fs) => value(fs, 'imapscope_sessions_total', { reason: 'closed' }) === SESSIONS,
    );
    expect(value(f, 'imapscope_sessions_open')).toBe(0);
    expect(value(f, 'imapscope_sessions_total', { reason: 'closed' })).toBe(SESSIONS);
    expect(value(f, 'imapscope_commands_total', { command: 'LOGIN', status: 'OK' })).toBe(SESSIONS);
    expect(value(f, 'imapscope_commands_total', { command: 'SELECT', status: 'OK' })).toBe(
      SESSIONS,
    );
    expect(value(f, 'imapscope_commands_total', { command: 'SELECT', status: 'NO' })).toBe(
      SESSIONS,
    );
    expect(value(f, 'imapscope_commands_total', { command: 'NOOP', status: 'OK' })).toBe(SESSIONS);
    expect(value(f, 'imapscope_commands_total', { command: 'LOGOUT', status: 'OK' })).toBe(
      SESSIONS,
    );
    expect(metricSum(f, 'imapscope_commands_total')).toBe(5 * SESSIONS);
    expect(bytes.c2s).toBeGreaterThan(0);
    expect(value(f, 'imapscope_relayed_bytes_total', { direction: 'c2s' })).toBe(bytes.c2s);
    expect(value(f, 'imapscope_relayed_bytes_total', { direction: 's2c' })).toBe(bytes.s2c);
    expect(value(f, 'imapscope_inspection_gap_bytes_total', { direction: 'c2s' })).toBe(0);
    expect(value(f, 'imapscope_inspection_restarts_total')).toBe(0);
    expect(value(f, 'imapscope_websocket_clients')).toBe(0);
    const names = f.map((x) => x.name);
    for (const n of [
      'imapscope_command_duration_seconds',
      'imapscope_inspection_backlog_bytes',
      'imapscope_archive_queue_events',
      'imapscope_archive_flush_seconds',
    ])
      expect(names).toContain(n);
    // One latency observation per SELECT (two per session), in the SELECT series.
    const { text } = await scrape();
    expect(text).toContain(
      `imapscope_command_duration_seconds_count{command="SELECT"} ${2 * SESSIONS}`,
    );
    expect(text).toMatch(/imapscope_archive_flush_seconds_count [1-9]/);
  });

  it('counts an inspection restart (a figure only the relay thread knows)', async () => {
    // A crash after the first few hundred inspected bytes: one greeting and LOGIN are enough.
    const scope = await startImapscope(
      ['--upstream', `${ctx().dovecot.host}:${ctx().dovecot.port}`],
      {
        IMAPSCOPE_TEST_CRASH_INSPECTION_AFTER_BYTES: '200',
      },
    );
    try {
      const { dovecot } = ctx();
      await converse(scope.listen.host, scope.listen.port, [
        `LOGIN ${dovecot.user} ${dovecot.password}`,
        'NOOP',
        'LOGOUT',
      ]);
      await scope.waitForLog((l) => l.msg === 'inspection restarted', 30_000);
      let restarts = 0;
      for (let i = 0; i < 100 && restarts !== 1; i++) {
        restarts = value(
          (await scrapeMetrics(scope)).families,
          'imapscope_inspection_restarts_total',
        );
        if (restarts !== 1) await new Promise((r) => setTimeout(r, 100));
      }
      expect(restarts).toBe(1);
    } finally {
      await scope.stop();
    }
  });

  it('needs the token', async () => {
    const res = await scrapeMetrics(ctx().scope, false);
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('imapscope_');
  });
});

describe('/healthz', () => {
  it('answers 200 ok without the token, and nothing more', async () => {
    const { scope } = ctx();
    const res = await fetch(`http://${scope.ui.host}:${scope.ui.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('says 503 shutting-down while a SIGTERM drains the sessions', async () => {
    const scope = await startImapscope(['--drain-seconds', '20', '--metrics-public']);
    const base = `http://${scope.ui.host}:${scope.ui.port}`;
    try {
      // --metrics-public on loopback: /metrics without the token.
      const open = await fetch(`${base}/metrics`);
      expect(open.status).toBe(200);
      expect(await open.text()).toContain('imapscope_sessions_open');
      // A client that stays after its BYE keeps the drain (and the UI) going.
      const client = net.connect(scope.listen);
      client.on('error', () => {});
      await new Promise((r) => client.once('data', r));
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      scope.process.kill('SIGTERM');
      await scope.waitForLog((l) => l.msg === 'shutting down');
      let res: Response | null = null;
      for (let i = 0; i < 100; i++) {
        res = await fetch(`${base}/healthz`);
        if (res.status === 503) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(res!.status).toBe(503);
      expect(await res!.text()).toBe('shutting-down\n');
      client.destroy();
    } finally {
      await scope.stop();
    }
  });
});
