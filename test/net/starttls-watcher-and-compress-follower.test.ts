import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TransportFollower } from '../../proxy/inspection/transport-follower.ts';
import { StreamingInflater } from '../../proxy/inspection/inflate.ts';
import { LineScanner } from '../../proxy/net/lines.ts';
import { StarttlsWatcher } from '../../proxy/net/starttls.ts';
import type { TransportEvent } from '../../proxy/net/tap.ts';
import { followedPipeline, taken } from '../helpers/followed-pipeline.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Feeds `data` to `feed` whole, byte by byte and at every split point into two. */
function splits(data: Buffer): Buffer[][] {
  const ways: Buffer[][] = [[data], [...data].map((x) => Buffer.from([x]))];
  for (let i = 1; i < data.length; i += Math.max(1, Math.floor(data.length / 25))) {
    ways.push([data.subarray(0, i), data.subarray(i)]);
  }
  return ways;
}

describe('LineScanner', () => {
  it('finds line ends and skips literal bodies, whole, byte by byte and at split points', () => {
    const text = b('a1 APPEND INBOX {20}\r\na2 STARTTLS\r\nxxxx\r\n x\r\na3 STARTTLS\r\n');
    for (const parts of splits(text)) {
      const scanner = new LineScanner();
      const heads: string[] = [];
      for (const part of parts) {
        let pos = 0;
        for (let l = scanner.next(part, pos); l; l = scanner.next(part, pos)) {
          pos = l.end;
          if (!l.continuation) heads.push(l.head);
        }
      }
      expect(heads).toEqual(['a1 APPEND INBOX {20}\r\n', 'a3 STARTTLS\r\n']);
    }
  });
});

describe('StarttlsWatcher', () => {
  it('splits the STARTTLS command from plaintext sent after it in the same chunk', () => {
    const w = new StarttlsWatcher();
    expect(w.s2c(b('* OK ready\r\n'))).toEqual({ kind: 'forward' });
    const v = w.c2s(b('a STARTTLS\r\nb LOGIN x y\r\n'));
    expect(v).toEqual({ kind: 'starttls', tag: 'a', end: 12 });
    expect(w.c2s(b('more'))).toEqual({ kind: 'hold' });
    expect(w.s2c(b('* note\r\na OK go\r\nextra'))).toEqual({
      kind: 'answer',
      status: 'OK',
      end: 17,
    });
  });

  it('watches again after a refused STARTTLS and stops watching after a successful LOGIN', () => {
    const w = new StarttlsWatcher();
    w.s2c(b('* OK ready\r\n'));
    w.c2s(b('a STARTTLS\r\n'));
    expect(w.s2c(b('a NO not now\r\n'))).toMatchObject({ kind: 'answer', status: 'NO' });
    w.refused();
    w.c2s(b('b LOGIN u p\r\n'));
    // `done` marks where the not-authenticated state ended within the chunk.
    expect(w.s2c(b('b OK logged in\r\n* CAPABILITY X\r\n'))).toEqual({
      kind: 'forward',
      done: 16,
    });
    expect(w.active).toBe(false);
    expect(w.c2s(b('c STARTTLS\r\n'))).toEqual({ kind: 'forward' });
  });

  it('never watches after a PREAUTH greeting, and ignores STARTTLS inside a literal', () => {
    const pre = new StarttlsWatcher();
    pre.s2c(b('* PREAUTH hi\r\n'));
    expect(pre.active).toBe(false);
    const w = new StarttlsWatcher();
    w.s2c(b('* OK ready\r\n'));
    expect(w.c2s(b('a APPEND INBOX {12+}\r\nx STARTTLS\r\n\r\n'))).toEqual({ kind: 'forward' });
  });
});

