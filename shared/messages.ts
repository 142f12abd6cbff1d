/**
 * Decoded IMAP messages: what proxy/wire produces from each direction's bytes and what the
 * session tracker, the sinks and the viewer consume. One union, discriminated on `type`.
 *
 * Byte data is typed `Uint8Array` (a Node Buffer is one) so the viewer can import this module.
 */
import type { Direction } from './direction.ts';

/**
 * How a literal was announced: `{n}` sync, `{n+}` non-sync (LITERAL+, or LITERAL- up to 4096
 * bytes; RFC 7888). `{n-}` is not literal syntax.
 */
export type LiteralKind = 'sync' | 'nonsync';

/** A literal as the framer saw it: the body itself is never kept, only its size, hash and preview. */
export interface LiteralRef {
  kind: LiteralKind;
  /** Announced with `~{n}` (literal8, RFC 3516 BINARY): may hold NUL bytes. */
  literal8: boolean;
  /** Announced size in bytes. */
  size: number;
  /** Stream offset of the body's first byte. */
  offset: number;
  /** Lowercase hex sha256 of the whole body; null when the literal was refused or not hashed. */
  sha256: string | null;
  /** The first min(size, LITERAL_PREVIEW_BYTES) bytes of the body. */
  preview: Uint8Array;
  /** A sync literal the server refused (NO/BAD instead of `+`): its body never came. */
  refused: boolean;
}

/** A mailbox name: `name` is decoded from modified UTF-7 (RFC 3501 §5.1.3) when `raw` is valid mUTF-7. */
export interface MailboxName {
  name: string;
  raw: string;
}

/** `<origin.length>` of a partial fetch; a server answers with the origin only. */
export interface PartialRange {
  origin: number;
  length: number | null;
}

/** A section spec `[1.2.HEADER.FIELDS (FROM TO)]` taken apart; `text` is the bytes between the brackets. */
export interface SectionSpec {
  text: string;
  /** Part numbers, `[1, 2]` for `1.2`; empty for the whole message. */
  part: number[];
  /** HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME, or '' */
  specifier: string;
  /** Header names of HEADER.FIELDS / HEADER.FIELDS.NOT. */
  fields: string[];
}

/** The token tree of command arguments and response data. */
export type Token =
  | { type: 'atom'; value: string }
  | { type: 'number'; value: number }
  | { type: 'quoted'; value: string }
  | { type: 'literal'; literal: LiteralRef }
  | { type: 'nil' }
  | { type: 'list'; items: Token[] }
  | { type: 'sequence-set'; value: string }
  | { type: 'section'; name: string; section: SectionSpec; partial: PartialRange | null };

/** Fields every message carries. `raw` is the message's lines joined by CRLF, literal bodies left out. */
export interface MessageBase {
  direction: Direction;
  /** Stream offset of the message's first byte. */
  offset: number;
  /** Bytes of the stream the message spans, line ends and literal bodies included. */
  length: number;
  raw: string;
  /** A line ended in a bare LF instead of CRLF (tolerated). */
  bareLf: boolean;
}

export interface Command extends MessageBase {
  type: 'command';
  tag: string;
  /** Upper-cased; for `UID FETCH` this is `FETCH` and `uid` is true. */
  name: string;
  uid: boolean;
  args: Token[];
}

/** A client line while the framer is in SASL mode (AUTHENTICATE); `cancel` for the `*` line. */
export interface SaslResponse extends MessageBase {
  type: 'sasl-response';
  text: string;
  cancel: boolean;
}

/** The `DONE` that ends IDLE. */
export interface IdleDone extends MessageBase {
  type: 'idle-done';
}

export type StatusCondition = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** A response code `[...]`; `raw` is the text between the brackets. */
export type ResponseCode = { raw: string } & (
  | { kind: 'plain'; name: string }
  | { kind: 'capability'; name: 'CAPABILITY'; capabilities: string[] }
  | { kind: 'permanentflags'; name: 'PERMANENTFLAGS'; flags: string[] }
  | { kind: 'number'; name: 'UIDVALIDITY' | 'UIDNEXT' | 'UNSEEN'; value: number }
  | { kind: 'modseq'; name: 'HIGHESTMODSEQ'; value: string }
  | { kind: 'appenduid'; name: 'APPENDUID'; uidValidity: number; uids: string }
  | { kind: 'copyuid'; name: 'COPYUID'; uidValidity: number; sourceUids: string; destUids: string }
  | { kind: 'badcharset'; name: 'BADCHARSET'; charsets: string[] }
  /** CONDSTORE (RFC 7162 §3.1.3): the messages a conditional STORE did not change. */
  | { kind: 'modified'; name: 'MODIFIED'; set: string }
  /** OBJECTID (RFC 8474 §4.1): the id of a mailbox just created. */
  | { kind: 'mailboxid'; name: 'MAILBOXID'; id: string }
  /** CONTEXT (RFC 5267 §4.2): the searches whose updates the server stopped. */
  | { kind: 'noupdate'; name: 'NOUPDATE'; tag: string }
  /** METADATA (RFC 5464 §4.2.1, §4.3): LONGENTRIES n, MAXSIZE n, TOOMANY, NOPRIVATE. */
  | { kind: 'metadata'; name: 'METADATA'; detail: string; value: number | null }
  | { kind: 'other'; name: string; text: string }
);

