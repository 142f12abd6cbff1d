import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { CloseReason } from '../../shared/close-reason.ts';
import type { Direction } from '../../shared/direction.ts';
import { formatHostPort } from '../config.ts';
import type { HostPort } from '../config.ts';
import { NO_GREETING_HINT_MS, UPSTREAM_CONNECT_TIMEOUT_MS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { upgradeUpstreamFirst } from './starttls.ts';
import type { RelayControl, RelayHooks, Side } from './relay-control.ts';
import { StarttlsInterceptor } from './starttls-relay.ts';
import { SessionGuard } from './session-guard.ts';
import type { SessionLimits } from './session-guard.ts';
import type {
  InspectionFlow,
  SessionInspector,
  SessionTransport,
  TransportEvent,
  TransportNoticeCode,
} from '../transport.ts';
import { acceptClientTls, connectUpstreamTls, describeTlsError, tlsEstablished } from './tls.ts';
import type { TlsSetup } from './tls.ts';
import type { TlsMode } from './tls-modes.ts';

/** What is known about a session when it opens; handed to the inspector factory. */
export interface SessionInfo {
  id: string;
  client: HostPort;
  upstream: HostPort;
  startedAt: number;
}

export interface SessionSummary extends SessionInfo {
  endedAt: number;
  bytes: Record<Direction, number>;
  reason: CloseReason;
  /** The side whose connection ended first (FIN or close); null when imapscope ended both. */
  closedFirst: Side | null;
}

export interface RelayOptions {
  upstream: HostPort;
  log: Logger;
  /**
   * Creates the inspector for a session; without it bytes are only forwarded and counted.
   * `flow` lets a lossless inspector pause the session's reading while it catches up;
   * `transport` says what the inspector must know to follow STARTTLS and COMPRESS itself.
   */
  inspect?: (
    info: SessionInfo,
    flow: InspectionFlow,
    transport: SessionTransport,
  ) => SessionInspector;
  onClose?: (summary: SessionSummary) => void;
  connectTimeoutMs?: number;
  /** TLS on each leg (see tls.ts prepareTls); without it both legs are plain. */
  tls?: TlsSetup;
  /** Idle timeout and keepalive (session-guard.ts); keepalive is on even without it. */
  limits?: SessionLimits;
  /** The real client when a PROXY header named it (listener.ts); else the socket's peer. */
  client?: HostPort;
  /** Written to the upstream before anything else (--upstream-proxy-protocol's v2 header). */
  upstreamPreamble?: Buffer;
}

let counter = 0;
let idSuffix = '';
/**
 * Session ids sort by start time and stay unique across restarts: base36 ms timestamp + counter,
 * plus this process's suffix when several instances share one archive (useSessionIdSuffix).
 */
export function newSessionId(now = Date.now()): string {
  counter = (counter + 1) % 1296;
  return `${now.toString(36)}${counter.toString(36).padStart(2, '0')}${idSuffix}`;
}

/**
 * With a shared archive, two instances can start a session in the same millisecond with the
 * same counter: a random suffix per process (`-` and 6 base36 characters, about 2^31 values)
 * keeps their ids apart. Ids still sort by start time.
 */
export function useSessionIdSuffix(random: Buffer): void {
  idSuffix = '-' + (random.readUInt32BE(0) % 36 ** 6).toString(36).padStart(6, '0');
}

const noopInspector: SessionInspector = { chunks() {}, gap() {}, close() {} };

/** A relayed session as the listener and shutdown see it. */
export interface RelayHandle {
  readonly id: string;
  /** Shutdown: ends the session at once, reason `shutdown`. */
  close(): void;
  /** Shutdown's BYE, when it cannot split a message (see SessionGuard.bye). */
  bye(text: string): boolean;
}

/**
 * Relays one client connection to a fresh upstream connection, byte for byte (see
 * {@link RelaySession}).
 */
export function relayConnection(raw: Socket, opts: RelayOptions): RelayHandle {
  return new RelaySession(raw, opts);
}

/**
 * One client connection relayed to a fresh upstream connection, byte for byte.
 *
 * The client socket must arrive paused (the listener uses pauseOnConnect), so nothing is
 * read before the upstream is there to take it. Bytes are written onward first and handed to
 * the session's inspector second (which only queues them: inspection/outbox.ts); a full
 * write buffer pauses the reading side until 'drain'. A FIN on one side becomes a FIN on the
 * other (half-close); a reset on one side resets the other. If the upstream cannot be
 * reached the client gets one `* BYE [UNAVAILABLE]` line naming it and is closed.
 *
 * With `tls`, either leg may be TLS from the start (implicit) or after STARTTLS: the
 * upstream's STARTTLS prelude for a client that does not do STARTTLS itself runs here
 * (starttls.ts), the client's STARTTLS is intercepted by the hooks of starttls-relay.ts
 * (through the narrow {@link RelayControl}), and the inspector goes on seeing the plaintext of
 * both legs. A failed upstream verification gets the client a BYE saying so.
 *
 * State: the legs (`raws`: the TCP sockets; `legs`: the application-data sockets, a TLS
 * socket over the raw one once a leg is TLS), the byte counters, the close reason (the first
 * cause recorded wins over `closed`) and the inspector (created at connect, or at a failure
 * before).
 */
export class RelaySession implements RelayHandle, RelayControl {
  readonly id: string;
  readonly info: SessionInfo;
  readonly log: Logger;
  /** The TCP sockets of both legs. */
  readonly raws: Readonly<Record<Side, Socket>>;
  /** The sockets application data flows through: a leg's TLS socket once it has one. */
  private readonly legs: Record<Side, Socket>;
  /** Bytes relayed (and recorded) each way. */
  readonly bytes: Record<Direction, number> = { c2s: 0, s2c: 0 };
  private reason: CloseReason = 'closed';
  private inspector: SessionInspector | null = null;
  /** Transport events before the inspector exists (an implicit TLS handshake), handed to it then. */
  private readonly early: TransportEvent[] = [];
  private finished = false;
  /** The side whose connection ended first (reported with the close). */
  private closedFirst: Side | null = null;
  private readonly target: string;
  private readonly clientMode: TlsMode;
  private readonly upstreamMode: TlsMode;
  private readonly guard: SessionGuard;
  private readonly hooks: RelayHooks;
  /** Resolves false when the client's implicit TLS handshake failed. */
  private clientSecure: Promise<boolean> = Promise.resolve(true);
  /** Listeners of the forwarding path while attached. */
  private detachers: (() => void)[] = [];
  /** Inspection (lossless) asked to stop reading until it catches up. */
  private inspectionPaused = false;
  /** Times inspection paused this session (reported in the session close line). */
  private inspectionPauses = 0;

  constructor(
    client: Socket,
    private readonly opts: RelayOptions,
  ) {
    const startedAt = Date.now();
    this.id = newSessionId(startedAt);
    this.info = {
      id: this.id,
      client: opts.client ?? { host: client.remoteAddress ?? '?', port: client.remotePort ?? 0 },
      upstream: opts.upstream,
      startedAt,
    };
    this.log = opts.log.child({ session: this.id });
    this.target = formatHostPort(opts.upstream);
    this.clientMode = opts.tls?.client.mode ?? 'none';
    this.upstreamMode = opts.tls?.upstream.mode ?? 'none';

    // At debug: info has one line per session, the summary at its close (hub/log-sink.ts).
    this.log.debug(
      { client: formatHostPort(this.info.client), upstream: this.target },
      'session open',
    );
    client.setNoDelay(true);
    client.on('error', this.onClientError);
    const upstream = connect({
      host: opts.upstream.host,
      port: opts.upstream.port,
      allowHalfOpen: true,
    });
    upstream.setNoDelay(true);
    // Queued until connected, then first on the wire: before TLS, before any IMAP byte.
    if (opts.upstreamPreamble) upstream.write(opts.upstreamPreamble);
    this.raws = { client, upstream };
    this.legs = { client, upstream };
    this.guard = new SessionGuard(
      opts.limits,
      [client, upstream],
      () => {
        this.setReason('idle-timeout');
        this.destroyAll();
      },
      (text) => {
        this.legs.client.write(text);
        if (this.inspector) this.record('s2c', Buffer.from(text));
      },
    );
    const timeoutMs = opts.connectTimeoutMs ?? UPSTREAM_CONNECT_TIMEOUT_MS;
    upstream.setTimeout(timeoutMs, () => {
      upstream.destroy(
        Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      );
    });
    client.on('close', this.finish);
    upstream.on('close', this.finish);

    if (this.clientMode === 'implicit') {
      const { socket, secure } = acceptClientTls(client, opts.tls!.client);
      this.adopt('client', socket);
      this.clientSecure = secure.then(() => {
        this.transport(tlsEstablished(socket, 'client', 'implicit'));
        return true;
      }, this.clientTlsFailed);
    }
    upstream.once('error', this.onConnectError);
    upstream.once('connect', this.onConnect);
    this.hooks =
      this.clientMode === 'starttls'
        ? new StarttlsInterceptor(this, opts.tls!)
        : { c2s: (chunk) => this.send('c2s', chunk), s2c: (chunk) => this.send('s2c', chunk) };
  }

  // ---- the handle ---------------------------------------------------------------------------

  close(): void {
    this.reason = 'shutdown';
    this.destroyAll();
  }

  bye(text: string): boolean {
    return this.guard.bye(text);
  }

  // ---- ending -------------------------------------------------------------------------------

  setReason(reason: CloseReason): void {
    if (this.reason === 'closed') this.reason = reason;
  }

  destroyAll(): void {
    for (const s of [this.legs.client, this.legs.upstream, this.raws.client, this.raws.upstream])
      s.destroy();
  }

  private readonly onClientError = (err: NodeJS.ErrnoException): void => {
    this.setReason(err.code === 'ECONNRESET' ? 'client-reset' : 'client-error');
    this.log.debug({ err: err.message, code: err.code }, 'client socket error');
  };

  private readonly onUpstreamError = (err: NodeJS.ErrnoException): void => {
    this.setReason(err.code === 'ECONNRESET' ? 'upstream-reset' : 'upstream-error');
    this.log.debug({ err: err.message, code: err.code }, 'upstream socket error');
  };

  /** Once every socket of both legs is gone: closes the inspector and reports the summary. */
  private readonly finish = (): void => {
    if (this.finished) return;
    const { raws, legs, bytes } = this;
    if (![raws.client, raws.upstream, legs.client, legs.upstream].every((s) => s.destroyed)) return;
    this.finished = true;
    this.guard.stop();
    this.inspector?.close();
    // As the tap did once closed: whatever comes later (a late TLS event) goes nowhere.
    this.inspector = noopInspector;
    const endedAt = Date.now();
    // At debug: the info line is the inspection's summary (hub/log-sink.ts), which knows more.
    this.log.debug(
      {
        bytesC2s: bytes.c2s,
        bytesS2c: bytes.s2c,
        durationMs: endedAt - this.info.startedAt,
        reason: this.reason,
        ...(this.inspectionPauses > 0 ? { inspectionPauses: this.inspectionPauses } : {}),
      },
      'relay close',
    );
    this.opts.onClose?.({
      ...this.info,
      endedAt,
      bytes,
      reason: this.reason,
      closedFirst: this.closedFirst,
    });
  };

  /**
   * Ends the session with one BYE line to the client (over TLS if its leg has it). The BYE is
   * inspected as what the client received, so a session that failed before or while reaching
   * the upstream is in the list and the archive with its reason and the BYE imapscope sent.
   */
  private endWithBye(text: string): void {
    if (!this.finished) {
      const data = Buffer.from(text);
      this.openInspector().chunks([{ direction: 's2c', data, at: Date.now() }]);
      this.bytes.s2c += data.length;
    }
    this.legs.upstream.destroy();
    this.raws.upstream.destroy();
    void this.clientSecure.then((ok) => {
      if (!ok) return;
      const c = this.legs.client;
      // Read and discard what the client sends so closing does not turn into a reset that loses the BYE.
      c.on('data', () => {});
      c.on('end', () => c.destroy());
      c.resume();
      c.end(text);
      setTimeout(() => c.destroy(), 2000).unref();
    });
  }

  /** A client whose handshake fails: one log line, the session closes, nothing else is touched. */
  readonly clientTlsFailed = (err: NodeJS.ErrnoException): false => {
    // The same error also reached the socket's error listener, which called it a client error.
    if (this.reason !== 'shutdown') this.reason = 'client-tls-failed';
    this.log.warn({ err: err.message, code: err.code }, 'client TLS handshake failed');
    this.destroyAll();
    return false;
  };

  upstreamTlsFailed(err: NodeJS.ErrnoException): void {
    this.setReason('upstream-tls-failed');
    const why = describeTlsError(err);
    this.log.warn(
      { upstream: this.target, code: err.code, err: err.message },
      `upstream TLS failed: ${why}`,
    );
    this.endWithBye(`* BYE [UNAVAILABLE] imapscope: upstream ${this.target} ${why}\r\n`);
  }

  // ---- reaching the upstream ----------------------------------------------------------------

  private readonly onConnectError = (err: NodeJS.ErrnoException): void => {
    this.setReason('upstream-unavailable');
    const why = err.code ?? err.message;
    this.log.warn(
      { upstream: this.target, code: err.code, err: err.message },
      'upstream unavailable',
    );
    this.endWithBye(
      `* BYE [UNAVAILABLE] imapscope cannot reach upstream ${this.target}: ${why}\r\n`,
    );
  };

  private readonly onConnect = (): void => {
    const upstream = this.raws.upstream;
    upstream.setTimeout(0);
    upstream.off('error', this.onConnectError);
    upstream.on('error', this.onUpstreamError);
    this.openInspector();
    void this.setupUpstream();
  };

  /** TLS or the STARTTLS prelude on the upstream leg, as configured; then forwarding starts. */
  private async setupUpstream(): Promise<void> {
    const up = this.opts.tls?.upstream;
    let greeting: Buffer | null = null;
    try {
      if (up && this.upstreamMode === 'implicit') {
        const secured = await connectUpstreamTls(this.raws.upstream, up);
        this.adopt('upstream', secured);
        this.transport(tlsEstablished(secured, 'upstream', 'implicit', up.servername));
      } else if (up && this.upstreamMode === 'starttls' && this.clientMode !== 'starttls') {
        const r = await upgradeUpstreamFirst(this.raws.upstream, (s) => connectUpstreamTls(s, up));
        if (!r.ok) {
          this.setReason('upstream-unavailable');
          this.notice('STARTTLS_REFUSED', null, r.why);
          this.endWithBye(r.bye);
          return;
        }
        this.adopt('upstream', r.tls);
        this.transport(tlsEstablished(r.tls, 'upstream', 'starttls', up.servername));
        greeting = r.greeting;
      }
    } catch (err) {
      if (!this.finished && !this.raws.client.destroyed)
        this.upstreamTlsFailed(err as NodeJS.ErrnoException);
      else this.destroyAll();
      return;
    }
    if (!(await this.clientSecure)) return;
    if (greeting) {
      this.legs.client.write(greeting);
      this.record('s2c', greeting);
    }
    if (this.upstreamMode === 'none' && this.bytes.s2c === 0) this.hintIfSilent();
    this.attach();
  }

  /**
   * A plain upstream that says nothing after connecting is most often a TLS port (993): say so
   * once, in the log and as a lint, after NO_GREETING_HINT_MS. The session goes on as it is.
   */
  private hintIfSilent(): void {
    const timer = setTimeout(() => {
      if (this.finished || this.bytes.s2c > 0) return;
      this.notice(
        'NO_GREETING',
        's2c',
        `no greeting from ${this.target} within ${NO_GREETING_HINT_MS / 1000} s — is this an implicit-TLS port? try --upstream-tls implicit`,
      );
    }, NO_GREETING_HINT_MS);
    timer.unref();
    this.raws.upstream.once('close', () => clearTimeout(timer));
  }

  /** Makes `socket` the application-data socket of a leg (a TLS socket over its raw one). */
  adopt(side: Side, socket: Socket): void {
    this.legs[side] = socket;
    socket.on('error', side === 'client' ? this.onClientError : this.onUpstreamError);
    socket.on('close', () => {
      this.raws[side].destroy();
      this.finish();
    });
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** Creates the session's inspector (once): at connect, or at a failure before it. */
  private openInspector(): SessionInspector {
    if (this.inspector) return this.inspector;
    // The inspector gets the bytes of each leg as they crossed (decrypted where a leg is TLS):
    // finding COMPRESS and STARTTLS in them and inflating is the inspection thread's work
    // (inspection/transport-follower.ts), so this thread never scans the bulk of a session.
    // There is no queue here: the inspector's own (inspection/outbox.ts) is the only one, and
    // it decides whether to pause the session (flow) or drop and count a gap.
    const inspector =
      this.opts.inspect?.(this.info, this.flow, {
        interceptsStarttls: this.clientMode === 'starttls',
      }) ?? noopInspector;
    this.inspector = inspector;
    for (const e of this.early.splice(0)) inspector.transport?.(e);
    return inspector;
  }

  transport(event: TransportEvent): void {
    if (this.inspector) this.inspector.transport?.(event);
    else this.early.push(event);
  }

  notice(code: TransportNoticeCode, direction: Direction | null, message: string, n = 0): void {
    this.log.warn({ code, direction, bytes: n }, message);
    this.transport({
      type: 'transport.notice',
      code,
      direction,
      message,
      bytes: n,
      at: Date.now(),
    });
  }

  /** Lets a lossless inspector hold both legs' reading while it catches up. */
  private readonly flow: InspectionFlow = {
    pause: () => {
      if (!this.inspectionPaused) this.inspectionPauses += 1;
      this.inspectionPaused = true;
      this.legs.client.pause();
      this.legs.upstream.pause();
    },
    resume: () => {
      if (!this.inspectionPaused) return;
      this.inspectionPaused = false;
      this.resumeReading(this.legs.client, this.legs.upstream);
      this.resumeReading(this.legs.upstream, this.legs.client);
    },
  };

  // ---- forwarding ---------------------------------------------------------------------------

  attach(): void {
    const { client, upstream } = this.legs;
    // A leg that closed while nothing listened (during a handshake) takes the other with it.
    if (client.destroyed || upstream.destroyed) return this.destroyAll();
    this.detachers = [this.forward(client, upstream, 'c2s'), this.forward(upstream, client, 's2c')];
    this.resumeReading(client, upstream);
    this.resumeReading(upstream, client);
  }

  detach(): void {
    for (const off of this.detachers) off();
    this.detachers = [];
    this.legs.client.pause();
    this.legs.upstream.pause();
  }

  send(direction: Direction, data: Buffer): void {
    const { client, upstream } = this.legs;
    const [from, to] = direction === 'c2s' ? [client, upstream] : [upstream, client];
    // Forward first; inspection only reads the bytes (the outbox copies them into slabs).
    if (!to.write(data)) from.pause();
    this.bytes[direction] += data.length;
    this.inspector!.chunks([{ direction, data, at: Date.now() }]);
    this.guard.seen(direction, data);
  }

  record(direction: Direction, data: Buffer): void {
    this.bytes[direction] += data.length;
    this.inspector!.chunks([{ direction, data, at: Date.now() }]);
    this.guard.seen(direction, data);
  }

  /** Resumes reading a leg unless inspection holds the session or its peer's buffer is full. */
  private resumeReading(from: Socket, to: Socket): void {
    if (!this.inspectionPaused && this.detachers.length > 0 && !to.writableNeedDrain) from.resume();
  }

  private reset(side: Side): void {
    try {
      this.raws[side].resetAndDestroy();
    } catch {
      // a TLS leg whose handle is not a plain TCP one: a close is the best we can do
    }
    this.legs[side].destroy();
  }

  /** Listens on one direction's legs: data to the hooks, drain, end (half-close) and close. */
  private forward(from: Socket, to: Socket, direction: Direction): () => void {
    const toSide: Side = direction === 'c2s' ? 'upstream' : 'client';
    const fromSide: Side = direction === 'c2s' ? 'client' : 'upstream';
    const hooks = this.hooks;
    const onData = direction === 'c2s' ? hooks.c2s : hooks.s2c;
    const onDrain = (): void => this.resumeReading(from, to);
    const onEnd = (): void => {
      this.closedFirst ??= fromSide;
      hooks.end?.(direction);
      to.end();
    };
    const onClose = (hadError: boolean): void => {
      this.closedFirst ??= fromSide;
      if (hadError && !to.destroyed) {
        // A reset (or other error) on one side: reset the other so the peer learns it too.
        this.reset(toSide);
      } else if (!to.writableEnded) {
        to.end();
      }
      // Nothing more can reach a side that is gone: stop the other from waiting on it.
      if (!to.destroyed && from.readableEnded === false) to.destroy();
      this.finish();
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
}
