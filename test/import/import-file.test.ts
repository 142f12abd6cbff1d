import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { Archive } from '../../proxy/archive/archive.ts';
import { getSession, sessionEvents } from '../../proxy/archive/read.ts';
import { importFile } from '../../proxy/import/index.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('imapscope-import-');
let archive: Archive;
let n = 0;

beforeEach(() => {
  archive = new Archive(path.join(tmp(), `archive-${++n}.sqlite`));
});
afterEach(async () => {
  await archive.close();
});

const crlf = (lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

/** Writes `<name>.in` and `<name>.out`, both with the given mtime; returns the stem. */
function rawlog(
  name: string,
  c2s: string,
  s2c: string,
  mtime = new Date('2025-06-01T12:00:00Z'),
): string {
  const stem = path.join(tmp(), name);
  writeFileSync(`${stem}.in`, c2s);
  writeFileSync(`${stem}.out`, s2c);
  utimesSync(`${stem}.in`, mtime, mtime);
  utimesSync(`${stem}.out`, mtime, mtime);
  return stem;
}

const events = (id: string): ImapscopeEvent[] => sessionEvents(archive.db, id, 0, 10_000);
const exchanges = (id: string): string[] =>
  events(id).flatMap((e) =>
    e.type === 'exchange' ? [`${e.tag} ${e.command} ${e.status ?? 'aborted'}`] : [],
  );
const lintCodes = (id: string): string[] =>
  events(id).flatMap((e) => (e.type === 'lint' ? [e.code] : []));

/** A whole session as Dovecot's `rawlog` program writes it: bytes only, no timestamps. */
const UNSTAMPED_IN = crlf([
  'a1 LOGIN joe "secret"',
  'a2 SELECT INBOX',
  'a3 APPEND INBOX {11}',
  'Hello\r\nBody',
  'a4 FETCH 1 BODY[]',
  'a5 IDLE',
  'DONE',
  'a6 LOGOUT',
]);
const UNSTAMPED_OUT = crlf([
  '* OK [CAPABILITY IMAP4rev1 IDLE] ready',
  'a1 OK Logged in',
  '* 0 EXISTS',
  'a2 OK [READ-WRITE] Select completed',
  '+ OK',
  '* 1 EXISTS',
  'a3 OK Append completed',
  '* 1 FETCH (BODY[] {11}',
  'Hello\r\nBody)',
  'a4 OK Fetch completed',
  '+ idling',
  'a5 OK Idle completed',
  '* BYE Logging out',
  'a6 OK Logout completed',
]);

describe('importing a Dovecot rawlog pair', () => {
  it('pairs a pair without timestamps by its tags: every reply paired, none aborted, no unknown tag', async () => {
    const stem = rawlog('unstamped', UNSTAMPED_IN, UNSTAMPED_OUT);
    const r = await importFile(archive, `${stem}.in`);
    expect(exchanges(r.session)).toEqual([
      'a1 LOGIN OK',
      'a2 SELECT OK',
      'a3 APPEND OK',
      'a4 FETCH OK',
      'a5 IDLE OK',
      'a6 LOGOUT OK',
    ]);
    expect(lintCodes(r.session)).not.toContain('LINT_UNKNOWN_TAG');
    expect(lintCodes(r.session)).not.toContain('LINT_LITERAL_NOT_SYNCHRONIZED');
  });

  it("dates a pair without timestamps by the files' mtime, with a note saying so", async () => {
    const mtime = new Date('2025-06-01T12:00:00Z');
    const stem = rawlog('dated', UNSTAMPED_IN, UNSTAMPED_OUT.replace('ready', 'ready!'), mtime);
    const r = await importFile(archive, `${stem}.out`);
    const row = getSession(archive.db, r.session)!;
    expect({ startedAt: row.startedAt, endedAt: row.endedAt }).toEqual({
      startedAt: mtime.getTime(),
      endedAt: mtime.getTime(),
    });
    expect(row.reason).toMatch(
      /^imported; no times in the file: dated by the file's modification time/,
    );
    expect(events(r.session).every((e) => e.at === mtime.getTime())).toBe(true);
  });

  it('starts and ends a timestamped pair at its first and last stamps, not at the time of import', async () => {
    const stem = rawlog(
      'stamped',
      '1700000000.100000 a1 NOOP\r\n1700000000.200000 a2 LOGOUT\r\n',
      '1700000000.000000 * OK ready\r\n1700000000.150000 a1 OK\r\n1700000000.241000 a2 OK bye\r\n',
    );
    const r = await importFile(archive, `${stem}.in`);
    const row = getSession(archive.db, r.session)!;
    expect({ startedAt: row.startedAt, endedAt: row.endedAt }).toEqual({
      startedAt: 1_700_000_000_000,
      endedAt: 1_700_000_000_241,
    });
    const close = events(r.session).find((e) => e.type === 'session.close');
    expect(close).toMatchObject({ at: 1_700_000_000_241, durationMs: 241 });
  });

  it('imports a pair once: the same half again, or the other half, is refused naming the session', async () => {
    const stem = rawlog('twice', UNSTAMPED_IN, UNSTAMPED_OUT.replace('ready', 'ready twice'));
    const first = await importFile(archive, `${stem}.in`);
    for (const half of ['.in', '.out']) {
      await expect(importFile(archive, `${stem}${half}`)).rejects.toMatchObject({
        code: 'ERR_IMPORT_DUPLICATE',
        message: `${stem}.in/.out was already imported as session ${first.session} (from twice)`,
      });
    }
    expect(archive.db.prepare(`SELECT count(*) FROM sessions`).pluck().get()).toBe(1);
  });

  it('imports the content again once retention has deleted the earlier session', async () => {
    const stem = rawlog('again', UNSTAMPED_IN, UNSTAMPED_OUT.replace('ready', 'ready again'));
    const first = await importFile(archive, `${stem}.in`);
    archive.db.prepare(`DELETE FROM sessions WHERE id = ?`).run(first.session);
    expect((await importFile(archive, `${stem}.in`)).session).not.toBe(first.session);
  });

  it('refuses a .in with timestamps beside a .out without, in one line', async () => {
    const stem = rawlog('mixed', '1700000000.100000 a1 NOOP\r\n', '* OK ready\r\na1 OK\r\n');
    await expect(importFile(archive, `${stem}.in`)).rejects.toThrow(
      "mixed: the .in file has Dovecot's timestamps and the .out file has none, so they are not one pair",
    );
  });
});

describe('importing a transcript', () => {
  it('ends the session at its last line, and refuses the same file twice', async () => {
    const file = path.join(tmp(), 'session.txt');
    writeFileSync(
      file,
      '2025-06-01T12:00:00.000Z S: * OK ready\n2025-06-01T12:00:00.100Z C: a1 LOGOUT\n' +
        '2025-06-01T12:00:00.241Z S: a1 OK bye\n',
    );
    const r = await importFile(archive, file);
    const row = getSession(archive.db, r.session)!;
    expect(row.endedAt! - row.startedAt).toBe(241);
    await expect(importFile(archive, file)).rejects.toThrow(/already imported as session/);
  });
});
