/**
 * The session tracker: decoded messages of both directions in, events out (DESIGN.md rule 3,
 * sans-I/O). It follows the IMAP states, pairs every command with its continuation requests,
 * the untagged responses received while it ran and its tagged completion, lints mistakes,
 * masks credentials, and says which mode the client framer must be in (rule 4).
 */
import type { Direction } from '../../shared/direction.ts';
import {
  assertNever,
  EVENT_SCHEMA_VERSION,
  type Endpoint,
  type EventBody,
  type ImapState,
  type ImapscopeEvent,
  type StateChangeEvent,
} from '../../shared/events.ts';
import { commandReference } from '../../shared/imap-reference.ts';
import type {
  Command,
  Continuation,
  Message,
  TaggedResponse,
  UntaggedResponse,
} from '../../shared/messages.ts';
import { MAX_EXCHANGE_UNTAGGED_SEQS } from '../limits.ts';
import type { TransportEvent, TransportNotice } from '../transport.ts';
import type { FramerMode } from '../wire/framer.ts';
import * as lints from './lints.ts';
import { plainSaslUser, redactCommand, redactMalformedClient, redactSasl } from './redact.ts';
import { literalCounts, saslUser, tokenText } from './command-facts.ts';
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
  /**
   * The session's events so far were published by an earlier inspection thread that died:
   * number from after this seq (the archive's last) so nothing is numbered twice.
   */
  afterSeq?: number;
}

/** A command waiting for its tagged completion. */
interface InFlight {
  /** As received (unmasked): kept for analysis, never emitted. */
  cmd: Command;
  seq: number;
  at: number;
  /** The state the session would be in when this command runs (earlier pipelined ones succeeding). */
  stateAtCommand: ImapState;
  continuationSeqs: number[];
  untaggedSeqs: number[];
  untaggedCount: number;
  user: string | null;
}

/** What the relay knows when a session closes. */
export interface CloseInfo {
  bytes: Record<Direction, number>;
  reason: string;
  durationMs: number;
}

/**
 * One session's tracker. Feed it messages in stream order with {@link message} (each with the
 * `at` of the chunk that completed it) and collect events with {@link take}. Never throws on
 * any message sequence.
 */
export class SessionTracker {
  readonly session: string;
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
  private readonly reveal: boolean;
  private readonly literalPending: () => boolean;
  private out: ImapscopeEvent[] = [];
  private seq = 0;
  private lastAt = 0;
  private inflight: InFlight[] = [];
  /** Continuation requests that arrived while the client was still sending its command's literals. */
  private held: number[] = [];
  /** Chunks were lost: pairing-based lints would be noise until the next greeting-free restart. */
  private afterGap = false;

  constructor(options: TrackerOptions) {
    this.session = options.session;
    this.reveal = options.revealSecrets === true;
    this.seq = options.afterSeq ?? 0;
    this.model = new SessionModel(options.tls === true);
    this.literalPending = options.clientLiteralPending ?? (() => false);
  }

  /** Whether a command with this tag is waiting for its completion. */
  isInFlight(tag: string): boolean {
    return this.inflight.some((p) => p.cmd.tag === tag);
  }

  /** The session opened: emits session.open. */
  open(client: Endpoint, upstream: Endpoint, at: number): void {
    this.emit({ type: 'session.open', client, upstream }, at);
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
    this.emit({ type: 'gap', direction, droppedChunks, droppedBytes }, at);
  }

  /** The session ended: running commands become `aborted` exchanges, then session.close. */
  close(info: CloseInfo, at: number): void {
    for (const p of this.inflight) this.exchange(p, null, at);
    this.inflight = [];
    this.emit(
      {
        type: 'session.close',
        bytes: info.bytes,
        durationMs: info.durationMs,
        reason: info.reason,
        state: this.model.state,
        user: this.model.user,
      },
      at,
    );
  }

