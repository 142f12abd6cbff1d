/**
 * One wire vector per row of docs/protocol-coverage.md: every command, response, FETCH item and
 * response code of RFC 9051 and of the extensions Dovecot, Gmail, Exchange, Cyrus and Stalwart
 * announce. `wire` is one side's bytes (lines joined by CRLF, a final CRLF is added);
 * `expect` is what it must decode to (see decodedKinds in coverage.ts). The coverage test runs
 * every vector whole, byte by byte and at random splits and requires zero malformed messages.
 */

export type RowKind = 'command' | 'response' | 'fetch item' | 'response code';

export interface Vector {
  /** Unique, cited by the doc. */
  name: string;
  /** RFC 9051 or the capability that announces the extension. */
  area: string;
  kind: RowKind;
  /** The command, response, item or code, as the doc names it. */
  item: string;
  /** c2s for commands, s2c otherwise. */
  wire: string;
  /** A decoded kind the message must show, e.g. `command:NOTIFY`, `untagged:esearch`, `code:copyuid`. */
  expect: string;
  /** Responses only: the tracker acts on it (pairing, state, capabilities, literals). */
  tracked?: boolean;
}

type Row = [name: string, area: string, kind: RowKind, item: string, wire: string, expect: string];

const R = 'RFC 9051';
const C = 'command';
const S = 'response';
const F = 'fetch item';
const K = 'response code';

