/**
 * Two imapscope processes, one PostgreSQL archive (started by the test), one Dovecot behind
 * both, imapflow clients through both. Clients reach the instances through `front()`: today
 * round-robin over their listeners; a load balancer in front (HAProxy with the PROXY
 * protocol) replaces just that function.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import { ARCHIVE_FLUSH_MS } from '../../proxy/limits.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { runSubcommand, type Imapscope } from '../helpers/imapscope.ts';
import { until } from '../helpers/poll.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import {
  bareUrl as bare,
  missingFromArchive,
  startArchiveInstance,
  urlPassword as password,
} from '../helpers/shared-archive.ts';
import { imapflowFor, PLAIN } from '../helpers/scope-over-dovecot.ts';
import { apiGet } from '../helpers/scope-api.ts';
import { connectViewer } from '../helpers/viewer-client.ts';
import { converse } from '../helpers/raw-imap.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';

let server: Postgres;
let dovecot: Dovecot;
let url: string;
let a: Imapscope;
let b: Imapscope;
let db: pg.Client;

function startInstance(name: string): Promise<Imapscope> {
  return startArchiveInstance(url, `${dovecot.host}:${dovecot.port}`, name);
}

/** Where client number i connects: round-robin over the instances (a balancer's job later). */
function front(i: number): Imapscope {
  return i % 2 === 0 ? a : b;
}

async function rows(scope: Imapscope, query = 'limit=1000'): Promise<SessionRow[]> {
  return fromJson<SessionRow[]>((await apiGet(scope, `/api/sessions?${query}`)).toString());
}

beforeAll(async () => {
  [server, dovecot] = await Promise.all([startPostgres(), startDovecot()]);
  url = await server.createDatabase('shared');
  // Both at once: the migrations run once, under their advisory lock.
  [a, b] = await Promise.all([startInstance('a'), startInstance('b')]);
  db = new pg.Client({ connectionString: url });
  await db.connect();
}, 90_000);

afterAll(async () => {
  await db?.end();
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await dovecot?.stop();
  await server?.stop();
});

