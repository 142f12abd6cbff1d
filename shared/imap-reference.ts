/**
 * The teaching reference: every IMAP command of RFC 3501 / RFC 9051 and of the extensions
 * imapscope follows (IDLE, ENABLE, MOVE, UIDPLUS, CONDSTORE/QRESYNC, ID, NAMESPACE, LITERAL+,
 * COMPRESS, STARTTLS, SPECIAL-USE, ESEARCH, BINARY), in our own words: what it does, where it
 * is valid, what it takes, and where the RFC says so. Responses live in
 * imap-reference-responses.ts. The session tracker uses the valid states and the minimum
 * argument counts for its lints; the viewer shows the text.
 */
import type { ImapState } from './events.ts';
import { KNOWN_EXTENSION_COMMANDS } from './imap-extension-commands.ts';

export { RESPONSE_REFERENCE, RESPONSE_CODE_REFERENCE } from './imap-reference-responses.ts';
export type { ResponseReference } from './imap-reference-responses.ts';

/** One command, for a learner. */
export interface CommandReference {
  /** Upper-case name as sent (`UID` prefixes are described under UID). */
  name: string;
  /** One or two sentences: what the command does. */
  summary: string;
  /** The states in which a server accepts it. */
  states: readonly ImapState[];
  /** The arguments, in the RFC's order, e.g. `sequence-set data-items`. Empty: none. */
  args: string;
  /** Fewest arguments a well-formed command has (after the name). */
  minArgs: number;
  /** e.g. `RFC 3501 §6.4.5 / RFC 9051 §6.4.5`. */
  rfc: string;
  /** The capability that announces it; null for the base protocol. */
  capability: string | null;
}

const ANY: readonly ImapState[] = ['not-authenticated', 'authenticated', 'selected'];
const NOT_AUTH: readonly ImapState[] = ['not-authenticated'];
const AUTH: readonly ImapState[] = ['authenticated', 'selected'];
const AUTH_ONLY: readonly ImapState[] = ['authenticated'];
const SELECTED: readonly ImapState[] = ['selected'];

type Row = [
  name: string,
  states: readonly ImapState[],
  args: string,
  minArgs: number,
  rfc: string,
  capability: string | null,
  summary: string,
];

