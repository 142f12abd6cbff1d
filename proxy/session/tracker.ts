/**
 * The session tracker: decoded messages of both directions in, events out (DESIGN.md rule 3,
 * sans-I/O). It follows the IMAP states, pairs every command with its continuation requests,
 * the untagged responses received while it ran and its tagged completion, lints mistakes,
 * masks credentials, and says which mode the client framer must be in (rule 4).
 */
import type { CloseReason, ImportedReason } from '../../shared/close-reason.ts';
import type { Direction } from '../../shared/direction.ts';
import {
  assertNever,
  type Endpoint,
  type ImapState,
  type ImapscopeEvent,
  type StateChangeEvent,
} from '../../shared/events.ts';
import type {
  Command,
  Continuation,
  Malformed,
  Message,
  TaggedResponse,
  UntaggedResponse,
} from '../../shared/messages.ts';
import { MAX_EXCHANGE_UNTAGGED_SEQS, MAX_IN_FLIGHT_COMMANDS } from '../limits.ts';
import type { TransportEvent, TransportNotice } from '../../shared/transport-events.ts';
import type { CommandHead } from '../wire/command.ts';
import { commandHead } from '../wire/command.ts';
import type { FramerMode } from '../wire/framer.ts';
import { SessionEvents } from './events.ts';
import { type InFlight, InFlightTable, newInFlight, type WorkCounter } from './in-flight.ts';
import * as lints from './lints.ts';
import {
  type MaskSpan,
  plainSaslUser,
  redactCommand,
  redactMalformedClient,
  redactSasl,
} from './redact.ts';
import { commandLints } from './command-lints.ts';
import { saslUser, tokenText } from './command-facts.ts';
import { mailboxArg, SessionModel, stateAfter } from './state.ts';

export interface TrackerOptions {
  session: string;
  /** Leave credentials readable in events (the operator's --reveal-secrets). */
  revealSecrets?: boolean;
  /** The client leg is encrypted from the start (implicit TLS). */
  tls?: boolean;
  /**
   * Whether the client decoder is waiting for the body of a synchronizing literal: a `+` that
   * arrives then belongs to the command still being sent (see WireDecoder.pendingSyncLiteral).
   */
  clientLiteralPending?: () => boolean;
  /** Counts the in-flight entries the tracker visits (tests assert it stays linear). */
  work?: WorkCounter;
  /** Commands in flight per session before the excess goes unpaired (default MAX_IN_FLIGHT_COMMANDS). */
  maxInFlight?: number;
  /**
   * The session's events so far were published by an earlier inspection thread that died:
   * number from after this seq (the archive's last) so nothing is numbered twice.
   */
  afterSeq?: number;
  /**
   * The bytes start after a login the tracker never saw, answered with this tag (Dovecot's
   * post-login rawlogs: imap-login received the LOGIN/AUTHENTICATE): its completion is that
   * login's, not an unknown tag, and an OK moves the session to Authenticated. Only the first
   * completion with this tag that no command in flight claims counts.
   */
  startsAfterLogin?: string;
}

/**
 * A change of transport under the bytes that one message brought about ({@link
 * SessionTracker.transportSwitch}); the bytes of that message's direction after it are not
 * this transport's any more:
 * - `compress` with status null: the client sent COMPRESS; its bytes after the command are
 *   deflate data if the answer is OK, plaintext again if it is NO or BAD (RFC 4978 §3);
 * - `compress` with a status: the server answered that COMPRESS; after an OK both directions
 *   are deflate data from the byte after the answer (the client's from after its command);
 * - `starttls`: the server answered STARTTLS with OK; unless imapscope terminates the client's
 *   TLS itself, both directions are ciphertext from here.
 */
export type TransportSwitch =
  | { kind: 'compress'; tag: string; status: 'OK' | 'NO' | 'BAD' | null }
  | { kind: 'starttls'; tag: string };

