import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { logSink } from '../../proxy/hub/log-sink.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import { LOGIN_SCRIPT, play } from './helpers.ts';
import { run } from '../session/dialog.ts';

function logged(level: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const hub = new Hub();
  hub.add(logSink(log));
  play(hub, 's1', [
    ...LOGIN_SCRIPT.slice(0, -2),
    ['c2s', 'a4 FETCH 1 FLAGS\r\n'],
    ['s2c', 'a4 BAD no mailbox\r\n'],
    ['c2s', 'a5 DELETE nope\r\n'],
    ['s2c', 'a5 NO no such mailbox\r\n'],
    ...LOGIN_SCRIPT.slice(-2),
  ]);
  return lines;
}

describe('the log sink', () => {
  it('writes no line per exchange at info, but one summary line when the session closes', () => {
    const lines = logged('info');
    expect(lines.filter((l) => l.msg === 'exchange')).toEqual([]);
    const closes = lines.filter((l) => l.msg === 'session close');
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({
      level: 30,
      session: 's1',
      client: '127.0.0.1:50000',
      upstream: '127.0.0.1:143',
      user: 'alice',
      exchanges: 6,
      nos: 1,
      bads: 1,
      reason: 'closed',
    });
    expect(closes[0]!.lints).toEqual(expect.any(Number));
    expect(closes[0]!.bytesC2s).toBeGreaterThan(0);
    expect(closes[0]!.bytesS2c).toBeGreaterThan(0);
    expect(closes[0]!.durationMs).toEqual(expect.any(Number));
  });

  it('counts the inspection gaps and their dropped bytes in the summary line', () => {
    const lines: Record<string, unknown>[] = [];
    const hub = new Hub();
    hub.add(logSink(pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) })));
    const inspector = createSessionInspector(
      {
        id: 's1',
        client: { host: '::1', port: 50000 },
        upstream: { host: '127.0.0.1', port: 143 },
        startedAt: 1_000,
      },
      { hub },
    );
    inspector.chunks([{ direction: 's2c', data: Buffer.from('* OK ready\r\n'), at: 1_001 }]);
    inspector.gap('s2c', 2, 300, 1_002);
    inspector.gap('c2s', 1, 20, 1_003);
    inspector.close();
    inspector.closed({ bytes: { c2s: 20, s2c: 312 }, reason: 'closed', durationMs: 5 });
    const close = lines.find((l) => l.msg === 'session close');
    expect(close).toMatchObject({ client: '[::1]:50000', gaps: 2, gapBytes: 320 });
  });

  it('writes state changes at debug only, with where the session went', () => {
    const changes = (level: string): unknown[] =>
      logged(level)
        .filter((l) => l.msg === 'state change')
        .map((l) => [l.level, l.to]);
    expect(changes('info')).toEqual([]);
    expect(changes('debug')).toEqual([
      [20, 'authenticated'],
      [20, 'selected'],
      [20, 'logout'],
    ]);
  });

  it('writes each exchange at debug, with its tag, command, status and latency', () => {
    const exchanges = logged('debug').filter((l) => l.msg === 'exchange');
    expect(exchanges.map((l) => [l.tag, l.command, l.status, l.level])).toEqual([
      ['a1', 'LOGIN', 'OK', 20],
      ['a2', 'LOGIN', 'OK', 20],
      ['a3', 'SELECT', 'OK', 20],
      ['a4', 'FETCH', 'BAD', 20],
      ['a5', 'DELETE', 'NO', 20],
      ['a4', 'LOGOUT', 'OK', 20],
    ]);
  });

  it('logs a malformed message as a warning, without its bytes', () => {
    const lines: Record<string, unknown>[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const sink = logSink(pino({ level: 'warn' }, out));
    sink.write(run(['S:* OK hi\r\n', 'C:a1 LOGIN alice pw (\r\n']).events);
    const malformed = lines.filter((l) => l.msg === 'malformed');
    expect(malformed).toMatchObject([{ level: 40, direction: 'c2s', code: 'ERR_WIRE_SYNTAX' }]);
    expect(JSON.stringify(lines)).not.toContain('pw (');
  });
});
