import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Direction } from '../../shared/direction.ts';
import { formatHostPort } from '../config.ts';
import type { HostPort } from '../config.ts';
import { NO_GREETING_HINT_MS, UPSTREAM_CONNECT_TIMEOUT_MS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { TransportFollower } from './compress.ts';
import { upgradeUpstreamFirst } from './starttls.ts';
import { StarttlsInterceptor } from './starttls-relay.ts';
import { SessionGuard } from './session-guard.ts';
import type { SessionLimits } from './session-guard.ts';
import { Tap } from './tap.ts';
import type { SessionInspector, TapChunk, TransportEvent, TransportNoticeCode } from './tap.ts';
import type { InspectionFlow } from '../transport.ts';
import { acceptClientTls, connectUpstreamTls, describeTlsError, tlsEstablished } from './tls.ts';
import type { TlsSetup } from './tls.ts';

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
  | 'client-tls-failed' // the client's TLS handshake failed (implicit or after STARTTLS)
  | 'upstream-tls-failed' // the upstream's handshake or certificate verification failed
  | 'starttls-injection' // more plaintext after STARTTLS than MAX_TRANSPORT_HOLD_BYTES
  | 'idle-timeout' // no byte either way for --idle-timeout
  | 'shutdown';

export interface SessionSummary extends SessionInfo {
  endedAt: number;
  bytes: Record<Direction, number>;
  reason: CloseReason;
  droppedTapChunks: number;
  /** The side whose connection ended first (FIN or close); null when imapscope ended both. */
  closedFirst: Side | null;
}

export interface RelayOptions {
  upstream: HostPort;
  log: Logger;
  /**
   * Creates the inspector for a session; without it bytes are only forwarded and counted.
   * `flow` lets a lossless inspector pause the session's reading while it catches up.
   */
  inspect?: (info: SessionInfo, flow: InspectionFlow) => SessionInspector;
  onClose?: (summary: SessionSummary) => void;
  connectTimeoutMs?: number;
  /** TLS on each leg (see tls.ts prepareTls); without it both legs are plain. */
  tls?: TlsSetup;
  /** Idle timeout and keepalive (session-guard.ts); keepalive is on even without it. */
  limits?: SessionLimits;
}

let counter = 0;
/** Session ids sort by start time and stay unique across restarts: base36 ms timestamp + counter. */
export function newSessionId(now = Date.now()): string {
  counter = (counter + 1) % 1296;
  return `${now.toString(36)}${counter.toString(36).padStart(2, '0')}`;
}

const noopInspector: SessionInspector = { chunks() {}, gap() {}, close() {} };
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

/**
 * Relays one client connection to a fresh upstream connection, byte for byte.
 *
 * The client socket must arrive paused (the listener uses pauseOnConnect), so
 * nothing is read before the upstream is there to take it. Bytes are written
 * onward first and tapped second; a full write buffer pauses the reading side
 * until 'drain'. A FIN on one side becomes a FIN on the other (half-close); a
 * reset on one side resets the other. If the upstream cannot be reached the
 * client gets one `* BYE [UNAVAILABLE]` line naming it and is closed.
 *
 * With `tls`, either leg may be TLS from the start (implicit) or after STARTTLS: the
 * upstream's STARTTLS prelude for a client that does not do STARTTLS itself runs here
 * (starttls.ts), the client's STARTTLS is intercepted by the hooks of starttls-relay.ts, and
 * the tap goes on seeing the plaintext of both legs. A failed upstream verification gets the
 * client a BYE saying so.
 */
export function relayConnection(
  raw: Socket,
  opts: RelayOptions,
): { id: string; close(): void; bye(text: string): boolean } {
  const startedAt = Date.now();
  const info: SessionInfo = {
    id: newSessionId(startedAt),
    client: { host: raw.remoteAddress ?? '?', port: raw.remotePort ?? 0 },
    upstream: opts.upstream,
    startedAt,
  };
  const log = opts.log.child({ session: info.id });
  const target = formatHostPort(opts.upstream);
  const clientMode = opts.tls?.client.mode ?? 'none';
  const upstreamMode = opts.tls?.upstream.mode ?? 'none';
  const bytes: Record<Direction, number> = { c2s: 0, s2c: 0 };
  let reason: CloseReason = 'closed';
  const setReason = (r: CloseReason): void => {
    if (reason === 'closed') reason = r;
  };
  let tap: Tap | null = null;
  const early: TransportEvent[] = [];
  let finished = false;
  let closedFirst: Side | null = null;

  log.info({ client: formatHostPort(info.client), upstream: target }, 'session open');
  raw.setNoDelay(true);
  const onClientError = (err: NodeJS.ErrnoException): void => {
    setReason(err.code === 'ECONNRESET' ? 'client-reset' : 'client-error');
    log.debug({ err: err.message, code: err.code }, 'client socket error');
  };
  const onUpstreamError = (err: NodeJS.ErrnoException): void => {
    setReason(err.code === 'ECONNRESET' ? 'upstream-reset' : 'upstream-error');
    log.debug({ err: err.message, code: err.code }, 'upstream socket error');
  };
  raw.on('error', onClientError);

  const upstreamRaw = connect({
    host: opts.upstream.host,
    port: opts.upstream.port,
    allowHalfOpen: true,
  });
  upstreamRaw.setNoDelay(true);
  const legs: Record<Side, Socket> = { client: raw, upstream: upstreamRaw };
  const guard = new SessionGuard(
    opts.limits,
    [raw, upstreamRaw],
    () => {
      setReason('idle-timeout');
      destroyAll();
    },
    (text) => {
      legs.client.write(text);
      if (tap) record('s2c', Buffer.from(text));
    },
  );
  const raws: Record<Side, Socket> = { client: raw, upstream: upstreamRaw };
  const timeoutMs = opts.connectTimeoutMs ?? UPSTREAM_CONNECT_TIMEOUT_MS;
  upstreamRaw.setTimeout(timeoutMs, () => {
    upstreamRaw.destroy(
      Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
    );
  });

  const transport = (event: TransportEvent): void => {
    if (tap) tap.transport(event);
    else early.push(event);
  };
  const notice = (
    code: TransportNoticeCode,
    direction: Direction | null,
    message: string,
    n = 0,
  ): void => {
    log.warn({ code, direction, bytes: n }, message);
    transport({ type: 'transport.notice', code, direction, message, bytes: n, at: Date.now() });
  };

  const finish = (): void => {
    if (finished) return;
    if (![raws.client, raws.upstream, legs.client, legs.upstream].every((s) => s.destroyed)) return;
    finished = true;
    guard.stop();
    tap?.close();
    const endedAt = Date.now();
    // At debug: the info line is the inspection's summary (hub/log-sink.ts), which knows more.
    log.debug(
      {
        bytesC2s: bytes.c2s,
        bytesS2c: bytes.s2c,
        durationMs: endedAt - startedAt,
        reason,
        ...(tap && tap.droppedTotal > 0 ? { droppedTapChunks: tap.droppedTotal } : {}),
        ...(inspectionPauses > 0 ? { inspectionPauses } : {}),
      },
      'relay close',
    );
    opts.onClose?.({
      ...info,
      endedAt,
      bytes,
      reason,
      droppedTapChunks: tap?.droppedTotal ?? 0,
      closedFirst,
    });
  };
  raw.on('close', finish);
  upstreamRaw.on('close', finish);

  /** Makes `socket` the application-data socket of a leg (a TLS socket over its raw one). */
  const adopt = (side: Side, socket: Socket): void => {
    legs[side] = socket;
    socket.on('error', side === 'client' ? onClientError : onUpstreamError);
    socket.on('close', () => {
      raws[side].destroy();
      finish();
    });
  };
  const destroyAll = (): void => {
    for (const s of [legs.client, legs.upstream, raws.client, raws.upstream]) s.destroy();
  };

  // A client whose handshake fails: one log line, the session closes, nothing else is touched.
  const clientTlsFailed = (err: NodeJS.ErrnoException): false => {
    // The same error also reached the socket's error listener, which called it a client error.
    if (reason !== 'shutdown') reason = 'client-tls-failed';
    log.warn({ err: err.message, code: err.code }, 'client TLS handshake failed');
    destroyAll();
    return false;
  };
  let clientSecure: Promise<boolean> = Promise.resolve(true);
  if (clientMode === 'implicit') {
    const { socket, secure } = acceptClientTls(raw, opts.tls!.client);
    adopt('client', socket);
    clientSecure = secure.then(() => {
      transport(tlsEstablished(socket, 'client', 'implicit'));
      return true;
    }, clientTlsFailed);
  }

  /**
   * Ends the session with one BYE line to the client (over TLS if its leg has it). The BYE is
   * inspected as what the client received, so a session that failed before or while reaching
   * the upstream is in the list and the archive with its reason and the BYE imapscope sent.
   */
  const bye = (text: string): void => {
    if (!finished) {
      openTap().push('s2c', Buffer.from(text));
      bytes.s2c += Buffer.byteLength(text);
    }
    legs.upstream.destroy();
    upstreamRaw.destroy();
    void clientSecure.then((ok) => {
      if (!ok) return;
      const c = legs.client;
      // Read and discard what the client sends so closing does not turn into a reset that loses the BYE.
      c.on('data', () => {});
      c.on('end', () => c.destroy());
      c.resume();
      c.end(text);
      setTimeout(() => c.destroy(), 2000).unref();
    });
  };

  const onConnectError = (err: NodeJS.ErrnoException): void => {
    setReason('upstream-unavailable');
    const why = err.code ?? err.message;
    log.warn({ upstream: target, code: err.code, err: err.message }, 'upstream unavailable');
    bye(`* BYE [UNAVAILABLE] imapscope cannot reach upstream ${target}: ${why}\r\n`);
  };
  const upstreamTlsFailed = (err: NodeJS.ErrnoException): void => {
    setReason('upstream-tls-failed');
    const why = describeTlsError(err);
    log.warn({ upstream: target, code: err.code, err: err.message }, `upstream TLS failed: ${why}`);
    bye(`* BYE [UNAVAILABLE] imapscope: upstream ${target} ${why}\r\n`);
  };
  upstreamRaw.once('error', onConnectError);

  /** Creates the session's inspector and tap (once): at connect, or at a failure before it. */
  function openTap(): Tap {
    if (tap) return tap;
    // Without an inspector nothing reads inflated bytes: skip following COMPRESS altogether.
    const inner = opts.inspect?.(info, flow);
    // A lossless inspector pauses the relay instead of dropping: the tap must not drop either
    // (what it queues is one event-loop turn of reads, and then the relay pauses).
    tap = new Tap(
      inner ? new TransportFollower(inner, clientMode === 'starttls') : noopInspector,
      inner?.lossless === true ? Infinity : undefined,
    );
    for (const e of early.splice(0)) tap.transport(e);
    return tap;
  }

  upstreamRaw.once('connect', () => {
    upstreamRaw.setTimeout(0);
    upstreamRaw.off('error', onConnectError);
    upstreamRaw.on('error', onUpstreamError);
    openTap();
    void setupUpstream();
  });

  async function setupUpstream(): Promise<void> {
    const up = opts.tls?.upstream;
    let greeting: Buffer | null = null;
    try {
      if (up && upstreamMode === 'implicit') {
        const secured = await connectUpstreamTls(upstreamRaw, up);
        adopt('upstream', secured);
        transport(tlsEstablished(secured, 'upstream', 'implicit', up.servername));
      } else if (up && upstreamMode === 'starttls' && clientMode !== 'starttls') {
        const r = await upgradeUpstreamFirst(upstreamRaw, (s) => connectUpstreamTls(s, up));
        if (!r.ok) {
          setReason('upstream-unavailable');
          notice('STARTTLS_REFUSED', null, r.why);
          bye(r.bye);
          return;
        }
        adopt('upstream', r.tls);
        transport(tlsEstablished(r.tls, 'upstream', 'starttls', up.servername));
        greeting = r.greeting;
      }
    } catch (err) {
      if (!finished && !raws.client.destroyed) upstreamTlsFailed(err as NodeJS.ErrnoException);
      else destroyAll();
      return;
    }
    if (!(await clientSecure)) return;
    if (greeting) {
      legs.client.write(greeting);
      record('s2c', greeting);
    }
    if (upstreamMode === 'none' && bytes.s2c === 0) hintIfSilent();
    attach();
  }

  /**
   * A plain upstream that says nothing after connecting is most often a TLS port (993): say so
   * once, in the log and as a lint, after NO_GREETING_HINT_MS. The session goes on as it is.
   */
  function hintIfSilent(): void {
    const timer = setTimeout(() => {
      if (finished || bytes.s2c > 0) return;
      notice(
        'NO_GREETING',
        's2c',
        `no greeting from ${target} within ${NO_GREETING_HINT_MS / 1000} s — is this an implicit-TLS port? try --upstream-tls implicit`,
      );
    }, NO_GREETING_HINT_MS);
    timer.unref();
    upstreamRaw.once('close', () => clearTimeout(timer));
  }

  // ---- forwarding ---------------------------------------------------------------------------
  let detachers: (() => void)[] = [];
  /** Inspection (lossless) asked to stop reading until it catches up. */
  let inspectionPaused = false;
  /** Times inspection paused this session (reported in the session close line). */
  let inspectionPauses = 0;
  /** Resumes reading a leg unless inspection holds the session or its peer's buffer is full. */
  function resumeReading(from: Socket, to: Socket): void {
    if (!inspectionPaused && detachers.length > 0 && !to.writableNeedDrain) from.resume();
  }
  const flow: InspectionFlow = {
    pause() {
      if (!inspectionPaused) inspectionPauses += 1;
      inspectionPaused = true;
      legs.client.pause();
      legs.upstream.pause();
    },
    resume() {
      if (!inspectionPaused) return;
      inspectionPaused = false;
      resumeReading(legs.client, legs.upstream);
      resumeReading(legs.upstream, legs.client);
    },
  };
  function attach(): void {
    // A leg that closed while nothing listened (during a handshake) takes the other with it.
    if (legs.client.destroyed || legs.upstream.destroyed) return destroyAll();
    detachers = [
      forward(legs.client, legs.upstream, 'c2s'),
      forward(legs.upstream, legs.client, 's2c'),
    ];
    resumeReading(legs.client, legs.upstream);
    resumeReading(legs.upstream, legs.client);
  }
  function detach(): void {
    for (const off of detachers) off();
    detachers = [];
    legs.client.pause();
    legs.upstream.pause();
  }

  function send(direction: Direction, data: Buffer): void {
    const [from, to] =
      direction === 'c2s' ? [legs.client, legs.upstream] : [legs.upstream, legs.client];
    let entry: TapChunk | null = null;
    // Forward first; once the write is done the tap's copy may take the bytes' memory.
    const ok = to.write(data, () => {
      if (entry) entry.owned = true;
    });
    if (!ok) from.pause();
    bytes[direction] += data.length;
    entry = tap!.push(direction, data);
    guard.seen(direction, data);
  }
  function record(direction: Direction, data: Buffer): void {
    bytes[direction] += data.length;
    tap!.push(direction, data);
    guard.seen(direction, data);
  }

  const hooks: RelayHooks =
    clientMode === 'starttls'
      ? new StarttlsInterceptor(
          {
            raws,
            log,
            send,
            record,
            detach,
            attach,
            adopt,
            transport,
            notice,
            setReason,
            destroyAll,
            clientTlsFailed,
            upstreamTlsFailed,
          },
          opts.tls!,
        )
      : { c2s: (chunk) => send('c2s', chunk), s2c: (chunk) => send('s2c', chunk) };

  function reset(side: Side): void {
    try {
      raws[side].resetAndDestroy();
    } catch {
      // a TLS leg whose handle is not a plain TCP one: a close is the best we can do
    }
    legs[side].destroy();
  }

  function forward(from: Socket, to: Socket, direction: Direction): () => void {
    const toSide: Side = direction === 'c2s' ? 'upstream' : 'client';
    const onData = direction === 'c2s' ? hooks.c2s : hooks.s2c;
    const onDrain = (): void => resumeReading(from, to);
    const fromSide: Side = direction === 'c2s' ? 'client' : 'upstream';
    const onEnd = (): void => {
      closedFirst ??= fromSide;
      hooks.end?.(direction);
      to.end();
    };
    const onClose = (hadError: boolean): void => {
      closedFirst ??= fromSide;
      if (hadError && !to.destroyed) {
        // A reset (or other error) on one side: reset the other so the peer learns it too.
        reset(toSide);
      } else if (!to.writableEnded) {
        to.end();
      }
      // Nothing more can reach a side that is gone: stop the other from waiting on it.
      if (!to.destroyed && from.readableEnded === false) to.destroy();
      finish();
    };
    from.on('data', onData);
    to.on('drain', onDrain);
    from.on('end', onEnd);
    from.on('close', onClose);
    return () => {
      from.off('data', onData);
      to.off('drain', onDrain);
      from.off('end', onEnd);
      from.off('close', onClose);
    };
  }

  return {
    id: info.id,
    close() {
      reason = 'shutdown';
      destroyAll();
    },
    /** Shutdown's BYE, when it cannot split a message (see SessionGuard.bye). */
    bye: (text) => guard.bye(text),
  };
}
