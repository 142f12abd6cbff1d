import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { REPO_ROOT, runSubcommand } from '../helpers/imapscope.ts';
import { imapflowFor, PLAIN, useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { tsharkImapRequests } from '../helpers/tshark.ts';

const stack = useScopeOverDovecot({ dovecot: { rawlog: true } });

const cli = (...args: string[]): Promise<string> => runSubcommand(stack().scope.dataDir, ...args);

async function api<T>(route: string): Promise<T> {
  const { scope } = stack();
  const url = new URL(route, scope.url);
  for (const [k, v] of new URL(scope.url).searchParams) url.searchParams.set(k, v);
  return fromJson<T>(await (await fetch(url)).text());
}

async function events(session: string): Promise<ImapscopeEvent[]> {
  return (await api<EventPage>(`/api/sessions/${session}/events?limit=5000`)).events;
}

const exchanges = (events: ImapscopeEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'exchange' ? [`${e.tag} ${e.command} ${e.status}`] : []));

let live: SessionRow;

describe('exports and imports of a real session', () => {
  it('records an imapflow session against Dovecot', async () => {
    const { scope, dovecot } = stack();
    const c = imapflowFor(scope, dovecot, PLAIN);
    await c.connect();
    await c.append('INBOX', Buffer.from('Subject: hello\r\n\r\nThe body.\r\n'));
    await c.mailboxOpen('INBOX');
    for await (const _ of c.fetch('1:*', { uid: true, source: true })) void _;
    await c.logout();
    for (let i = 0; i < 50; i++) {
      const rows = await api<SessionRow[]>('/api/sessions?state=ended');
      if (rows[0]) {
        live = rows[0];
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(live.user).toBe(dovecot.user);
  });

  it('exports pcapng that tshark shows as IMAP requests with tags and commands', async () => {
    const { scope } = stack();
    const file = path.join(scope.dataDir, 'live.pcapng');
    await cli('export', live.id, '--format', 'pcapng', '-o', file);
    const requests = tsharkImapRequests(file);
    // (tshark's IMAP dissector reads each line of a literal as a request line too.)
    const commands = requests.map((r) => r[1]?.split(',')[0]?.toUpperCase());
    expect(commands).toEqual(
      expect.arrayContaining(['AUTHENTICATE', 'APPEND', 'SELECT', 'LOGOUT']),
    );
    expect(requests.find((r) => r[1]?.toUpperCase() === 'SELECT')?.[0]).toMatch(/^\w+$/);
  });

  it('exports a transcript with the password masked, which imports as the same exchanges', async () => {
    const { scope, dovecot } = stack();
    const file = path.join(scope.dataDir, 'live.txt');
    await cli('export', live.id, '--format', 'transcript', '-o', file);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z C: \S+ SELECT INBOX$/m);
    expect(text).not.toContain(
      Buffer.from(`\0${dovecot.user}\0${dovecot.password}`).toString('base64'),
    );
    const [id] = (await cli('import', file)).split('\t');
    expect(exchanges(await events(id!))).toEqual(exchanges(await events(live.id)));
  });

  it('stops quietly when the reader goes away, and names an output it cannot write', async () => {
    const { scope } = stack();
    const entry = path.join(REPO_ROOT, 'proxy/imapscope.mjs');
    // `imapscope export ID | head -c 100`: the pipe closes after the first chunk.
    const child = spawn(
      process.execPath,
      [entry, 'export', live.id, '--format', 'jsonl', '--data', scope.dataDir],
      { cwd: REPO_ROOT },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const bad = spawnSync(
      process.execPath,
      [entry, 'export', live.id, '-o', '/nonexistent/dir/x.jsonl', '--data', scope.dataDir],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'imapscope: --output /nonexistent/dir/x.jsonl: ENOENT',
    ]);
  });

  it('round-trips a JSONL export', async () => {
    const { scope } = stack();
    const file = path.join(scope.dataDir, 'live.jsonl');
    await cli('export', live.id, '--format', 'jsonl', '-o', file);
    const [id, kind] = (await cli('import', file)).split('\t');
    expect(kind).toBe('jsonl');
    const back = await events(id!);
    const orig = await events(live.id);
    expect(back.map((e) => ({ ...e, session: '', gseq: 0 }))).toEqual(
      orig.map((e) => ({ ...e, session: '', gseq: 0 })),
    );
  });

  it('imports the Dovecot rawlog of the same session with the same post-login exchanges', async () => {
    const { dovecot } = stack();
    const dir = dovecot.rawlogDir!;
    const imported: string[][] = [];
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.in'))) {
      const [id, kind] = (await cli('import', path.join(dir, name))).split('\t');
      expect(kind).toBe('rawlog');
      imported.push(exchanges(await events(id!)));
    }
    const post = imported.find((x) => x.some((e) => e.includes(' SELECT ')));
    expect(post).toBeDefined();
    const liveExchanges = exchanges(await events(live.id));
    const firstPost = liveExchanges.findIndex((e) => e === post![0]);
    expect(firstPost).toBeGreaterThan(0);
    expect(post).toEqual(liveExchanges.slice(firstPost));
  });
});
