/**
 * The inspection thread's TransportFollower (sans-I/O): chunks in, the plaintext its pipeline
 * sees and the transport events out. The chunk that carries a COMPRESS answer (or a STARTTLS
 * one passed through end to end) also carries the first bytes of the new transport more often
 * than not; whatever the relay's reads made of it, inflation must start at exactly the byte
 * after the line that ends the plaintext, in both directions.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  TransportFollower,
  type FollowState,
  type FollowerOptions,
} from '../../proxy/inspection/transport-follower.ts';
import type { Direction } from '../../shared/direction.ts';
import type { TapChunk, TransportEvent } from '../../proxy/transport.ts';
import { followedPipeline, taken } from '../helpers/followed-pipeline.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const deflated = (s: string): Buffer =>
  zlib.deflateRawSync(b(s), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

interface Seen {
  c2s: string;
  s2c: string;
  events: TransportEvent[];
  gaps: Direction[];
  states: FollowState[];
}

/**
 * Feeds `steps` (each one tap batch) to a fresh follower in front of the session's pipeline
 * (whose tracker finds the switches); returns the plaintext the pipeline took and what else
 * its inspector got. `lent`: each batch's bytes are lent for the call only (as the inspection
 * thread's slabs are): scribbled over after it; the recorder copies what it gets at once.
 */
function follow(
  steps: TapChunk[][],
  interceptsStarttls = false,
  options: Omit<FollowerOptions, 'onState'> = {},
  lent = false,
): Seen {
  const seen: Seen = { c2s: '', s2c: '', events: [], gaps: [], states: [] };
  const { inner, record } = followedPipeline();
  const f = new TransportFollower(inner, interceptsStarttls, {
    ...options,
    onState: (s) => seen.states.push(s),
  });
  for (const step of steps) {
    const batch = lent ? step.map((c) => ({ ...c, data: Buffer.from(c.data) })) : step;
    f.chunks(batch);
    if (lent) for (const c of batch) c.data.fill(0x23);
  }
  f.close();
  seen.c2s = taken(record, 'c2s');
  seen.s2c = taken(record, 's2c');
  seen.events = record.transport;
  seen.gaps = record.gaps;
  return seen;
}

const chunk = (direction: Direction, data: Buffer): TapChunk => ({ direction, data, at: 7 });

/** Every way to cut `data` in two (empty parts left out), plus whole and byte by byte. */
function everySplit(data: Buffer): Buffer[][] {
  const ways: Buffer[][] = [[data], [...data].map((x) => Buffer.from([x]))];
  for (let i = 1; i < data.length; i++) ways.push([data.subarray(0, i), data.subarray(i)]);
  return ways;
}

const PRELUDE_C2S = 'a1 CAPABILITY\r\n';
const PRELUDE_S2C = '* OK ready\r\n* CAPABILITY IMAP4rev1 COMPRESS=DEFLATE\r\na1 OK done\r\n';
const COMMAND = 'a2 COMPRESS DEFLATE\r\n';
const ANSWER = 'a2 OK DEFLATE active\r\n';
const CLIENT_AFTER = 'a3 SELECT INBOX\r\na4 APPEND INBOX {11+}\r\nhello world\r\n';
const SERVER_AFTER = '* 3 EXISTS\r\n* FLAGS (\\Seen)\r\na3 OK [READ-WRITE] done\r\n';
const STARTED = { type: 'compress.started', algorithm: 'DEFLATE', tag: 'a2', at: 7 };

