import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Direction } from '../../shared/direction.ts';
import { formatHostPort } from '../config.ts';
import type { HostPort } from '../config.ts';
import { UPSTREAM_CONNECT_TIMEOUT_MS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { Tap } from './tap.ts';
import type { SessionInspector } from './tap.ts';

/** What is known about a session when it opens; handed to the inspector factory. */
export interface SessionInfo {
  id: string;
  client: HostPort;
  upstream: HostPort;
  startedAt: number;
}

/** Why a session ended, as logged and (later) reported in session.close events. */
export type CloseReason =
  | 'closed' // both sides closed normally
  | 'client-reset'
  | 'upstream-reset'
  | 'client-error'
  | 'upstream-error'
  | 'upstream-unavailable'
  | 'shutdown';

export interface SessionSummary extends SessionInfo {
  endedAt: number;
  bytes: Record<Direction, number>;
  reason: CloseReason;
  droppedTapChunks: number;
}

export interface RelayOptions {
  upstream: HostPort;
  log: Logger;
  /** Creates the inspector for a session; without it bytes are only forwarded and counted. */
  inspect?: (info: SessionInfo) => SessionInspector;
  onClose?: (summary: SessionSummary) => void;
  connectTimeoutMs?: number;
}

let counter = 0;
/** Session ids sort by start time and stay unique across restarts: base36 ms timestamp + counter. */
export function newSessionId(now = Date.now()): string {
  counter = (counter + 1) % 1296;
  return `${now.toString(36)}${counter.toString(36).padStart(2, '0')}`;
}

const noopInspector: SessionInspector = { chunks() {}, gap() {}, close() {} };

/**
 * Relays one client connection to a fresh upstream connection, byte for byte.
 *
 * The client socket must arrive paused (the listener uses pauseOnConnect), so
 * nothing is read before the upstream is there to take it. Bytes are written
 * onward first and tapped second; a full write buffer pauses the reading side
 * until 'drain'. A FIN on one side becomes a FIN on the other (half-close); a
 * reset on one side resets the other. If the upstream cannot be reached the
 * client gets one `* BYE [UNAVAILABLE]` line naming it and is closed.
 */
export function relayConnection(client: Socket, opts: RelayOptions): { id: string; close(): void } {
  const startedAt = Date.now();
  const info: SessionInfo = {
    id: newSessionId(startedAt),
    client: { host: client.remoteAddress ?? '?', port: client.remotePort ?? 0 },
    upstream: opts.upstream,
    startedAt,
  };
  const log = opts.log.child({ session: info.id });
  const bytes: Record<Direction, number> = { c2s: 0, s2c: 0 };
  let reason: CloseReason = 'closed';
  let tap: Tap | null = null;
  let finished = false;

  log.info(
    { client: formatHostPort(info.client), upstream: formatHostPort(info.upstream) },
    'session open',
  );
  client.setNoDelay(true);
  client.on('error', (err: NodeJS.ErrnoException) => {
    if (reason === 'closed') reason = err.code === 'ECONNRESET' ? 'client-reset' : 'client-error';
    log.debug({ err: err.message, code: err.code }, 'client socket error');
  });

  const upstream = connect({
    host: opts.upstream.host,
    port: opts.upstream.port,
    allowHalfOpen: true,
  });
  upstream.setNoDelay(true);
  const timeoutMs = opts.connectTimeoutMs ?? UPSTREAM_CONNECT_TIMEOUT_MS;
  upstream.setTimeout(timeoutMs, () => {
    upstream.destroy(
      Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
    );
  });

  const finish = (): void => {
    if (finished || !client.destroyed || !upstream.destroyed) return;
    finished = true;
    tap?.close();
    const endedAt = Date.now();
    log.info(
      {
        bytesC2s: bytes.c2s,
        bytesS2c: bytes.s2c,
        durationMs: endedAt - startedAt,
        reason,
        ...(tap && tap.droppedTotal > 0 ? { droppedTapChunks: tap.droppedTotal } : {}),
      },
      'session close',
    );
    opts.onClose?.({ ...info, endedAt, bytes, reason, droppedTapChunks: tap?.droppedTotal ?? 0 });
  };

  const onConnectError = (err: NodeJS.ErrnoException): void => {
    reason = 'upstream-unavailable';
    const target = formatHostPort(opts.upstream);
    const why = err.code ?? err.message;
    log.warn({ upstream: target, code: err.code, err: err.message }, 'upstream unavailable');
    // Read and discard what the client sends so closing does not turn into a reset that loses the BYE.
    client.on('data', () => {});
    client.on('end', () => client.destroy());
    client.on('close', finish);
    client.resume();
    client.end(`* BYE [UNAVAILABLE] imapscope cannot reach upstream ${target}: ${why}\r\n`);
    setTimeout(() => client.destroy(), 2000).unref();
    upstream.on('close', finish);
  };
  upstream.once('error', onConnectError);

  upstream.once('connect', () => {
    upstream.setTimeout(0);
    upstream.off('error', onConnectError);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (reason === 'closed')
        reason = err.code === 'ECONNRESET' ? 'upstream-reset' : 'upstream-error';
      log.debug({ err: err.message, code: err.code }, 'upstream socket error');
    });
    tap = new Tap(opts.inspect?.(info) ?? noopInspector);
    forward(client, upstream, 'c2s');
    forward(upstream, client, 's2c');
    client.resume();
  });

  function forward(from: Socket, to: Socket, direction: Direction): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
      bytes[direction] += chunk.length;
      tap!.push(direction, chunk);
    });
    to.on('drain', () => from.resume());
    from.on('end', () => to.end());
    from.on('close', (hadError) => {
      if (hadError && !to.destroyed) {
        // A reset (or other error) on one side: reset the other so the peer learns it too.
        to.resetAndDestroy();
      } else if (!to.writableEnded) {
        to.end();
      }
      // Nothing more can reach a side that is gone: stop the other from waiting on it.
      if (!to.destroyed && from.readableEnded === false) to.destroy();
      finish();
    });
  }

  return {
    id: info.id,
    close() {
      reason = 'shutdown';
      client.destroy();
      upstream.destroy();
    },
  };
}
