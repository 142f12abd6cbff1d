/**
 * The ring viewers are sent from is sized by the events' JSON, not their count: many small
 * events (the 200-session workload's NOOP exchanges) stay available far past the 20,000 the
 * count-sized ring kept, so a healthy viewer a little behind is not gapped, while a few large
 * events cannot make it hold more than its size (plus the quarter it grows before a trim). It
 * holds the events' JSON only, so what it counts is what it costs: a decoded event is several
 * times the size of its JSON.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { eventJson } from '../../proxy/hub/event-json.ts';
import { WsSink } from '../../proxy/ui/ws-sink.ts';

const source = {
  lastGseq: () => 0,
  sessions: () => [],
  byGseq: () => null,
  bySession: () => null,
};

let gseq = 0;
/** An event whose JSON is about `size` characters (only its size matters to the ring). */
function event(size: number): ImapscopeEvent {
  gseq += 1;
  return {
    type: 'lint',
    session: 's-1',
    seq: gseq,
    gseq,
    at: 0,
    pad: 'x'.repeat(size),
  } as unknown as ImapscopeEvent;
}

describe("the viewers' ring", () => {
  it('keeps small events by the megabyte, past 20,000 of them', () => {
    const sink = new WsSink(source, { replayBytes: 16 * 1024 * 1024 });
    const small = Array.from({ length: 50_000 }, () => event(40));
    for (let i = 0; i < small.length; i += 100) sink.write(small.slice(i, i + 100));
    expect(sink.ringSize.events).toBe(50_000);
  });

  it('holds at most a quarter over its size in bytes, however large the events', () => {
    const size = 4 * 1024 * 1024;
    const sink = new WsSink(source, { replayBytes: size });
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      sink.write([event(100_000)]);
      peak = Math.max(peak, sink.ringSize.bytes);
    }
    expect(peak).toBeLessThanOrEqual(size * 1.25);
    expect(sink.ringSize.bytes).toBeGreaterThan(size / 2);
    // What it counts is what the events' JSON is.
    const e = event(10);
    const fresh = new WsSink(source, { replayBytes: size });
    fresh.write([e]);
    expect(fresh.ringSize).toEqual({ events: 1, bytes: eventJson(e).length });
  });

  it('keeps only the JSON of the events it holds, not the decoded events', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const sink = new WsSink(source, { replayBytes: 16 * 1024 * 1024 });
    const refs: WeakRef<ImapscopeEvent>[] = [];
    const jsons: string[] = [];
    (() => {
      const batch = Array.from({ length: 100 }, () => event(1_000));
      for (const e of batch) {
        refs.push(new WeakRef(e));
        jsons.push(eventJson(e));
      }
      sink.write(batch);
    })();
    expect(sink.ringSize.events).toBe(100);
    for (let i = 0; i < 5 && refs.some((r) => r.deref() !== undefined); i++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toEqual([]);
    expect(sink.ringSize.bytes).toBe(jsons.reduce((n, j) => n + j.length, 0));
  });
});
