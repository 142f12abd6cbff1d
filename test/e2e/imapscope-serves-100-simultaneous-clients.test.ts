import { describe, expect, it } from 'vitest';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { converse } from '../helpers/raw-imap.ts';

const CLIENTS = 100;

const stack = useScopeOverDovecot();

describe('imapscope under concurrency', () => {
  it(`serves ${CLIENTS} simultaneous clients doing LOGIN, SELECT, LOGOUT`, async () => {
    const { scope, dovecot } = stack();
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: CLIENTS }, () =>
        converse(scope.listen.host, scope.listen.port, [
          `LOGIN ${dovecot.user} ${dovecot.password}`,
          'SELECT INBOX',
          'LOGOUT',
        ]),
      ),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`client ${i}: ${String(r.reason)}`] : [],
    );
    expect(failures).toEqual([]);
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      expect(r.value.greeting).toMatch(/^\* OK /);
      expect(
        r.value.replies.map((lines) => lines.at(-1)?.split(' ').slice(0, 2).join(' ')),
      ).toEqual(['a1 OK', 'a2 OK', 'a3 OK']);
      expect(r.value.closed).toBe(true);
    }
    const closes = await scope.waitForLog(
      () => scope.logs.filter((l) => l.msg === 'session close').length >= CLIENTS,
      20_000,
    );
    expect(closes).toBeDefined();
    const sessions = new Set(
      scope.logs.filter((l) => l.msg === 'session close').map((l) => String(l.session)),
    );
    expect(sessions.size).toBe(CLIENTS);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
