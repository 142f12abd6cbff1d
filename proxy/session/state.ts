/**
 * What the tracker knows about a session: the IMAP state (RFC 3501 / RFC 9051 §3) and the facts
 * around it (capabilities, selected mailbox, IDLE, TLS, compression). Sans-I/O; the tracker
 * decides when things change, this module only keeps them and answers questions.
 */
import type { ImapState, SessionFacts } from '../../shared/events.ts';
import type { ResponseCode, Token, UntaggedData } from '../../shared/messages.ts';
import { mailboxName } from '../wire/utf7.ts';

/** The state a successful command leads to, or null when it does not change the state. */
export function stateAfter(command: string, current: ImapState): ImapState | null {
  switch (command) {
    case 'LOGIN':
    case 'AUTHENTICATE':
      return current === 'not-authenticated' ? 'authenticated' : null;
    case 'SELECT':
    case 'EXAMINE':
      return 'selected';
    case 'CLOSE':
    case 'UNSELECT':
      return current === 'selected' ? 'authenticated' : null;
    case 'LOGOUT':
      return 'logout';
    default:
      return null;
  }
}

/** The decoded mailbox name a command argument names (atom, quoted or literal preview). */
export function mailboxArg(t: Token | undefined): string | null {
  if (t === undefined) return null;
  switch (t.type) {
    case 'atom':
    case 'quoted':
      return mailboxName(t.value).name;
    case 'number':
      return String(t.value);
    case 'literal':
      return mailboxName(Buffer.from(t.literal.preview).toString('utf8')).name;
    default:
      return null;
  }
}

/** The mutable facts of one session; `dirty` is set whenever something visible changed. */
export class SessionModel {
  state: ImapState = 'not-authenticated';
  capabilities: string[] = [];
  enabled: string[] = [];
  mailbox: string | null = null;
  readOnly: boolean | null = null;
  uidValidity: number | null = null;
  exists: number | null = null;
  idle = false;
  tls: boolean;
  compressed = false;
  user: string | null = null;
  /** Something in the facts changed since the last snapshot. */
  dirty = true;
  /** Counts capability announcements, so a command can tell whether one came while it ran. */
  capabilityEpoch = 0;

  constructor(tls: boolean) {
    this.tls = tls;
  }

  /** Capability check by name (case-insensitive; `AUTH=` prefixes match as given). */
  has(capability: string): boolean {
    return this.capabilities.includes(capability.toUpperCase());
  }

  /** Capabilities are known (announced since the last time they had to be forgotten). */
  get capabilitiesKnown(): boolean {
    return this.capabilities.length > 0;
  }

  setCapabilities(list: readonly string[]): void {
    this.capabilityEpoch++;
    const next = list.map((c) => c.toUpperCase());
    // The same list announced again (a CAPABILITY command, a response code) changes nothing seen.
    const old = this.capabilities;
    if (next.length === old.length && next.every((c, i) => c === old[i])) return;
    this.capabilities = next;
    this.dirty = true;
  }

  /**
   * After STARTTLS and after login the client must forget what it knew (RFC 3501 §6.2.1, §6.2.2);
   * the tracker keeps capabilities announced within the login exchange (RFC 9051 §7.2.2).
   */
  forgetCapabilities(): void {
    if (this.capabilities.length === 0) return;
    this.capabilities = [];
    this.dirty = true;
  }

  /** Facts carried by a response code, on any response. */
  applyCode(code: ResponseCode | null): void {
    if (code === null) return;
    switch (code.kind) {
      case 'capability':
        this.setCapabilities(code.capabilities);
        return;
      case 'number':
        if (code.name === 'UIDVALIDITY') this.set('uidValidity', code.value);
        return;
      case 'plain':
        if (code.name === 'READ-ONLY') this.set('readOnly', true);
        else if (code.name === 'READ-WRITE') this.set('readOnly', false);
        return;
      default:
        return;
    }
  }

  /** Facts carried by untagged data. */
  applyUntagged(data: UntaggedData): void {
    switch (data.kind) {
      case 'status':
        this.applyCode(data.code);
        return;
      case 'capability':
        this.setCapabilities(data.capabilities);
        return;
      case 'enabled': {
        const add = data.capabilities.map((c) => c.toUpperCase());
        this.enabled = [...new Set([...this.enabled, ...add])];
        this.dirty = true;
        return;
      }
      case 'exists':
        this.set('exists', data.value);
        return;
      case 'expunge':
        if (this.exists !== null && this.exists > 0) this.set('exists', this.exists - 1);
        return;
      default:
        return;
    }
  }

  /** A SELECT/EXAMINE was sent: the counters that follow belong to the new mailbox. */
  openingMailbox(): void {
    if (this.uidValidity === null && this.exists === null && this.readOnly === null) return;
    this.uidValidity = null;
    this.exists = null;
    this.readOnly = null;
    this.dirty = true;
  }

  /** The mailbox was closed (CLOSE, UNSELECT, failed SELECT, logout). */
  closeMailbox(): void {
    if (
      this.mailbox === null &&
      this.readOnly === null &&
      this.uidValidity === null &&
      this.exists === null
    )
      return;
    this.mailbox = null;
    this.readOnly = null;
    this.uidValidity = null;
    this.exists = null;
    this.dirty = true;
  }

  set<K extends 'uidValidity' | 'exists' | 'readOnly' | 'mailbox' | 'user'>(
    key: K,
    value: this[K],
  ): void {
    if (this[key] === value) return;
    this[key] = value;
    this.dirty = true;
  }

  setFlag(key: 'idle' | 'tls' | 'compressed', value: boolean): void {
    if (this[key] === value) return;
    this[key] = value;
    this.dirty = true;
  }

  snapshot(): SessionFacts {
    return {
      state: this.state,
      capabilities: this.capabilities,
      enabled: this.enabled,
      mailbox: this.mailbox,
      readOnly: this.readOnly,
      uidValidity: this.uidValidity,
      exists: this.exists,
      idle: this.idle,
      tls: this.tls,
      compressed: this.compressed,
      user: this.user,
    };
  }
}
