/**
 * The narrow interface between a relay session (relay.ts) and the code that intercepts its
 * forwarding (starttls-relay.ts): what the interceptor may do with a session, and the hooks
 * the session calls for each chunk it reads. Kept apart so the interceptor depends on these
 * few operations, not on the relay's internals.
 */
import type { Socket } from 'node:net';
import type { CloseReason } from '../../shared/close-reason.ts';
import type { Direction } from '../../shared/direction.ts';
import type { Logger } from '../log.ts';
import type { TransportEvent, TransportNoticeCode } from './tap.ts';

/** A leg of a relayed session: the client's connection or the upstream's. */
export type Side = 'client' | 'upstream';

/**
 * What the forwarding path calls for each chunk read from a leg. The plain relay's hooks
 * forward it (`send`); STARTTLS interception (starttls-relay.ts) puts its own in front.
 */
export interface RelayHooks {
  c2s(chunk: Buffer): void;
  s2c(chunk: Buffer): void;
  /** Called when a direction's reading side ended, before the end is passed on. */
  end?(direction: Direction): void;
}

/** What the relay lets the STARTTLS interceptor do with a session. */
export interface RelayControl {
  /** The TCP sockets of both legs (under any TLS socket). */
  readonly raws: Readonly<Record<Side, Socket>>;
  readonly log: Logger;
  /** Writes bytes onward on the current legs, then counts and taps them. */
  send(direction: Direction, data: Buffer): void;
  /** Counts and taps bytes that are not forwarded (consumed, or written by imapscope itself). */
  record(direction: Direction, data: Buffer): void;
  /** Stops forwarding: no data listeners, both legs paused. */
  detach(): void;
  /** Forwards again, on the legs as they are now. */
  attach(): void;
  /** Makes `socket` (a TLS socket over the raw one) the application-data socket of a leg. */
  adopt(side: Side, socket: Socket): void;
  transport(event: TransportEvent): void;
  notice(code: TransportNoticeCode, direction: Direction | null, message: string, n?: number): void;
  setReason(reason: CloseReason): void;
  destroyAll(): void;
  clientTlsFailed(err: NodeJS.ErrnoException): void;
  /** Ends the session with a BYE saying why the upstream's TLS failed. */
  upstreamTlsFailed(err: NodeJS.ErrnoException): void;
}
