import { describe, expect, it } from 'vitest';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';

function pipeline(): SessionPipeline {
  return new SessionPipeline({
    session: 'gap',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
  });
}

const s2c = (text: string, at: number) => [
  { direction: 's2c' as const, data: Buffer.from(text), at },
];
const c2s = (text: string, at: number) => [
  { direction: 'c2s' as const, data: Buffer.from(text), at },
];
const base64Lines = (n: number): string =>
  'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw\r\n'.repeat(n);

describe('after an inspection gap', () => {
  it('skips the rest of the literal it fell into without a Malformed event per line, then decodes again', () => {
    const p = pipeline();
    const events: ImapscopeEvent[] = [];
    events.push(...p.push(s2c('* PREAUTH hi\r\n', 1001)).events);
    events.push(...p.push(c2s('a1 FETCH 1 BODY[]\r\n', 1002)).events);
    events.push(...p.push(s2c(`* 1 FETCH (BODY[] {100000}\r\n${base64Lines(10)}`, 1003)).events);
    // The inspection thread lost some chunks: what follows starts in the middle of the literal.
    events.push(...p.gap('s2c', 3, 60_000).events);
    events.push(...p.push(s2c(base64Lines(200), 1004)).events);
    events.push(...p.push(s2c(')\r\na1 OK done\r\n', 1005)).events);
    events.push(...p.push(c2s('a2 NOOP\r\n', 1006)).events);
    events.push(...p.push(s2c('a2 OK noop\r\n', 1007)).events);

    expect(events.filter((e) => e.type === 'malformed')).toHaveLength(0);
    expect(events.filter((e) => e.type === 'gap')).toHaveLength(1);
    const exchanges = events.filter((e) => e.type === 'exchange');
    expect(exchanges.map((e) => [e.tag, e.status])).toEqual([
      ['a1', 'OK'],
      ['a2', 'OK'],
    ]);
  });

  it('still reports Malformed bytes when there was no gap', () => {
    const p = pipeline();
    const events = [
      ...p.push(s2c('* PREAUTH hi\r\n', 1001)).events,
      ...p.push(s2c(base64Lines(3), 1002)).events,
    ];
    expect(events.filter((e) => e.type === 'malformed')).toHaveLength(3);
  });
});
