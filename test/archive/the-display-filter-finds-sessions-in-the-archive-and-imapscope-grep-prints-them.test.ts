import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { sessionMatches, sessionsMatching, type FilterReader } from '../../proxy/archive/filter.ts';
import * as read from '../../proxy/archive/read.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { parseFilter } from '../../shared/filter.ts';
import type { Filter } from '../../shared/filter.ts';
import { REPO_ROOT, runSubcommand } from '../helpers/imapscope.ts';
import { useTempDir } from '../helpers/temp-dir.ts';
import { play } from '../hub/helpers.ts';

const dataDir = useTempDir('imapscope-filter-');

const login = (user: string): ['c2s' | 's2c', string][] => [
  ['s2c', '* OK [CAPABILITY IMAP4rev1 UIDPLUS MOVE] ready\r\n'],
  ['c2s', `a1 LOGIN ${user} secret\r\n`],
  ['s2c', 'a1 OK Logged in\r\n'],
  ['c2s', 'a2 SELECT INBOX\r\n'],
  ['s2c', '* 2 EXISTS\r\na2 OK [READ-WRITE] Selected\r\n'],
];

/** Three sessions: alice moves UID 4711 (refused once), bob only reads, carol fails a FETCH. */
beforeAll(async () => {
  const archive = new Archive(path.join(dataDir(), 'archive.sqlite'));
  const hub = new Hub();
  hub.add(archive);
  play(
    hub,
    'alice-1',
    [
      ...login('alice'),
      ['c2s', 'a3 UID MOVE 4711 Archive\r\n'],
      ['s2c', 'a3 NO [TRYCREATE] No such mailbox\r\n'],
      ['c2s', 'a4 CREATE Archive\r\n'],
      ['s2c', 'a4 OK done\r\n'],
      ['c2s', 'a5 UID MOVE 4711 Archive\r\n'],
      ['s2c', '* OK [COPYUID 9 4711 12] Moved\r\n* 1 EXPUNGE\r\na5 OK Move completed\r\n'],
    ],
    1_000,
  );
  play(
    hub,
    'bob-1',
    [
      ...login('bob'),
      ['c2s', 'a3 FETCH 1 (BODY.PEEK[HEADER])\r\n'],
      ['s2c', '* 1 FETCH (BODY[HEADER] {23}\r\nSubject: invoice 2026\r\n)\r\na3 OK done\r\n'],
    ],
    2_000,
  );
  play(
    hub,
    'carol-1',
    [
      ...login('carol'),
      ['c2s', 'a3 FETCH 99 (FLAGS)\r\n'],
      ['s2c', 'a3 NO Invalid messageset\r\n'],
    ],
    3_000,
  );
  await archive.close();
});

function filter(text: string): Filter {
  const r = parseFilter(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.filter;
}

async function grep(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'proxy', 'imapscope.mjs'), 'grep', ...args, '--data', dataDir()],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the display filter over the archive', () => {
  it('lists the sessions holding a match, newest first, with how many rows match', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dataDir(), 'archive.sqlite'), { readonly: true });
    const reader: FilterReader = {
      querySessions: (f, only) => Promise.resolve(read.querySessions(db, f, only)),
      sessionEvents: (id, after, limit) =>
        Promise.resolve(read.sessionEvents(db, id, after, limit)),
    };
    try {
      const found = async (f: string): Promise<[string, number][]> =>
        (await sessionsMatching(reader, filter(f), { limit: 10 })).map((x) => [
          x.session.id,
          x.matches,
        ]);
      expect(await found('status:NO')).toEqual([
        ['carol-1', 1],
        ['alice-1', 1],
      ]);
      expect(await found('cmd:MOVE')).toEqual([['alice-1', 2]]);
      expect(await found('uid:12')).toEqual([['alice-1', 1]]);
      expect(await found('text:"SUBJECT: INVOICE"')).toEqual([['bob-1', 1]]);
      expect(await found('cmd:LOGIN')).toHaveLength(3);
      expect(await sessionsMatching(reader, filter('cmd:LOGIN'), { limit: 2 })).toHaveLength(2);
      expect(await found('status:BAD')).toEqual([]);
      expect(
        (await sessionMatches(reader, 'alice-1', filter('mailbox:archive'))).map(
          (s) => s.command?.tag,
        ),
      ).toEqual(['a3', 'a4', 'a5']);
    } finally {
      db.close();
    }
  });

  it("imapscope grep prints the sessions, or one session's matching exchanges", async () => {
    const sessions = await runSubcommand(dataDir(), 'grep', 'status:NO', '--format', 'jsonl');
    expect(
      sessions
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ).toMatchObject([
      { session: 'carol-1', user: 'carol', matches: 1 },
      { session: 'alice-1', user: 'alice', matches: 1 },
    ]);
    const rows = await runSubcommand(
      dataDir(),
      'grep',
      'cmd:"UID MOVE"',
      '--session',
      'alice-1',
      '--format',
      'csv',
    );
    expect(
      rows
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(2, 4).concat(l.split(',').at(-1)!)),
    ).toEqual([
      ['tag', 'status', 'line'],
      ['a3', 'NO', 'a3 UID MOVE 4711 Archive'],
      ['a5', 'OK', 'a5 UID MOVE 4711 Archive'],
    ]);
    const table = await runSubcommand(dataDir(), 'grep', 'cmd:NOOP');
    expect(table).toContain('(none)');
  });

  it('refuses a bad filter with one line naming the column, and exit code 2', async () => {
    const r = await grep('cmd:FETCH latency>fast');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'imapscope: filter "cmd:FETCH latency>fast", column 19: latency: "fast" is not a duration; use a number with ms or s (100ms, 1.5s) (see docs/filter.md)',
    ]);
    const unknown = await grep('sender:bob');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'use one of cmd, status, latency, mailbox, uid, text, tag, code, lint',
    );
    const noSession = await grep('cmd:FETCH', '--session', 'nope');
    expect(noSession.code).toBe(2);
    expect(noSession.stderr).toContain('--session nope: no such session');
  });
});
