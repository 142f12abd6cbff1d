/**
 * The COMPRESS and STARTTLS boundaries come from the tracker (issue 12): the pipeline, with
 * `stopAtSwitch`, stops right after the message that switched the transport and says where
 * (chunk index and the byte just past that message), and its decoder goes on from there when
 * the TransportFollower hands it the rest (inflated, held, or as it was after a refusal). The
 * follower itself reads no IMAP.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  SessionPipeline,
  type PipelineOutput,
  type TransportBoundary,
} from '../../proxy/inspection/pipeline.ts';
import { TransportFollower } from '../../proxy/inspection/transport-follower.ts';
import type { TapChunk, TransportEvent } from '../../proxy/transport.ts';
import type { Direction } from '../../shared/direction.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { followedPipeline, taken } from '../helpers/followed-pipeline.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const deflated = (s: string): Buffer =>
  zlib.deflateRawSync(b(s), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
const chunk = (direction: Direction, data: Buffer | string): TapChunk => ({
  direction,
  data: typeof data === 'string' ? b(data) : data,
  at: 5,
});

function pipeline(stopAtSwitch = true): SessionPipeline {
  return new SessionPipeline({
    session: 'switch',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1,
    stopAtSwitch,
  });
}

const GREETING = '* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] ready\r\n';
const COMMAND = 'a1 COMPRESS DEFLATE\r\n';
const OK = 'a1 OK DEFLATE active\r\n';

/** The tagged and untagged messages among `events`, as [direction, raw text, offset]. */
const messages = (events: ImapscopeEvent[]): [Direction, string, number][] =>
  events.flatMap((e) =>
    e.type === 'message' ? [[e.direction, e.message.raw, e.message.offset] as const] : [],
  ) as [Direction, string, number][];