describe('two imapscope instances on one PostgreSQL archive', () => {
  it('name the archive with its password masked and never log the password', () => {
    for (const scope of [a, b]) {
      expect(scope.readyLine.archive).toBe(bare(url));
      expect(JSON.stringify(scope.logs)).not.toContain(password(url));
    }
    expect(a.readyLine.instance).toBe('a');
  });

  it('archive every session exactly once with the instance that relayed it, and both list them all', async () => {
    const before = new Set((await rows(a)).map((r) => r.id));
    const clients = Array.from({ length: 12 }, (_, i) => i);
    await Promise.all(
      clients.map(async (i) => {
        const c = imapflowFor(front(i), dovecot, PLAIN);
        await c.connect();
        await c.list();
        await c.mailboxOpen('INBOX');
        await c.logout();
      }),
    );
    const ended = (list: SessionRow[]): SessionRow[] =>
      list.filter((r) => !before.has(r.id) && r.endedAt !== null);
    await until('both list all 12 ended', async () => {
      const [ra, rb] = [ended(await rows(a)), ended(await rows(b))];
      return ra.length === 12 && rb.length === 12 ? true : undefined;
    });
    const fromA = ended(await rows(a));
    const fromB = ended(await rows(b));
    expect(fromB.map((r) => r.id).sort()).toEqual(fromA.map((r) => r.id).sort());
    expect(fromA.filter((r) => r.instance === 'a').length).toBe(6);
    expect(fromA.filter((r) => r.instance === 'b').length).toBe(6);
    expect(fromA.every((r) => r.user === dovecot.user && r.reason !== 'interrupted')).toBe(true);
    const ids = fromA.map((r) => r.id);
    const counted = await db.query<{ id: string; n: string }>(
      `SELECT id, count(*) AS n FROM sessions WHERE id = ANY($1) GROUP BY id`,
      [ids],
    );
    expect(counted.rows.length).toBe(12);
    expect(counted.rows.every((r) => Number(r.n) === 1)).toBe(true);
    // A session B relayed, exported from A: its raw bytes are in the shared database.
    const fromOther = fromA.find((r) => r.instance === 'b')!;
    const transcript = (
      await apiGet(a, `/api/sessions/${fromOther.id}/export?format=transcript`)
    ).toString();
    expect(transcript).toContain('SELECT INBOX');
    expect(transcript).not.toContain(dovecot.password);
    // The CLI reads the shared archive too: the same session, and the audit trail of both.
    const cli = await runSubcommand(
      a.dataDir,
      'export',
      fromOther.id,
      '--format',
      'transcript',
      '--archive',
      url,
    );
    expect(cli).toBe(transcript);
    const audit = await runSubcommand(a.dataDir, 'audit', '--format', 'jsonl', '--archive', url);
    const sessionsAudited = new Set(
      audit
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { session: string }).session),
    );
    for (const id of ids) expect(sessionsAudited.has(id)).toBe(true);
  });

  it('page, sort and count the shared session list like the SQLite one', async () => {
    const get = (path: string): Promise<Response> =>
      fetch(`http://${a.ui.host}:${a.ui.port}${path}`, {
        headers: { authorization: `Bearer ${new URL(a.url).searchParams.get('token')}` },
      });
    const all = await rows(a, `user=${dovecot.user.toUpperCase()}&limit=1000`);
    expect(all.length).toBeGreaterThanOrEqual(12);
    // imapflow sends ID: its name is in the row whichever instance relayed the session.
    expect(all.every((r) => r.clientName === 'imapflow')).toBe(true);
    const res = await get(
      `/api/sessions?user=${dovecot.user}&reason=logout&sort=started&order=asc&offset=2&limit=3`,
    );
    expect(res.status).toBe(200);
    const logouts = all.filter((r) => r.reason === 'logout');
    expect(Number(res.headers.get('x-total-count'))).toBe(logouts.length);
    const page = fromJson<SessionRow[]>(await res.text());
    const ascending = [...logouts].sort(
      (x, y) => x.startedAt - y.startedAt || (x.id < y.id ? 1 : -1),
    );
    expect(page.map((r) => r.id)).toEqual(ascending.slice(2, 5).map((r) => r.id));
  });

  it("filter, grep, search the headers of and download a literal of B's session from A, and import into the shared archive", async () => {
    const token = new URL(a.url).searchParams.get('token')!;
    const get = (route: string): Promise<Response> =>
      fetch(`http://${a.ui.host}:${a.ui.port}${route}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    // Through B: a message past the 4 KB preview, appended and fetched whole.
    const subject = `Quartalsbericht ${Date.now()}`;
    const message = Buffer.from(
      `From: Ada <ada@example.test>\r\nSubject: =?UTF-8?Q?${subject.replace(/ /g, '_')}_f=C3=BCr_M=C3=A4rz?=\r\n` +
        `\r\n${'Zeile mit Text, '.repeat(2_000)}\r\n`,
    );
    const c = imapflowFor(b, dovecot, PLAIN);
    await c.connect();
    await c.append('INBOX', message);
    await c.mailboxOpen('INBOX');
    const fetched = await c.fetchOne('*', { source: true });
    await c.logout();
    expect(fetched && Buffer.compare(fetched.source!, message)).toBe(0);
    const session = await until('A lists B’s session with the APPEND', async () => {
      const res = await get(`/api/sessions?filter=${encodeURIComponent('cmd:APPEND')}&limit=1000`);
      expect(res.status).toBe(200);
      const found = fromJson<SessionRow[]>(await res.text());
      return found.find((r) => r.instance === 'b' && r.endedAt !== null);
    });
    // The display filter takes only sessions with a match: none of the 12 above appended.
    const all = await rows(a, 'limit=1000');
    const appended = fromJson<SessionRow[]>(
      await (await get('/api/sessions?filter=cmd:APPEND&limit=1000')).text(),
    );
    expect(appended.length).toBeLessThan(all.length);
    // text= finds the decoded Subject in the fetched header, on whichever instance.
    const searched = await rows(a, `text=${encodeURIComponent(`${subject} für März`)}`);
    expect(searched.map((r) => r.id)).toEqual([session.id]);
    // The whole literal, cut from the raw bytes B wrote into the shared database.
    const events: ImapscopeEvent[] = [];
    for (let after = 0; ;) {
      const page = fromJson<EventPage>(
        (
          await apiGet(a, `/api/sessions/${session.id}/events?afterSeq=${after}&limit=500`)
        ).toString(),
      );
      events.push(...page.events);
      if (page.nextAfterSeq === null) break;
      after = page.nextAfterSeq;
    }
    const reply = events.find(
      (e) =>
        e.type === 'message' &&
        e.message.direction === 's2c' &&
        messageLiterals(e.message).some((l) => l.size === message.length),
    )!;
    const n = messageLiterals(
      (reply as Extract<ImapscopeEvent, { type: 'message' }>).message,
    ).findIndex((l) => l.size === message.length);
    const whole = await get(`/api/sessions/${session.id}/events/${reply.seq}/literals/${n}/body`);
    expect(whole.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await whole.arrayBuffer()), message)).toBe(0);
    // grep reads the shared archive: B's session, from A's command line.
    const grep = await runSubcommand(
      a.dataDir,
      'grep',
      'cmd:APPEND',
      '--format',
      'jsonl',
      '--archive',
      url,
    );
    const grepped = grep
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session: string; matches: number });
    expect(grepped.find((g) => g.session === session.id)).toMatchObject({ matches: 1 });
    // An import into the shared archive: A's instance lists it, as B's would.
    const file = path.join(a.dataDir, 'imported.txt');
    writeFileSync(
      file,
      '2025-06-01T12:00:00.000Z S: * OK ready\n2025-06-01T12:00:00.100Z C: a1 NOOP\n' +
        '2025-06-01T12:00:00.150Z S: a1 OK fine\n',
    );
    const imported = (
      await runSubcommand(a.dataDir, 'import', file, '--archive', url, '--instance', 'a')
    ).split('\t')[0]!;
    expect(await rows(b, `text=${encodeURIComponent(imported)}`)).toMatchObject([
      { id: imported, source: 'import:transcript:imported.txt', instance: 'a' },
    ]);
  });

  it("show instance B's live session in instance A's list and stream its events to A's viewer", async () => {
    const viewer = await connectViewer(a.url);
    await viewer.until((v) => v.messages.some((m) => m.type === 'snapshot'));
    const c = imapflowFor(b, dovecot, PLAIN);
    await c.connect();
    await c.mailboxOpen('INBOX');
    const live = await until('A lists B’s live session', async () =>
      (await rows(a, 'state=live')).find((r) => r.instance === 'b'),
    );
    expect(live.endedAt).toBeNull();
    // Its session.open reached A's viewer over the WebSocket, then its exchanges as they come.
    const ofLive = (): ImapscopeEvent[] => viewer.events().filter((e) => e.session === live.id);
    await viewer.until(() => ofLive().some((e) => e.type === 'session.open'));
    await c.noop();
    await c.status('INBOX', { messages: true });
    await viewer.until(() => ofLive().some((e) => e.type === 'exchange' && e.command === 'STATUS'));
    const seqs = ofLive().map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    await c.logout();
    await viewer.until(() => ofLive().some((e) => e.type === 'session.close'));
    await viewer.close();
  });

  it(`keep all A acknowledged older than its flush interval (${ARCHIVE_FLUSH_MS} ms) when A is SIGKILLed mid-session, and B serves on`, async () => {
    const viewer = await connectViewer(a.url);
    let running = true;
    const commands = [
      `LOGIN ${dovecot.user} ${dovecot.password}`,
      ...Array(20).fill('NOOP'),
      'LOGOUT',
    ];
    const loops = [0, 1].map(async () => {
      while (running) {
        await converse(a.listen.host, a.listen.port, commands, 5_000).catch(() => {
          running = false;
        });
      }
    });
    await new Promise((r) => setTimeout(r, 2_500));
    const exited = new Promise((r) => a.process.once('exit', r));
    const killedAt = Date.now();
    a.process.kill('SIGKILL');
    running = false;
    await exited;
    await Promise.allSettled(loops);
    // Every event A's viewer got over a second before the kill (flush 250 ms, plus margin for
    // the commit round trip on a loaded machine) is in the shared archive. B relays nothing
    // meanwhile, so all the viewer got are A's own events.
    const own = viewer.eventsReceivedBefore(killedAt - 1_000);
    expect(own.length).toBeGreaterThan(50);
    expect(await missingFromArchive(db, own)).toEqual([]);
    // B still serves, and its new session is archived.
    const c = imapflowFor(b, dovecot, PLAIN);
    await c.connect();
    await c.mailboxOpen('INBOX');
    await c.logout();
    await until('B archived a session after A died', async () => {
      const r = await db.query(
        `SELECT 1 FROM sessions WHERE instance = 'b' AND started_at > $1 AND ended_at IS NOT NULL`,
        [killedAt],
      );
      return r.rowCount ? true : undefined;
    });
    await viewer.close().catch(() => {});
  });
});
