import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { useScopeOverDovecot } from '../helpers/scope-over-dovecot.ts';
import { connectViewer } from '../helpers/viewer-client.ts';
import { converse } from '../helpers/raw-imap.ts';

const stack = useScopeOverDovecot();

describe('the archive under SIGKILL', () => {
  it('keeps every event older than a second, reopens and passes integrity_check', async () => {
    const { scope, dovecot } = stack();
    const viewer = await connectViewer(scope.url);
    const seen: { at: number; event: ImapscopeEvent }[] = [];
    viewer.ws.on('message', () => {
      const m = viewer.messages[viewer.messages.length - 1];
      if (m?.type === 'events') for (const e of m.events) seen.push({ at: Date.now(), event: e });
    });
    // Traffic that keeps going until the kill: short sessions of NOOPs on three connections.
    let running = true;
    const commands = [
      `LOGIN ${dovecot.user} ${dovecot.password}`,
      ...Array(20).fill('NOOP'),
      'LOGOUT',
    ];
    const loops = [0, 1, 2].map(async () => {
      while (running) {
        await converse(scope.listen.host, scope.listen.port, commands, 5_000).catch(() => {
          running = false;
        });
      }
    });
    await new Promise((r) => setTimeout(r, 2_500));
    // Listen for the exit before the kill: the process may be gone before the loops settle.
    const exited = new Promise((r) => scope.process.once('exit', r));
    const killedAt = Date.now();
    scope.process.kill('SIGKILL');
    running = false;
    await exited;
    await Promise.allSettled(loops);

    const db = new Database(path.join(scope.dataDir, 'archive.sqlite'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = new Set(
      (db.prepare('SELECT gseq FROM events').pluck().all() as number[]).map(Number),
    );
    const old = seen.filter((s) => s.at < killedAt - 1_000);
    expect(old.length).toBeGreaterThan(100);
    expect(old.filter((s) => !stored.has(s.event.gseq))).toEqual([]);
    db.close();
  });
});