describe('SessionPipeline with stopAtSwitch', () => {
  it('stops right after the OK to COMPRESS and leaves the deflate bytes in its chunk untaken', () => {
    const p = pipeline();
    p.push([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
    const after = deflated('* 1 EXISTS\r\n');
    const out = p.push([
      chunk('s2c', Buffer.concat([b(OK), after])),
      chunk('c2s', deflated('a2 NOOP\r\n')),
    ]);
    expect(out.boundary).toEqual({
      kind: 'compress',
      tag: 'a1',
      status: 'OK',
      index: 0,
      end: OK.length,
    } satisfies TransportBoundary);
    // Nothing of the deflate data was read as IMAP, and only the plaintext went to the archive.
    expect(out.events.filter((e) => e.type === 'malformed')).toEqual([]);
    expect(Buffer.concat(out.raw.map((r) => r.data)).toString('latin1')).toBe(OK);
  });

  it('finds the OK split across chunks at its end in the chunk that completes it', () => {
    const whole = b(OK + 'zz');
    for (let i = 1; i < OK.length; i++) {
      const p = pipeline();
      p.push([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
      const out = p.push([chunk('s2c', whole.subarray(0, i)), chunk('s2c', whole.subarray(i))]);
      expect(out.boundary).toMatchObject({ kind: 'compress', status: 'OK', index: 1 });
      expect(out.boundary!.end).toBe(OK.length - i);
    }
  });

  it('stops after the client COMPRESS command, so that what the client sent behind it waits', () => {
    const p = pipeline();
    p.push([chunk('s2c', GREETING)]);
    const out = p.push([chunk('c2s', Buffer.concat([b(COMMAND), deflated('a2 NOOP\r\n')]))]);
    expect(out.boundary).toEqual({
      kind: 'compress',
      tag: 'a1',
      status: null,
      index: 0,
      end: COMMAND.length,
    });
    expect(out.events.filter((e) => e.type === 'malformed')).toEqual([]);
  });

  it('says where a refused COMPRESS was answered, and decodes on from there as plaintext', () => {
    const p = pipeline();
    p.push([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
    const refusal = 'a1 NO [COMPRESSIONACTIVE] not now\r\n';
    const out = p.push([chunk('s2c', refusal + '* 2 EXISTS\r\n')]);
    expect(out.boundary).toMatchObject({ kind: 'compress', status: 'NO', index: 0 });
    expect(out.boundary!.end).toBe(refusal.length);
    const rest = p.push([chunk('s2c', '* 2 EXISTS\r\n')]);
    expect(rest.boundary).toBeUndefined();
    expect(messages(rest.events)).toEqual([
      ['s2c', '* 2 EXISTS', GREETING.length + refusal.length],
    ]);
  });

  it('stops after a STARTTLS OK and leaves the TLS bytes in its chunk untaken', () => {
    const p = pipeline();
    p.push([chunk('s2c', '* OK ready\r\n'), chunk('c2s', 't1 STARTTLS\r\n')]);
    const out = p.push([chunk('s2c', 't1 OK begin\r\n\x16\x03\x01\x02\x00')]);
    expect(out.boundary).toMatchObject({ kind: 'starttls', tag: 't1', index: 0, end: 13 });
  });

  it('stops at nothing without stopAtSwitch (a rawlog import reads on)', () => {
    const p = pipeline(false);
    p.push([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
    expect(p.push([chunk('s2c', OK)]).boundary).toBeUndefined();
  });
});

describe('TransportFollower driven by the tracker', () => {
  it('reads no IMAP itself: without a switch from its pipeline, COMPRESS and its OK change nothing', () => {
    const got: TapChunk[] = [];
    const events: TransportEvent[] = [];
    const f = new TransportFollower(
      {
        chunks: (batch) => {
          got.push(...batch);
          return null;
        },
        gap() {},
        transport: (e) => events.push(e),
        close() {},
      },
      false,
    );
    f.chunks([chunk('c2s', COMMAND), chunk('s2c', OK + '\xff\xfe')]);
    expect(got.map((c) => c.data.toString('latin1'))).toEqual([COMMAND, OK + '\xff\xfe']);
    expect(events).toEqual([]);
  });

  it('decodes the compressed bytes that came in the OK chunk as the messages after it, offsets going on', () => {
    const events: ImapscopeEvent[] = [];
    const p = pipeline();
    const f = new TransportFollower(
      {
        chunks: (batch) => keep(p.push(batch)).boundary ?? null,
        gap() {},
        transport: (e) => keep(p.transport(e)),
        close() {},
      },
      false,
    );
    const keep = (out: PipelineOutput): PipelineOutput => {
      events.push(...out.events);
      return out;
    };
    const serverAfter = '* 1 EXISTS\r\na2 OK noop\r\n';
    f.chunks([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
    f.chunks([chunk('s2c', Buffer.concat([b(OK), deflated(serverAfter)]))]);
    f.chunks([chunk('c2s', deflated('a2 NOOP\r\n'))]);
    expect(events.filter((e) => e.type === 'malformed')).toEqual([]);
    expect(events.filter((e) => e.type === 'compress.started')).toHaveLength(1);
    const s2cStart = GREETING.length + OK.length;
    expect(messages(events)).toEqual([
      ['s2c', GREETING.trimEnd(), 0],
      ['c2s', COMMAND.trimEnd(), 0],
      ['s2c', OK.trimEnd(), GREETING.length],
      ['s2c', '* 1 EXISTS', s2cStart],
      ['s2c', 'a2 OK noop', s2cStart + 12],
      ['c2s', 'a2 NOOP', COMMAND.length],
    ]);
  });

  it('hands the client bytes held behind a refused COMPRESS on as plaintext, before the rest of the refusal chunk', () => {
    const { inner, record } = followedPipeline();
    const f = new TransportFollower(inner, false);
    f.chunks([chunk('s2c', GREETING), chunk('c2s', COMMAND + 'a2 NOOP\r\n')]);
    // The NOOP waits: it may be deflate data until the answer says otherwise.
    expect(taken(record, 'c2s')).toBe(COMMAND);
    f.chunks([chunk('s2c', 'a1 BAD no\r\na2 OK noop\r\n'), chunk('c2s', 'a3 NOOP\r\n')]);
    expect(taken(record, 'c2s')).toBe(COMMAND + 'a2 NOOP\r\na3 NOOP\r\n');
    expect(taken(record, 's2c')).toBe(GREETING + 'a1 BAD no\r\na2 OK noop\r\n');
    expect(record.transport).toEqual([]);
    // Plain in order: the held NOOP came between the refusal and the rest of its chunk.
    expect(record.chunks.map((c) => [c.direction, c.data.toString('latin1')])).toEqual([
      ['s2c', GREETING],
      ['c2s', COMMAND],
      ['s2c', 'a1 BAD no\r\n'],
      ['c2s', 'a2 NOOP\r\n'],
      ['s2c', 'a2 OK noop\r\n'],
      ['c2s', 'a3 NOOP\r\n'],
    ]);
  });

  it('holds nothing and switches nothing for a second COMPRESS inside the deflate streams', () => {
    const { inner, record } = followedPipeline();
    const f = new TransportFollower(inner, false);
    const client = deflated('a2 COMPRESS DEFLATE\r\na3 NOOP\r\n');
    const server = deflated('a2 NO [COMPRESSIONACTIVE] once is enough\r\na3 OK noop\r\n');
    f.chunks([chunk('s2c', GREETING), chunk('c2s', COMMAND), chunk('s2c', OK)]);
    f.chunks([chunk('c2s', client), chunk('s2c', server)]);
    expect(taken(record, 'c2s')).toBe(COMMAND + 'a2 COMPRESS DEFLATE\r\na3 NOOP\r\n');
    expect(taken(record, 's2c')).toBe(
      GREETING + OK + 'a2 NO [COMPRESSIONACTIVE] once is enough\r\na3 OK noop\r\n',
    );
    expect(record.transport.map((e) => e.type)).toEqual(['compress.started']);
  });

  it('inflates client bytes in the same batch right behind the OK, every byte split', () => {
    const server = Buffer.concat([b(OK), deflated('* 4 EXISTS\r\n')]);
    const client = deflated('a2 NOOP\r\n');
    for (let i = 1; i < server.length; i++) {
      const { inner, record } = followedPipeline();
      const f = new TransportFollower(inner, false);
      f.chunks([chunk('s2c', GREETING), chunk('c2s', COMMAND)]);
      f.chunks([
        chunk('s2c', server.subarray(0, i)),
        chunk('s2c', server.subarray(i)),
        chunk('c2s', client),
      ]);
      expect(taken(record, 's2c')).toBe(GREETING + OK + '* 4 EXISTS\r\n');
      expect(taken(record, 'c2s')).toBe(COMMAND + 'a2 NOOP\r\n');
    }
  });
});
