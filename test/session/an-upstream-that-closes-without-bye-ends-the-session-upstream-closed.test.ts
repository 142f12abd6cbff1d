import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import { Capture } from '../hub/helpers.ts';
import type { CloseReason } from '../../shared/close-reason.ts';

/** Plays a conversation and closes it with the relay's word on who closed first. */
function run(
  script: ['c2s' | 's2c', string][],
  closedFirst: 'client' | 'upstream' | null,
  reason: CloseReason = 'closed',
): ImapscopeEvent[] {
  const hub = new Hub();
  const capture = new Capture();
  hub.add(capture);
  const inspector = createSessionInspector(
    {
      id: 's',
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
      startedAt: 1,
    },
    { hub },
  );
  let at = 1;
  for (const [direction, text] of script) {
    inspector.chunks([{ direction, data: Buffer.from(text), at: ++at }]);
  }
  inspector.close();
  inspector.closed({ bytes: { c2s: 0, s2c: 0 }, reason, durationMs: at, closedFirst });
  return capture.events;
}

const SELECTED: ['c2s' | 's2c', string][] = [
  ['s2c', '* OK ready\r\n'],
  ['c2s', 'a1 LOGIN alice secret\r\n'],
  ['s2c', 'a1 OK done\r\n'],
  ['c2s', 'a2 FETCH 1 (FLAGS)\r\n'],
];

describe('an upstream that closes without BYE', () => {
  it('gets a lint after the server’s last response, before the command it aborted, and ends upstream-closed', () => {
    const events = run(SELECTED, 'upstream');
    const types = events.map((e) => (e.type === 'lint' ? e.code : e.type));
    const lint = types.indexOf('LINT_UPSTREAM_CLOSED');
    const lastServer = events.findLastIndex((e) => e.type === 'message' && e.direction === 's2c');
    const aborted = events.findIndex((e) => e.type === 'exchange' && e.status === 'aborted');
    expect(lastServer).toBeLessThan(lint);
    expect(lint).toBeLessThan(aborted);
    expect(events[lint]).toMatchObject({ relatedSeq: events[lastServer]!.seq, severity: 'error' });
    expect(events.at(-1)).toMatchObject({ type: 'session.close', reason: 'upstream-closed' });
  });

  it('is an ordinary close after a BYE, or when the client closed first, or on a reset', () => {
    const logout: ['c2s' | 's2c', string][] = [
      ...SELECTED,
      ['s2c', 'a2 OK done\r\n'],
      ['c2s', 'a3 LOGOUT\r\n'],
      ['s2c', '* BYE bye\r\na3 OK done\r\n'],
    ];
    for (const [script, first, reason] of [
      [logout, 'upstream', 'closed'],
      [SELECTED, 'client', 'closed'],
      [SELECTED, null, 'closed'],
      [SELECTED, 'upstream', 'upstream-reset'],
    ] as const) {
      const events = run([...script], first, reason);
      expect(events.some((e) => e.type === 'lint' && e.code === 'LINT_UPSTREAM_CLOSED')).toBe(
        false,
      );
      expect(events.at(-1)).toMatchObject({ type: 'session.close', reason });
    }
  });
});
