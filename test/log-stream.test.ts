import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LogStream } from '../proxy/log-stream.ts';
import { WarnThrottle } from '../proxy/log.ts';

/** `cat` between a pipe we write and one we read: a log reader we can stall and resume. */
function catPipe(): {
  fd: number;
  read(until: (text: string) => boolean): Promise<string>;
  end(): void;
} {
  const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
  const fd = (cat.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  return {
    fd,
    read: (until) =>
      new Promise((resolve) => {
        let text = '';
        cat.stdout.on('data', (c: Buffer) => {
          text += c.toString('latin1');
          if (until(text)) resolve(text);
        });
      }),
    end: () => cat.kill(),
  };
}

const line = (i: number): string => JSON.stringify({ level: 30, i, msg: 'x'.repeat(1000) }) + '\n';

describe('LogStream', () => {
  it('never blocks on a stalled reader: queues up to its capacity, drops and counts the rest, then says how many', async () => {
    const pipe = catPipe();
    const stream = new LogStream({ fd: pipe.fd, capacity: 64 * 1024, retryMs: 5 });
    // Nobody reads cat's output yet: the pipes fill, then the queue, then lines are dropped.
    for (let i = 0; i < 2000; i++) stream.write(line(i));
    expect(stream.droppedTotal).toBeGreaterThan(0);
    const text = await pipe.read((t) => t.includes('log lines dropped'));
    pipe.end();

    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const notice = lines.at(-1)!;
    expect(notice).toMatchObject({ level: 40, droppedLines: stream.droppedTotal });
    // Every line arrived whole and in order; the ones missing are exactly those counted.
    const kept = lines.slice(0, -1).map((l) => l.i as number);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept.length + stream.droppedTotal).toBe(2000);
  });

  it('writes lines at once, without queueing, while the reader keeps up', async () => {
    const pipe = catPipe();
    const stream = new LogStream({ fd: pipe.fd });
    const reading = pipe.read((t) => t.split('\n').length > 10);
    for (let i = 0; i < 10; i++) stream.write(line(i));
    const text = await reading;
    pipe.end();
    expect(stream.droppedTotal).toBe(0);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('WarnThrottle', () => {
  it('reports the first hit at once, then at most once per interval with the count since', () => {
    let now = 0;
    const t = new WarnThrottle(30_000, () => now);
    expect(t.hit()).toBe(1);
    now = 10_000;
    expect([t.hit(), t.hit()]).toEqual([null, null]);
    now = 29_999;
    expect(t.hit()).toBeNull();
    now = 30_000;
    expect(t.hit()).toBe(4);
  });
});