describe('StreamingInflater', () => {
  it('inflates a sync-flushed stream split anywhere, and reports corruption as a value', () => {
    const plain = b('a1 NOOP\r\n'.repeat(500));
    const deflated = zlib.deflateRawSync(plain, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    for (const parts of splits(deflated)) {
      const inf = new StreamingInflater();
      const out = parts.map((p) => inf.push(p)).map((r) => (r.ok ? r.data : b('')));
      expect(Buffer.concat(out).equals(plain)).toBe(true);
    }
    const bad = new StreamingInflater();
    const r = bad.push(b('\xff\xff\xff\xff not deflate'));
    expect(r.ok).toBe(false);
    expect(bad.push(b('x')).ok).toBe(false);
  });

  it('accepts a chunk that inflates to exactly the cap and refuses one byte more', () => {
    const deflated = zlib.deflateRawSync(Buffer.alloc(1000), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(new StreamingInflater(1000).push(deflated)).toMatchObject({ ok: true });
    expect(new StreamingInflater(999).push(deflated)).toMatchObject({ ok: false });
  });
});

describe('TransportFollower', () => {
  /** A follower in front of the session's pipeline, whose tracker finds the switches. */
  function follow(interceptsStarttls = false) {
    const { inner, record } = followedPipeline();
    const events: TransportEvent[] = record.transport;
    const f = new TransportFollower(inner, interceptsStarttls);
    const push = (direction: 'c2s' | 's2c', data: Buffer): void =>
      f.chunks([{ direction, data, at: 1 }]);
    const text = (d: 'c2s' | 's2c'): string => taken(record, d);
    return { push, text, events, f };
  }

  it('hands on inflated bytes after COMPRESS OK, in both directions', () => {
    const t = follow();
    t.push('c2s', b('a COMPRESS DEFLATE\r\n'));
    const c1 = zlib.deflateRawSync(b('b NOOP\r\n'), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    t.push(
      's2c',
      Buffer.concat([
        b('a OK DEFLATE active\r\n'),
        zlib.deflateRawSync(b('* 1 EXISTS\r\n'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
      ]),
    );
    t.push('c2s', c1);
    expect(t.text('c2s')).toBe('a COMPRESS DEFLATE\r\nb NOOP\r\n');
    expect(t.text('s2c')).toBe('a OK DEFLATE active\r\n* 1 EXISTS\r\n');
    expect(t.events).toEqual([{ type: 'compress.started', algorithm: 'DEFLATE', tag: 'a', at: 1 }]);
  });

  it('stays plain after a refused COMPRESS', () => {
    const t = follow();
    t.push('c2s', b('a COMPRESS DEFLATE\r\n'));
    t.push('s2c', b('a NO not now\r\n'));
    t.push('c2s', b('b NOOP\r\n'));
    expect(t.text('c2s')).toBe('a COMPRESS DEFLATE\r\nb NOOP\r\n');
    expect(t.events).toEqual([]);
  });

  it('reports corrupt deflate data once and stops inspection', () => {
    const t = follow();
    t.push('c2s', b('a COMPRESS DEFLATE\r\n'));
    t.push('s2c', b('a OK\r\n'));
    t.push('s2c', b('\xff\xfe garbage'));
    t.push('s2c', b('more'));
    expect(t.events.map((e) => e.type === 'transport.notice' && e.code)).toEqual([
      false,
      'COMPRESS_CORRUPT',
    ]);
    expect(t.text('s2c')).toBe('a OK\r\n');
  });

  it('stops at an end-to-end STARTTLS it does not intercept, and not at one it does', () => {
    const t = follow(false);
    t.push('c2s', b('a STARTTLS\r\n'));
    t.push('s2c', b('a OK begin\r\n\x16\x03\x01'));
    expect(t.text('s2c')).toBe('a OK begin\r\n');
    expect(t.events[0]).toMatchObject({ type: 'transport.notice', code: 'STARTTLS_PASSTHROUGH' });
    const i = follow(true);
    i.push('c2s', b('a STARTTLS\r\n'));
    i.push('s2c', b('a OK begin\r\n'));
    i.push('c2s', b('b NOOP\r\n'));
    expect(i.text('c2s')).toBe('a STARTTLS\r\nb NOOP\r\n');
    expect(i.events).toEqual([]);
  });
});
