/**
 * The teaching reference, responses: status responses, data responses and response codes of
 * RFC 3501 / RFC 9051 and the extensions imapscope follows, in our own words.
 */

/** One response or response code, for a learner. */
export interface ResponseReference {
  name: string;
  /** status: OK/NO/BAD/PREAUTH/BYE; data: untagged data; continuation: `+`; code: `[CODE]`. */
  kind: 'status' | 'data' | 'continuation' | 'code';
  summary: string;
  rfc: string;
  capability: string | null;
}

type Row = [name: string, rfc: string, capability: string | null, summary: string];

const build = (kind: ResponseReference['kind'], rows: Row[]): Map<string, ResponseReference> =>
  new Map(
    rows.map(([name, rfc, capability, summary]) => [
      name,
      { name, kind, summary, rfc, capability },
    ]),
  );

const STATUS: Row[] = [
  [
    'OK',
    'RFC 3501 §7.1.1 / RFC 9051 §7.1.1',
    null,
    'Success. Tagged, it completes the command with that tag; untagged, it is information (often with a response code like [UIDVALIDITY]); as the greeting, the server is ready for login.',
  ],
  [
    'NO',
    'RFC 3501 §7.1.2 / RFC 9051 §7.1.2',
    null,
    'Failure: the command was understood but could not be done (wrong password, no such mailbox, over quota). Untagged, a warning.',
  ],
  [
    'BAD',
    'RFC 3501 §7.1.3 / RFC 9051 §7.1.3',
    null,
    'Protocol error: the command was not understood (unknown name, wrong arguments, wrong state). Untagged, the server could not even tell which command was meant.',
  ],
  [
    'PREAUTH',
    'RFC 3501 §7.1.4 / RFC 9051 §7.1.4',
    null,
    'A greeting saying the connection is already authenticated (for example by the network it came from): the session starts in the authenticated state.',
  ],
  [
    'BYE',
    'RFC 3501 §7.1.5 / RFC 9051 §7.1.5',
    null,
    'The server is closing the connection: as part of LOGOUT, because of a shutdown or timeout, or as a greeting refusing the connection.',
  ],
];

const DATA: Row[] = [
  [
    'CAPABILITY',
    'RFC 3501 §7.2.1 / RFC 9051 §7.2.2',
    null,
    'The list of capabilities the server supports right now (IMAP4rev1, IDLE, AUTH=PLAIN…).',
  ],
  [
    'ENABLED',
    'RFC 5161 §3.2 / RFC 9051 §7.2.1',
    'ENABLE',
    'The extensions an ENABLE command actually switched on.',
  ],
  ['ID', 'RFC 2971 §3.2', 'ID', "The server's identity (name, version…) in answer to ID, or NIL."],
  [
    'LIST',
    'RFC 3501 §7.2.2 / RFC 9051 §7.3.1',
    null,
    'One mailbox: its attributes (\\Noselect, \\HasChildren, special uses like \\Sent), the hierarchy delimiter and the name.',
  ],
  ['LSUB', 'RFC 3501 §7.2.3', null, 'One subscribed mailbox, shaped like LIST.'],
  [
    'NAMESPACE',
    'RFC 2342 §5 / RFC 9051 §7.3.2',
    'NAMESPACE',
    "Personal, other users' and shared namespaces with their prefixes and delimiters.",
  ],
  [
    'STATUS',
    'RFC 3501 §7.2.4 / RFC 9051 §7.3.3',
    null,
    'The counters a STATUS command asked for, for one mailbox.',
  ],
  [
    'ESEARCH',
    'RFC 4731 §3.2 / RFC 9051 §7.3.4',
    'ESEARCH',
    'A compact SEARCH result: MIN, MAX, COUNT and ALL (as a sequence set), tagged with the command it answers.',
  ],
  [
    'SEARCH',
    'RFC 3501 §7.2.5',
    null,
    'The numbers (or UIDs for UID SEARCH) of the messages that matched.',
  ],
  [
    'FLAGS',
    'RFC 3501 §7.2.6 / RFC 9051 §7.3.5',
    null,
    'The flags defined in the selected mailbox.',
  ],
  [
    'EXISTS',
    'RFC 3501 §7.3.1 / RFC 9051 §7.4.1',
    null,
    'How many messages the selected mailbox holds; sent on SELECT and whenever new mail arrives (the wake-up during IDLE).',
  ],
  [
    'RECENT',
    'RFC 3501 §7.3.2',
    null,
    'How many messages are \\Recent (new to this session). Gone in RFC 9051.',
  ],
  [
    'EXPUNGE',
    'RFC 3501 §7.4.1 / RFC 9051 §7.5.1',
    null,
    'A message was permanently removed; every later sequence number shifts down by one.',
  ],
  [
    'VANISHED',
    'RFC 7162 §3.2.10',
    'QRESYNC',
    'UIDs that were expunged (QRESYNC), replacing EXPUNGE; EARLIER for changes before a resync.',
  ],
  [
    'FETCH',
    'RFC 3501 §7.4.2 / RFC 9051 §7.5.2',
    null,
    'Data about one message: answers FETCH, echoes STORE, or reports a flag change by someone else.',
  ],
];

const CONTINUATION: Row[] = [
  [
    '+',
    'RFC 3501 §7.5 / RFC 9051 §7.6',
    null,
    'The server is ready for more: the body of a synchronizing literal, the next SASL step of AUTHENTICATE, or (for IDLE) "I am idling, send DONE to stop".',
  ],
];