/** What the relay knows when a session closes. */
export interface CloseInfo {
  bytes: Record<Direction, number>;
  reason: CloseReason | ImportedReason;
  durationMs: number;
  /** The side whose connection ended first, as the relay saw it (null or absent: unknown). */
  closedFirst?: 'client' | 'upstream' | null;
}

/** The end reason of a session whose upstream closed the connection without a BYE. */
export const UPSTREAM_CLOSED: CloseReason = 'upstream-closed';

/**
 * One session's tracker. Feed it messages in stream order with {@link message} (each with the
 * `at` of the chunk that completed it) and collect events with {@link take}. Never throws on
 * any message sequence.
 */
export class SessionTracker extends SessionEvents {
  /** State, capabilities, mailbox and modes as far as the tracker knows. */
  readonly model: SessionModel;
  /** The mode the client framer must be in for the lines that follow. */
  clientMode: FramerMode = 'normal';
  /**
   * True while the bytes are not IMAP text: STARTTLS or COMPRESS took effect and the net layer
   * has not yet handed over the decrypted/inflated stream ({@link transport}), or it said the
   * session cannot be inspected any more.
   */
  get opaque(): boolean {
    return this.opaqueUntilTransport || this.stopped;
  }

  private set opaque(value: boolean) {
    this.opaqueUntilTransport = value;
  }

  private opaqueUntilTransport = false;
  /** The net layer said the rest of the session cannot be inspected. */
  private stopped = false;
  /** The net layer reported TLS established through STARTTLS. */
  private startTlsDone = false;
  private switched: TransportSwitch | null = null;
  private readonly reveal: boolean;
  private readonly literalPending: () => boolean;
  /** Client bytes masked in the events since the last {@link takeMasked} (rule 6, raw side). */
  private masked: MaskSpan[] = [];
  private lastAt = 0;
  /** The server said BYE (greeting or untagged): a close after it is the orderly kind. */
  private byeSeen = false;
  private readonly inflight: InFlightTable;
  private readonly maxInFlight: number;
  /** The command whose first line was read and whose rest (a literal, the line's end) is awaited. */
  private sending: InFlight | null = null;
  /** Continuation requests that arrived while the client was still sending its command's literals. */
  private held: number[] = [];
  /** Chunks were lost: pairing-based lints would be noise until the next greeting-free restart. */
  private afterGap = false;
  /** More commands were in flight than the cap: the excess is unpaired, so are its answers. */
  private overflowed = false;
  /** A bare-LF line was already flagged in this direction (once per direction is enough). */
  private readonly bareLfSeen: Record<Direction, boolean> = { c2s: false, s2c: false };
  /** See TrackerOptions.startsAfterLogin; null once its completion came. */
  private priorLogin: string | null;

  constructor(options: TrackerOptions) {
    super(options.session);
    this.reveal = options.revealSecrets === true;
    this.seq = options.afterSeq ?? 0;
    this.model = new SessionModel(options.tls === true);
    this.literalPending = options.clientLiteralPending ?? (() => false);
    this.inflight = new InFlightTable(options.work ?? { ops: 0 });
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT_COMMANDS;
    this.priorLogin = options.startsAfterLogin ?? null;
  }

  /**
   * The transport change the last message given to {@link message} brought about, or null (as
   * for nearly every message). A COMPRESS is reported only while the stream is not compressed
   * already and only if the command is tracked (past the in-flight cap its answer could not
   * be told), so every COMPRESS sent is followed by its answer's switch unless bytes are lost.
   */
  get transportSwitch(): TransportSwitch | null {
    return this.switched;
  }

  /** Whether a command with this tag is waiting for its completion. O(1). */
  isInFlight(tag: string): boolean {
    return this.inflight.first(tag) !== undefined;
  }

  /** The tag of the command being sent (first line read, a literal or the line's end awaited). */
  get sendingTag(): string | null {
    return this.sending?.tag ?? null;
  }

