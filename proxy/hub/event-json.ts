/**
 * Each event's JSON, made once: the archive stores it and the WebSocket sink sends it, and
 * serializing is most of what the inspection thread spends on an event-heavy load.
 */
import { assertNever, type ImapscopeEvent } from '../../shared/events.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import { toJson } from '../../shared/protocol.ts';

const made = new WeakMap<ImapscopeEvent, string>();

/** `toJson(event)`, remembered for as long as the event lives. */
export function eventJson(event: ImapscopeEvent): string {
  let text = made.get(event);
  if (text === undefined) {
    // toJson walks every object of the event looking for bytes to write as base64: a third of
    // its cost on a FETCH ENVELOPE line. Without bytes, JSON.stringify writes the same text.
    text = holdsBytes(event) ? toJson(event) : JSON.stringify(event);
    made.set(event, text);
  }
  return text;
}

/**
 * Whether the event may hold bytes (a Uint8Array): only a literal's preview is bytes, and a
 * message's literals are all listed by messageLiterals (shared/message-literals.ts), the walk
 * the REST literal route and the export rely on as well.
 */
export function holdsBytes(e: ImapscopeEvent): boolean {
  switch (e.type) {
    case 'message':
      return messageLiterals(e.message).length > 0;
    case 'session.open':
    case 'session.close':
    case 'session.facts':
    case 'malformed':
    case 'exchange':
    case 'state.change':
    case 'lint':
    case 'gap':
    case 'tls.established':
    case 'compress.started':
      return false;
    default:
      return assertNever(e);
  }
}

/** `toJson({ type: 'events', events })` (a ServerMessage), from the events' remembered JSON. */
export function eventsMessageJson(events: readonly ImapscopeEvent[]): string {
  return `{"type":"events","events":[${events.map(eventJson).join(',')}]}`;
}
