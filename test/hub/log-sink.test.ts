import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logSink } from '../../proxy/hub/log-sink.ts';
import { run } from '../session/dialog.ts';

describe('the log sink', () => {
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
