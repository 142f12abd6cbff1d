/**
 * The audit trail: one session's events in, {@link AuditAction}s out (who did what, from where,
 * when, on which mailbox and messages). Sans-I/O and streaming: feed events in seq order; an
 * action is emitted when its command's `exchange` event arrives, so a refused command is
 * recorded with its NO/BAD.
 *
 * Messages are linked to their Message-ID and Subject when the same session's traffic showed
 * them (ENVELOPE, or a header fetch whose literal preview holds the fields); sequence numbers
 * are mapped to UIDs from FETCH responses that carried both, and shifted on EXPUNGE.
 *
 * Memory per session is bounded: commands and untagged responses waiting for their exchange,
 * and the link maps, each have a cap; past it the oldest entries go (an action then lists
 * fewer linked messages, never wrong ones).
 */
import { AUDIT_MAX_MESSAGES } from '../../shared/audit.ts';
import type { AuditAction, AuditKind, AuditMessage } from '../../shared/audit.ts';
import type { ExchangeEvent, ImapscopeEvent } from '../../shared/events.ts';
import type {
  Command,
  FetchAttribute,
  ResponseCode,
  Token,
  UntaggedData,
} from '../../shared/messages.ts';
import {
  AUDIT_MAX_LINKS as MAX_LINKS,
  AUDIT_MAX_PENDING as MAX_PENDING,
  AUDIT_MAX_RENUMBER,
} from '../limits.ts';
import { decodeModifiedUtf7 } from '../wire/utf7.ts';
import { decodeHeaderWords, headerFields } from './headers.ts';

const MAILBOX_KINDS: Record<string, AuditKind> = {
  CREATE: 'create',
  DELETE: 'delete',
  SUBSCRIBE: 'subscribe',
  UNSUBSCRIBE: 'unsubscribe',
  SETACL: 'acl',
  DELETEACL: 'acl',
  SETQUOTA: 'quota',
  SETMETADATA: 'metadata',
};

interface Link {
  messageId: string | null;
  subject: string | null;
}

/** A token's text: atom, number, quoted string or (preview of) a literal. */
function text(t: Token | undefined): string | null {
  if (!t) return null;
  switch (t.type) {
    case 'atom':
    case 'quoted':
    case 'sequence-set':
      return t.value;
    case 'number':
      return String(t.value);
    case 'literal':
      return Buffer.from(t.literal.preview).toString('utf8');
    default:
      return null;
  }
}

function mailbox(t: Token | undefined): string | null {
  const raw = text(t);
  if (raw === null) return null;
  return decodeModifiedUtf7(raw) ?? raw;
}

function flagList(t: Token | undefined): string[] {
  if (!t) return [];
  if (t.type === 'list') return t.items.map((i) => text(i) ?? '').filter((s) => s !== '');
  const one = text(t);
  return one ? [one] : [];
}

/** Does FETCH ask for body data that sets \Seen (BODY[…], BINARY[…], RFC822, RFC822.TEXT)? */
function fetchesUnpeekedBody(items: Token | undefined): boolean {
  if (!items) return false;
  const list = items.type === 'list' ? items.items : [items];
  return list.some((i) => {
    if (i.type === 'section') return i.name === 'BODY' || i.name === 'BINARY';
    if (i.type === 'atom') return /^(RFC822|RFC822\.TEXT)$/i.test(i.value);
    return false;
  });
}

function uidCode(code: ResponseCode | null): ResponseCode | null {
  return code && (code.kind === 'copyuid' || code.kind === 'appenduid') ? code : null;
}

export class AuditTrail {
  private client = '';
  private user: string | null = null;
  private selected: string | null = null;
  private readonly commands = new Map<number, Command>();
  /** Untagged responses by event seq; an EXPUNGE with the message it removed, resolved then. */
  private readonly untagged = new Map<number, { data: UntaggedData; gone?: AuditMessage }>();
  /** `${mailbox}\0${uid}` → what the traffic showed of the message. */
  private readonly links = new Map<string, Link>();
  private seqToUid = new Map<number, number>();
  /**
   * An AUTHENTICATE's action waits for the session.facts that follows its completion: the
   * SASL identity is masked in the events, and only the tracker's facts name the user.
   */
  private pendingLogin: AuditAction | null = null;
  /** The user a LOGIN tried, until its completion says whether it worked. */
  private readonly loginUser = new Map<number, string | null>();

