/**
 * `imapscope | less` left on one page: stdout is a pipe nobody reads. Logging must not stop
 * mail traffic (finding 9): the relay used to block in a synchronous write to the full pipe,
 * and with it every session, new LOGINs and SIGTERM.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useDovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { exitWithin } from '../helpers/raw-client.ts';
import { converse } from '../helpers/raw-imap.ts';

const dovecot = useDovecot();
let scope: Imapscope | undefined;
afterAll(async () => {
  await scope?.stop();
});

describe('a log reader that stops reading', () => {
  it('delays no session: new clients still log in and out, and SIGTERM still exits 0', async () => {
    const d = dovecot();
    scope = await startImapscope(['--upstream', `${d.host}:${d.port}`, '--log-level', 'debug']);
    const { host, port } = scope.listen;
    // From here on nothing reads imapscope's stdout: the pipe (64 KiB) and Node's buffer fill.
    scope.process.stdout.pause();
    const commands = [`LOGIN ${d.user} ${d.password}`, ...Array(10).fill('NOOP'), 'LOGOUT'];
    // ~10 KB of debug lines per session: 40 sessions are several times what the pipe holds.
    // Each must finish within a generous bound (it hung forever before the fix).
    for (let i = 0; i < 40; i++) {
      const t = await converse(host, port, commands, 15_000);
      expect(t.replies.at(-1)?.at(-1)).toMatch(/^a12 OK/);
    }
    const last = await converse(host, port, [`LOGIN ${d.user} ${d.password}`, 'LOGOUT'], 15_000);
    expect(last.greeting).toMatch(/^\* OK/);
    expect(last.replies[0]?.at(-1)).toMatch(/^a1 OK/);

    scope.process.kill('SIGTERM');
    expect(await exitWithin(scope.process, 20_000)).toEqual({ code: 0, signal: null });
  });
});