const ROWS: Row[] = [
  // Any state (RFC 3501 §6.1 / RFC 9051 §6.1)
  [
    'CAPABILITY',
    ANY,
    '',
    0,
    'RFC 3501 §6.1.1 / RFC 9051 §6.1.1',
    null,
    'Asks the server which features it supports; it answers with one untagged CAPABILITY line. The list can change after STARTTLS and after logging in, so clients ask again.',
  ],
  [
    'NOOP',
    ANY,
    '',
    0,
    'RFC 3501 §6.1.2 / RFC 9051 §6.1.2',
    null,
    'Does nothing, which gives the server a moment to report pending news (new messages, expunges) as untagged responses. Also keeps an idle connection alive.',
  ],
  [
    'LOGOUT',
    ANY,
    '',
    0,
    'RFC 3501 §6.1.3 / RFC 9051 §6.1.3',
    null,
    'Ends the session: the server sends an untagged BYE, then the tagged OK, then closes the connection. This is how an IMAP client says goodbye (there is no QUIT).',
  ],
  [
    'ID',
    ANY,
    '(field value ...) | NIL',
    1,
    'RFC 2971 §3.1',
    'ID',
    'Tells the server which client software this is (name, version…) and learns the same about the server, for logs and bug reports. NIL sends nothing about the client.',
  ],
  // Not authenticated (RFC 3501 §6.2 / RFC 9051 §6.2)
  [
    'STARTTLS',
    NOT_AUTH,
    '',
    0,
    'RFC 3501 §6.2.1 / RFC 9051 §6.2.1',
    'STARTTLS',
    'Turns the plain connection into an encrypted one: after the tagged OK both sides start a TLS handshake. The client must forget the capabilities it learned before and ask again.',
  ],
  [
    'AUTHENTICATE',
    NOT_AUTH,
    'mechanism [initial-response]',
    1,
    'RFC 3501 §6.2.2 / RFC 9051 §6.2.2',
    'AUTH=',
    'Logs in with a SASL mechanism (PLAIN, SCRAM-SHA-256, XOAUTH2…). The server sends `+` challenges and the client answers with untagged base64 lines until the tagged result; with SASL-IR the first answer rides on the command line.',
  ],
  [
    'LOGIN',
    NOT_AUTH,
    'user password',
    2,
    'RFC 3501 §6.2.3 / RFC 9051 §6.2.3',
    null,
    'Logs in with a user name and a password in clear text. Only safe over TLS; a server that advertises LOGINDISABLED refuses it.',
  ],
  // Authenticated (RFC 3501 §6.3 / RFC 9051 §6.3)
  [
    'ENABLE',
    AUTH_ONLY,
    'capability ...',
    1,
    'RFC 5161 §3.1 / RFC 9051 §6.3.1',
    'ENABLE',
    'Switches on extensions that change how the server talks (CONDSTORE, QRESYNC, UTF8=ACCEPT); the server lists what it switched on in an untagged ENABLED response. Valid after login and before selecting a mailbox.',
  ],
  [
    'SELECT',
    AUTH,
    'mailbox [(QRESYNC ...)|(CONDSTORE)]',
    1,
    'RFC 3501 §6.3.1 / RFC 9051 §6.3.2',
    null,
    'Opens a mailbox read-write so its messages can be fetched and changed; the server reports FLAGS, EXISTS, UIDVALIDITY and more. If it fails while another mailbox was open, that one is closed too.',
  ],
  [
    'EXAMINE',
    AUTH,
    'mailbox',
    1,
    'RFC 3501 §6.3.2 / RFC 9051 §6.3.3',
    null,
    'Opens a mailbox like SELECT but read-only: nothing can be changed, and reading does not set \\Seen.',
  ],
  [
    'CREATE',
    AUTH,
    'mailbox [(USE (special-use ...))]',
    1,
    'RFC 3501 §6.3.3 / RFC 9051 §6.3.4',
    null,
    'Creates a mailbox (with SPECIAL-USE/CREATE-SPECIAL-USE it can be marked \\Sent, \\Drafts…). Fails with [ALREADYEXISTS] if the name is taken.',
  ],
  [
    'DELETE',
    AUTH,
    'mailbox',
    1,
    'RFC 3501 §6.3.4 / RFC 9051 §6.3.5',
    null,
    'Deletes a mailbox and its messages. INBOX cannot be deleted.',
  ],
  [
    'RENAME',
    AUTH,
    'old-name new-name',
    2,
    'RFC 3501 §6.3.5 / RFC 9051 §6.3.6',
    null,
    'Renames a mailbox (and its children). Renaming INBOX moves its messages into the new mailbox and leaves INBOX empty.',
  ],
  [
    'SUBSCRIBE',
    AUTH,
    'mailbox',
    1,
    'RFC 3501 §6.3.6 / RFC 9051 §6.3.7',
    null,
    'Adds a mailbox to the subscription list, the set of folders a client shows by default.',
  ],
  [
    'UNSUBSCRIBE',
    AUTH,
    'mailbox',
    1,
    'RFC 3501 §6.3.7 / RFC 9051 §6.3.8',
    null,
    'Removes a mailbox from the subscription list; the mailbox itself stays.',
  ],
  [
    'LIST',
    AUTH,
    'reference pattern [RETURN (...)]',
    2,
    'RFC 3501 §6.3.8 / RFC 9051 §6.3.9',
    null,
    'Lists mailbox names matching a pattern (`*` any depth, `%` one level) under a reference; each comes back as an untagged LIST with attributes (\\HasChildren, \\Sent with SPECIAL-USE…) and the hierarchy delimiter.',
  ],
  [
    'LSUB',
    AUTH,
    'reference pattern',
    2,
    'RFC 3501 §6.3.9',
    null,
    'Lists subscribed mailboxes matching a pattern. Deprecated by RFC 9051 in favour of LIST (SUBSCRIBED).',
  ],
  [
    'NAMESPACE',
    AUTH,
    '',
    0,
    'RFC 2342 §5 / RFC 9051 §6.3.10',
    'NAMESPACE',
    "Asks where personal, other users' and shared mailboxes live and which delimiter they use, so a client can build folder paths correctly.",
  ],
  [
    'STATUS',
    AUTH,
    'mailbox (item ...)',
    2,
    'RFC 3501 §6.3.10 / RFC 9051 §6.3.11',
    null,
    'Reports counters of a mailbox (MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, HIGHESTMODSEQ…) without selecting it. Not meant for the selected mailbox.',
  ],
  [
    'APPEND',
    AUTH,
    'mailbox [(flags)] [date-time] literal',
    2,
    'RFC 3501 §6.3.11 / RFC 9051 §6.3.12',
    null,
    'Uploads a whole message into a mailbox as a literal, with optional flags and date. With UIDPLUS the OK carries [APPENDUID uidvalidity uid]; with BINARY the body may be a literal8 `~{n}`.',
  ],
  [
    'IDLE',
    AUTH,
    '',
    0,
    'RFC 2177 §3 / RFC 9051 §6.3.13',
    'IDLE',
    "Lets the server push news as it happens: after the server's `+` the client just listens (EXISTS, EXPUNGE, FETCH flags arrive untagged) until it sends DONE, then the tagged OK ends it.",
  ],
  [
    'COMPRESS',
    AUTH,
    'DEFLATE',
    1,
    'RFC 4978 §3',
    'COMPRESS=DEFLATE',
    'Switches the connection to DEFLATE compression in both directions after the tagged OK. Everything after it is compressed bytes.',
  ],
  // Selected (RFC 3501 §6.4 / RFC 9051 §6.4)
  [
    'CHECK',
    SELECTED,
    '',
    0,
    'RFC 3501 §6.4.1',
    null,
    'Asks for a checkpoint of the selected mailbox (flushing state to disk). Removed in RFC 9051; NOOP does the job.',
  ],
  [
    'CLOSE',
    SELECTED,
    '',
    0,
    'RFC 3501 §6.4.2 / RFC 9051 §6.4.1',
    null,
    'Closes the selected mailbox, silently expunging messages marked \\Deleted (unless it was opened read-only), and returns to the authenticated state.',
  ],
  [
    'UNSELECT',
    SELECTED,
    '',
    0,
    'RFC 3691 §2 / RFC 9051 §6.4.2',
    'UNSELECT',
    'Closes the selected mailbox without expunging anything and returns to the authenticated state.',
  ],
  [
    'EXPUNGE',
    SELECTED,
    '',
    0,
    'RFC 3501 §6.4.3 / RFC 9051 §6.4.3',
    null,
    'Permanently removes every message marked \\Deleted; the server reports each removal with an untagged EXPUNGE (or VANISHED with QRESYNC). UID EXPUNGE (UIDPLUS) limits it to given UIDs.',
  ],
  [
    'SEARCH',
    SELECTED,
    '[RETURN (...)] [CHARSET name] criteria ...',
    1,
    'RFC 3501 §6.4.4 / RFC 9051 §6.4.4',
    null,
    'Finds messages matching criteria (FROM, SINCE, UNSEEN, HEADER…); answered by an untagged SEARCH list, or an ESEARCH summary (MIN, MAX, COUNT, ALL) when RETURN options are given.',
  ],
  [
    'FETCH',
    SELECTED,
    'sequence-set data-items [(CHANGEDSINCE modseq)]',
    2,
    'RFC 3501 §6.4.5 / RFC 9051 §6.4.5',
    null,
    'Retrieves data about messages: a sequence set (`1:3`, `*`) and the items wanted (FLAGS, ENVELOPE, BODY[], BINARY[] with BINARY, MODSEQ with CONDSTORE…), or a macro ALL/FAST/FULL. Both parts are required.',
  ],
  [
    'STORE',
    SELECTED,
    'sequence-set [(UNCHANGEDSINCE modseq)] item flags',
    3,
    'RFC 3501 §6.4.6 / RFC 9051 §6.4.6',
    null,
    "Changes flags: FLAGS replaces, +FLAGS adds, -FLAGS removes; `.SILENT` suppresses the untagged FETCH echo. CONDSTORE's UNCHANGEDSINCE makes it conditional.",
  ],
  [
    'COPY',
    SELECTED,
    'sequence-set mailbox',
    2,
    'RFC 3501 §6.4.7 / RFC 9051 §6.4.7',
    null,
    'Copies messages into another mailbox. With UIDPLUS the OK carries [COPYUID] mapping old UIDs to new; [TRYCREATE] means the target does not exist.',
  ],
  [
    'MOVE',
    SELECTED,
    'sequence-set mailbox',
    2,
    'RFC 6851 §3.1 / RFC 9051 §6.4.8',
    'MOVE',
    'Moves messages to another mailbox in one atomic step (copy, mark deleted and expunge in one); the server reports the expunges and, with UIDPLUS, a COPYUID.',
  ],
  [
    'UID',
    SELECTED,
    'FETCH|STORE|COPY|MOVE|SEARCH|EXPUNGE ...',
    1,
    'RFC 3501 §6.4.8 / RFC 9051 §6.4.9',
    null,
    'A prefix: the command after it takes UIDs (stable message ids) instead of sequence numbers, and SEARCH answers with UIDs. UID EXPUNGE comes from UIDPLUS (RFC 4315 §2.1).',
  ],
];

/**
 * Every command imapscope knows, by upper-case name: the base protocol and its common
 * extensions above, and the rest of the IANA registry's commands (imap-extension-commands.ts).
 * This is the one table the lints consult.
 */
export const COMMAND_REFERENCE: ReadonlyMap<string, CommandReference> = new Map([
  ...ROWS.map(
    ([name, states, args, minArgs, rfc, capability, summary]): [string, CommandReference] => [
      name,
      { name, summary, states, args, minArgs, rfc, capability },
    ],
  ),
  ...KNOWN_EXTENSION_COMMANDS.map((c): [string, CommandReference] => [c.name, c]),
]);

/** The reference entry of a command name (any case), or undefined when it is not an IMAP command we know. */
export function commandReference(name: string): CommandReference | undefined {
  return COMMAND_REFERENCE.get(name.toUpperCase());
}