  constructor(private readonly session: string) {}

  /** Feeds events in seq order; returns the actions they completed. */
  push(events: readonly ImapscopeEvent[]): AuditAction[] {
    const out: AuditAction[] = [];
    for (const e of events) {
      if (this.pendingLogin && (e.type === 'exchange' || e.type === 'session.close')) {
        out.push(this.pendingLogin);
        this.pendingLogin = null;
      }
      switch (e.type) {
        case 'session.open':
          this.client = `${e.client.host}:${e.client.port}`;
          break;
        case 'session.facts':
          if (e.user) this.user = e.user;
          if (this.pendingLogin) {
            out.push({ ...this.pendingLogin, user: this.user });
            this.pendingLogin = null;
          }
          break;
        case 'state.change':
          if (e.to !== 'selected') this.selected = null;
          else if (e.mailbox !== null) this.selected = e.mailbox;
          break;
        case 'message':
          this.onMessage(e.seq, e.message);
          break;
        case 'exchange': {
          const a = this.onExchange(e);
          if (a?.command === 'AUTHENTICATE') this.pendingLogin = a;
          else if (a) out.push(a);
          break;
        }
        default:
          break;
      }
    }
    return out;
  }

  private onMessage(seq: number, m: Extract<ImapscopeEvent, { type: 'message' }>['message']): void {
    if (m.type === 'command') {
      bounded(this.commands, seq, m, MAX_PENDING);
      if (m.name === 'LOGIN') this.loginUser.set(seq, text(m.args[0]));
      return;
    }
    if (m.type !== 'untagged') return;
    const d = m.data;
    if (d.kind === 'fetch') this.learn(d.seq, d.attributes);
    if (d.kind === 'expunge') {
      // Resolved now: the numbers after it shift down as soon as the server has said it.
      bounded(this.untagged, seq, { data: d, gone: this.message(d.value, null) }, MAX_PENDING);
      this.shift(d.value);
    } else if (d.kind === 'fetch' || d.kind === 'vanished' || d.kind === 'status') {
      bounded(this.untagged, seq, { data: d }, MAX_PENDING);
    }
  }

  /** Remembers what a FETCH response says about a message: its UID, Message-ID, Subject. */
  private learn(seq: number, attrs: FetchAttribute[]): void {
    let uid: number | null = null;
    const link: Link = { messageId: null, subject: null };
    for (const a of attrs) {
      if (a.kind === 'uid') uid = a.value;
      else if (a.kind === 'envelope') {
        link.messageId ??= a.envelope.messageId;
        link.subject ??= a.envelope.subject === null ? null : decodeHeaderWords(a.envelope.subject);
      } else if (a.kind === 'body-section' && a.value.type !== 'nil') {
        const spec = a.section?.specifier ?? '';
        if (a.name !== 'RFC822.HEADER' && !spec.startsWith('HEADER') && spec !== '') continue;
        const bytes =
          a.value.type === 'literal' ? a.value.literal.preview : Buffer.from(a.value.value);
        const h = headerFields(bytes);
        link.messageId ??= h.messageId;
        link.subject ??= h.subject;
      }
    }
    if (uid === null) uid = this.seqToUid.get(seq) ?? null;
    else bounded(this.seqToUid, seq, uid, MAX_LINKS);
    if (uid === null || (link.messageId === null && link.subject === null)) return;
    const key = `${this.selected ?? ''}\0${uid}`;
    const old = this.links.get(key);
    const merged = {
      messageId: link.messageId ?? old?.messageId ?? null,
      subject: link.subject ?? old?.subject ?? null,
    };
    bounded(this.links, key, merged, MAX_LINKS);
  }

  /**
   * `* n EXPUNGE`: message n is gone and every later one moves down by one. Renumbering is
   * O(known numbers), so past AUDIT_MAX_RENUMBER of them the map is dropped instead (later
   * actions then list fewer UIDs, never wrong ones): work per response stays bounded.
   */
  private shift(n: number): void {
    if (this.seqToUid.size > AUDIT_MAX_RENUMBER) {
      this.seqToUid = new Map();
      return;
    }
    const next = new Map<number, number>();
    for (const [seq, uid] of this.seqToUid) {
      if (seq < n) next.set(seq, uid);
      else if (seq > n) next.set(seq - 1, uid);
    }
    this.seqToUid = next;
  }