  /** The session opened: emits session.open. */
  open(client: Endpoint, upstream: Endpoint, at: number): void {
    this.lastAt = at;
    this.emit({ type: 'session.open', client, upstream }, at);
  }

  /**
   * The first line of a client command was read and the rest is not in yet (it announced a
   * literal, or the line is longer than the line cap): the command is in flight from now, so a
   * completion the server sends before the rest (APPEND's [TRYCREATE], BAD for a line too long)
   * pairs with it. Called once per command; the command itself follows with {@link message}.
   */
  commandStarted(head: CommandHead, at: number): void {
    this.sending = this.entryFor(head, at);
  }

  /**
   * A transport event from the net layer, in stream order: TLS established on a leg or COMPRESS
   * started (published as events; decoding resumes on the plaintext), or a notice (a lint).
   */
  transport(ev: TransportEvent): void {
    const { at, ...body } = ev;
    this.lastAt = at;
    switch (body.type) {
      case 'tls.established':
        this.emit(body, at);
        if (body.leg === 'client') this.model.setFlag('tls', true);
        if (body.via === 'starttls') this.startTlsDone = true;
        this.opaque = false;
        return;
      case 'compress.started':
        this.emit(body, at);
        this.model.setFlag('compressed', true);
        this.opaque = false;
        return;
      case 'transport.notice':
        this.lint(lints.transportNotice(body as TransportNotice, null), at);
        if (body.code === 'STARTTLS_PASSTHROUGH' || body.code === 'COMPRESS_CORRUPT') {
          this.stopped = true;
        }
        return;
      default:
        assertNever(body);
    }
  }

  /** Inspection lost bytes in one direction. */
  gap(direction: Direction, droppedChunks: number, droppedBytes: number, at: number): void {
    this.afterGap = true;
    this.held = [];
    if (direction === 'c2s' && this.sending !== null) {
      // Its rest fell into the hole: it will never be read, and cannot be shown as a command.
      if (this.sending.seq === 0)
        this.inflight.remove(this.sending, this.model.state, this.model.state);
      this.sending = null;
    }
    this.emit({ type: 'gap', direction, droppedChunks, droppedBytes }, at);
  }

  /** The session ended: running commands become `aborted` exchanges, then session.close. */
  close(info: CloseInfo, at: number): void {
    // An upstream that hangs up without BYE (RFC 9051 §7.1.5 asks for one) died or dropped us:
    // said where it happened, before the commands its end aborted.
    // Only when it saw the server's side: a BYE in bytes it could not read (TLS passed through,
    // a gap) is no evidence either way.
    const upstreamClosed =
      info.reason === 'closed' &&
      info.closedFirst === 'upstream' &&
      !this.byeSeen &&
      !this.stopped &&
      !this.opaque &&
      !this.afterGap;
    if (upstreamClosed) this.lint(lints.upstreamClosed(this.lastS2cSeq), at);
    for (const p of this.inflight) if (p.seq !== 0) this.exchange(p, null, at);
    this.emit(
      {
        type: 'session.close',
        bytes: info.bytes,
        durationMs: info.durationMs,
        reason: upstreamClosed ? UPSTREAM_CLOSED : info.reason,
        state: this.model.state,
        user: this.model.user,
      },
      at,
    );
  }

  /** The client stream spans masked in the events since the last call (none with revealSecrets). */
  takeMasked(): MaskSpan[] {
    const out = this.masked;
    if (out.length > 0) this.masked = [];
    return out;
  }

