/** Drives the real inspection pipeline into a hub, for hub tests: chunks in, events and raw out. */
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { Hub, RawChunk, Sink } from '../../proxy/hub/hub.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';

export class Capture implements Sink {
  readonly name = 'capture';
  events: ImapscopeEvent[] = [];
  chunks: RawChunk[] = [];
  write(events: readonly ImapscopeEvent[]): void {
    this.events.push(...events);
  }
  raw(chunks: readonly RawChunk[]): void {
    // Copied: a sink gets the bytes only for the call, as the archive does (it writes them).
    for (const c of chunks) this.chunks.push({ ...c, data: Buffer.from(c.data) });
  }
  bytes(direction: 'c2s' | 's2c', session?: string): Buffer {
    return Buffer.concat(
      this.chunks
        .filter((c) => c.direction === direction && (!session || c.session === session))
        .map((c) => Buffer.from(c.data)),
    );
  }
}

/**
 * Plays a conversation (c2s/s2c chunks in order) through a session inspector into `hub`. Each
 * chunk is lent for the call only, in a buffer that is scribbled over afterwards (as a caller
 * reusing its buffers would), so whatever keeps a view instead of a copy is caught.
 */
export function play(
  hub: Hub,
  id: string,
  script: ['c2s' | 's2c', string | Buffer][],
  at = 1_000,
  opts: { keepOpen?: boolean } = {},
): void {
  const inspector = createSessionInspector(
    {
      id,
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
      startedAt: at,
    },
    { hub },
  );
  let t = at;
  let bytes = { c2s: 0, s2c: 0 };
  for (const [direction, data] of script) {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    bytes = { ...bytes, [direction]: bytes[direction] + buf.length };
    const lent = Buffer.from(buf);
    inspector.chunks([{ direction, data: lent, at: ++t }]);
    lent.fill(0x23);
  }
  if (opts.keepOpen) return;
  inspector.close();
  inspector.closed({ bytes, reason: 'closed', durationMs: t - at });
}

export const LOGIN_SCRIPT: ['c2s' | 's2c', string][] = [
  ['s2c', '* OK ready\r\n'],
  ['c2s', 'a1 LOGIN alice "sec'],
  ['c2s', 'ret"\r\n'],
  ['s2c', 'a1 OK logged in\r\n'],
  ['c2s', 'a2 LOGIN {5}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'alice {6}\r\n'],
  ['s2c', '+ go\r\n'],
  ['c2s', 'hunter\r\n'],
  ['s2c', 'a2 OK again\r\n'],
  ['c2s', 'a3 SELECT INBOX\r\n'],
  ['s2c', '* 3 EXISTS\r\na3 OK [READ-WRITE] done\r\n'],
  ['c2s', 'a4 LOGOUT\r\n'],
  ['s2c', '* BYE bye\r\na4 OK done\r\n'],
];
