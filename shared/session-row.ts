/**
 * The session row: what the session list shows of one session, reduced from its events. One
 * reducer for every keeper of rows — the hub's in-memory registry, the archive (which folds a
 * flush's events into a delta row and adds it to the stored one) and the viewer's list — so the
 * three agree on what an event means for the row.
 */
import type { Direction } from './direction.ts';
import type { Endpoint, ImapscopeEvent } from './events.ts';
import { assertNever } from './events.ts';
import { clientIdOf } from './client-id.ts';
import type { SessionRow } from './protocol.ts';

/** `host:port`, with an IPv6 host in brackets (`[::1]:143`). */
export function formatEndpoint({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A row that has seen no event: no counts, no state, not ended, client and upstream unknown
 * (empty strings). Also the archive's zero delta: every count 0, every field null (unchanged).
 */
export function newSessionRow(id: string, startedAt: number): SessionRow {
  return {
    id,
    client: '',
    upstream: '',
    startedAt,
    endedAt: null,
    user: null,
    state: null,
    reason: null,
    bytesC2s: null,
    bytesS2c: null,
    events: 0,
    source: 'live',
    droppedEvents: 0,
    exchangeCount: 0,
    noCount: 0,
    badCount: 0,
    lintCount: 0,
    gapCount: 0,
    gapBytes: 0,
    clientName: null,
    clientVersion: null,
  };
}

/**
 * Ends a row: the first end recorded wins (`endedAt`, `reason`); the byte counts are the latest
 * (the relay's own summary and the session.close event carry the same totals).
 */
export function endSessionRow(
  row: SessionRow,
  at: number,
  reason: string,
  bytes: Readonly<Record<Direction, number>>,
): void {
  row.endedAt ??= at;
  row.reason ??= reason;
  row.bytesC2s = bytes.c2s;
  row.bytesS2c = bytes.s2c;
}

/**
 * What one event tells its session's row, applied in place (the keepers update a row per event
 * on the hot path; {@link reduceSessionRow} is the copying fold). Deterministic, no I/O.
 *
 * - every event counts in `events`;
 * - `session.open` fills client and upstream when still unknown, and the state, when none is
 *   known yet, is `not-authenticated` (every IMAP session begins there);
 * - `session.facts`, `state.change` and `session.close` set the state; a known user is kept
 *   when an event says none;
 * - `session.close` ends the row ({@link endSessionRow});
 * - `exchange` counts, and counts NO and BAD completions; `lint` and `gap` count (a gap also
 *   adds its dropped bytes).
 */
export function applySessionEvent(row: SessionRow, e: ImapscopeEvent): void {
  row.events += 1;
  switch (e.type) {
    case 'session.open':
      if (row.client === '') row.client = formatEndpoint(e.client);
      if (row.upstream === '') row.upstream = formatEndpoint(e.upstream);
      row.state ??= 'not-authenticated';
      return;
    case 'session.facts':
      row.state = e.state;
      row.user = e.user ?? row.user;
      return;
    case 'state.change':
      row.state = e.to;
      return;
    case 'session.close':
      row.state = e.state;
      row.user = e.user ?? row.user;
      endSessionRow(row, e.at, e.reason, e.bytes);
      return;
    case 'exchange':
      row.exchangeCount += 1;
      if (e.status === 'NO') row.noCount += 1;
      if (e.status === 'BAD') row.badCount += 1;
      return;
    case 'lint':
      row.lintCount += 1;
      return;
    case 'gap':
      row.gapCount += 1;
      row.gapBytes += e.droppedBytes;
      return;
    case 'message': {
      // The client's ID (RFC 2971), as it sent it.
      const id = e.message.type === 'command' ? clientIdOf(e.message) : null;
      if (id) {
        row.clientName = id.name;
        row.clientVersion = id.version;
      }
      return;
    }
    case 'malformed':
    case 'tls.established':
    case 'compress.started':
      return;
    default:
      assertNever(e);
  }
}

/**
 * The row after `events` (all of one session), starting from `from` (not changed) or, without
 * it, from a new row started at the first event.
 */
export function reduceSessionRow(
  events: readonly ImapscopeEvent[],
  from?: Readonly<SessionRow>,
): SessionRow {
  const first = events[0];
  const row = from ? { ...from } : newSessionRow(first?.session ?? '', first?.at ?? 0);
  for (const e of events) applySessionEvent(row, e);
  return row;
}
