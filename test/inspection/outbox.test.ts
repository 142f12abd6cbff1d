import { describe, expect, it } from 'vitest';
import type { Direction } from '../../shared/direction.ts';
import type { BacklogBounds } from '../../proxy/inspection/backlog.ts';
import { INSPECTION_POST_BYTES } from '../../proxy/limits.ts';
import { InspectionOutbox, type OutboxOptions } from '../../proxy/inspection/outbox.ts';
import type { ToInspection } from '../../proxy/inspection/thread-protocol.ts';
import type { TapChunk } from '../../proxy/transport.ts';

// The relay thread's one queue toward inspection, driven with plain buffers, a fake worker
// (a list of posts) and a timer the test fires itself.

const bounds: BacklogBounds = {
  pauseBytes: 1000,
  resumeBytes: 500,
  sessionPauseBytes: 400,
  sessionResumeBytes: 100,
};

interface Harness {
  outbox: InspectionOutbox;
  /** Each post, its messages flattened and written short ("chunks a c2s:10 s2c:5"). */
  posts: string[][];
  transfers: ArrayBuffer[][];
  /** Fires the pending flush timer; false when none was pending. */
  tick(): boolean;
  /** Runs what was due once the current callback is done (a full outbox's post). */
  afterCallback(): number;
}

function harness(opts: OutboxOptions = {}): Harness {
  let pending: (() => void) | null = null;
  let soon: (() => void)[] = [];
  const posts: string[][] = [];
  const transfers: ArrayBuffer[][] = [];
  const outbox = new InspectionOutbox({
    bounds,
    cap: 1000,
    postBytes: 10_000,
    timer: {
      set: (fire) => ((pending = fire), 1),
      clear: () => (pending = null),
      soon: (fire) => soon.push(fire),
    },
    ...opts,
  });
  outbox.attach((m, transfer) => {
    posts.push((m.type === 'batch' ? m.messages : [m]).map(short));
    transfers.push(transfer);
  });
  return {
    outbox,
    posts,
    transfers,
    tick: () => {
      const fire = pending;
      if (!fire) return false;
      pending = null;
      fire();
      return true;
    },
    afterCallback: () => {
      const due = soon;
      soon = [];
      for (const fire of due) fire();
      return due.length;
    },
  };
}

function short(m: ToInspection): string {
  switch (m.type) {
    case 'chunks':
      return `chunks ${m.session} ${m.batch.directions.map((d, i) => `${d}:${m.batch.lengths[i]}`).join(' ')}`;
    case 'gap':
      return `gap ${m.session} ${m.direction} ${m.droppedChunks}/${m.droppedBytes} at ${m.at}`;
    case 'transport':
      return `transport ${m.session} ${m.event.type}`;
    case 'end':
      return `end ${m.session}`;
    default:
      return m.type;
  }
}

const chunk = (direction: Direction, n: number, at = 0): TapChunk => ({
  direction,
  data: Buffer.alloc(n, 0x61),
  at,
});

const compress = { type: 'transport', session: 'a', event: { type: 'compress.started', at: 0 } };

function flow(): { pause(): void; resume(): void; log: string[] } {
  const log: string[] = [];
  return { pause: () => log.push('pause'), resume: () => log.push('resume'), log };
}

