import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope, type LogLine } from '../helpers/imapscope.ts';

let dovecot: Dovecot;
let scope: Imapscope;

beforeAll(async () => {
  dovecot = await startDovecot();
  scope = await startImapscope([
    '--upstream',
    `${dovecot.host}:${dovecot.port}`,
    '--log-level',
    'debug',
  ]);
});

afterAll(async () => {
  await scope?.stop();
  await dovecot?.stop();
});

/** The seed dialog's lines (comments dropped), with USER/PASS replaced by the test account. */
function seedDialog(user: string, password: string): string[] {
  return readFileSync(new URL('../fixtures/seed-dialog.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^(\S+ LOGIN) USER PASS$/, `$1 ${user} ${password}`));
}

/** Sends each line after the greeting, waiting for the tagged response to the previous one. */
function play(host: string, port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const received: string[] = [];
    let pending = '';
    let next = 0;
    const send = (): void => {
      const line = lines[next];
      if (line !== undefined) socket.write(`${line}\r\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        received.push(line);
        if (received.length === 1) send();
        else if (line.startsWith(`${lines[next]?.split(' ')[0]} `)) {
          next++;
          send();
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describe('the seed dialog through imapscope against Dovecot', () => {
  it('yields not authenticated → authenticated → selected → logout and explains FETCH 1:3 and Quit', async () => {
    const lines = seedDialog(dovecot.user, dovecot.password);
    expect(lines).toHaveLength(6);
    const received = await play(scope.listen.host, scope.listen.port, lines);
    expect(received.at(-1), received.join('\n')).toMatch(/^A0006 OK/);
    const close = await scope.waitForLog((l) => l.msg === 'session close');
    const mine = (l: LogLine): boolean => l.session === close.session;
    await scope.waitForLog((l) => mine(l) && l.msg === 'exchange' && l.tag === 'A0006');

    const path = scope.logs.filter((l) => mine(l) && l.msg === 'state change');
    expect(['not-authenticated', ...path.map((l) => l.to)]).toEqual([
      'not-authenticated',
      'authenticated',
      'selected',
      'logout',
    ]);

    const exchanges = scope.logs.filter((l) => mine(l) && l.msg === 'exchange');
    expect(exchanges.map((l) => [l.tag, l.command, l.status])).toEqual([
      ['A0001', 'LOGIN', 'OK'],
      ['A0002', 'CREATE', 'OK'],
      ['A0003', 'SELECT', 'OK'],
      ['A0004', 'FETCH', 'BAD'],
      ['A0005', 'QUIT', 'BAD'],
      ['A0006', 'LOGOUT', 'OK'],
    ]);
    for (const e of exchanges) expect(typeof e.latencyMs).toBe('number');

    const lints = scope.logs.filter((l) => mine(l) && String(l.msg).startsWith('lint: '));
    const fetch = lints.find(
      (l) => /FETCH/.test(String(l.msg)) && l.code === 'LINT_COMPLETION_BAD',
    );
    expect(fetch?.rfc).toMatch(/RFC 3501 §6\.4\.5 \/ RFC 9051 §6\.4\.5/);
    const quit = lints.filter((l) => /QUIT is not an IMAP command/.test(String(l.msg)));
    expect(quit.length).toBeGreaterThanOrEqual(1);
    expect(quit[0]?.rfc).toMatch(/§6\.1\.3/);

    expect(scope.logs.filter((l) => mine(l) && l.msg === 'malformed')).toEqual([]);
    // The password never reaches the log (the ready line names no Dovecot password).
    expect(JSON.stringify(scope.logs)).not.toContain(dovecot.password);
  });
});
