import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { ServerMessage } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { cutFrame, FRAME_OVERHEAD, splitFrames } from '../../proxy/ui/ws-frames.ts';
import { WS_MAX_FRAME_BYTES } from '../../proxy/limits.ts';

/** An event of about `size` bytes of JSON (only gseq, session and size matter to framing). */
function event(gseq: number, size: number, text = 'x'): ImapscopeEvent {
  return {
    type: 'lint',
    session: gseq % 3 === 0 ? 's-a' : 's-b',
    gseq,
    text: text.repeat(Math.max(0, Math.floor(size / text.length))),
  } as unknown as ImapscopeEvent;
}

const gseqs = (text: string): number[] =>
  fromJson<Extract<ServerMessage, { type: 'events' }>>(text).events.map((e) => e.gseq);

describe('cutting events into WebSocket frames', () => {
  it('keeps every frame within 1 MiB, all events in order, none lost or doubled', () => {
    // 12 MiB of events of assorted sizes, some with multi-byte characters.
    const events: ImapscopeEvent[] = [];
    for (let g = 1, total = 0; total < 12 * 2 ** 20; g++) {
      const size = [10, 300, 4_000, 70_000, 300_000][g % 5]!;
      events.push(event(g, size, g % 7 === 0 ? 'é€' : 'x'));
      total += size;
    }
    const frames = splitFrames(events, WS_MAX_FRAME_BYTES);
    expect(frames.length).toBeGreaterThan(12);
    const seen: number[] = [];
    for (const f of frames) {
      if (f.type !== 'events') throw new Error('no event here is too large for a frame');
      expect(Buffer.byteLength(f.text)).toBe(f.bytes);
      expect(f.bytes).toBeLessThanOrEqual(WS_MAX_FRAME_BYTES);
      seen.push(...gseqs(f.text));
    }
    expect(seen).toEqual(events.map((e) => e.gseq));
  });

  it('takes an event whose message is exactly at the cap, and not one byte past it', () => {
    const e = event(1, 1000);
    const exact = FRAME_OVERHEAD + Buffer.byteLength(JSON.stringify(e));
    expect(cutFrame([e], 0, exact)).toMatchObject({ count: 1, bytes: exact, next: 1, unfit: 0 });
    expect(cutFrame([e], 0, exact - 1)).toMatchObject({ text: null, next: 0, unfit: exact });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const e = event(1, 3000, '€'); // 1000 characters, 3000 bytes
    const bytes = FRAME_OVERHEAD + Buffer.byteLength(JSON.stringify(e));
    expect(cutFrame([e], 0, bytes - 1).text).toBeNull();
    expect(cutFrame([e], 0, bytes).count).toBe(1);
  });

  it('stops at the first event that does not fit and says how big it is', () => {
    const events = [event(1, 100), event(2, 100), event(3, 5000), event(4, 100)];
    const cut = cutFrame(events, 0, 2000);
    expect(gseqs(cut.text!)).toEqual([1, 2]);
    expect(cut.next).toBe(2);
    expect(cut.unfit).toBeGreaterThan(5000);
  });

  it('names an event too big for any frame, in its place in the order', () => {
    const events = [event(1, 100), event(2, 5000), event(3, 100)];
    const frames = splitFrames(events, 2000);
    expect(frames.map((f) => (f.type === 'events' ? gseqs(f.text) : f.event.gseq))).toEqual([
      [1],
      2,
      [3],
    ]);
  });

  it('steps over the events a filter leaves out', () => {
    const events = [1, 2, 3, 4, 5, 6].map((g) => event(g, 50));
    const cut = cutFrame(events, 0, WS_MAX_FRAME_BYTES, (e) => e.session === 's-a');
    expect(gseqs(cut.text!)).toEqual([3, 6]);
    expect(cut).toMatchObject({ next: 6, unfit: 0, count: 2 });
  });
});