describe('TransportFollower at the COMPRESS boundary', () => {
  it('inflates the server stream from the byte after its OK, wherever the chunk with both splits', () => {
    const boundary = Buffer.concat([b(ANSWER), deflated(SERVER_AFTER)]);
    for (const parts of everySplit(boundary)) {
      const seen = follow([
        [chunk('c2s', b(PRELUDE_C2S)), chunk('s2c', b(PRELUDE_S2C)), chunk('c2s', b(COMMAND))],
        parts.map((p) => chunk('s2c', p)),
        [chunk('c2s', deflated(CLIENT_AFTER))],
      ]);
      expect(seen.s2c).toBe(PRELUDE_S2C + ANSWER + SERVER_AFTER);
      expect(seen.c2s).toBe(PRELUDE_C2S + COMMAND + CLIENT_AFTER);
      expect(seen.events).toEqual([STARTED]);
      expect(seen.states).toEqual(['compressed']);
    }
  });

  it('inflates the client stream from the byte after its command line, sent before the OK, split anywhere', () => {
    // The client pipelines compressed commands right behind COMPRESS: held until the answer.
    const boundary = Buffer.concat([b(COMMAND), deflated(CLIENT_AFTER)]);
    for (const parts of everySplit(boundary)) {
      const seen = follow([
        [chunk('s2c', b(PRELUDE_S2C))],
        parts.map((p) => chunk('c2s', p)),
        [chunk('s2c', Buffer.concat([b(ANSWER), deflated(SERVER_AFTER)]))],
      ]);
      expect(seen.c2s).toBe(COMMAND + CLIENT_AFTER);
      expect(seen.s2c).toBe(PRELUDE_S2C + ANSWER + SERVER_AFTER);
      expect(seen.events).toEqual([STARTED]);
    }
  });

  it('keeps its own copy of the client bytes it holds until the answer: tap chunks are only lent', () => {
    const boundary = Buffer.concat([b(COMMAND), deflated(CLIENT_AFTER)]);
    for (const parts of everySplit(boundary)) {
      const steps = [
        [chunk('s2c', b(PRELUDE_S2C))],
        parts.map((p) => chunk('c2s', p)),
        [chunk('s2c', Buffer.concat([b(ANSWER), deflated(SERVER_AFTER)]))],
      ];
      const seen = follow(steps, false, {}, true);
      expect(seen.c2s).toBe(COMMAND + CLIENT_AFTER);
      expect(seen.s2c).toBe(PRELUDE_S2C + ANSWER + SERVER_AFTER);
    }
  });

  it('gives the same streams when each part of both boundaries comes in a tap batch of its own', () => {
    const server = Buffer.concat([b(ANSWER), deflated(SERVER_AFTER)]);
    const client = Buffer.concat([b(COMMAND), deflated(CLIENT_AFTER)]);
    for (let i = 1; i < client.length; i += 3) {
      for (let j = 1; j < server.length; j += 3) {
        const seen = follow([
          [chunk('c2s', client.subarray(0, i))],
          [chunk('c2s', client.subarray(i)), chunk('s2c', server.subarray(0, j))],
          [chunk('s2c', server.subarray(j))],
        ]);
        expect(seen.c2s).toBe(COMMAND + CLIENT_AFTER);
        expect(seen.s2c).toBe(ANSWER + SERVER_AFTER);
      }
    }
  });

  it('after a refused COMPRESS, passes the held client bytes on as they are, split anywhere', () => {
    const boundary = b(COMMAND + 'a3 NOOP\r\n');
    for (const parts of everySplit(boundary)) {
      const seen = follow([
        parts.map((p) => chunk('c2s', p)),
        [chunk('s2c', b('a2 NO [COMPRESSIONACTIVE] not now\r\na3 OK noop\r\n'))],
      ]);
      expect(seen.c2s).toBe(COMMAND + 'a3 NOOP\r\n');
      expect(seen.s2c).toBe('a2 NO [COMPRESSIONACTIVE] not now\r\na3 OK noop\r\n');
      expect(seen.events).toEqual([]);
      expect(seen.states).toEqual([]);
    }
  });

  it('never takes COMPRESS inside a literal for the command, split anywhere', () => {
    const literal = `x APPEND INBOX {${COMMAND.length}}\r\n${COMMAND}\r\n`;
    for (const parts of everySplit(b(literal))) {
      const seen = follow([parts.map((p) => chunk('c2s', p)), [chunk('s2c', b(ANSWER))]]);
      expect(seen.c2s).toBe(literal);
      expect(seen.events).toEqual([]);
    }
  });
});

describe('TransportFollower at a STARTTLS passed through end to end', () => {
  const hello = b('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03');

  it('hands on exactly the plaintext up to the OK and stops once, however the chunk splits', () => {
    const boundary = Buffer.concat([b('* note\r\nt1 OK Begin TLS\r\n'), hello]);
    for (const parts of everySplit(boundary)) {
      const seen = follow([
        [chunk('c2s', b('t1 STARTTLS\r\n'))],
        parts.map((p) => chunk('s2c', p)),
        [chunk('c2s', hello)],
      ]);
      expect(seen.s2c).toBe('* note\r\nt1 OK Begin TLS\r\n');
      expect(seen.c2s).toBe('t1 STARTTLS\r\n');
      expect(seen.events.map((e) => e.type === 'transport.notice' && e.code)).toEqual([
        'STARTTLS_PASSTHROUGH',
      ]);
      expect(seen.states).toEqual(['opaque']);
    }
  });

  it('keeps inspecting when imapscope intercepts STARTTLS (the tee is the plaintext inside)', () => {
    const boundary = b('t1 OK Begin TLS\r\n* CAPABILITY IMAP4rev1\r\n');
    for (const parts of everySplit(boundary)) {
      const seen = follow(
        [[chunk('c2s', b('t1 STARTTLS\r\n'))], parts.map((p) => chunk('s2c', p))],
        true,
      );
      expect(seen.s2c).toBe(boundary.toString('latin1'));
      expect(seen.events).toEqual([]);
    }
  });
});

describe('TransportFollower in a restarted inspection thread', () => {
  it('does not take deflate bytes for lines: it says the stream cannot be inflated and stops', () => {
    const seen = follow([[chunk('s2c', deflated('* 1 EXISTS\r\n'))]], false, {
      resumedIn: 'compressed',
    });
    expect(seen.s2c).toBe('');
    expect(seen.events).toMatchObject([
      { type: 'transport.notice', code: 'COMPRESS_CORRUPT', direction: null },
    ]);
  });

  it('stays quiet about a session that was opaque already, and still passes gaps on', () => {
    const { inner, record } = followedPipeline();
    const f = new TransportFollower(inner, false, { resumedIn: 'opaque' });
    f.gap('s2c', 1, 100, 5);
    f.chunks([chunk('s2c', b('\x17\x03\x03 ciphertext'))]);
    expect(record.chunks).toEqual([]);
    expect(record.transport).toEqual([]);
    expect(record.gaps).toEqual(['s2c']);
  });
});
