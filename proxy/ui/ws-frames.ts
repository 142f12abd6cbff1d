/**
 * Cutting runs of events into WebSocket `events` messages of bounded size. A frame is built
 * from the events' JSON made once (hub/event-json.ts), so cutting costs a join, not a
 * serialization, and one event's text is shared by every viewer it goes to. The sink's ring
 * holds only that text ({@link EventText}), not the decoded events, which are several times
 * bigger.
 */
import type { ImapscopeEvent } from '../../shared/events.ts';
import { eventJson } from '../hub/event-json.ts';

/** One event as the viewers' ring keeps it: its JSON and what framing and resuming need. */
export interface EventText {
  gseq: number;
  session: string;
  json: string;
  /** UTF-8 size of `json`; -1 until a cut first needs it. */
  bytes: number;
}

/** The ring's form of an event (its JSON made once, shared with the archive). */
export function eventText(e: ImapscopeEvent): EventText {
  return { gseq: e.gseq, session: e.session, json: eventJson(e), bytes: -1 };
}

const HEAD = '{"type":"events","events":[';
const TAIL = ']}';
/** Bytes the message around the events adds. */
export const FRAME_OVERHEAD = HEAD.length + TAIL.length;

/** One cut: the message for `events[from, next)` (those passing the filter). */
export interface FrameCut {
  /** The `events` message, or null when no event was taken. */
  text: string | null;
  /** Its UTF-8 size. */
  bytes: number;
  /** Events in it. */
  count: number;
  /** Index after the last event looked at: taken, or left out by the filter. */
  next: number;
  /**
   * 0 when the cut ended at the end of `events`; else the size a message holding only the
   * event at `next` would have (it did not fit in what was left of `maxBytes`).
   */
  unfit: number;
}

/**
 * Takes events from `events[from]` on, in order, while the message stays within `maxBytes`
 * (UTF-8 bytes of the whole message; a message exactly at `maxBytes` is accepted). Events
 * `keep` rejects are stepped over. Stops at the first event that does not fit.
 */
export function cutFrame(
  events: readonly ImapscopeEvent[],
  from: number,
  maxBytes: number,
  keep: (e: ImapscopeEvent) => boolean = () => true,
): FrameCut {
  return cut(events, from, maxBytes, keep, eventJson, (e) => Buffer.byteLength(eventJson(e)));
}

/** {@link cutFrame} over the ring's event texts (sizes measured once and kept). */
export function cutTexts(
  texts: readonly EventText[],
  from: number,
  maxBytes: number,
  keep: (t: EventText) => boolean = () => true,
): FrameCut {
  return cut(texts, from, maxBytes, keep, textJson, textBytes);
}

const textJson = (t: EventText): string => t.json;
const textBytes = (t: EventText): number =>
  t.bytes >= 0 ? t.bytes : (t.bytes = Buffer.byteLength(t.json));

function cut<T>(
  items: readonly T[],
  from: number,
  maxBytes: number,
  keep: (item: T) => boolean,
  json: (item: T) => string,
  size: (item: T) => number,
): FrameCut {
  const parts: string[] = [];
  let bytes = FRAME_OVERHEAD;
  let i = from;
  for (; i < items.length; i++) {
    const item = items[i]!;
    if (!keep(item)) continue;
    const n = size(item);
    const add = n + (parts.length > 0 ? 1 : 0);
    if (bytes + add > maxBytes) {
      return { ...made(parts, bytes), next: i, unfit: FRAME_OVERHEAD + n };
    }
    parts.push(json(item));
    bytes += add;
  }
  return { ...made(parts, bytes), next: i, unfit: 0 };
}

function made(parts: string[], bytes: number): Pick<FrameCut, 'text' | 'bytes' | 'count'> {
  return parts.length === 0
    ? { text: null, bytes: 0, count: 0 }
    : { text: HEAD + parts.join(',') + TAIL, bytes, count: parts.length };
}

/** What {@link splitFrames} yields: a message, or one event too large for any message. */
export type Frame =
  | { type: 'events'; text: string; bytes: number; count: number }
  | { type: 'too-large'; event: ImapscopeEvent };

/** All of `events` as messages of at most `maxBytes` each, in order; none left out. */
export function splitFrames(events: readonly ImapscopeEvent[], maxBytes: number): Frame[] {
  const frames: Frame[] = [];
  let i = 0;
  while (i < events.length) {
    const cut = cutFrame(events, i, maxBytes);
    if (cut.text !== null) {
      frames.push({ type: 'events', text: cut.text, bytes: cut.bytes, count: cut.count });
      i = cut.next;
    } else {
      frames.push({ type: 'too-large', event: events[i]! });
      i += 1;
    }
  }
  return frames;
}
