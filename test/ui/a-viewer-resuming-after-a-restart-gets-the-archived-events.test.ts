import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { connectViewer } from '../helpers/viewer-client.ts';
import { Capture, LOGIN_SCRIPT, play } from '../hub/helpers.ts';
import { startUi, type UiUnderTest } from './helpers.ts';

let ui: UiUnderTest | undefined;
afterEach(async () => {
  await ui?.close();
  ui = undefined;
});

describe('a viewer resuming after imapscope restarted', () => {
  it('gets the events it missed from the archive, though none are in memory', async () => {
    // The events of a run before the restart: archived, and the hub continues after them.
    const before = new Hub();
    const capture = new Capture();
    before.add(capture);
    play(before, 's-old', LOGIN_SCRIPT);
    ui = await startUi();
    ui.archive.write(capture.events);
    ui.archive.flush();
    ui.hub.seed(before.lastGseq);

    const viewer = await connectViewer(ui.url, { after: '2' });
    const last = before.lastGseq;
    await viewer.until((v) => v.events().some((e) => e.gseq === last));
    expect(viewer.messages.filter((m) => m.type === 'gap')).toEqual([]);
    expect(viewer.events().map((e) => e.gseq)).toEqual(
      capture.events.map((e) => e.gseq).filter((g) => g > 2),
    );
    await viewer.close();
  });
});