  private message(seq: number | null, uid: number | null): AuditMessage {
    const u = uid ?? (seq === null ? null : (this.seqToUid.get(seq) ?? null));
    const link = u === null ? undefined : this.links.get(`${this.selected ?? ''}\0${u}`);
    return { seq, uid: u, messageId: link?.messageId ?? null, subject: link?.subject ?? null };
  }

  private onExchange(e: ExchangeEvent): AuditAction | null {
    const cmd = this.commands.get(e.commandSeq);
    this.commands.delete(e.commandSeq);
    const responses: UntaggedData[] = [];
    const gone: AuditMessage[] = [];
    for (const s of e.untaggedSeqs) {
      const u = this.untagged.get(s);
      if (!u) continue;
      responses.push(u.data);
      if (u.gone && gone.length < AUDIT_MAX_MESSAGES) gone.push(u.gone);
      this.untagged.delete(s);
    }
    if (!cmd) return null;
    const name = cmd.name;
    const wire = (cmd.uid ? 'UID ' : '') + name;
    const base = {
      session: this.session,
      seq: e.seq,
      commandSeq: e.commandSeq,
      at: e.at,
      client: this.client,
      status: e.status,
      command: wire,
      target: null,
      uids: null,
      messages: [] as AuditMessage[],
      flags: null,
    };
    const inSelected = { ...base, user: this.user, mailbox: this.selected };
    const fetched = responses.flatMap((d) => (d.kind === 'fetch' ? [d] : []));
    const fetchedMessages = (): AuditMessage[] =>
      fetched.slice(0, AUDIT_MAX_MESSAGES).map((d) => {
        const uid = d.attributes.find((a) => a.kind === 'uid');
        return this.message(d.seq, uid?.kind === 'uid' ? uid.value : null);
      });
    switch (name) {
      case 'LOGIN': {
        const tried = this.loginUser.get(e.commandSeq) ?? null;
        this.loginUser.delete(e.commandSeq);
        if (e.status === 'OK') this.user = tried ?? this.user;
        return {
          ...base,
          user: tried,
          mailbox: null,
          kind: 'login',
          detail: `LOGIN ${e.status === 'OK' ? 'succeeded' : 'failed'} from ${this.client}`,
        };
      }
      case 'AUTHENTICATE': {
        const mech = (text(cmd.args[0]) ?? '?').toUpperCase();
        return {
          ...base,
          user: this.user,
          mailbox: null,
          kind: 'login',
          flags: null,
          detail: `AUTHENTICATE ${mech} ${e.status === 'OK' ? 'succeeded' : 'failed'} from ${this.client}`,
        };
      }
      case 'SELECT':
      case 'EXAMINE': {
        const box = mailbox(cmd.args[0]);
        return {
          ...base,
          user: this.user,
          mailbox: box,
          kind: name === 'SELECT' ? 'select' : 'examine',
          detail: `${name} ${box ?? '?'}${name === 'EXAMINE' ? ' (read-only)' : ''}`,
        };
      }
      case 'FETCH': {
        if (!fetchesUnpeekedBody(cmd.args[1])) return null;
        const messages = fetchedMessages();
        return {
          ...inSelected,
          kind: 'read',
          uids: cmd.uid ? text(cmd.args[0]) : null,
          messages,
          detail: `read ${fetched.length} message(s) of ${this.selected ?? '?'} (${text(cmd.args[0])})`,
        };
      }
      case 'STORE': {
        const op = (text(cmd.args[1]) ?? '').toUpperCase();
        const flagsToken = cmd.args[cmd.args.length - 1];
        const flags = `${op.replace('.SILENT', '')} (${flagList(flagsToken).join(' ')})`;
        const messages = fetched.length
          ? fetchedMessages()
          : cmd.uid
            ? []
            : singleSeq(text(cmd.args[0]), (s) => this.message(s, null));
        return {
          ...inSelected,
          kind: 'flags',
          uids: cmd.uid ? text(cmd.args[0]) : null,
          messages,
          flags,
          detail: `${flags} on ${text(cmd.args[0])} in ${this.selected ?? '?'}`,
        };
      }
      case 'COPY':
      case 'MOVE': {
        const dest = mailbox(cmd.args[1]);
        const codes = [e.code, ...responses.map((d) => (d.kind === 'status' ? d.code : null))];
        const copyuid = codes.map(uidCode).find((c) => c?.kind === 'copyuid');
        const set = text(cmd.args[0]);
        const messages = cmd.uid
          ? singleSeq(set, (u) => this.message(null, u))
          : singleSeq(set, (s) => this.message(s, null));
        return {
          ...inSelected,
          kind: name === 'COPY' ? 'copy' : 'move',
          target: dest,
          uids: copyuid?.kind === 'copyuid' ? `${copyuid.sourceUids}→${copyuid.destUids}` : set,
          messages,
          detail:
            `${name === 'COPY' ? 'copied' : 'moved'} ${set} from ${this.selected ?? '?'} to ${dest ?? '?'}` +
            (copyuid?.kind === 'copyuid'
              ? ` (UIDs ${copyuid.sourceUids} → ${copyuid.destUids}, UIDVALIDITY ${copyuid.uidValidity})`
              : ''),
        };
      }
      case 'EXPUNGE': {
        const vanished = responses.flatMap((d) => (d.kind === 'vanished' ? [d.uids] : []));
        const count = responses.filter((d) => d.kind === 'expunge').length;
        return {
          ...inSelected,
          kind: 'expunge',
          uids: vanished.length ? vanished.join(',') : cmd.uid ? text(cmd.args[0]) : null,
          messages: gone,
          detail: `expunged ${vanished.length ? vanished.join(',') : count} message(s) from ${this.selected ?? '?'}`,
        };
      }
      case 'APPEND': {
        const box = mailbox(cmd.args[0]);
        const lit = cmd.args.find((t) => t.type === 'literal');
        const flags = cmd.args[1]?.type === 'list' ? `(${flagList(cmd.args[1]).join(' ')})` : null;
        const appenduid = uidCode(e.code);
        const size = lit?.type === 'literal' ? lit.literal.size : null;
        const h = lit?.type === 'literal' ? headerFields(lit.literal.preview) : null;
        return {
          ...base,
          user: this.user,
          mailbox: box,
          kind: 'append',
          uids: appenduid?.kind === 'appenduid' ? appenduid.uids : null,
          messages:
            h && (h.messageId || h.subject)
              ? [
                  {
                    seq: null,
                    uid: appenduid?.kind === 'appenduid' ? Number(appenduid.uids) || null : null,
                    ...h,
                  },
                ]
              : [],
          flags,
          detail: `appended ${size ?? '?'} bytes to ${box ?? '?'}${flags ? ` with ${flags}` : ''}`,
        };
      }
      case 'RENAME': {
        const from = mailbox(cmd.args[0]);
        const to = mailbox(cmd.args[1]);
        return {
          ...base,
          user: this.user,
          mailbox: from,
          kind: 'rename',
          target: to,
          detail: `renamed ${from ?? '?'} to ${to ?? '?'}`,
        };
      }
      default: {
        const kind = MAILBOX_KINDS[name];
        if (!kind) return null;
        const box = mailbox(cmd.args[0]);
        const rest = cmd.args
          .slice(1)
          .map((t) => text(t) ?? '…')
          .join(' ');
        return {
          ...base,
          user: this.user,
          mailbox: box,
          kind,
          detail: `${name} ${box ?? '?'}${rest ? ' ' + rest : ''}`,
        };
      }
    }
  }
}

/** A set naming single numbers (`4711` or `1,3,5`): one message each; ranges are not expanded. */
function singleSeq(set: string | null, f: (n: number) => AuditMessage): AuditMessage[] {
  if (!set || !/^\d+(,\d+)*$/.test(set)) return [];
  return set
    .split(',')
    .slice(0, AUDIT_MAX_MESSAGES)
    .map((n) => f(Number(n)));
}

/** Sets key (as the newest entry) and drops the oldest entry past `cap`. */
function bounded<K, V>(map: Map<K, V>, key: K, value: V, cap: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > cap) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
