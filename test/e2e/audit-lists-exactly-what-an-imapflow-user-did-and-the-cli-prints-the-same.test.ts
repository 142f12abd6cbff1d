import { describe, expect, it } from 'vitest';
import type { AuditAction } from '../../shared/audit.ts';
import { AUDIT_ACTIONS, runAuditWorkload } from '../helpers/audit-workload.ts';
import { runSubcommand } from '../helpers/imapscope.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';

const stack = useScopeOverDovecot();

const cli = (...args: string[]): Promise<string> => runSubcommand(stack().scope.dataDir, ...args);

/** The audit rows the archive has for the session, oldest first, once its close is archived. */
async function auditOf(user: string, sessions: number): Promise<AuditAction[]> {
  for (let i = 0; i < 100; i++) {
    const out = await cli('audit', '--user', user, '--format', 'jsonl');
    const rows = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditAction)
      .reverse();
    if (
      new Set(rows.map((r) => r.session)).size >= sessions &&
      rows.some((r) => r.kind === 'read')
    ) {
      return rows;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the audit trail never showed both sessions');
}

describe('the audit trail of a real user against Dovecot', () => {
  it('lists the logins, appends, reads, flag changes, moves, expunges and mailbox changes the user made, and nothing else', async () => {
    const { scope, dovecot } = stack();
    const { first, second } = await runAuditWorkload(scope, dovecot);

    const rows = await auditOf(dovecot.user, 2);
    const summary = rows.map((r) =>
      `${r.kind} ${r.status} ${r.mailbox ?? ''}${r.target ? ' → ' + r.target : ''}`.trim(),
    );
    expect(summary).toEqual(AUDIT_ACTIONS);
    const by = (kind: string) => rows.filter((r) => r.kind === kind);
    expect(
      by('login').every((r) => r.user === dovecot.user && r.client.startsWith('127.0.0.1:')),
    ).toBe(true);
    expect(by('append').map((r) => r.messages[0]?.messageId)).toEqual([
      '<audit-1@example.org>',
      '<audit-2@example.org>',
    ]);
    expect(by('append')[0]!.flags).toBe('(\\Flagged)');
    expect(by('append').map((r) => r.uids)).toEqual([String(first), String(second)]);
    expect(by('flags')[0]).toMatchObject({
      flags: '+FLAGS (\\Seen)',
      messages: [{ uid: first, subject: 'audit 1' }],
    });
    expect(by('move')[0]!.messages).toMatchObject([{ uid: second, subject: 'audit 2' }]);
    expect(by('move')[0]!.uids).toMatch(new RegExp(`^${second}→\\d+$`));
    expect(by('flags')[1]!.flags).toBe('+FLAGS (\\Deleted)');
    expect(by('expunge')[0]!.messages).toMatchObject([{ uid: first, subject: 'audit 1' }]);
    expect(by('read')[0]!.messages).toMatchObject([{ seq: 1 }]);
    expect(JSON.stringify(rows)).not.toContain(dovecot.password);

    // The log has one `action` line per action, with the same kinds in the same order.
    await scope.waitForLog((l) => l.msg === 'action' && l.kind === 'read');
    const logged = scope.logs.filter((l) => l.msg === 'action' && l.user === dovecot.user);
    expect(logged.map((l) => `${String(l.kind)} ${String(l.status)}`)).toEqual(
      rows.map((r) => `${r.kind} ${r.status}`),
    );
    expect(logged.find((l) => l.kind === 'move')).toMatchObject({
      mailbox: 'INBOX',
      target: 'Kept',
    });

    // The REST API answers the same from the same rows.
    const api = new URL('/api/audit', scope.url);
    api.searchParams.set('token', new URL(scope.url).searchParams.get('token')!);
    api.searchParams.set('user', dovecot.user);
    const viaApi = (await (await fetch(api)).json()) as AuditAction[];
    // (the CLI adds an ISO `time` beside `at`)
    expect(viaApi.reverse().map((r) => ({ ...r, time: new Date(r.at).toISOString() }))).toEqual(
      rows,
    );

    // The filters narrow it; the table and CSV forms carry the same rows.
    const moves = await cli('audit', '--user', dovecot.user, '--kind', 'move', '--format', 'csv');
    expect(moves.trim().split('\n')).toHaveLength(2);
    expect(moves).toContain('Kept');
    const table = await cli('audit', '--mailbox', 'Kept', '--since', '1h');
    expect(table.split('\n')[0]).toMatch(/^time\s+user\s+client\s+kind/);
    expect(table).toMatch(/\bread\b/);

    const stats = await cli('stats', '--format', 'jsonl');
    const byCommand = new Map(
      stats
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { command: string; count: number; ok: number })
        .map((s) => [s.command, s]),
    );
    expect(byCommand.get('LOGIN')).toMatchObject({ ok: 1 });
    expect(byCommand.get('APPEND')).toMatchObject({ count: 2, ok: 2 });
    expect(byCommand.get('UID MOVE')).toMatchObject({ count: 1 });
  });

  it('refuses a bad kind or time with one line naming the flag and exit 2', async () => {
    await expect(cli('audit', '--kind', 'reed')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^imapscope: --kind reed: use one of login, /),
    });
    await expect(cli('stats', '--since', 'yesterday')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^imapscope: --since yesterday: use an ISO date/),
    });
  });
});