  /** Events produced since the last call, with a session.facts event first if facts changed. */
  take(): ImapscopeEvent[] {
    this.emitFacts();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** A session.facts event now, if the facts changed since the last one. */
  private emitFacts(): void {
    if (!this.model.dirty) return;
    this.model.dirty = false;
    this.emit({ type: 'session.facts', ...this.model.snapshot() }, this.lastAt);
  }

  /** One decoded message; `at` is the time of the chunk that completed it. */
  message(m: Message, at: number): void {
    this.lastAt = at;
    this.switched = null;
    const seq = this.seq + 1; // every case below emits the message's own event first
    this.dispatch(m, at);
    if (m.bareLf && !this.bareLfSeen[m.direction]) {
      this.bareLfSeen[m.direction] = true;
      this.lint(lints.bareLf(m.direction, seq), at);
    }
  }

  private dispatch(m: Message, at: number): void {
    switch (m.type) {
      case 'command':
        return this.onCommand(m, at);
      case 'sasl-response': {
        const auth = this.last();
        if (auth?.name === 'AUTHENTICATE' && auth.user === null && !m.cancel) {
          auth.user = plainSaslUser(m.text);
        }
        this.emitMessage(this.reveal ? m : redactSasl(m, this.masked), false, at);
        return;
      }
      case 'idle-done':
        this.clientMode = 'normal';
        this.emitMessage(m, false, at);
        return;
      case 'greeting':
        this.emitMessage(m, false, at);
        this.model.applyCode(m.code);
        if (m.status === 'BYE') this.byeSeen = true;
        if (m.status !== 'OK') {
          const to = m.status === 'PREAUTH' ? 'authenticated' : 'logout';
          this.transition(to, { tag: null, command: null, seq: this.seq, text: m.text }, at);
        }
        return;
      case 'tagged':
        return this.onTagged(m, at);
      case 'untagged':
        return this.onUntagged(m, at);
      case 'continuation':
        return this.onContinuation(m, at);
      case 'malformed':
        return this.onMalformed(m, at);
      default:
        assertNever(m);
    }
  }

  /** Registers a command in flight (or, past the cap, does not). Null when not tracked. */
  private track(head: CommandHead, at: number): InFlight | null {
    const m = this.model;
    const stateAtCommand = this.inflight.projected(m.state);
    if (this.inflight.size >= this.maxInFlight) {
      if (!this.overflowed) this.lint(lints.tooManyInFlight(this.maxInFlight), at);
      this.overflowed = true;
      return null;
    }
    const p = newInFlight(head, at, stateAtCommand, m.capabilityEpoch);
    this.inflight.add(p, m.state);
    return p;
  }

  /** The entry for a client message at `offset`: the one registered at its first line, or a new one. */
  private entryFor(head: CommandHead, at: number, track = true): InFlight | null {
    const sending = this.sending;
    this.sending = null;
    if (sending?.offset === head.offset) return sending;
    if (sending !== null && sending.seq === 0) {
      // Never read whole nor cut short (a replay reframed it): it is not a command after all.
      this.inflight.remove(sending, this.model.state, this.model.state);
    }
    return track ? this.track(head, at) : null;
  }

  private onCommand(cmd: Command, at: number): void {
    const startTls = this.inflight.startTlsRunning;
    const seq = this.emitMessage(this.reveal ? cmd : redactCommand(cmd, this.masked), false, at);
    const held = this.held;
    this.held = [];
    const p = this.entryFor(cmd, at);
    const first = this.inflight.first(cmd.tag);
    const found = commandLints(cmd, seq, this.model, {
      stateAtCommand: p?.stateAtCommand ?? this.inflight.projected(this.model.state),
      startTlsRunning: startTls,
      tagInFlight: first !== undefined && first !== p,
      continuations: held.length + (p?.continuationSeqs.length ?? 0),
      afterGap: this.afterGap,
    });
    for (const l of found) this.lint(l, at);
    if (cmd.name === 'SELECT' || cmd.name === 'EXAMINE') this.model.openingMailbox();
    if (cmd.name === 'AUTHENTICATE') this.clientMode = 'sasl';
    if (p === null) return;
    p.cmd = cmd;
    p.seq = seq;
    p.at = at;
    p.user = cmd.name === 'LOGIN' ? tokenText(cmd.args[0]) : null;
    if (cmd.name === 'AUTHENTICATE') p.user = saslUser(cmd);
    if (held.length > 0) p.continuationSeqs = [...held, ...p.continuationSeqs];
    if (cmd.name === 'COMPRESS' && !this.model.compressed)
      this.switched = { kind: 'compress', tag: cmd.tag, status: null };
    if (p.early !== null) this.complete(p, p.early, at);
  }

  private onMalformed(m: Malformed, at: number): void {
    const mode = this.clientMode;
    const shown =
      m.direction === 'c2s' && !this.reveal
        ? redactMalformedClient(m, mode === 'sasl', this.masked)
        : m;
    // The bytes beside the text would carry what the mask hid.
    const safe =
      shown !== m && shown.rawHex !== undefined ? { ...shown, rawHex: undefined } : shown;
    this.emit({ type: 'malformed', direction: m.direction, message: safe }, at);
    const seq = this.seq;
    if (m.direction !== 'c2s' || mode !== 'normal') return;
    // Syntax errors stay no command: only a command cut short still reads as one.
    const cut = m.code === 'ERR_WIRE_INCOMPLETE' || m.code === 'ERR_WIRE_LINE_TOO_LONG';
    const head =
      cut || m.code === 'ERR_WIRE_MESSAGE_TOO_LONG' ? commandHead(m.raw, m.offset) : null;
    if (head === null) {
      this.entryFor({ offset: -1, tag: '', name: '', uid: false }, at, false);
      return;
    }
    const p = this.entryFor(head, at);
    if (p === null) return;
    p.seq = seq;
    p.at = at;
    if (p.early !== null) this.complete(p, p.early, at);
  }

  private onTagged(res: TaggedResponse, at: number): void {
    const seq = this.emitMessage(res, false, at);
    const p = this.inflight.first(res.tag);
    if (p === undefined && res.tag === this.priorLogin) {
      this.priorLogin = null;
      this.model.applyCode(res.code);
      if (res.status === 'OK') {
        const cause = { tag: res.tag, command: null, seq, text: res.text };
        this.transition('authenticated', cause, at);
      }
      return;
    }
    if (p === undefined) {
      if (!this.afterGap && !this.overflowed) this.lint(lints.unknownTag(res, seq), at);
      this.model.applyCode(res.code);
      return;
    }
    // The command is not read whole yet: its exchange waits for it (see onCommand).
    if (p.seq === 0) {
      p.early ??= { res, seq, at };
      return;
    }
    this.complete(p, { res, seq, at }, at);
  }

  /** The tagged completion `done.res` (event `done.seq`, at `done.at`) ends command `p`; now is `at`. */
  private complete(p: InFlight, done: NonNullable<InFlight['early']>, at: number): void {
    const { res, seq } = done;
    const m = this.model;
    const before = m.state;
    const cause = { tag: p.tag, command: p.name, seq, text: res.text };
    const name = p.name;
    if (name === 'AUTHENTICATE') this.clientMode = 'normal';
    if (name === 'IDLE') {
      m.setFlag('idle', false);
      this.clientMode = 'normal';
    }
    if (res.status === 'OK') {
      const to = stateAfter(name, m.state);
      switch (name) {
        case 'LOGIN':
        case 'AUTHENTICATE':
          // Capabilities announced within the exchange are the new ones (RFC 9051 §7.2.2).
          if (m.capabilityEpoch === p.capabilityEpoch) m.forgetCapabilities();
          m.set('user', p.user);
          break;
        case 'SELECT':
        case 'EXAMINE':
          m.set('mailbox', mailboxArg(p.cmd?.args[0]));
          m.set('readOnly', name === 'EXAMINE');
          break;
        case 'STARTTLS':
          m.setFlag('tls', true);
          m.forgetCapabilities();
          // Unless the net layer already reported the handshake, the bytes are ciphertext now.
          if (!this.startTlsDone) this.opaque = true;
          this.switched = { kind: 'starttls', tag: p.tag };
          break;
        case 'COMPRESS':
          if (!m.compressed) this.opaque = true;
          break;
      }
      m.applyCode(res.code);
      if (to !== null) this.transition(to, cause, at);
    } else {
      m.applyCode(res.code);
      // A failed SELECT/EXAMINE closes the mailbox that was open (RFC 3501 §6.3.1).
      if (res.status === 'NO' && (name === 'SELECT' || name === 'EXAMINE')) {
        if (m.state === 'selected') this.transition('authenticated', cause, at);
        else m.closeMailbox();
      }
    }
    if (name === 'COMPRESS' && !m.compressed)
      this.switched = { kind: 'compress', tag: p.tag, status: res.status };
    this.inflight.remove(p, before, m.state);
    this.exchange(p, done, at);
    // A login names the user from here on: its facts follow its exchange at once, not at the
    // end of whatever batch of chunks held it, so that the audit trail (session/audit.ts) names
    // the user of the login and of every action after it however the bytes were split.
    if (res.status === 'OK' && (name === 'LOGIN' || name === 'AUTHENTICATE')) this.emitFacts();
    const full = p.cmd;
    if (res.status === 'BAD') {
      this.lint(lints.explainBad(full, res, p.stateAtCommand, seq, m.capabilities), at);
    } else if (res.status === 'NO') this.lint(lints.explainNo(full, res, seq), at);
  }

  private onUntagged(u: UntaggedResponse, at: number): void {
    const data = u.data;
    const bye = data.kind === 'status' && data.status === 'BYE';
    const alert = data.kind === 'status' && data.code?.name === 'ALERT';
    const logout = bye ? this.inflight.find('LOGOUT') : undefined;
    const idle = this.inflight.size === 0;
    const unsolicited = idle || this.model.idle || (bye && logout === undefined) || alert;
    const seq = this.emitMessage(u, unsolicited, at);
    if (data.kind === 'expunge' && !this.afterGap && !this.overflowed) {
      if (idle || this.inflight.expungeForbidden) this.lint(lints.expungeNotAllowed(idle, seq), at);
    }
    // O(commands in flight), which MAX_IN_FLIGHT_COMMANDS bounds.
    for (const p of this.inflight) {
      if (p.untaggedSeqs.length < MAX_EXCHANGE_UNTAGGED_SEQS) p.untaggedSeqs.push(seq);
      p.untaggedCount++;
    }
    this.model.applyUntagged(data);
    if (bye) {
      this.byeSeen = true;
      const text = data.kind === 'status' ? data.text : '';
      const cause = { tag: logout?.tag ?? null, command: logout ? 'LOGOUT' : null, seq, text };
      this.transition('logout', cause, at);
    }
  }

  private onContinuation(c: Continuation, at: number): void {
    const pending = this.literalPending();
    const seq = this.emitMessage(c, this.inflight.size === 0 && !pending, at);
    if (pending) {
      // It answers the literal of the command being sent.
      if (this.sending !== null) this.sending.continuationSeqs.push(seq);
      else this.held.push(seq);
      return;
    }
    const p = this.last();
    if (p === undefined) return;
    p.continuationSeqs.push(seq);
    if (p.name === 'IDLE') {
      this.model.setFlag('idle', true);
      this.clientMode = 'idle';
    }
  }

  private last(): InFlight | undefined {
    return this.inflight.last() ?? undefined;
  }

  private transition(to: ImapState, cause: StateChangeEvent['cause'], at: number): void {
    const m = this.model;
    const from = m.state;
    if (from === to && to !== 'selected') return;
    if (to !== 'selected') m.closeMailbox();
    m.state = to;
    m.dirty = true;
    this.emit(
      { type: 'state.change', from, to, mailbox: m.mailbox, readOnly: m.readOnly, cause },
      at,
    );
  }
}
