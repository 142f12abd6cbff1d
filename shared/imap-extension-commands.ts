/**
 * Commands of the extensions in the IANA IMAP capabilities registry that the base table
 * (imap-reference.ts) leaves out, each with its RFC and the capability that announces it. The
 * lints use the capability to say what a server that answered BAD would have had to announce.
 */
import type { ImapState } from './events.ts';
import type { CommandReference } from './imap-reference.ts';

const ANY: readonly ImapState[] = ['not-authenticated', 'authenticated', 'selected'];
const AUTH: readonly ImapState[] = ['authenticated', 'selected'];
const SELECTED: readonly ImapState[] = ['selected'];

type Row = [
  name: string,
  states: readonly ImapState[],
  args: string,
  minArgs: number,
  rfc: string,
  capability: string,
  summary: string,
];

// prettier-ignore
const ROWS: Row[] = [
  ['SORT', SELECTED, '[RETURN (...)] (criteria) charset search-criteria', 3, 'RFC 5256 §3; ESORT RFC 5267 §3', 'SORT', 'Searches and returns the matches sorted (by DATE, FROM, SUBJECT…); with ESORT it can answer in ESEARCH form.'],
  ['THREAD', SELECTED, 'algorithm charset search-criteria', 3, 'RFC 5256 §3', 'THREAD=', 'Searches and returns the matches grouped into conversation threads.'],
  ['CANCELUPDATE', SELECTED, 'tag ...', 1, 'RFC 5267 §4.5', 'CONTEXT=SEARCH', 'Stops the live updates (ADDTO/REMOVEFROM) of an earlier SEARCH or SORT with RETURN (UPDATE).'],
  ['ESEARCH', AUTH, '[IN (sources)] [RETURN (...)] search-criteria', 1, 'RFC 7377 §2', 'MULTISEARCH', 'Searches several mailboxes at once; each answers with an ESEARCH carrying its MAILBOX and UIDVALIDITY.'],
  ['NOTIFY', AUTH, 'NONE | SET [STATUS] (filter events) ...', 1, 'RFC 5465 §3', 'NOTIFY', 'Asks the server to report changes in other mailboxes as they happen (STATUS, LIST, METADATA responses).'],
  ['GETQUOTA', AUTH, 'quota-root', 1, 'RFC 9208 §4.2', 'QUOTA', 'Reports the usage and limits of a quota root.'],
  ['GETQUOTAROOT', AUTH, 'mailbox', 1, 'RFC 9208 §4.3', 'QUOTA', 'Names the quota roots of a mailbox and reports their usage.'],
  ['SETQUOTA', AUTH, 'quota-root (limits)', 2, 'RFC 9208 §4.1', 'QUOTA', 'Changes the limits of a quota root (administrators).'],
  ['GETMETADATA', AUTH, '[options] mailbox entries', 2, 'RFC 5464 §4.2', 'METADATA', 'Reads annotations of a mailbox or the server.'],
  ['SETMETADATA', AUTH, 'mailbox (entry value ...)', 2, 'RFC 5464 §4.3', 'METADATA', 'Writes annotations of a mailbox or the server.'],
  ['SETACL', AUTH, 'mailbox identifier rights', 3, 'RFC 4314 §3.1', 'ACL', 'Grants (or with +/- adds and removes) rights on a mailbox to a user or group.'],
  ['DELETEACL', AUTH, 'mailbox identifier', 2, 'RFC 4314 §3.2', 'ACL', 'Removes all rights of a user or group on a mailbox.'],
  ['GETACL', AUTH, 'mailbox', 1, 'RFC 4314 §3.3', 'ACL', 'Lists who holds which rights on a mailbox; answered by an untagged ACL.'],
  ['LISTRIGHTS', AUTH, 'mailbox identifier', 2, 'RFC 4314 §3.4', 'ACL', 'Tells which rights can be granted to a user on a mailbox; answered by LISTRIGHTS.'],
  ['MYRIGHTS', AUTH, 'mailbox', 1, 'RFC 4314 §3.5', 'ACL', 'Tells which rights the logged-in user has on a mailbox; answered by MYRIGHTS.'],
  ['GENURLAUTH', AUTH, 'url mechanism ...', 2, 'RFC 4467 §7.1', 'URLAUTH', 'Makes an authorized IMAP URL that a trusted party (a submission server) can fetch later.'],
  ['RESETKEY', AUTH, '[mailbox [mechanism ...]]', 0, 'RFC 4467 §7.2', 'URLAUTH', 'Invalidates the URLAUTH keys of a mailbox (or of all), so the URLs made with them stop working.'],
  ['URLFETCH', AUTH, 'url ...', 1, 'RFC 4467 §7.3', 'URLAUTH', 'Fetches the content of IMAP URLs (usually authorized ones from GENURLAUTH).'],
  ['REPLACE', SELECTED, 'sequence-number mailbox [flags] [date] message', 3, 'RFC 8508 §3', 'REPLACE', 'Replaces a message by a new version in one step (APPEND plus expunge of the old one).'],
  ['UNAUTHENTICATE', AUTH, '', 0, 'RFC 8437 §2', 'UNAUTHENTICATE', 'Logs out without closing the connection: back to the not-authenticated state.'],
  ['GETJMAPACCESS', AUTH, '', 0, 'RFC 9698 §3', 'JMAPACCESS', 'Asks for the JMAP session URL that reaches the same mail store.'],
  ['LANGUAGE', ANY, '[language-range ...]', 0, 'RFC 5255 §3.2', 'LANGUAGE', 'Lists the languages of server messages, or chooses one.'],
  ['COMPARATOR', AUTH, '[comparator ...]', 0, 'RFC 5255 §4.7', 'I18NLEVEL=2', 'Lists the collations for SEARCH and SORT, or chooses one.'],
  ['CONVERSIONS', AUTH, 'source-type target-type', 2, 'RFC 5259 §4', 'CONVERT', 'Asks which media conversions the server offers.'],
  ['CONVERT', SELECTED, 'sequence-set convert-items', 2, 'RFC 5259 §5', 'CONVERT', 'Fetches body parts converted to another media type.'],
  ['RLIST', AUTH, 'reference pattern', 2, 'RFC 2193 §4.1', 'MAILBOX-REFERRALS', 'LIST that may answer with referrals to other servers.'],
  ['RLSUB', AUTH, 'reference pattern', 2, 'RFC 2193 §4.2', 'MAILBOX-REFERRALS', 'LSUB that may answer with referrals to other servers.'],
  ['XLIST', AUTH, 'reference pattern', 2, 'Gmail legacy (see RFC 6154)', 'XLIST', 'An old Gmail variant of LIST with special-use attributes; replaced by SPECIAL-USE.'],
];

/** The registry's commands beyond the base table, as command references. */
export const KNOWN_EXTENSION_COMMANDS: readonly CommandReference[] = ROWS.map(
  ([name, states, args, minArgs, rfc, capability, summary]) => ({
    name,
    summary,
    states,
    args,
    minArgs,
    rfc,
    capability,
  }),
);