  /** Events produced since the last call, with a session.facts event first if facts changed. */
  take(): ImapscopeEvent[] {
    if (this.model.dirty) {
      this.model.dirty = false;
      this.emit({ type: 'session.facts', ...this.model.snapshot() }, this.lastAt);
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  /** One decoded message; `at` is the time of the chunk that completed it. */
  message(m: Message, at: number): void {
    this.lastAt = at;
    switch (m.type) {
      case 'command':
        return this.onCommand(m, at);
      case 'sasl-response': {
        const auth = this.last();
        if (auth?.cmd.name === 'AUTHENTICATE' && auth.user === null && !m.cancel) {
          auth.user = plainSaslUser(m.text);
        }
        this.emitMessage(this.reveal ? m : redactSasl(m), false, at);
        return;
      }
      case 'idle-done':
        this.clientMode = 'normal';
        this.emitMessage(m, false, at);
        return;
      case 'greeting':
        this.emitMessage(m, false, at);
        this.model.applyCode(m.code);
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
      case 'malformed': {
        const inSasl = this.clientMode === 'sasl';
        const shown = m.direction === 'c2s' && !this.reveal ? redactMalformedClient(m, inSasl) : m;
        this.emit({ type: 'malformed', direction: m.direction, message: shown }, at);
        return;
      }
      default:
        assertNever(m);
    }
  }

  private onCommand(cmd: Command, at: number): void {
    const seq = this.emitMessage(this.reveal ? cmd : redactCommand(cmd), false, at);
    const continuationSeqs = this.held;
    this.held = [];
    const stateAtCommand = this.projectedState();
    if (this.isInFlight(cmd.tag)) this.lint(lints.tagReused(cmd, seq), at);
    if (commandReference(cmd.name) === undefined) this.lint(lints.unknownCommand(cmd, seq), at);
    else {
      const invalid = lints.invalidState(cmd, stateAtCommand, seq);
      if (invalid) this.lint(invalid, at);
    }
    let user: string | null = null;
    if (cmd.name === 'LOGIN' || cmd.name === 'AUTHENTICATE') {
      if (!this.model.tls) this.lint(lints.cleartextLogin(cmd, seq), at);
      if (cmd.name === 'LOGIN' && this.model.has('LOGINDISABLED'))
        this.lint(lints.loginDisabled(seq), at);
      user = cmd.name === 'LOGIN' ? tokenText(cmd.args[0]) : saslUser(cmd);
    }
    this.checkLiterals(cmd, seq, continuationSeqs.length, at);
    if (cmd.name === 'SELECT' || cmd.name === 'EXAMINE') this.model.openingMailbox();
    if (cmd.name === 'AUTHENTICATE') this.clientMode = 'sasl';
    this.inflight.push({
      cmd,
      seq,
      at,
      stateAtCommand,
      continuationSeqs,
      untaggedSeqs: [],
      untaggedCount: 0,
      user,
    });
  }

  private checkLiterals(cmd: Command, seq: number, continuations: number, at: number): void {
    const { sync, nonsync, largestNonsync } = literalCounts(cmd);
    if (sync > continuations && !this.afterGap) {
      this.lint(lints.literalNotSynchronized(cmd, seq, this.model.has('LITERAL+')), at);
    }
    const m = this.model;
    const allowed = m.has('LITERAL+') || (m.has('LITERAL-') && largestNonsync <= 4096);
    if (nonsync > 0 && m.capabilitiesKnown && !allowed) {
      this.lint(lints.nonsyncUnsupported(cmd, seq), at);
    }
  }

  private onTagged(res: TaggedResponse, at: number): void {
    const seq = this.emitMessage(res, false, at);
    const i = this.inflight.findIndex((p) => p.cmd.tag === res.tag);
    if (i < 0) {
      if (!this.afterGap) this.lint(lints.unknownTag(res, seq), at);
      this.model.applyCode(res.code);
      return;
    }
    const p = this.inflight.splice(i, 1)[0] as InFlight;
    const cmd = p.cmd;
    const m = this.model;
    const cause = { tag: cmd.tag, command: cmd.name, seq, text: res.text };
    if (cmd.name === 'AUTHENTICATE') this.clientMode = 'normal';
    if (cmd.name === 'IDLE') {
      m.setFlag('idle', false);
      this.clientMode = 'normal';
    }
    if (res.status === 'OK') {
      const to = stateAfter(cmd.name, m.state);
      switch (cmd.name) {
        case 'LOGIN':
        case 'AUTHENTICATE':
          m.forgetCapabilities();
          m.set('user', p.user);
          break;
        case 'SELECT':
        case 'EXAMINE':
          m.set('mailbox', mailboxArg(cmd.args[0]));
          m.set('readOnly', cmd.name === 'EXAMINE');
          break;
        case 'STARTTLS':
          m.setFlag('tls', true);
          m.forgetCapabilities();
          // Unless the net layer already reported the handshake, the bytes are ciphertext now.
          if (!this.startTlsDone) this.opaque = true;
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
      if (res.status === 'NO' && (cmd.name === 'SELECT' || cmd.name === 'EXAMINE')) {
        if (m.state === 'selected') this.transition('authenticated', cause, at);
        else m.closeMailbox();
      }
    }
    this.exchange(p, res, at, seq);
    if (res.status === 'BAD') this.lint(lints.explainBad(cmd, res, p.stateAtCommand, seq), at);
    else if (res.status === 'NO') this.lint(lints.explainNo(cmd, res, seq), at);
  }

  private onUntagged(u: UntaggedResponse, at: number): void {
    const data = u.data;
    const bye = data.kind === 'status' && data.status === 'BYE';
    const alert = data.kind === 'status' && data.code?.name === 'ALERT';
    const logout = this.inflight.find((p) => p.cmd.name === 'LOGOUT');
    const unsolicited =
      this.inflight.length === 0 || this.model.idle || (bye && logout === undefined) || alert;
    const seq = this.emitMessage(u, unsolicited, at);
    for (const p of this.inflight) {
      if (p.untaggedSeqs.length < MAX_EXCHANGE_UNTAGGED_SEQS) p.untaggedSeqs.push(seq);
      p.untaggedCount++;
    }
    this.model.applyUntagged(data);
    if (bye) {
      const text = data.kind === 'status' ? data.text : '';
      const cause = { tag: logout?.cmd.tag ?? null, command: logout ? 'LOGOUT' : null, seq, text };
      this.transition('logout', cause, at);
    }
  }

  private onContinuation(c: Continuation, at: number): void {
    const seq = this.emitMessage(c, this.inflight.length === 0 && !this.literalPending(), at);
    if (this.literalPending()) {
      this.held.push(seq);
      return;
    }
    const p = this.last();
    if (p === undefined) return;
    p.continuationSeqs.push(seq);
    if (p.cmd.name === 'IDLE') {
      this.model.setFlag('idle', true);
      this.clientMode = 'idle';
    }
  }

  private last(): InFlight | undefined {
    return this.inflight[this.inflight.length - 1];
  }

  /** The state the next command runs in if every command in flight succeeds. */
  private projectedState(): ImapState {
    let s = this.model.state;
    for (const p of this.inflight) s = stateAfter(p.cmd.name, s) ?? s;
    return s;
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

  private exchange(p: InFlight, res: TaggedResponse | null, at: number, seq?: number): void {
    this.emit(
      {
        type: 'exchange',
        tag: p.cmd.tag,
        command: p.cmd.name,
        uid: p.cmd.uid,
        commandSeq: p.seq,
        continuationSeqs: p.continuationSeqs,
        untaggedSeqs: p.untaggedSeqs,
        untaggedCount: p.untaggedCount,
        completionSeq: res === null ? null : (seq ?? null),
        status: res === null ? 'aborted' : res.status,
        code: res?.code ?? null,
        text: res?.text ?? '',
        latencyMs: res === null ? null : Math.max(0, at - p.at),
      },
      at,
    );
  }

  private lint(l: lints.Lint, at: number): void {
    this.emit(l, at);
  }

  private emitMessage(
    message: Exclude<Message, { type: 'malformed' }>,
    unsolicited: boolean,
    at: number,
  ): number {
    // The hot path (one per decoded message): one object literal, no spreads.
    const seq = ++this.seq;
    this.out.push({
      v: EVENT_SCHEMA_VERSION,
      session: this.session,
      seq,
      gseq: 0,
      at,
      type: 'message',
      direction: message.direction,
      message,
      unsolicited,
    });
    return seq;
  }

  private emit(body: EventBody, at: number): void {
    const base = { v: EVENT_SCHEMA_VERSION, session: this.session, seq: ++this.seq, gseq: 0, at };
    this.out.push(Object.assign(base, body) as ImapscopeEvent);
  }
}
