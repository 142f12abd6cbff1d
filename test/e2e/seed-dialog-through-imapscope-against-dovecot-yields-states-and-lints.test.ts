import { describe, expect, it } from 'vitest';
import type { LogLine } from '../helpers/imapscope.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { play, seedDialog } from '../helpers/seed-dialog.ts';

const stack = useScopeOverDovecot({ args: ['--log-level', 'debug'] });

describe('the seed dialog through imapscope against Dovecot', () => {
  it('yields not authenticated → authenticated → selected → logout and explains FETCH 1:3 and Quit', async () => {
    const { scope, dovecot } = stack();
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
