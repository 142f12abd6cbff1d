import { afterEach, describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { GseqPage, ServerMessage } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';
import { WS_CLIENT_MAX_BUFFERED_BYTES, WS_MAX_FRAME_BYTES } from '../../proxy/limits.ts';
import { connectViewer, type ViewerClient } from '../helpers/viewer-client.ts';
import { fetchLoad, startUi, TOKEN, type UiUnderTest } from './helpers.ts';

let ui: UiUnderTest | undefined;
afterEach(async () => {
  await ui?.close();
  ui = undefined;
});

/** The highest gseq a viewer has been sent or told it missed. */
function reached(v: ViewerClient): number {
  let top = 0;
  for (const m of v.messages) {
    if (m.type === 'events') top = Math.max(top, ...m.events.map((e) => e.gseq));
    if (m.type === 'gap') top = Math.max(top, m.toGseq);
  }
  return top;
}

/** What the viewer does (viewer/src/connection.ts): events as they come, gaps refetched in place. */
async function resync(v: ViewerClient, base: string): Promise<number[]> {
  const out: number[] = [];
  for (const m of v.messages) {
    if (m.type === 'events') out.push(...m.events.map((e) => e.gseq));
    if (m.type !== 'gap') continue;
    let after = m.fromGseq - 1;
    for (;;) {
      const res = await fetch(`${base}/api/events?after=${after}&until=${m.toGseq}&token=${TOKEN}`);
      const page = fromJson<GseqPage>(await res.text());
      out.push(...page.events.map((e: ImapscopeEvent) => e.gseq));
      if (page.nextAfter === null) break;
      after = page.nextAfter;
    }
  }
  return out;
}

/** The byte size of every message the viewer receives from now on. */
function frameSizes(v: ViewerClient): number[] {
  const sizes: number[] = [];
  v.ws.on('message', (data: Buffer) => sizes.push(data.length));
  return sizes;
}
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('the WebSocket sink under a FETCH load', () => {
  it('sends a reading viewer every event in frames of at most 1 MiB, without a gap', async () => {
    ui = await startUi();
    const viewer = await connectViewer(ui.url);
    const sizes = frameSizes(viewer);
    // 1,500 messages of 4 KiB: about 8 MB of event JSON, 1.5 MB of it per tap batch.
    await fetchLoad(ui.hub, 's-1', 1_500, 4096, 300);
    const last = ui.hub.lastGseq;
    await viewer.until((v) => reached(v) >= last, 60_000);
    expect(viewer.messages.filter((m) => m.type === 'gap')).toEqual([]);
    expect(viewer.events().map((e) => e.gseq)).toEqual(range(last));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(WS_MAX_FRAME_BYTES);
    expect(sizes.length).toBeGreaterThan(8);
    await viewer.close();
  });

  it('holds at most the bound for a stalled viewer, which then gets a gap it resyncs from', async () => {
    // A small ring (about 1,000 of these events, yet more than a tap batch's), so that the
    // stall outlasts it; the bound and frame cap are the real ones.
    ui = await startUi({ replayBytes: 4 * 1024 * 1024 });
    const viewer = await connectViewer(ui.url);
    const sizes = frameSizes(viewer);
    await viewer.until((v) => v.messages.length >= 1);
    viewer.ws.pause(); // stops reading its socket: the kernel's buffers fill, then ws's
    await fetchLoad(ui.hub, 's-1', 3_000, 4096, 300);
    const last = ui.hub.lastGseq;
    expect(ui.sink.stats.peakBuffered).toBeGreaterThan(0);
    expect(ui.sink.stats.peakBuffered).toBeLessThanOrEqual(WS_CLIENT_MAX_BUFFERED_BYTES);

    viewer.ws.resume();
    await viewer.until((v) => reached(v) >= last, 60_000);
    const gaps = viewer.messages.filter(
      (m): m is Extract<ServerMessage, { type: 'gap' }> => m.type === 'gap',
    );
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.every((g) => g.reason === 'slow-client')).toBe(true);
    expect(await resync(viewer, `http://127.0.0.1:${ui.port}`)).toEqual(range(last));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(WS_MAX_FRAME_BYTES);
    await viewer.close();
  });
});