const CODES: Row[] = [
  [
    'ALERT',
    'RFC 3501 §7.1 / RFC 9051 §7.1',
    null,
    'A message the client must show to the user as is.',
  ],
  [
    'BADCHARSET',
    'RFC 3501 §7.1',
    null,
    'SEARCH named a charset the server does not support; the supported ones may follow.',
  ],
  [
    'CAPABILITY',
    'RFC 3501 §7.1',
    null,
    'The capability list, carried in a greeting or OK so the client need not ask.',
  ],
  ['PARSE', 'RFC 3501 §7.1', null, "A message's headers or MIME structure could not be parsed."],
  [
    'PERMANENTFLAGS',
    'RFC 3501 §7.1',
    null,
    'The flags a client may change permanently in this mailbox; \\* means new keywords too.',
  ],
  [
    'READ-ONLY',
    'RFC 3501 §7.1',
    null,
    'The mailbox is open read-only (EXAMINE, or no write access).',
  ],
  ['READ-WRITE', 'RFC 3501 §7.1', null, 'The mailbox is open read-write.'],
  [
    'TRYCREATE',
    'RFC 3501 §7.1',
    null,
    'APPEND/COPY failed because the target mailbox does not exist; CREATE it and retry.',
  ],
  ['UIDNEXT', 'RFC 3501 §7.1', null, 'The UID the next new message will get.'],
  [
    'UIDVALIDITY',
    'RFC 3501 §7.1',
    null,
    'If this number changes, every UID the client cached for the mailbox is void.',
  ],
  ['UNSEEN', 'RFC 3501 §7.1', null, 'The sequence number of the first unseen message.'],
  [
    'ALREADYEXISTS',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'The name is already taken (CREATE, RENAME).',
  ],
  [
    'AUTHENTICATIONFAILED',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'Wrong credentials, or the mechanism failed.',
  ],
  [
    'AUTHORIZATIONFAILED',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'The credentials are right but this identity may not act as the one asked for.',
  ],
  [
    'CANNOT',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'The operation can never succeed as asked (an invalid mailbox name, for instance).',
  ],
  [
    'CLIENTBUG',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'The command was accepted but the server thinks the client made a mistake.',
  ],
  [
    'CLOSED',
    'RFC 7162 §3.2.11 / RFC 9051 §7.1',
    null,
    'The previously selected mailbox is now closed (sent when selecting another one).',
  ],
  ['CONTACTADMIN', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'Ask the server administrator.'],
  ['CORRUPTION', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'The server found corrupted data.'],
  ['EXPIRED', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'The credentials or the data have expired.'],
  [
    'EXPUNGEISSUED',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'Someone else expunged messages meanwhile; sequence numbers are about to shift.',
  ],
  [
    'HASCHILDREN',
    'RFC 9051 §7.1',
    null,
    'The mailbox has children and cannot be deleted as asked.',
  ],
  ['INUSE', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'Something else holds a lock; try again later.'],
  [
    'LIMIT',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'A server limit was hit (too many messages, too large).',
  ],
  ['NONEXISTENT', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'The mailbox (or message) does not exist.'],
  ['NOPERM', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'This user lacks the access rights.'],
  ['OVERQUOTA', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'The quota is exceeded.'],
  [
    'PRIVACYREQUIRED',
    'RFC 5530 §3 / RFC 9051 §7.1',
    null,
    'Only allowed over a protected (TLS) connection.',
  ],
  ['SERVERBUG', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'The server hit an internal error.'],
  ['UNAVAILABLE', 'RFC 5530 §3 / RFC 9051 §7.1', null, 'A backend is temporarily unavailable.'],
  ['NOTSAVED', 'RFC 9051 §7.1', null, 'A search result variable was not saved.'],
  [
    'APPENDUID',
    'RFC 4315 §3 / RFC 9051 §7.1',
    'UIDPLUS',
    'UIDVALIDITY and UID of the message APPEND created.',
  ],
  [
    'COPYUID',
    'RFC 4315 §3 / RFC 9051 §7.1',
    'UIDPLUS',
    'UIDVALIDITY, source UIDs and new UIDs of a COPY or MOVE.',
  ],
  [
    'UIDNOTSTICKY',
    'RFC 4315 §3 / RFC 9051 §7.1',
    'UIDPLUS',
    'UIDs in this mailbox are not persistent.',
  ],
  [
    'HIGHESTMODSEQ',
    'RFC 7162 §3.1.2.1',
    'CONDSTORE',
    'The highest mod-sequence in the mailbox: the point to resynchronize from.',
  ],
  ['NOMODSEQ', 'RFC 7162 §3.1.2.2', 'CONDSTORE', 'The mailbox does not keep mod-sequences.'],
  [
    'MODIFIED',
    'RFC 7162 §3.1.3',
    'CONDSTORE',
    'A conditional STORE skipped these messages: they changed since the given mod-sequence.',
  ],
  [
    'COMPRESSIONACTIVE',
    'RFC 4978 §3',
    'COMPRESS=DEFLATE',
    'COMPRESS refused because compression is already on.',
  ],
  ['USEATTR', 'RFC 6154 §6', 'SPECIAL-USE', 'CREATE named a special use the server cannot apply.'],
  [
    'UNKNOWN-CTE',
    'RFC 3516 §4.3',
    'BINARY',
    "The server cannot decode this body part's transfer encoding for BINARY.",
  ],
];

/** Status, data and continuation responses by name (`+` for the continuation request). */
export const RESPONSE_REFERENCE: ReadonlyMap<string, ResponseReference> = new Map([
  ...build('status', STATUS),
  ...build('data', DATA),
  ...build('continuation', CONTINUATION),
]);

/** Response codes (`[NAME ...]`) by name. */
export const RESPONSE_CODE_REFERENCE: ReadonlyMap<string, ResponseReference> = build('code', CODES);