describe('the inspection outbox', () => {
  it('posts nothing until the timer fires, then everything in order as one post, each run of a session’s chunks as one message', () => {
    const h = harness();
    h.outbox.open('a', flow());
    h.outbox.open('b', flow());
    h.outbox.chunk('a', chunk('c2s', 10));
    h.outbox.chunk('a', chunk('s2c', 20));
    h.outbox.chunk('b', chunk('s2c', 5));
    h.outbox.send(compress as ToInspection);
    h.outbox.chunk('a', chunk('s2c', 7));
    h.outbox.send({ type: 'end', session: 'a' });
    expect(h.posts).toEqual([]);
    expect(h.tick()).toBe(true);
    expect(h.posts).toEqual([
      [
        'chunks a c2s:10 s2c:20',
        'chunks b s2c:5',
        'transport a compress.started',
        'chunks a s2c:7',
        'end a',
      ],
    ]);
    expect(h.tick()).toBe(false); // one timer per post, none left behind
  });

  it('posts a single message as it is, not wrapped in a batch', () => {
    const posted: ToInspection[] = [];
    const outbox = new InspectionOutbox({
      timer: { set: () => 1, clear: () => {}, soon: () => {} },
    });
    outbox.attach((m) => posted.push(m));
    outbox.send({ type: 'draining' });
    outbox.flush();
    expect(posted).toEqual([{ type: 'draining' }]);
  });

  it('posts right after the current callback once the queued tap bytes reach the post threshold, and not one byte before', () => {
    const h = harness({ postBytes: 100 });
    h.outbox.open('a', flow());
    // Reads of different milliseconds (reads of one millisecond travel as one chunk: slabs.ts).
    h.outbox.chunk('a', chunk('s2c', 60, 1));
    h.outbox.chunk('a', chunk('s2c', 39, 2));
    expect(h.afterCallback()).toBe(0); // 99 queued: the interval decides
    h.outbox.chunk('a', chunk('s2c', 1, 3));
    h.outbox.chunk('a', chunk('s2c', 5, 4));
    // Not inside chunk(): once the read's callback is done, so its hand-offs go out together.
    expect(h.posts).toEqual([]);
    expect(h.afterCallback()).toBe(1); // one post due, however many chunks came meanwhile
    expect(h.posts).toEqual([['chunks a s2c:60 s2c:39 s2c:1 s2c:5']]);
    expect(h.tick()).toBe(false); // the timer went with the post
  });

  it('posts copies of the chunks in slabs, never a socket’s own buffer, and transfers each slab once', () => {
    const h = harness();
    h.outbox.open('a', flow());
    const whole = Buffer.alloc(64, 0x62);
    h.outbox.chunk('a', { direction: 's2c', data: whole, at: 0 });
    h.outbox.chunk('a', { direction: 'c2s', data: Buffer.alloc(10, 0x63), at: 0 });
    h.tick();
    const [transfer] = h.transfers;
    expect(transfer).toHaveLength(1); // both chunks in one slab
    expect(transfer![0]).not.toBe(whole.buffer);
    expect(Buffer.from(transfer![0]!, 0, 74)).toEqual(
      Buffer.concat([whole, Buffer.alloc(10, 0x63)]),
    );
  });

  it('posts a bulk post, the threshold crossed by a whole socket read, in one slab', () => {
    // Each slab transferred costs both threads per post; growing slab by slab took four.
    const h = harness({ postBytes: INSPECTION_POST_BYTES });
    h.outbox.open('a', flow());
    const read = 64 * 1024;
    for (let i = 0; i <= INSPECTION_POST_BYTES / read; i++)
      h.outbox.chunk('a', chunk('s2c', read, i));
    expect(h.afterCallback()).toBe(1);
    expect(h.transfers).toHaveLength(1);
    expect(h.transfers[0]).toHaveLength(1);
    expect(h.posts[0]![0]!.split(' ').length - 2).toBe(INSPECTION_POST_BYTES / read + 1);
  });

  it('reuses the slabs the worker gives back with its consumed report', () => {
    const h = harness();
    h.outbox.open('a', flow());
    h.outbox.chunk('a', chunk('s2c', 64));
    h.tick();
    const slab = h.transfers[0]![0]!;
    h.outbox.consumed([['a', 0, 64]], [slab]);
    h.outbox.chunk('a', chunk('s2c', 64));
    h.tick();
    expect(h.transfers[1]![0]).toBe(slab);
  });

  describe('with a best-effort session (no flow)', () => {
    it('takes a chunk while the backlog is at the cap and drops it one byte past, counting the gap', () => {
      const h = harness();
      h.outbox.open('a', null);
      expect(h.outbox.chunk('a', chunk('s2c', 1000))).toBe(true);
      expect(h.outbox.backlogBytes).toBe(1000); // exactly at the cap
      expect(h.outbox.chunk('a', chunk('s2c', 1))).toBe(true);
      expect(h.outbox.backlogBytes).toBe(1001); // one past it
      expect(h.outbox.chunk('a', chunk('s2c', 5, 42))).toBe(false);
      expect(h.outbox.chunk('a', chunk('c2s', 3, 43))).toBe(false);
      expect(h.outbox.chunk('a', chunk('s2c', 6, 44))).toBe(false);
      expect(h.outbox.backlogBytes).toBe(1001);
    });

    it('reports the gap, per direction with the time of its first chunk, before the next chunk that gets through', () => {
      const h = harness();
      h.outbox.open('a', null);
      h.outbox.chunk('a', chunk('s2c', 1001));
      h.outbox.chunk('a', chunk('s2c', 5, 42));
      h.outbox.chunk('a', chunk('c2s', 3, 43));
      h.outbox.chunk('a', chunk('s2c', 6, 44));
      h.tick();
      h.outbox.consumed([['a', 0, 1001]]);
      h.outbox.chunk('a', chunk('c2s', 2, 50));
      h.tick();
      expect(h.posts).toEqual([
        ['chunks a s2c:1001'],
        ['gap a c2s 1/3 at 43', 'gap a s2c 2/11 at 42', 'chunks a c2s:2'],
      ]);
    });

    it('never drops a transport event or any other message, however far behind', () => {
      const h = harness();
      h.outbox.open('a', null);
      h.outbox.chunk('a', chunk('s2c', 5000));
      h.outbox.chunk('a', chunk('s2c', 5));
      h.outbox.send(compress as ToInspection);
      h.outbox.chunk('a', chunk('s2c', 5));
      h.outbox.reportLost('a');
      h.outbox.send({ type: 'end', session: 'a' });
      h.tick();
      expect(h.posts).toEqual([
        ['chunks a s2c:5000', 'transport a compress.started', 'gap a s2c 2/10 at 0', 'end a'],
      ]);
    });
  });

  describe('with a lossless session (a flow)', () => {
    it('never drops, and pauses only once the session’s share passes its bound: at the bound nothing waits', () => {
      const h = harness();
      const f = flow();
      h.outbox.open('a', f);
      expect(h.outbox.chunk('a', chunk('s2c', 400))).toBe(true);
      expect(f.log).toEqual([]);
      expect(h.outbox.chunk('a', chunk('c2s', 1))).toBe(true);
      expect(f.log).toEqual(['pause']);
      // Reads already under way still get in, however far past the cap.
      expect(h.outbox.chunk('a', chunk('s2c', 2000))).toBe(true);
      expect(f.log).toEqual(['pause']);
    });

    it('resumes once inspection reports the session under its low-water mark, not at it', () => {
      const h = harness();
      const f = flow();
      h.outbox.open('a', f);
      h.outbox.chunk('a', chunk('s2c', 450));
      h.tick();
      h.outbox.consumed([['a', 0, 350]]);
      expect(f.log).toEqual(['pause']); // 100 left: at the mark
      h.outbox.consumed([['a', 0, 1]]);
      expect(f.log).toEqual(['pause', 'resume']);
    });

    it('counts queued bytes, not only posted ones, toward the bounds', () => {
      const h = harness();
      const f = flow();
      h.outbox.open('a', f);
      h.outbox.chunk('a', chunk('s2c', 401));
      expect(h.posts).toEqual([]);
      expect(f.log).toEqual(['pause']);
    });
  });

  describe('while no worker runs', () => {
    it('counts every byte queued or in flight lost, lets paused sessions go, and reports the loss to the next worker', () => {
      const h = harness();
      const f = flow();
      h.outbox.open('a', f);
      h.outbox.chunk('a', chunk('s2c', 300));
      h.tick();
      h.outbox.chunk('a', chunk('s2c', 200)); // queued, not posted; pauses (500 > 400)
      h.outbox.chunk('a', chunk('c2s', 7));
      expect(f.log).toEqual(['pause']);
      h.outbox.detach(99);
      expect(f.log).toEqual(['pause', 'resume']);
      expect(h.outbox.backlogBytes).toBe(0);
      expect(h.outbox.attached).toBe(false);
      // Nothing pauses or is queued now: chunks are lost, messages discarded.
      expect(h.outbox.chunk('a', chunk('s2c', 1000, 120))).toBe(false);
      h.outbox.send({ type: 'end', session: 'a' });
      h.outbox.reportLost('a');
      expect(f.log).toEqual(['pause', 'resume']);
      expect(h.tick()).toBe(false);

      const later: string[][] = [];
      h.outbox.attach((m) => later.push((m.type === 'batch' ? m.messages : [m]).map(short)));
      h.outbox.reportLost('a');
      h.outbox.flush();
      expect(h.posts).toEqual([['chunks a s2c:300']]);
      expect(later).toEqual([['gap a c2s 0/7 at 99', 'gap a s2c 1/1500 at 99']]);
    });
  });

  it('stops counting a forgotten session: its chunks go nowhere', () => {
    const h = harness();
    h.outbox.open('a', null);
    h.outbox.forget('a');
    expect(h.outbox.chunk('a', chunk('s2c', 5))).toBe(false);
    expect(h.tick()).toBe(false);
  });
});
