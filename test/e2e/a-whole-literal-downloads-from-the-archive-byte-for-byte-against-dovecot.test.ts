/**
 * The inspector's "download all": a literal larger than the events' 4 KB preview is served
 * whole from the archived raw bytes, for a message appended and then fetched through imapscope
 * in front of Dovecot; a password literal comes masked, as archived; a refused one is refused.
 */
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { EventPage, SessionRow } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import { rawSession } from '../helpers/raw-imap.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const env = useScopeOverDovecot();

/** A 60 KB message with UTF-8 text, CRLF line ends (Dovecot gives back exactly these bytes). */
function bigMessage(): string {
  const head =
    'From: Ada <ada@example.test>\r\nTo: learner@example.test\r\nSubject: big\r\n' +
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n\r\n';
  const lines: string[] = [];
  for (let i = 0; lines.join('\r\n').length < 60_000; i++)
    lines.push(`line ${i}: Grüße aus Zürich, ${'x'.repeat(i % 50)}`);
  return `${head}${lines.join('\r\n')}\r\n`;
}

describe('a literal downloaded whole from the archive, against Dovecot', () => {
  it('equals the message appended and fetched, past the 4 KB preview; a password stays masked', async () => {
    const { scope, dovecot } = env();
    const message = bigMessage();
    const bytes = Buffer.from(message, 'utf8');
    expect(bytes.length).toBeGreaterThan(50_000);

    const s = await rawSession(scope.listen.host, scope.listen.port);
    // LOGIN with both strings as literals: the password's bytes are masked in the archive.
    s.send(`a1 LOGIN {${Buffer.byteLength(dovecot.user)}}`);
    await s.waitFor(/^\+/);
    s.send(`${dovecot.user} {${Buffer.byteLength(dovecot.password)}}`);
    await s.waitFor(/^\+/);
    s.send(dovecot.password);
    expect((await s.waitFor(/^a1 (OK|NO|BAD)/)).at(-1)).toMatch(/^a1 OK/);
    s.send(`a2 APPEND INBOX {${bytes.length}}`);
    await s.waitFor(/^\+/);
    s.send(message);
    expect((await s.waitFor(/^a2 (OK|NO|BAD)/)).at(-1)).toMatch(/^a2 OK/);
    expect((await s.command('a3', 'SELECT INBOX')).at(-1)).toMatch(/^a3 OK/);
    expect((await s.command('a4', 'FETCH * BODY.PEEK[]')).at(-1)).toMatch(/^a4 OK/);
    // No such mailbox: Dovecot answers NO instead of +, and the literal never comes.
    expect((await s.command('a5', 'APPEND Nowhere {10}')).at(-1)).toMatch(/^a5 NO/);
    await s.command('a6', 'LOGOUT');
    s.close();

    const token = new URL(scope.url).searchParams.get('token')!;
    const get = (route: string): Promise<Response> => {
      const url = new URL(route, scope.url);
      url.searchParams.set('token', token);
      return fetch(url);
    };
    let row: SessionRow | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      const rows = fromJson<SessionRow[]>(await (await get('/api/sessions?state=ended')).text());
      row = rows.find((r) => r.user === dovecot.user);
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toBeDefined();
    const id = row!.id;
    const page = fromJson<EventPage>(
      await (await get(`/api/sessions/${id}/events?limit=5000`)).text(),
    );
    const messageEvent = (pick: (e: Extract<ImapscopeEvent, { type: 'message' }>) => boolean) =>
      page.events.find(
        (e): e is Extract<ImapscopeEvent, { type: 'message' }> => e.type === 'message' && pick(e),
      )!;
    const append = messageEvent((e) => e.message.type === 'command' && e.message.name === 'APPEND');
    const fetched = messageEvent(
      (e) => e.message.type === 'untagged' && e.message.data.kind === 'fetch',
    );
    const login = messageEvent((e) => e.message.type === 'command' && e.message.name === 'LOGIN');

    // The events keep a 4 KB preview; the download is the whole body.
    expect(messageLiterals(fetched.message)[0]!.preview.length).toBe(4096);
    for (const [e, direction] of [
      [append, 'c2s'],
      [fetched, 's2c'],
    ] as const) {
      expect(e.direction).toBe(direction);
      const res = await get(`/api/sessions/${id}/events/${e.seq}/literals/0/body`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(bytes)).toBe(true);
    }
    const download = await get(`/api/sessions/${id}/events/${fetched.seq}/literals/0/body`);
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="${id}-${fetched.seq}-literal-0.eml"`,
    );

    // LOGIN's first literal (the user) is served; the second (the password) was masked.
    const user = await get(`/api/sessions/${id}/events/${login.seq}/literals/0/body`);
    expect(await user.text()).toBe(dovecot.user);
    const password = await get(`/api/sessions/${id}/events/${login.seq}/literals/1/body`);
    expect(password.status).toBe(200);
    expect(await password.text()).toBe('*'.repeat(Buffer.byteLength(dovecot.password)));
    // A literal the server refused never came: nothing to download.
    const refused = messageEvent((e) => e.message.type === 'command' && e.message.tag === 'a5');
    expect(messageLiterals(refused.message)[0]!.refused).toBe(true);
    const none = await get(`/api/sessions/${id}/events/${refused.seq}/literals/0/body`);
    expect(none.status).toBe(409);
    const refusal = (await none.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('ERR_API_LITERAL_UNAVAILABLE');
    expect(refusal.error.message).toMatch(/refused/);
    expect((await get(`/api/sessions/${id}/events/${login.seq}/literals/2/body`)).status).toBe(404);
    // Without the token, nothing.
    const bare = await fetch(
      new URL(`/api/sessions/${id}/events/${fetched.seq}/literals/0/body`, scope.url).href.replace(
        /\?.*$/,
        '',
      ),
    );
    expect(bare.status).toBe(401);
  });
});
