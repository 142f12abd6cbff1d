/**
 * INBOX letters that each explain one IMAP idea. Learners read them through
 * imapscope and watch, at the same time, the protocol that fetched them.
 */
import type { Address, Letter } from './mime.ts';

/** The practice account's own address. */
export const LEARNER: Address = { name: 'Learner', address: 'learner@imapscope.test' };

export const GUIDE: Address = { name: 'imapscope guide', address: 'guide@imapscope.test' };
const MINA: Address = { name: 'Mina Okafor', address: 'mina@example.org' };
const JONAS: Address = { name: 'Berg, Jonas', address: 'jonas.berg@example.net' };
const PRIYA: Address = { name: 'Priya Raman', address: 'priya@example.com' };
const LUCAS: Address = { name: 'Lucas Moreau', address: 'lucas.moreau@example.fr' };
const JUERGEN: Address = { name: 'Jürgen Müller', address: 'juergen@example.de' };

const to = [LEARNER];

/** Teaching letters, oldest first. */
export const LESSONS: Letter[] = [
  {
    id: 'lesson-tags',
    from: MINA,
    to,
    date: '2025-09-01T08:12:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 1: tags pair every answer with its question',
    text: `Hi!

Every IMAP command starts with a tag the client chooses, like "A1" or
"3". The server may send many untagged lines (they start with "*") while
it works, and ends with one tagged line carrying the same tag:

  C: A1 SELECT INBOX
  S: * 30 EXISTS
  S: * OK [UIDVALIDITY 1756684800]
  S: A1 OK [READ-WRITE] Completed

The tagged line says how it went: OK (done), NO (refused, e.g. no such
mailbox) or BAD (the command itself was malformed). Because of tags a
client may send several commands without waiting, and still know which
answer belongs to which. Watch the tags in the imapscope viewer.

Mina`,
  },
  {
    id: 'lesson-states',
    from: MINA,
    to,
    date: '2025-09-02T09:40:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 2: the four states of a session',
    text: `Hello again,

An IMAP session moves through four states:

  Not Authenticated  -- after the greeting; only CAPABILITY, STARTTLS,
                        LOGIN, AUTHENTICATE, NOOP and LOGOUT make sense.
  Authenticated      -- after LOGIN; now LIST, CREATE, SELECT, APPEND...
  Selected           -- after SELECT or EXAMINE; now FETCH, STORE,
                        SEARCH, COPY, MOVE, EXPUNGE work on one mailbox.
  Logout             -- after LOGOUT or a "* BYE"; the connection ends.

CLOSE or UNSELECT take you from Selected back to Authenticated. The
imapscope viewer shows the state of each session as it changes.

Mina`,
  },
  {
    id: 'lesson-uids',
    from: JONAS,
    to,
    date: '2025-09-03T14:05:00Z',
    flags: ['\\Seen', '\\Flagged'],
    subject: 'Lesson 3: sequence numbers and UIDs',
    text: `Hej,

Each message in a mailbox has two numbers:

- a sequence number: its position, 1 to N. Positions shift when a
  message before it is expunged.
- a UID: a number that never changes for that message, as long as the
  mailbox's UIDVALIDITY stays the same.

"FETCH 5 (FLAGS)" asks for the fifth message; "UID FETCH 42 (FLAGS)"
for the message whose UID is 42. Clients that keep a cache use UIDs.
Untagged FETCH responses always carry the sequence number first:

  S: * 5 FETCH (UID 42 FLAGS (\\Seen))

Jonas`,
  },
  {
    id: 'lesson-flags',
    from: JONAS,
    to,
    date: '2025-09-04T10:30:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 4: flags and keywords',
    text: `Hej,

Flags are little labels on a message. The system flags begin with a
backslash:

  \\Seen      the message has been read
  \\Answered  you replied to it
  \\Flagged   marked as important (the star or the red flag)
  \\Deleted   marked for removal by the next EXPUNGE
  \\Draft     not finished yet

Keywords such as $Forwarded or $Junk have no backslash; servers that
answer "PERMANENTFLAGS (... \\*)" let clients invent new ones. Change
flags with STORE:

  C: A7 STORE 5 +FLAGS (\\Flagged)
  S: * 5 FETCH (FLAGS (\\Seen \\Flagged))
  S: A7 OK STORE completed

This letter is message 5 in INBOX: try it on this one!

Jonas`,
  },
  {
    id: 'lesson-literals',
    from: PRIYA,
    to,
    date: '2025-09-06T16:20:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 5: literals, {n} and the "+" continuation',
    text: `Hi,

Some strings cannot be written in quotes: they contain line breaks or are
large, like a whole message. IMAP sends them as literals: "{n}" at the
end of a line announces n bytes that follow the CRLF.

A client that APPENDs a message waits for the server's go-ahead:

  C: A3 APPEND Drafts {310}
  S: + Go ahead
  C: <exactly 310 bytes of message>
  C: (the rest of the command line, here empty)
  S: A3 OK [APPENDUID 1756684802 3] APPEND Completed

Servers send literals too: every "BODY[] {1234}" you see in a FETCH is
followed by exactly 1234 bytes. A proxy must count those bytes rather than
look for line ends, or it will mistake mail content for protocol.

Priya`,
  },
  {
    id: 'lesson-literal-plus',
    from: PRIYA,
    to,
    date: '2025-09-08T11:02:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 6: LITERAL+ saves a round trip',
    text: `Hi,

Waiting for "+" costs one network round trip per literal. When the
server lists LITERAL+ in its CAPABILITY response, the client may write
"{n+}" and send the bytes straight away:

  C: A4 APPEND Drafts {310+}
  C: <310 bytes, no waiting>
  S: A4 OK [APPENDUID 1756684802 4] APPEND Completed

This practice server offers LITERAL+. Compare the timing of the two
kinds of APPEND in the viewer.

Priya`,
  },
  {
    id: 'lesson-untagged',
    from: LUCAS,
    to,
    date: '2025-09-10T07:45:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 7: untagged responses keep you up to date',
    text: `Salut,

The server tells you about changes with untagged responses, often in the
middle of answering something else:

  * 31 EXISTS       the mailbox now holds 31 messages
  * 4 EXPUNGE       message 4 is gone; all later ones move down by one
  * 2 FETCH (FLAGS (\\Seen))   flags of message 2 changed

A good client applies them in order, whatever command they arrive with.
Note how EXPUNGE renumbers: after "* 4 EXPUNGE", the old message 5 is
the new message 4.

Lucas`,
  },
  {
    id: 'lesson-idle',
    from: LUCAS,
    to,
    date: '2025-09-12T19:30:00Z',
    flags: ['\\Seen', '\\Flagged'],
    subject: 'Lesson 8: IDLE, or how mail is pushed',
    text: `Salut,

Without IDLE a client has to poll: NOOP every minute, "anything new?".
With IDLE it asks the server to speak up on its own:

  C: A9 IDLE
  S: + idling
  S: * 32 EXISTS          (new mail arrived; the client may now FETCH)
  C: DONE
  S: A9 OK IDLE terminated

"DONE" is a bare line without a tag: the only client line in IMAP that
has none, apart from literal data and AUTHENTICATE answers. Open two
sessions, IDLE in one and APPEND from the other, and watch the push.

Lucas`,
  },
  {
    id: 'lesson-mailbox-names',
    from: LUCAS,
    to,
    date: '2025-09-15T12:10:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 9: folder names travel as modified UTF-7',
    text: `Salut,

IMAP predates UTF-8 everywhere, so mailbox names with accents are sent
in "modified UTF-7" (RFC 3501 section 5.1.3). ASCII stays ASCII, "&"
becomes "&-", and any other run of characters becomes "&", base64 of its
UTF-16, and "-":

  Reçus       ->  Re&AOc-us
  Entwürfe    ->  Entw&APw-rfe

Run LIST and look for "Re&AOc-us": your client shows it as "Reçus". The
separator between levels is in the LIST reply too; here it is "/", as in
"Archive/2025".

Lucas`,
  },
  {
    id: 'lesson-bodystructure',
    from: PRIYA,
    to,
    date: '2025-09-18T15:55:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 10: BODYSTRUCTURE shows a message before you download it',
    text: `Hi,

"FETCH n BODYSTRUCTURE" returns the MIME tree of a message: each part's
type, charset, encoding and size, nested in parentheses. A client can
show "invoice.pdf, 1 KB" and fetch only the text part:

  C: A5 FETCH 15 BODYSTRUCTURE
  S: * 15 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii")
     NIL NIL "7BIT" 296 9 NIL NIL NIL) ("APPLICATION" "PDF" ("NAME"
     "invoice-INV-2025-0917.pdf") NIL NIL "BASE64" 914 NIL ("ATTACHMENT"
     ("FILENAME" "invoice-INV-2025-0917.pdf")) NIL) "MIXED" ...))
  C: A6 FETCH 15 BODY.PEEK[1]

Part numbers ("1", "2", "1.2") address parts inside the tree. Message 15
in this INBOX is that invoice, with its PDF: try it.

Priya`,
  },
  {
    id: 'lesson-peek',
    from: MINA,
    to,
    date: '2025-09-21T09:00:00Z',
    flags: ['\\Seen'],
    subject: 'Lesson 11: BODY[] marks mail as read, BODY.PEEK[] does not',
    text: `Hi,

Fetching "BODY[]" sets \\Seen on the message, as if you had opened it;
the server then tells you so with an untagged FETCH of the new FLAGS.
"BODY.PEEK[]" returns the same bytes and leaves the flags alone. Mail
clients peek when they download for their cache or preview.

Find an unread message here, fetch it with BODY.PEEK[], then with BODY[],
and watch its flags in the viewer.

Mina`,
  },
  {
    id: 'lesson-search',
    from: JONAS,
    to,
    date: '2025-09-24T13:25:00Z',
    subject: 'Lesson 12: SEARCH finds message numbers, not messages',
    text: `Hej,

SEARCH returns numbers; you FETCH what you need afterwards:

  C: A8 SEARCH UNSEEN FROM "jonas"
  S: * SEARCH 20 29
  S: A8 OK SEARCH completed
  C: A9 UID SEARCH FLAGGED
  S: * SEARCH 4 13 21 24 30

Plain SEARCH gives sequence numbers, UID SEARCH gives UIDs. Criteria
combine with AND by default; OR and NOT take the next criteria as
arguments. SINCE and BEFORE compare dates, ignoring the time.

Jonas`,
  },
  {
    id: 'lesson-uidplus',
    from: PRIYA,
    to,
    date: '2025-09-27T10:40:00Z',
    subject: 'Lesson 13: UIDPLUS tells you where your message went',
    text: `Hi,

After APPEND or COPY, how does a client learn the UID of the new
message? With UIDPLUS the server says it in the tagged reply:

  S: A3 OK [APPENDUID 1756684802 3] APPEND Completed
  S: A4 OK [COPYUID 1756684804 3,4,5 4,5,6] COPY completed

First the UIDVALIDITY of the target mailbox, then the UID(s). UIDPLUS
also adds "UID EXPUNGE <uids>", which removes only the messages you
name, not every message someone else marked \\Deleted.

Priya`,
  },
  {
    id: 'lesson-move',
    from: LUCAS,
    to,
    date: '2025-10-01T08:50:00Z',
    flags: ['\\Flagged'],
    subject: 'Lesson 14: MOVE versus COPY, STORE and EXPUNGE',
    text: `Salut,

Before MOVE (RFC 6851), moving mail took three commands:

  C: A1 COPY 7 Archive
  C: A2 STORE 7 +FLAGS (\\Deleted)
  C: A3 EXPUNGE

If the connection drops between them, the message ends up in both
folders. MOVE does it in one step:

  C: A4 MOVE 24 Archive
  S: * OK [COPYUID 1756684804 24 4]
  S: * 24 EXPUNGE
  S: A4 OK Done

This letter is message 24 in INBOX: try moving it to Archive.

Lucas`,
  },
  {
    id: 'lesson-encoded-words',
    from: JUERGEN,
    to,
    date: '2025-10-04T17:15:00Z',
    subject: 'Lektion 15: Grüße aus Zürich – Umlaute im Betreff ✉',
    text: `Hallo!

Dieser Betreff enthält Umlaute und ein Briefsymbol. Kopfzeilen einer
E-Mail sind reines ASCII, deshalb steht er auf der Leitung so da:

  Subject: =?UTF-8?B?TGVrdGlvbiAxNTogR3LDvMOfZSBhdXMgWsO8cmljaCDigJMgVW1sYXV0ZSBp?=
   =?UTF-8?B?bSBCZXRyZWZmIOKciQ==?=

Das ist ein "encoded-word" nach RFC 2047: Zeichensatz, B für Base64
(oder Q für quoted-printable) und der kodierte Text. Auch mein Name im
From: ist so kodiert. Dieser Text selbst ist quoted-printable: ü wird zu
=C3=BC. Schau dir die Rohdaten mit BODY.PEEK[] an!

(In short: headers are ASCII, so non-ASCII subjects travel as RFC 2047
encoded-words; this body travels as quoted-printable UTF-8.)

Viele Grüße
Jürgen`,
  },
  {
    id: 'lesson-namespace',
    from: MINA,
    to,
    date: '2025-10-08T11:35:00Z',
    subject: 'Lesson 16: NAMESPACE and where folders live',
    text: `Hi,

"NAMESPACE" tells a client where to create folders and which separator
the server uses:

  C: A2 NAMESPACE
  S: * NAMESPACE (("" "/")) NIL NIL
  S: A2 OK Completed

Three lists: your personal folders, other users' folders, shared ones.
Here personal folders have no prefix and "/" separates levels, so a
client creates "Projects/imapscope". Some servers use the prefix "INBOX."
and the separator "."; then the same folder is "INBOX.Projects.imapscope".

Mina`,
  },
  {
    id: 'lesson-capability',
    from: JONAS,
    to,
    date: '2025-10-11T09:05:00Z',
    subject: 'Lesson 17: CAPABILITY, or what can this server do?',
    text: `Hej,

Clients ask first, then use what is offered:

  C: A0 CAPABILITY
  S: * CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR ID ENABLE IDLE NAMESPACE
     UNSELECT SPECIAL-USE LITERAL+ UIDPLUS MOVE
  S: A0 OK Completed

The list may change with the state: AUTH=PLAIN disappears once you are
logged in, STARTTLS once the connection is encrypted. Servers often put
the list into the greeting or the LOGIN reply as "[CAPABILITY ...]" to
save a round trip.

Jonas`,
  },
];