export interface Greeting extends MessageBase {
  type: 'greeting';
  status: 'OK' | 'PREAUTH' | 'BYE';
  code: ResponseCode | null;
  text: string;
}

export interface TaggedResponse extends MessageBase {
  type: 'tagged';
  tag: string;
  status: 'OK' | 'NO' | 'BAD';
  code: ResponseCode | null;
  text: string;
}

export interface UntaggedResponse extends MessageBase {
  type: 'untagged';
  data: UntaggedData;
}

export interface Continuation extends MessageBase {
  type: 'continuation';
  text: string;
}

/** Stable codes of Malformed messages. */
export type MalformedCode =
  | 'ERR_WIRE_LINE_TOO_LONG'
  | 'ERR_WIRE_MESSAGE_TOO_LONG'
  | 'ERR_WIRE_INCOMPLETE'
  | 'ERR_WIRE_SYNTAX'
  | 'ERR_WIRE_TOO_DEEP'
  | 'ERR_WIRE_EXPECTED_DONE'
  | 'ERR_WIRE_INTERNAL';

/** Bytes that did not decode; the next message decodes normally. */
export interface Malformed extends MessageBase {
  type: 'malformed';
  code: MalformedCode;
  reason: string;
  /**
   * The lines' bytes in hex (joined by CRLF, literal bodies left out), present only when they
   * are not valid UTF-8: `raw` then shows U+FFFD where the bytes were, and this keeps them.
   */
  rawHex?: string;
}

export type Message =
  | Command
  | SaslResponse
  | IdleDone
  | Greeting
  | TaggedResponse
  | UntaggedResponse
  | Continuation
  | Malformed;

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
  extensions: Token[];
}

export type UntaggedData =
  | { kind: 'status'; status: StatusCondition; code: ResponseCode | null; text: string }
  | { kind: 'capability'; capabilities: string[] }
  | { kind: 'enabled'; capabilities: string[] }
  | {
      kind: 'list' | 'lsub';
      attributes: string[];
      delimiter: string | null;
      mailbox: MailboxName;
      extended: Token[];
    }
  | {
      /** STATUS, also after LIST … RETURN (STATUS) (RFC 5819); MAILBOXID's `(id)` is its id, NIL is null. */
      kind: 'mailbox-status';
      mailbox: MailboxName;
      items: Record<string, number | string | null>;
    }
  | { kind: 'flags'; flags: string[] }
  | { kind: 'exists' | 'recent' | 'expunge'; value: number }
  | { kind: 'search'; numbers: number[]; modseq: string | null }
  | {
      /** RFC 4731 ESEARCH with CONTEXT (RFC 5267), PARTIAL (RFC 9394), FUZZY, MULTISEARCH (RFC 7377). */
      kind: 'esearch';
      tag: string | null;
      /** MULTISEARCH correlators: the mailbox searched and its UIDVALIDITY. */
      mailbox: string | null;
      uidValidity: number | null;
      uid: boolean;
      /** Scalar return data by upper-case name: MIN, MAX, COUNT, ALL, MODSEQ… */
      items: Record<string, number | string>;
      /** ADDTO / REMOVEFROM (RFC 5267), in the order sent. */
      updates: EsearchUpdate[];
      /** PARTIAL (range set); `set` is null for NIL (no message in the range). */
      partial: { range: string; set: string | null } | null;
      /** RELEVANCY (score…) of FUZZY (RFC 6203). */
      relevancy: number[] | null;
      /** Return data of a shape not known here, kept as tokens. */
      extra: { name: string; value: Token }[];
    }
  | { kind: 'sort'; numbers: number[]; modseq: string | null }
  | { kind: 'thread'; threads: ThreadNode[] }
  | {
      /** RFC 5464: `values` for GETMETADATA answers, `changed` for unsolicited entry lists. */
      kind: 'metadata';
      mailbox: MailboxName;
      values: { entry: string; value: string | null }[];
      changed: string[];
    }
  | { kind: 'quota'; root: string; resources: QuotaResource[] }
  | { kind: 'quotaroot'; mailbox: MailboxName; roots: string[] }
  | { kind: 'acl'; mailbox: MailboxName; entries: { identifier: string; rights: string }[] }
  | {
      kind: 'listrights';
      mailbox: MailboxName;
      identifier: string;
      /** Rights always granted, and the groups of rights that can be granted together. */
      required: string;
      optional: string[];
    }
  | { kind: 'myrights'; mailbox: MailboxName; rights: string }
  | { kind: 'id'; params: Record<string, string | null> | null }
  | {
      kind: 'namespace';
      personal: NamespaceEntry[] | null;
      other: NamespaceEntry[] | null;
      shared: NamespaceEntry[] | null;
    }
  | { kind: 'vanished'; earlier: boolean; uids: string }
  | { kind: 'fetch'; seq: number; attributes: FetchAttribute[] }
  | {
      /** Any other untagged response: its name (and number) followed by any valid tokens. */
      kind: 'unknown';
      name: string;
      number: number | null;
      args: Token[];
    };

