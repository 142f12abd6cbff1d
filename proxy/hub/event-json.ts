/**
 * Each event's JSON, made once: the archive stores it and the WebSocket sink sends it, and
 * serializing is most of what the inspection thread spends on an event-heavy load.
 */
import type { ImapscopeEvent } from '../../shared/events.ts';
import { toJson } from '../../shared/protocol.ts';

const made = new WeakMap<ImapscopeEvent, string>();

/** `toJson(event)`, remembered for as long as the event lives. */
export function eventJson(event: ImapscopeEvent): string {
  let text = made.get(event);
  if (text === undefined) {
    text = toJson(event);
    made.set(event, text);
  }
  return text;
}

/** `toJson({ type: 'events', events })` (a ServerMessage), from the events' remembered JSON. */
export function eventsMessageJson(events: readonly ImapscopeEvent[]): string {
  return `{"type":"events","events":[${events.map(eventJson).join(',')}]}`;
}
