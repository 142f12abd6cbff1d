/**
 * Pairing work stays linear in the number of commands (issue 11, finding 2: 10,000 pipelined
 * NOOPs took 19 s, 100,000 never finished). Work is counted, not timed: the tracker counts
 * every in-flight entry it visits in an injected counter. The 100,000-command cases drive the
 * tracker with decoded messages directly (decoding them is the decoder's cost, not pairing's).
 */
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { Command, TaggedResponse } from '../../shared/messages.ts';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { SessionTracker } from '../../proxy/session/tracker.ts';
import { MAX_IN_FLIGHT_COMMANDS } from '../../proxy/limits.ts';

const N = 100_000;

/** A tracker after a PREAUTH greeting, counting its work in `work`. */
function tracker(work: { ops: number }): SessionTracker {
  const t = new SessionTracker({ session: 't', work });
  t.message(
    {
      type: 'greeting',
      direction: 's2c',
      offset: 0,
      length: 14,
      raw: '',
      bareLf: false,
      status: 'PREAUTH',
      code: null,
      text: 'hi',
    },
    1,
  );
  return t;
}

let offset = 0;
function command(tag: string, text: string): Command {
  const [name = '', ...rest] = text.split(' ');
  const args = rest.map((value) => ({ type: 'atom' as const, value }));
  offset += 32;
  return {
    type: 'command',
    direction: 'c2s',
    offset,
    length: 32,
    raw: `${tag} ${text}`,
    bareLf: false,
    tag,
    name,
    uid: false,
    args,
  };
}

function tagged(tag: string, status: 'OK' | 'NO'): TaggedResponse {
  return {
    type: 'tagged',
    direction: 's2c',
    offset: 0,
    length: 0,
    raw: '',
    bareLf: false,
    tag,
    status,
    code: null,
    text: '',
  };
}

function pipeline(work: { ops: number }): SessionPipeline {
  return new SessionPipeline({
    session: 't',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
    work,
  });
}

const lines = (n: number, line: (i: number) => string): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => line(i)).join(''));

const count = (events: ImapscopeEvent[], type: string, code?: string): number =>
  events.filter((e) => e.type === type && (code === undefined || ('code' in e && e.code === code)))
    .length;

describe('the in-flight commands of a session', () => {
  it(`cost linear work for ${N.toLocaleString('en')} pipelined NOOPs, pairing up to the cap`, () => {
    const work = { ops: 0 };
    const t = tracker(work);
    for (let i = 0; i < N; i++) t.message(command(`n${i}`, 'NOOP'), 2);
    for (let i = 0; i < N; i++) t.message(tagged(`n${i}`, 'OK'), 3);
    const events = t.take();
    expect(work.ops).toBeGreaterThanOrEqual(N);
    expect(work.ops).toBeLessThanOrEqual(4 * N);
    // One lint for the excess, which then goes unpaired without a lint per answer.
    expect(count(events, 'lint', 'LINT_TOO_MANY_IN_FLIGHT')).toBe(1);
    expect(count(events, 'lint')).toBe(1);
    expect(count(events, 'exchange')).toBe(MAX_IN_FLIGHT_COMMANDS);
    expect(count(events, 'message')).toBe(1 + 2 * N);
  });

  it(`cost linear work for ${N.toLocaleString('en')} commands that change state, answered in batches`, () => {
    const work = { ops: 0 };
    const t = tracker(work);
    const batch = MAX_IN_FLIGHT_COMMANDS / 2;
    // Each batch: SELECT, FETCHes that are valid because the SELECT before them is in flight,
    // and a CLOSE; every other SELECT fails, which breaks the projection once per batch.
    for (let b = 0; b < N / batch; b++) {
      const tag = (i: number): string => `b${b}.${i}`;
      for (let i = 0; i < batch; i++) {
        const text = i === 0 ? 'SELECT INBOX' : i === batch - 1 ? 'CLOSE' : 'FETCH 1 FLAGS';
        t.message(command(tag(i), text), 2);
      }
      for (let i = 0; i < batch; i++) t.message(tagged(tag(i), i === 0 && b % 2 ? 'NO' : 'OK'), 3);
    }
    const events = t.take();
    expect(work.ops).toBeLessThanOrEqual(6 * N);
    expect(count(events, 'exchange')).toBe(N);
    // Each FETCH is judged in the state projected when it was sent (its SELECT in flight).
    expect(count(events, 'lint', 'LINT_COMMAND_INVALID_STATE')).toBe(0);
    expect(count(events, 'lint', 'LINT_TOO_MANY_IN_FLIGHT')).toBe(0);
  });

  it('pairs exactly MAX_IN_FLIGHT_COMMANDS in flight, and flags one more', () => {
    const at = (n: number): ImapscopeEvent[] => {
      const p = pipeline({ ops: 0 });
      const events = p.push([
        { direction: 's2c', data: Buffer.from('* PREAUTH hi\r\n'), at: 1 },
      ]).events;
      events.push(
        ...p.push([{ direction: 'c2s', data: lines(n, (i) => `n${i} NOOP\r\n`), at: 2 }]).events,
      );
      events.push(
        ...p.push([{ direction: 's2c', data: lines(n, (i) => `n${i} OK\r\n`), at: 3 }]).events,
      );
      return events;
    };
    const full = at(MAX_IN_FLIGHT_COMMANDS);
    expect(count(full, 'lint')).toBe(0);
    expect(count(full, 'exchange')).toBe(MAX_IN_FLIGHT_COMMANDS);
    const over = at(MAX_IN_FLIGHT_COMMANDS + 1);
    expect(count(over, 'lint', 'LINT_TOO_MANY_IN_FLIGHT')).toBe(1);
    expect(count(over, 'exchange')).toBe(MAX_IN_FLIGHT_COMMANDS);
  });
});