/** One ADDTO or REMOVEFROM of a CONTEXT update: the set enters/leaves at `position`. */
export interface EsearchUpdate {
  op: 'ADDTO' | 'REMOVEFROM';
  position: number;
  set: string;
}

/** A THREAD node; `uid` is null for a missing parent whose children are siblings (RFC 5256). */
export interface ThreadNode {
  uid: number | null;
  children: ThreadNode[];
}

/** One resource of a QUOTA response (RFC 9208): STORAGE in KiB, MESSAGE, MAILBOX… */
export interface QuotaResource {
  name: string;
  usage: number;
  limit: number;
}

/** An address of an ENVELOPE; a group start has `host` null, a group end has everything null. */
export interface Address {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

export interface Disposition {
  type: string;
  params: Record<string, string> | null;
}

/** Extension data shared by single and multipart bodies (absent fields are null). */
export interface BodyExtension {
  params: Record<string, string> | null;
  disposition: Disposition | null;
  language: string[] | null;
  location: string | null;
  /** Extension data past location, kept as tokens. */
  extra: Token[];
}

export type BodyStructure =
  | ({
      kind: 'multipart';
      parts: BodyStructure[];
      subtype: string;
    } & Nullable<BodyExtension>)
  | ({
      kind: 'single';
      type: string;
      subtype: string;
      params: Record<string, string> | null;
      id: string | null;
      description: string | null;
      encoding: string | null;
      size: number;
      /** TEXT/* and MESSAGE/RFC822 only. */
      lines: number | null;
      /** MESSAGE/RFC822 (and MESSAGE/GLOBAL) only. */
      envelope: Envelope | null;
      body: BodyStructure | null;
      md5: string | null;
    } & Omit<Nullable<BodyExtension>, 'params'>);

/** Every field present, null when the server sent none. */
type Nullable<T> = { [K in keyof T]: T[K] | null };

/** A string-valued FETCH item: NIL, a quoted string or a literal. */
export type NString =
  { type: 'nil' } | { type: 'quoted'; value: string } | { type: 'literal'; literal: LiteralRef };

export type FetchAttribute =
  | { kind: 'flags'; flags: string[] }
  | { kind: 'uid'; value: number }
  | { kind: 'internaldate'; value: string }
  | { kind: 'rfc822-size'; value: number }
  | { kind: 'envelope'; envelope: Envelope }
  | { kind: 'bodystructure'; extensible: boolean; structure: BodyStructure }
  | {
      /** BODY[section]<origin>, BINARY[section]<origin>, RFC822, RFC822.HEADER, RFC822.TEXT */
      kind: 'body-section';
      name: string;
      section: SectionSpec | null;
      origin: number | null;
      value: NString;
    }
  | { kind: 'binary-size'; section: SectionSpec; value: number }
  | { kind: 'modseq'; value: string }
  /** PREVIEW (RFC 8970): NIL when the server has none yet. */
  | { kind: 'preview'; value: NString }
  /** EMAILID, THREADID (RFC 8474 OBJECTID): `(id)`, THREADID NIL is null. */
  | { kind: 'emailid' | 'threadid'; value: string | null }
  /** SAVEDATE (RFC 8514): NIL when the mailbox keeps none. */
  | { kind: 'savedate'; value: string | null }
  | { kind: 'unknown'; name: string; value: Token | null };
