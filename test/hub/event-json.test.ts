import { describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { eventJson, holdsBytes } from '../../proxy/hub/event-json.ts';
import { fromJson, toJson } from '../../shared/protocol.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { LITERALS_EVERYWHERE } from '../helpers/literal-session.ts';
import { Capture, play } from './helpers.ts';

function session(): ImapscopeEvent[] {
  const hub = new Hub();
  const capture = new Capture();
  hub.add(capture);
  play(hub, 's1', LITERALS_EVERYWHERE);
  return capture.events;
}

describe('eventJson', () => {
  it('writes exactly what toJson writes, for events with and without bytes', () => {
    const events = session();
    expect(events.some((e) => holdsBytes(e))).toBe(true);
    expect(events.some((e) => e.type === 'message' && !holdsBytes(e))).toBe(true);
    for (const e of events) expect(eventJson(e)).toBe(toJson(e));
  });

  it('finds the bytes of every event that holds any, so none is written as a plain object', () => {
    for (const e of session()) {
      const plain = JSON.stringify(e);
      // JSON.stringify writes a Buffer as {"type":"Buffer",…} and a Uint8Array by its indexes.
      const hasBytes = plain.includes('"type":"Buffer"') || /"0":\d/.test(plain);
      expect(holdsBytes(e) || !hasBytes).toBe(true);
    }
  });

  it('writes events read back from their JSON (bytes as Uint8Array) as they were written', () => {
    for (const e of session()) {
      const back = fromJson<ImapscopeEvent>(toJson(e));
      expect(eventJson(back)).toBe(toJson(e));
    }
  });
});
