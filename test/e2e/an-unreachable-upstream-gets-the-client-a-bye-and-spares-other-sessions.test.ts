import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { freePort } from '../helpers/net.ts';
import { converse, readUntilClose } from '../helpers/raw-imap.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const stack = useScopeOverDovecot();
let down: Imapscope;
let deadPort: number;

beforeAll(async () => {
  deadPort = await freePort(); // nothing listens here: connecting is refused
  down = await startImapscope(['--upstream', `127.0.0.1:${deadPort}`]);
});

afterAll(async () => {
  await down?.stop();
});

/** pino levels: 40 warn, 50 error. */
const atLeastWarn = (level: unknown): boolean =>
  typeof level === 'number' ? level >= 40 : level === 'warn' || level === 'error';

describe('an unreachable upstream', () => {
  it('gets the client a * BYE [UNAVAILABLE] naming the upstream, then closes it', async () => {
    const { text, closedBy } = await readUntilClose(down.listen.host, down.listen.port);
    expect(closedBy).toBe('server');
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\* BYE \[UNAVAILABLE\] /);
    expect(lines[0]).toContain(`127.0.0.1:${deadPort}`);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('is logged at warn or above with the reason', async () => {
    const line = await down.waitForLog((l) => l.msg === 'upstream unavailable');
    expect(atLeastWarn(line.level)).toBe(true);
    expect(JSON.stringify(line)).toMatch(/ECONNREFUSED|refused/i);
  });

  it('is a session of its own, ended upstream-unavailable, with the BYE imapscope sent', async () => {
    const get = async <T>(route: string): Promise<T> => {
      const url = new URL(route, down.url);
      url.searchParams.set('token', new URL(down.url).searchParams.get('token')!);
      return fromJson<T>(await (await fetch(url)).text());
    };
    let row: SessionRow | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      row = (await get<SessionRow[]>('/api/sessions')).find(
        (r) => r.reason === 'upstream-unavailable',
      );
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toMatchObject({ reason: 'upstream-unavailable', state: 'logout' });
    const { events } = await get<EventPage>(`/api/sessions/${row!.id}/events`);
    const said = events.flatMap((e: ImapscopeEvent) =>
      e.type === 'message' && e.direction === 's2c' ? [e.message.raw] : [],
    );
    expect(said).toEqual([expect.stringMatching(/^\* BYE \[UNAVAILABLE\] .*127\.0\.0\.1:\d+/)]);
    expect(events.at(-1)).toMatchObject({ type: 'session.close', reason: 'upstream-unavailable' });
  });

  it('leaves the process serving: the next client gets the same BYE', async () => {
    const again = await readUntilClose(down.listen.host, down.listen.port);
    expect(again.text).toMatch(/^\* BYE \[UNAVAILABLE\] /);
    expect(down.process.exitCode).toBeNull();
  });

  it('does not disturb a session through another imapscope to a live upstream', async () => {
    const { scope, dovecot } = stack();
    const [refused, served] = await Promise.all([
      readUntilClose(down.listen.host, down.listen.port),
      converse(scope.listen.host, scope.listen.port, [
        `LOGIN ${dovecot.user} ${dovecot.password}`,
        'SELECT INBOX',
        'LOGOUT',
      ]),
    ]);
    expect(refused.text).toMatch(/^\* BYE \[UNAVAILABLE\] /);
    expect(served.greeting).toMatch(/^\* OK /);
    expect(served.replies.map((r) => r.at(-1))).toEqual([
      expect.stringMatching(/^a1 OK /),
      expect.stringMatching(/^a2 OK \[READ-WRITE\]/),
      expect.stringMatching(/^a3 OK /),
    ]);
  });
});