// prettier-ignore
const ROWS: Row[] = [
  // RFC 9051 (and RFC 3501) commands
  ['cmd-capability', R, C, 'CAPABILITY', 'a1 CAPABILITY', 'command:CAPABILITY'],
  ['cmd-noop', R, C, 'NOOP', 'a1 NOOP', 'command:NOOP'],
  ['cmd-logout', R, C, 'LOGOUT', 'a1 LOGOUT', 'command:LOGOUT'],
  ['cmd-starttls', R, C, 'STARTTLS', 'a1 STARTTLS', 'command:STARTTLS'],
  ['cmd-authenticate', R, C, 'AUTHENTICATE', 'a1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'command:AUTHENTICATE'],
  ['cmd-login', R, C, 'LOGIN', 'a1 LOGIN "user" {4+}\r\npass', 'command:LOGIN'],
  ['cmd-enable', R, C, 'ENABLE', 'a1 ENABLE CONDSTORE QRESYNC UTF8=ACCEPT', 'command:ENABLE'],
  ['cmd-select', R, C, 'SELECT', 'a1 SELECT INBOX', 'command:SELECT'],
  ['cmd-select-brackets', R, C, 'SELECT (mailbox with [ ])', 'a1 SELECT rp[x]', 'command:SELECT'],
  ['cmd-examine', R, C, 'EXAMINE', 'a1 EXAMINE "Sent Items"', 'command:EXAMINE'],
  ['cmd-create', R, C, 'CREATE', 'a1 CREATE owatagusiam/', 'command:CREATE'],
  ['cmd-delete', R, C, 'DELETE', 'a1 DELETE blurdybloop', 'command:DELETE'],
  ['cmd-rename', R, C, 'RENAME', 'a1 RENAME blurdybloop sarasoop', 'command:RENAME'],
  ['cmd-subscribe', R, C, 'SUBSCRIBE', 'a1 SUBSCRIBE #news.comp.mail.mime', 'command:SUBSCRIBE'],
  ['cmd-unsubscribe', R, C, 'UNSUBSCRIBE', 'a1 UNSUBSCRIBE #news.comp.mail.mime', 'command:UNSUBSCRIBE'],
  ['cmd-list', R, C, 'LIST', 'a1 LIST "" rp[*', 'command:LIST'],
  ['cmd-lsub', R, C, 'LSUB (RFC 3501)', 'a1 LSUB "#news." "comp.mail.*"', 'command:LSUB'],
  ['cmd-namespace', R, C, 'NAMESPACE', 'a1 NAMESPACE', 'command:NAMESPACE'],
  ['cmd-status', R, C, 'STATUS', 'a1 STATUS blurdybloop (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE)', 'command:STATUS'],
  ['cmd-append', R, C, 'APPEND', 'a1 APPEND saved-messages (\\Seen) "05-Jan-2024 10:00:00 +0000" {5+}\r\nhello', 'command:APPEND'],
  ['cmd-idle', R, C, 'IDLE', 'a1 IDLE', 'command:IDLE'],
  ['cmd-check', R, C, 'CHECK (RFC 3501)', 'a1 CHECK', 'command:CHECK'],
  ['cmd-close', R, C, 'CLOSE', 'a1 CLOSE', 'command:CLOSE'],
  ['cmd-unselect', R, C, 'UNSELECT', 'a1 UNSELECT', 'command:UNSELECT'],
  ['cmd-expunge', R, C, 'EXPUNGE', 'a1 EXPUNGE', 'command:EXPUNGE'],
  ['cmd-uid-expunge', R, C, 'UID EXPUNGE', 'a1 UID EXPUNGE 3000:3002', 'command:EXPUNGE'],
  ['cmd-search', R, C, 'SEARCH', 'a1 SEARCH CHARSET UTF-8 FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"', 'command:SEARCH'],
  ['cmd-fetch', R, C, 'FETCH', 'a1 FETCH 2:4 (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.512> BINARY.SIZE[1])', 'command:FETCH'],
  ['cmd-store', R, C, 'STORE', 'a1 STORE 2:4 +FLAGS.SILENT (\\Deleted)', 'command:STORE'],
  ['cmd-copy', R, C, 'COPY', 'a1 COPY 2:4 MEETING', 'command:COPY'],
  ['cmd-move', R, C, 'MOVE', 'a1 MOVE 2:4 Archive', 'command:MOVE'],
  ['cmd-uid', R, C, 'UID', 'a1 UID FETCH 4827313:4828442 FLAGS', 'command:FETCH'],
  // RFC 9051 responses
  ['res-greeting', R, S, 'greeting (OK / PREAUTH / BYE)', '* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] ready', 'greeting'],
  ['res-ok', R, S, 'OK (tagged and untagged)', '* OK [UNSEEN 3] hi\r\na1 OK done', 'tagged:OK'],
  ['res-no', R, S, 'NO', 'a1 NO [TRYCREATE] no such mailbox', 'tagged:NO'],
  ['res-bad', R, S, 'BAD', 'a1 BAD Unknown command', 'tagged:BAD'],
  ['res-preauth', R, S, 'PREAUTH', '* PREAUTH logged in as Smith', 'greeting'],
  ['res-bye', R, S, 'BYE', '* BYE Autologout; idle for too long', 'greeting'],
  ['res-capability', R, S, 'CAPABILITY', '* CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED', 'untagged:capability'],
  ['res-enabled', R, S, 'ENABLED', '* ENABLED CONDSTORE QRESYNC', 'untagged:enabled'],
  ['res-list', R, S, 'LIST', '* LIST (\\Noselect) "/" ~/Mail/foo', 'untagged:list'],
  ['res-list-brackets', R, S, 'LIST (mailbox with [ ])', '* LIST (\\HasNoChildren) "/" rp[x]', 'untagged:list'],
  ['res-list-literal', R, S, 'LIST (mailbox as literal)', '* LIST () "/" {3}\r\nfoo', 'untagged:list'],
  ['res-lsub', R, S, 'LSUB (RFC 3501)', '* LSUB () "." #news.comp.mail.misc', 'untagged:lsub'],
  ['res-namespace', R, S, 'NAMESPACE', '* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/") ("#public/" "/"))', 'untagged:namespace'],
  ['res-status', R, S, 'STATUS', '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 DELETED 3 SIZE 123456)', 'untagged:mailbox-status'],
  ['res-esearch', R, S, 'ESEARCH', '* ESEARCH (TAG "A282") MIN 2 COUNT 3', 'untagged:esearch'],
  ['res-search', R, S, 'SEARCH (RFC 3501)', '* SEARCH 2 84 882', 'untagged:search'],
  ['res-flags', R, S, 'FLAGS', '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)', 'untagged:flags'],
  ['res-flags-nil', R, S, 'FLAGS (keyword NIL)', '* FLAGS (\\Seen NIL)', 'untagged:flags'],
  ['res-exists', R, S, 'EXISTS', '* 23 EXISTS', 'untagged:exists'],
  ['res-recent', R, S, 'RECENT (RFC 3501)', '* 5 RECENT', 'untagged:recent'],
  ['res-expunge', R, S, 'EXPUNGE', '* 44 EXPUNGE', 'untagged:expunge'],
  ['res-fetch', R, S, 'FETCH', '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286)', 'untagged:fetch'],
  ['res-continuation', R, S, '+ continuation request', '+ Ready for literal data', 'continuation'],
  // RFC 9051 FETCH items
  ['fetch-flags-nil', R, F, 'FLAGS (keyword NIL)', '* 1 FETCH (FLAGS (\\Recent NIL))', 'fetch:flags'],
  ['fetch-uid', R, F, 'UID', '* 1 FETCH (UID 4827313)', 'fetch:uid'],
  ['fetch-internaldate', R, F, 'INTERNALDATE', '* 1 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700")', 'fetch:internaldate'],
  ['fetch-rfc822-size', R, F, 'RFC822.SIZE', '* 1 FETCH (RFC822.SIZE 44827)', 'fetch:rfc822-size'],
  ['fetch-envelope', R, F, 'ENVELOPE', '* 1 FETCH (ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700" "Subject" (("Terry" NIL "gray" "cac.washington.edu")) NIL NIL NIL NIL NIL NIL "<B27397-0100000@cac.washington.edu>"))', 'fetch:envelope'],
  ['fetch-body', R, F, 'BODY', '* 1 FETCH (BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))', 'fetch:bodystructure'],
  ['fetch-bodystructure', R, F, 'BODYSTRUCTURE', '* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 20 1) "ALTERNATIVE" ("BOUNDARY" "x") NIL NIL NIL))', 'fetch:bodystructure'],
  ['fetch-body-section', R, F, 'BODY[section]<origin>', '* 1 FETCH (BODY[HEADER.FIELDS (DATE FROM)]<0> {5}\r\nhello)', 'fetch:body-section'],
  ['fetch-binary', R, F, 'BINARY[section]', '* 1 FETCH (BINARY[1] ~{3}\r\nabc)', 'fetch:body-section'],
  ['fetch-binary-size', R, F, 'BINARY.SIZE[section]', '* 1 FETCH (BINARY.SIZE[1] 3)', 'fetch:binary-size'],
  ['fetch-rfc822', R, F, 'RFC822, RFC822.HEADER, RFC822.TEXT (RFC 3501)', '* 1 FETCH (RFC822.HEADER {5}\r\nhello RFC822.TEXT NIL)', 'fetch:body-section'],
  // RFC 9051 response codes
  ['code-alert', R, K, 'ALERT', '* OK [ALERT] System shutdown in 10 minutes', 'code:plain'],
  ['code-alreadyexists', R, K, 'ALREADYEXISTS', 'a1 NO [ALREADYEXISTS] Mailbox "that" already exists', 'code:plain'],
  ['code-appenduid', R, K, 'APPENDUID', 'a1 OK [APPENDUID 38505 3955] APPEND completed', 'code:appenduid'],
  ['code-authenticationfailed', R, K, 'AUTHENTICATIONFAILED', 'a1 NO [AUTHENTICATIONFAILED] Authentication failed', 'code:plain'],
  ['code-authorizationfailed', R, K, 'AUTHORIZATIONFAILED', 'a1 NO [AUTHORIZATIONFAILED] No such authorization-ID', 'code:plain'],
  ['code-badcharset', R, K, 'BADCHARSET', 'a1 NO [BADCHARSET (UTF-8)] charset unsupported', 'code:badcharset'],
  ['code-cannot', R, K, 'CANNOT', 'a1 NO [CANNOT] Adjacent slashes are not supported', 'code:plain'],
  ['code-capability', R, K, 'CAPABILITY', 'a1 OK [CAPABILITY IMAP4rev2 IDLE] Logged in', 'code:capability'],
  ['code-clientbug', R, K, 'CLIENTBUG', 'a1 OK [CLIENTBUG] Done', 'code:plain'],
  ['code-closed', R, K, 'CLOSED', '* OK [CLOSED] Previous mailbox is now closed', 'code:plain'],
  ['code-contactadmin', R, K, 'CONTACTADMIN', 'a1 NO [CONTACTADMIN] Call the helpdesk', 'code:plain'],
  ['code-copyuid', R, K, 'COPYUID', 'a1 OK [COPYUID 38505 304,319:320 3956:3958] Done', 'code:copyuid'],
  ['code-corruption', R, K, 'CORRUPTION', 'a1 NO [CORRUPTION] Cannot open mailbox', 'code:plain'],
  ['code-expired', R, K, 'EXPIRED', 'a1 NO [EXPIRED] That password is no longer valid', 'code:plain'],
  ['code-expungeissued', R, K, 'EXPUNGEISSUED', 'a1 OK [EXPUNGEISSUED] Search completed', 'code:plain'],
  ['code-haschildren', R, K, 'HASCHILDREN', 'a1 NO [HASCHILDREN] Mailbox "Notes" has children', 'code:plain'],
  ['code-inuse', R, K, 'INUSE', 'a1 NO [INUSE] Mailbox in use', 'code:plain'],
  ['code-limit', R, K, 'LIMIT', 'a1 NO [LIMIT] At most 10000 messages', 'code:plain'],
  ['code-nonexistent', R, K, 'NONEXISTENT', 'a1 NO [NONEXISTENT] No such mailbox', 'code:plain'],
  ['code-noperm', R, K, 'NOPERM', 'a1 NO [NOPERM] Access denied', 'code:plain'],
  ['code-overquota', R, K, 'OVERQUOTA', 'a1 NO [OVERQUOTA] Sorry', 'code:plain'],
  ['code-parse', R, K, 'PARSE', '* NO [PARSE] Invalid header', 'code:plain'],
  ['code-permanentflags', R, K, 'PERMANENTFLAGS', '* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited', 'code:permanentflags'],
  ['code-privacyrequired', R, K, 'PRIVACYREQUIRED', 'a1 NO [PRIVACYREQUIRED] Connection is not private', 'code:plain'],
  ['code-read-only', R, K, 'READ-ONLY', 'a1 OK [READ-ONLY] EXAMINE completed', 'code:plain'],
  ['code-read-write', R, K, 'READ-WRITE', 'a1 OK [READ-WRITE] SELECT completed', 'code:plain'],
  ['code-serverbug', R, K, 'SERVERBUG', 'a1 NO [SERVERBUG] Sorry', 'code:plain'],
  ['code-trycreate', R, K, 'TRYCREATE', 'a1 NO [TRYCREATE] No such mailbox', 'code:plain'],
  ['code-uidnext', R, K, 'UIDNEXT', '* OK [UIDNEXT 4392] Predicted next UID', 'code:number'],
  ['code-uidnotsticky', R, K, 'UIDNOTSTICKY', '* NO [UIDNOTSTICKY] Non-persistent UIDs', 'code:plain'],
  ['code-uidvalidity', R, K, 'UIDVALIDITY', '* OK [UIDVALIDITY 3857529045] UIDs valid', 'code:number'],
  ['code-unavailable', R, K, 'UNAVAILABLE', 'a1 NO [UNAVAILABLE] User database down', 'code:plain'],
  ['code-unknown-cte', R, K, 'UNKNOWN-CTE', 'a1 NO [UNKNOWN-CTE] Cannot decode', 'code:plain'],
  ['code-unseen', R, K, 'UNSEEN (RFC 3501)', '* OK [UNSEEN 12] Message 12 is first unseen', 'code:number'],
  // CONDSTORE / QRESYNC (RFC 7162)
  ['condstore-select', 'CONDSTORE', C, 'SELECT (CONDSTORE)', 'a1 SELECT INBOX (CONDSTORE)', 'command:SELECT'],
  ['condstore-fetch', 'CONDSTORE', C, 'FETCH (CHANGEDSINCE)', 'a1 FETCH 1:* (UID FLAGS) (CHANGEDSINCE 12345)', 'command:FETCH'],
  ['condstore-store', 'CONDSTORE', C, 'STORE (UNCHANGEDSINCE)', 'a1 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)', 'command:STORE'],
  ['condstore-search', 'CONDSTORE', C, 'SEARCH MODSEQ', 'a1 SEARCH MODSEQ "/flags/\\\\draft" all 620162338', 'command:SEARCH'],
  ['condstore-fetch-modseq', 'CONDSTORE', F, 'MODSEQ', '* 7 FETCH (MODSEQ (12121231000) FLAGS (\\Seen))', 'fetch:modseq'],
  ['condstore-search-modseq', 'CONDSTORE', S, 'SEARCH (MODSEQ)', '* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)', 'untagged:search'],
  ['condstore-highestmodseq', 'CONDSTORE', K, 'HIGHESTMODSEQ', '* OK [HIGHESTMODSEQ 715194045007] Highest', 'code:modseq'],
  ['condstore-nomodseq', 'CONDSTORE', K, 'NOMODSEQ', '* OK [NOMODSEQ] Sorry, this mailbox format does not support modsequences', 'code:plain'],
  ['condstore-modified', 'CONDSTORE', K, 'MODIFIED', 'a1 OK [MODIFIED 7,9] Conditional STORE failed', 'code:modified'],
  ['qresync-select', 'QRESYNC', C, 'SELECT (QRESYNC)', 'a1 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))', 'command:SELECT'],
  ['qresync-fetch-vanished', 'QRESYNC', C, 'UID FETCH (CHANGEDSINCE VANISHED)', 'a1 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)', 'command:FETCH'],
  ['qresync-vanished', 'QRESYNC', S, 'VANISHED', '* VANISHED 405,407,410,425', 'untagged:vanished'],
  ['qresync-vanished-earlier', 'QRESYNC', S, 'VANISHED (EARLIER)', '* VANISHED (EARLIER) 41,43:116,118,120:211,214:540', 'untagged:vanished'],
  // ESEARCH, PARTIAL, SEARCHRES, ESORT, CONTEXT, MULTISEARCH
  ['esearch-return', 'ESEARCH', C, 'SEARCH RETURN (MIN MAX COUNT ALL)', 'a1 UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN', 'command:SEARCH'],
  ['esearch-all', 'ESEARCH', S, 'ESEARCH UID MIN MAX ALL COUNT', '* ESEARCH (TAG "a1") UID MIN 7 MAX 3800 ALL 7,12:3800 COUNT 15', 'untagged:esearch'],
  ['partial-search', 'PARTIAL', C, 'SEARCH RETURN (PARTIAL)', 'a1 UID SEARCH RETURN (PARTIAL -1:-100) UNDELETED', 'command:SEARCH'],
  ['partial-esearch', 'PARTIAL', S, 'ESEARCH PARTIAL (range set)', '* ESEARCH (TAG "a1") UID PARTIAL (-1:-100 200:250,252:300)', 'untagged:esearch'],
  ['partial-esearch-nil', 'PARTIAL', S, 'ESEARCH PARTIAL (range NIL)', '* ESEARCH (TAG "a1") UID PARTIAL (23500:24000 NIL)', 'untagged:esearch'],
  ['searchres-save', 'SEARCHRES', C, 'SEARCH RETURN (SAVE), $', 'a1 UID SEARCH RETURN (SAVE) FLAGGED\r\na2 UID FETCH $ (UID INTERNALDATE)', 'command:FETCH'],
  ['searchres-notsaved', 'SEARCHRES', K, 'NOTSAVED', 'a1 NO [NOTSAVED] Search result variable is empty', 'code:plain'],
  ['esort-sort', 'ESORT', C, 'SORT RETURN (...)', 'a1 UID SORT RETURN (MIN COUNT) (DATE) UTF-8 SINCE 1-Feb-1994', 'command:SORT'],
  ['context-update', 'CONTEXT=SEARCH', C, 'SEARCH RETURN (UPDATE)', 'a1 SEARCH RETURN (COUNT UPDATE) FROM "smith"', 'command:SEARCH'],
  ['context-cancelupdate', 'CONTEXT=SEARCH', C, 'CANCELUPDATE', 'a1 CANCELUPDATE "B01" "B02"', 'command:CANCELUPDATE'],
  ['context-addto', 'CONTEXT=SEARCH', S, 'ESEARCH ADDTO', '* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)', 'untagged:esearch'],
  ['context-removefrom', 'CONTEXT=SEARCH', S, 'ESEARCH REMOVEFROM', '* ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)', 'untagged:esearch'],
  ['context-noupdate', 'CONTEXT=SEARCH', K, 'NOUPDATE', 'a1 OK [NOUPDATE "B02"] Too many contexts', 'code:noupdate'],
  ['multisearch-esearch', 'MULTISEARCH', C, 'ESEARCH', 'a1 ESEARCH IN (mailboxes "folder1" subtree-one "folder2") RETURN (MIN) FROM "Juliet"', 'command:ESEARCH'],
  ['multisearch-response', 'MULTISEARCH', S, 'ESEARCH (MAILBOX, UIDVALIDITY)', '* ESEARCH (TAG "a1" MAILBOX "folder1" UIDVALIDITY 1) UID MIN 1', 'untagged:esearch'],
  // SORT, THREAD (RFC 5256)
  ['sort-command', 'SORT', C, 'SORT', 'a1 SORT (REVERSE DATE SUBJECT) UTF-8 SINCE 1-Feb-1994', 'command:SORT'],
  ['sort-response', 'SORT', S, 'SORT', '* SORT 2 84 882', 'untagged:sort'],
  ['sort-modseq', 'SORT', S, 'SORT (MODSEQ)', '* SORT 2 84 (MODSEQ 917162500)', 'untagged:sort'],
  ['thread-command', 'THREAD', C, 'THREAD', 'a1 UID THREAD REFERENCES UTF-8 SINCE 5-MAR-2000', 'command:THREAD'],
  ['thread-response', 'THREAD', S, 'THREAD', '* THREAD (2)(3 6 (4 23)(44 7 96))', 'untagged:thread'],
  ['thread-missing-root', 'THREAD', S, 'THREAD (missing parent)', '* THREAD ((3)(5))', 'untagged:thread'],
  // LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CHILDREN
  ['listext-command', 'LIST-EXTENDED', C, 'LIST (selection) … RETURN (…)', 'a1 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Drafts") RETURN (CHILDREN)', 'command:LIST'],
  ['listext-childinfo', 'LIST-EXTENDED', S, 'LIST (CHILDINFO, OLDNAME)', '* LIST (\\Subscribed \\HasChildren) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED") "OLDNAME" ("Bar"))', 'untagged:list'],
  ['liststatus-command', 'LIST-STATUS', C, 'LIST … RETURN (STATUS (…))', 'a1 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))', 'command:LIST'],
  ['liststatus-response', 'LIST-STATUS', S, 'STATUS after LIST', '* LIST () "." "INBOX"\r\n* STATUS "INBOX" (MESSAGES 17 UNSEEN 16)', 'untagged:mailbox-status'],
  ['specialuse-list', 'SPECIAL-USE', C, 'LIST RETURN (SPECIAL-USE)', 'a1 LIST "" "*" RETURN (SPECIAL-USE)', 'command:LIST'],
  ['specialuse-create', 'CREATE-SPECIAL-USE', C, 'CREATE (USE (…))', 'a1 CREATE MySpecial (USE (\\Drafts \\Sent))', 'command:CREATE'],
  ['specialuse-response', 'SPECIAL-USE', S, 'LIST (\\Sent, \\Trash…)', '* LIST (\\Sent \\HasNoChildren) "/" "Sent Mail"', 'untagged:list'],
  ['specialuse-useattr', 'SPECIAL-USE', K, 'USEATTR', 'a1 NO [USEATTR] \\All not supported', 'code:plain'],
  // METADATA (RFC 5464)
  ['metadata-get', 'METADATA', C, 'GETMETADATA', 'a1 GETMETADATA (MAXSIZE 1024 DEPTH 1) "INBOX" /private/comment', 'command:GETMETADATA'],
  ['metadata-set', 'METADATA', C, 'SETMETADATA', 'a1 SETMETADATA INBOX (/private/comment {14+}\r\nMy new comment)', 'command:SETMETADATA'],
  ['metadata-values', 'METADATA', S, 'METADATA (entry value)', '* METADATA "INBOX" (/private/comment "My comment" /shared/comment NIL)', 'untagged:metadata'],
  ['metadata-unsolicited', 'METADATA', S, 'METADATA (entry list)', '* METADATA "" /shared/comment /private/comment', 'untagged:metadata'],
  ['metadata-code', 'METADATA', K, 'METADATA (LONGENTRIES, MAXSIZE, TOOMANY, NOPRIVATE)', 'a1 OK [METADATA LONGENTRIES 2199] GETMETADATA complete', 'code:metadata'],
  // NOTIFY (RFC 5465)
  ['notify-set', 'NOTIFY', C, 'NOTIFY SET', 'a1 NOTIFY SET STATUS (selected MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge) (subtree Lists MessageNew)', 'command:NOTIFY'],
  ['notify-none', 'NOTIFY', C, 'NOTIFY NONE', 'a1 NOTIFY NONE', 'command:NOTIFY'],
  ['notify-overflow', 'NOTIFY', K, 'NOTIFICATIONOVERFLOW', '* OK [NOTIFICATIONOVERFLOW] Too many notifications', 'code:plain'],
  ['notify-badevent', 'NOTIFY', K, 'BADEVENT', 'a1 NO [BADEVENT (MessageNew MessageExpunge)] Unsupported', 'code:other'],
  // QUOTA (RFC 9208)
  ['quota-get', 'QUOTA', C, 'GETQUOTA', 'a1 GETQUOTA ""', 'command:GETQUOTA'],
  ['quota-getroot', 'QUOTA', C, 'GETQUOTAROOT', 'a1 GETQUOTAROOT INBOX', 'command:GETQUOTAROOT'],
  ['quota-set', 'QUOTA', C, 'SETQUOTA', 'a1 SETQUOTA "" (STORAGE 512)', 'command:SETQUOTA'],
  ['quota-response', 'QUOTA', S, 'QUOTA', '* QUOTA "" (STORAGE 10 512 MESSAGE 1 100)', 'untagged:quota'],
  ['quota-root-response', 'QUOTA', S, 'QUOTAROOT', '* QUOTAROOT INBOX "" "#user/alice"', 'untagged:quotaroot'],
  // ACL (RFC 4314)
  ['acl-set', 'ACL', C, 'SETACL', 'a1 SETACL INBOX/Drafts Fred +rwipslxetad', 'command:SETACL'],
  ['acl-delete', 'ACL', C, 'DELETEACL', 'a1 DELETEACL INBOX/Drafts Fred', 'command:DELETEACL'],
  ['acl-get', 'ACL', C, 'GETACL', 'a1 GETACL INBOX', 'command:GETACL'],
  ['acl-listrights', 'ACL', C, 'LISTRIGHTS', 'a1 LISTRIGHTS ~/Mail/saved smith', 'command:LISTRIGHTS'],
  ['acl-myrights', 'ACL', C, 'MYRIGHTS', 'a1 MYRIGHTS INBOX', 'command:MYRIGHTS'],
  ['acl-response', 'ACL', S, 'ACL', '* ACL INBOX Fred rwipsldexta -bob r', 'untagged:acl'],
  ['acl-listrights-response', 'ACL', S, 'LISTRIGHTS', '* LISTRIGHTS ~/Mail/saved smith la r swicdkxte', 'untagged:listrights'],
  ['acl-myrights-response', 'ACL', S, 'MYRIGHTS', '* MYRIGHTS INBOX rwiptsldaex', 'untagged:myrights'],
  // ID, MOVE, UIDPLUS, BINARY, CATENATE, LITERAL+, UTF8, COMPRESS
  ['id-command', 'ID', C, 'ID', 'a1 ID ("name" "sodr" "version" "19.34")', 'command:ID'],
  ['id-response', 'ID', S, 'ID', '* ID ("name" "Cyrus" "version" "1.5" "os" NIL)', 'untagged:id'],
  ['id-nil', 'ID', S, 'ID NIL', '* ID NIL', 'untagged:id'],
  ['move-uid', 'MOVE', C, 'UID MOVE', 'a1 UID MOVE 42:69 foo', 'command:MOVE'],
  ['uidplus-expunge', 'UIDPLUS', C, 'UID EXPUNGE', 'a1 UID EXPUNGE 3000:3002', 'command:EXPUNGE'],
  ['binary-append', 'BINARY', C, 'APPEND ~{n}', 'a1 APPEND INBOX ~{4+}\r\na\x00bc', 'command:APPEND'],
  ['catenate-append', 'CATENATE', C, 'APPEND CATENATE', 'a1 APPEND Drafts CATENATE (URL "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER" TEXT {5+}\r\nhello URL "/Drafts;UID=20/;section=1.MIME")', 'command:APPEND'],
  ['catenate-badurl', 'CATENATE', K, 'BADURL', 'a1 NO [BADURL "/Drafts;UID=20"] CATENATE failed', 'code:other'],
  ['catenate-toobig', 'CATENATE', K, 'TOOBIG', 'a1 NO [TOOBIG] Message too big', 'code:plain'],
  ['multiappend', 'MULTIAPPEND', C, 'APPEND (several messages)', 'a1 APPEND saved (\\Seen) {3+}\r\none (\\Seen) {3+}\r\ntwo', 'command:APPEND'],
  ['literalplus', 'LITERAL+', C, 'literal {n+}', 'a1 CREATE {4+}\r\nfoo1', 'command:CREATE'],
  ['utf8-enable', 'UTF8=ACCEPT', C, 'ENABLE UTF8=ACCEPT', 'a1 ENABLE UTF8=ACCEPT', 'command:ENABLE'],
  ['utf8-list', 'UTF8=ACCEPT', S, 'LIST (UTF-8 mailbox)', '* LIST () "/" "Entwürfe"', 'untagged:list'],
  ['utf8-append', 'UTF8=ACCEPT', C, 'APPEND UTF8 (~{n})', 'a1 APPEND INBOX UTF8 (~{5+}\r\nGrüß)', 'command:APPEND'],
  ['compress-command', 'COMPRESS', C, 'COMPRESS DEFLATE', 'a1 COMPRESS DEFLATE', 'command:COMPRESS'],
  ['compress-active', 'COMPRESS', K, 'COMPRESSIONACTIVE', 'a1 NO [COMPRESSIONACTIVE] DEFLATE active via TLS', 'code:plain'],
  // APPENDLIMIT, OBJECTID, SAVEDATE, PREVIEW, STATUS=SIZE, WITHIN, SNIPPET
  ['appendlimit-status', 'APPENDLIMIT', S, 'STATUS (APPENDLIMIT)', '* STATUS INBOX (APPENDLIMIT 257890)\r\n* STATUS Drafts (APPENDLIMIT NIL)', 'untagged:mailbox-status'],
  ['objectid-status', 'OBJECTID', S, 'STATUS (MAILBOXID)', '* STATUS foo (MAILBOXID (F2212ea87-6097-4256-9d51-71338625))', 'untagged:mailbox-status'],
  ['objectid-fetch', 'OBJECTID', C, 'FETCH (EMAILID THREADID)', 'a1 FETCH 1:* (EMAILID THREADID)', 'command:FETCH'],
  ['objectid-emailid', 'OBJECTID', F, 'EMAILID, THREADID', '* 1 FETCH (EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9))\r\n* 2 FETCH (THREADID NIL)', 'fetch:emailid'],
  ['objectid-mailboxid', 'OBJECTID', K, 'MAILBOXID', 'a1 OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Completed', 'code:mailboxid'],
  ['objectid-search', 'OBJECTID', C, 'SEARCH EMAILID', 'a1 UID SEARCH EMAILID M6d99ac3275bb4e', 'command:SEARCH'],
  ['savedate-fetch', 'SAVEDATE', F, 'SAVEDATE', '* 1 FETCH (SAVEDATE "01-Jan-2024 10:00:00 +0000")\r\n* 2 FETCH (SAVEDATE NIL)', 'fetch:savedate'],
  ['savedate-search', 'SAVEDATE', C, 'SEARCH SAVEDBEFORE', 'a1 SEARCH SAVEDBEFORE 1-Jan-2024 SAVEDATESUPPORTED', 'command:SEARCH'],
  ['preview-command', 'PREVIEW', C, 'FETCH (PREVIEW (LAZY))', 'a1 FETCH 1:3 (PREVIEW (LAZY))', 'command:FETCH'],
  ['preview-fetch', 'PREVIEW', F, 'PREVIEW', '* 1 FETCH (PREVIEW "Hello, how are you")\r\n* 2 FETCH (PREVIEW NIL)\r\n* 3 FETCH (PREVIEW {5}\r\nhello)', 'fetch:preview'],
  ['snippet-fetch', 'SNIPPET=FUZZY (Dovecot)', F, 'SNIPPET (FUZZY …)', '* 1 FETCH (SNIPPET (FUZZY "Hello there"))', 'fetch:unknown'],
  ['statussize-status', 'STATUS=SIZE', S, 'STATUS (SIZE)', '* STATUS INBOX (SIZE 12345678901234567)', 'untagged:mailbox-status'],
  ['within-search', 'WITHIN', C, 'SEARCH YOUNGER / OLDER', 'a1 SEARCH YOUNGER 3600 OLDER 60', 'command:SEARCH'],
  // URLAUTH, REPLACE, UNAUTHENTICATE, JMAPACCESS, LANGUAGE, I18NLEVEL, CONVERT, referrals
  ['urlauth-gen', 'URLAUTH', C, 'GENURLAUTH', 'a1 GENURLAUTH "imap://joe@example.com/INBOX/;uid=20;urlauth=submit+fred" INTERNAL', 'command:GENURLAUTH'],
  ['urlauth-gen-response', 'URLAUTH', S, 'GENURLAUTH', '* GENURLAUTH "imap://joe@example.com/INBOX/;uid=20;urlauth=submit+fred:internal:91354a473744909de610943775f92038"', 'untagged:unknown'],
  ['urlauth-fetch', 'URLAUTH', C, 'URLFETCH', 'a1 URLFETCH "imap://joe@example.com/INBOX/;uid=20;urlauth=submit+fred:internal:91354a"', 'command:URLFETCH'],
  ['urlauth-fetch-response', 'URLAUTH', S, 'URLFETCH', '* URLFETCH "imap://joe@example.com/INBOX/;uid=20" {5}\r\nhello', 'untagged:unknown'],
  ['urlauth-resetkey', 'URLAUTH', C, 'RESETKEY', 'a1 RESETKEY', 'command:RESETKEY'],
  ['urlauth-urlmech', 'URLAUTH', K, 'URLMECH', 'a1 OK [URLMECH INTERNAL XSAMPLE=P34OKhO7VEkCbsiYY8rGEg==] done', 'code:other'],
  ['replace-command', 'REPLACE', C, 'REPLACE', 'a1 UID REPLACE 25 Drafts {5+}\r\nhello', 'command:REPLACE'],
  ['unauthenticate', 'UNAUTHENTICATE', C, 'UNAUTHENTICATE', 'a1 UNAUTHENTICATE', 'command:UNAUTHENTICATE'],
  ['jmapaccess-command', 'JMAPACCESS', C, 'GETJMAPACCESS', 'a1 GETJMAPACCESS', 'command:GETJMAPACCESS'],
  ['jmapaccess-response', 'JMAPACCESS', S, 'JMAPACCESS', '* JMAPACCESS "https://example.com/.well-known/jmap"', 'untagged:unknown'],
  ['language-command', 'LANGUAGE', C, 'LANGUAGE', 'a1 LANGUAGE DE', 'command:LANGUAGE'],
  ['language-response', 'LANGUAGE', S, 'LANGUAGE', '* LANGUAGE (EN DE IT i-default)', 'untagged:unknown'],
  ['comparator-command', 'I18NLEVEL=2', C, 'COMPARATOR', 'a1 COMPARATOR "i;basic;uca=3.1.1;uv=3.2" "i;ascii-casemap"', 'command:COMPARATOR'],
  ['comparator-response', 'I18NLEVEL=2', S, 'COMPARATOR', '* COMPARATOR i;basic;uca=3.1.1;uv=3.2', 'untagged:unknown'],
  ['convert-command', 'CONVERT', C, 'CONVERT', 'a1 CONVERT 2 (BINARY[1 ("image/jpeg" ("width" "320"))])', 'command:CONVERT'],
  ['referral-code', 'LOGIN-REFERRALS', K, 'REFERRAL', 'a1 NO [REFERRAL IMAP://user;AUTH=*@SERVER2/] Remote Server', 'code:other'],
  ['rlist-command', 'MAILBOX-REFERRALS', C, 'RLIST', 'a1 RLIST "" %', 'command:RLIST'],
  // Gmail X-GM-EXT-1, XLIST
  ['gmail-fetch', 'X-GM-EXT-1', C, 'FETCH X-GM-MSGID X-GM-THRID X-GM-LABELS', 'a1 FETCH 1:4 (X-GM-MSGID X-GM-THRID X-GM-LABELS)', 'command:FETCH'],
  ['gmail-fetch-response', 'X-GM-EXT-1', F, 'X-GM-MSGID, X-GM-THRID, X-GM-LABELS', '* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante"))', 'fetch:unknown'],
  ['gmail-search', 'X-GM-EXT-1', C, 'SEARCH X-GM-RAW', 'a1 SEARCH X-GM-RAW "has:attachment in:unread"', 'command:SEARCH'],
  ['gmail-store', 'X-GM-EXT-1', C, 'STORE X-GM-LABELS', 'a1 STORE 1 +X-GM-LABELS (foo)', 'command:STORE'],
  ['gmail-select', 'X-GM-EXT-1', C, 'SELECT [Gmail]/…', 'a1 SELECT [Gmail]/Sent', 'command:SELECT'],
  ['xlist-command', 'XLIST', C, 'XLIST', 'a1 XLIST "" "*"', 'command:XLIST'],
  ['xlist-response', 'XLIST', S, 'XLIST', '* XLIST (\\HasNoChildren \\Inbox) "/" "Inbox"', 'untagged:unknown'],
  // Anything else
  ['generic-untagged', 'any extension', S, 'unknown untagged (atoms then any tokens)', '* X-FUTURE atom "quoted" 12 (nested (list) NIL) [brackets] {3}\r\nabc', 'untagged:unknown'],
  ['generic-numbered', 'any extension', S, 'unknown numbered untagged', '* 7 X-CONVERTED (UID 3) [x]', 'untagged:unknown'],
  ['generic-code', 'any extension', K, 'unknown response code', 'a1 OK [X-FUTURE-CODE (a b) "c"] done', 'code:other'],
];

/** Responses the tracker acts on (pairing, states, capabilities, literals). */
const TRACKED = new Set([
  'res-greeting',
  'res-ok',
  'res-no',
  'res-bad',
  'res-preauth',
  'res-bye',
  'res-capability',
  'res-enabled',
  'res-continuation',
  'res-flags',
]);

export const VECTORS: readonly Vector[] = ROWS.map(([name, area, kind, item, wire, expect]) => ({
  name,
  area,
  kind,
  item,
  wire,
  expect,
  tracked: TRACKED.has(name),
}));
