import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useDovecot } from '../helpers/dovecot.ts';
import { startImapscope, type Imapscope } from '../helpers/imapscope.ts';
import { exitWithin, rawClient, type RawClient } from '../helpers/raw-client.ts';

const dovecot = useDovecot();
const TOKEN = 'lifecycle-token-1';
const BYE = '* BYE [UNAVAILABLE] imapscope shutting down\r\n';
const dataDirs: string[] = [];
const scopes: Imapscope[] = [];
afterAll(async () => {
  for (const s of scopes) await s.stop();
  for (const d of dataDirs) await rm(d, { recursive: true, force: true });
});

async function scopeOn(data: string, drainSeconds: number): Promise<Imapscope> {
  const d = dovecot();
  const scope = await startImapscope([
    '--upstream',
    `${d.host}:${d.port}`,
    ...['--data', data, '--token', TOKEN, '--drain-seconds', String(drainSeconds)],
  ]);
  scopes.push(scope);
  return scope;
}

/** A client logged in to Dovecot through imapscope, with INBOX selected. */
async function loggedIn(scope: Imapscope, closeOnBye: boolean): Promise<RawClient> {
  const d = dovecot();
  const c = rawClient(scope.listen.host, scope.listen.port, closeOnBye);
  await c.waitFor(/^\* OK/m);
  c.write(`a1 LOGIN ${d.user} ${d.password}\r\na2 SELECT INBOX\r\n`);
  await c.waitFor(/^a2 OK/m);
  return c;
}

/** A client in the middle of an APPEND: 9 of the literal's 100 bytes sent. */
async function midLiteral(scope: Imapscope): Promise<RawClient> {
  const c = await loggedIn(scope, true);
  c.write('b1 APPEND INBOX {100}\r\n');
  await c.waitFor(/^\+ /m);
  c.write('From: x\r\n');
  return c;
}

interface SessionRow {
  id: string;
  endedAt: number | null;
  reason: string | null;
}

describe('SIGTERM', () => {
  it('sends a BYE to a client between commands, never inside a literal, drains, records every close and exits 0', async () => {
    const data = await mkdtemp(path.join(os.tmpdir(), 'imapscope-sigterm-'));
    dataDirs.push(data);
    const scope = await scopeOn(data, 3);
    const between = await loggedIn(scope, true);
    const inside = await midLiteral(scope);

    scope.process.kill('SIGTERM');
    // Bounds, not measurements: 3 s of drain, then a few seconds to record and flush.
    const status = await exitWithin(scope.process, 15_000);
    expect(status).toEqual({ code: 0, signal: null });
    await Promise.all([between.closed, inside.closed]);
    // The client between commands read the BYE as the last line; the one inside a literal
    // read none (it would have been taken for part of the command) and was closed at the end.
    expect(between.text.endsWith(BYE)).toBe(true);
    expect(inside.text).not.toContain('BYE');

    const again = await scopeOn(data, 3);
    expect(again.logs.filter((l) => /crash/.test(String(l.msg)))).toEqual([]);
    const res = await fetch(`http://${again.ui.host}:${again.ui.port}/api/sessions`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const rows = (await res.json()) as SessionRow[];
    expect(rows).toHaveLength(2);
    // Newest first: the client inside a literal was closed by the shutdown, the other left.
    expect(rows.map((r) => r.reason)).toEqual(['shutdown', 'closed']);
    for (const r of rows) expect(r.endedAt).toEqual(expect.any(Number));
  });

  it('a second signal ends the process at once with 143, without waiting for the drain', async () => {
    const data = await mkdtemp(path.join(os.tmpdir(), 'imapscope-sigterm-'));
    dataDirs.push(data);
    const scope = await scopeOn(data, 600);
    const inside = await midLiteral(scope);
    scope.process.kill('SIGTERM');
    await scope.waitForLog((l) => l.msg === 'shutting down');
    scope.process.kill('SIGTERM');
    expect(await exitWithin(scope.process, 10_000)).toEqual({ code: 143, signal: null });
    await inside.closed;
  });
});
