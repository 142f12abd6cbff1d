/**
 * Finding 6 of the hardening issue: a restart after SIGKILL must not keep mail clients waiting
 * while the archive is recovered (a large one took up to 14.6 s with no listener). imapscope is
 * killed in the middle of traffic, with a session still open, and restarted on the same data
 * directory with recovery held by the test-only IMAPSCOPE_TEST_HOLD_RECOVERY_UNTIL_FILE. While
 * recovery is still running the listener is open and relays a whole session; once recovery
 * finishes (logged with its counts), that session is archived after every event of the killed
 * process, and the session the kill cut off is ended `interrupted`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startImapscope } from '../helpers/imapscope.ts';
import { converse, rawSession } from '../helpers/raw-imap.ts';
import { endedRow, sessionEvents, sessionRows } from '../helpers/scope-api.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const stack = useScopeOverDovecot();

describe('a restart after SIGKILL', () => {
  it('opens the listener at once and relays while the archive recovers in the background', async () => {
    const { scope, dovecot } = stack();
    const login = `LOGIN ${dovecot.user} ${dovecot.password}`;
    // Traffic until the kill, and one session left open by it.
    await converse(scope.listen.host, scope.listen.port, [login, 'NOOP', 'LOGOUT']);
    const open = await rawSession(scope.listen.host, scope.listen.port);
    expect((await open.command('o1', login)).pop()).toMatch(/^o1 OK/);
    // Past the archive's flush interval: the open session is archived, live, before the kill.
    await new Promise((r) => setTimeout(r, 1_000));
    const exited = new Promise((r) => scope.process.once('exit', r));
    scope.process.kill('SIGKILL');
    await exited;
    open.close();

    const file = path.join(scope.dataDir, 'archive.sqlite');
    const before = new Database(file, { readonly: true });
    const lastGseq = Number(before.prepare('SELECT max(gseq) FROM events').pluck().get());
    const live = before
      .prepare(`SELECT id FROM sessions WHERE ended_at IS NULL`)
      .pluck()
      .all() as string[];
    before.close();
    expect(lastGseq).toBeGreaterThan(0);
    expect(live.length).toBeGreaterThan(0);

    const hold = path.join(os.tmpdir(), `imapscope-hold-recovery-${process.pid}-${Date.now()}`);
    const again = await startImapscope(
      // `session open` is a debug line (info has one summary line per session).
      [
        '--upstream',
        `${dovecot.host}:${dovecot.port}`,
        '--data',
        scope.dataDir,
        '--log-level',
        'debug',
      ],
      { IMAPSCOPE_TEST_HOLD_RECOVERY_UNTIL_FILE: hold },
    );
    try {
      await again.waitForLog((l) => l.msg === 'archive recovery started');
      // The listener relays a whole session while recovery has not finished.
      const t = await converse(again.listen.host, again.listen.port, [login, 'NOOP', 'LOGOUT']);
      expect(t.replies.map((r) => r[r.length - 1]?.split(' ')[1])).toEqual(['OK', 'OK', 'OK']);
      const during = String(
        (await again.waitForLog((l) => l.msg === 'session open' && l.session !== undefined))
          .session,
      );
      expect(again.logs.some((l) => l.msg === 'archive recovery finished')).toBe(false);
      // The in-memory list answers; what needs the archive says it is being recovered.
      expect((await sessionRows(again)).map((r) => r.id)).toContain(during);
      const res = await fetch(`${again.url.replace(/\/\?token=.*$/, '')}/api/events`, {
        headers: { authorization: `Bearer ${new URL(again.url).searchParams.get('token')}` },
      });
      expect(res.status).toBe(503);

      writeFileSync(hold, '');
      const finished = await again.waitForLog((l) => l.msg === 'archive recovery finished');
      expect(finished).toMatchObject({ interrupted: live.length, lastGseq });
      expect(finished.sessions).toBeGreaterThanOrEqual(2);
      expect(Number(finished.held)).toBeGreaterThan(0);
      expect(typeof finished.ms).toBe('number');

      // The session relayed during recovery is archived whole, numbered after the old events.
      const row = await endedRow(again, during);
      expect(row.user).toBe(dovecot.user);
      const events = await sessionEvents(again, during);
      expect(events[0]?.type).toBe('session.open');
      expect(events[events.length - 1]?.type).toBe('session.close');
      expect(events.filter((e) => e.type === 'exchange').map((e) => e.command)).toEqual([
        'LOGIN',
        'NOOP',
        'LOGOUT',
      ]);
      expect(Math.min(...events.map((e) => e.gseq))).toBeGreaterThan(lastGseq);
      // The session the kill cut off is ended at its last event.
      const rows = await sessionRows(again);
      for (const id of live) expect(rows.find((r) => r.id === id)?.reason).toBe('interrupted');
    } finally {
      await again.stop();
    }
  });
});
