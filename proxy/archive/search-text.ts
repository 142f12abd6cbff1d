/**
 * What the session list's search (`GET /api/sessions?text=`) looks through, taken from each
 * event as it is archived: command and response lines (masked already), decoded mailbox
 * names, the decoded header fields of literal previews (a FETCH of headers, an APPEND), lint
 * codes and end reasons. The archive stores it per session in a trigram full-text index
 * (schema.ts `session_text`), so a search is an index lookup instead of a scan of every event.
 */
import type { ImapscopeEvent } from '../../shared/events.ts';
import { decodeEncodedWords } from '../../shared/encoded-words.ts';
import { messageLiterals } from '../../shared/message-literals.ts';
import type { Message } from '../../shared/messages.ts';
import { formatEndpoint } from '../../shared/session-row.ts';

/** At most this much of one literal preview's header block is indexed. */
const HEADER_TEXT_MAX = 2_000;

/** The searchable text of one event ('' when it adds nothing). */
export function searchText(e: ImapscopeEvent): string {
  if (e.type !== 'message') return otherText(e);
  const parts = [e.message.raw];
  collect(e.message, parts);
  return parts.join('\n');
}

/**
 * Adds the lines of {@link searchText}`(e)` to `lines` (a set: each distinct line once), as
 * `searchText(e).split('\n')` would give them but without joining a FETCH line to split it
 * again; nothing when it adds nothing.
 */
export function addSearchLines(e: ImapscopeEvent, lines: Set<string>): void {
  if (e.type !== 'message') {
    const text = otherText(e);
    if (text !== '') addLines(text, lines);
    return;
  }
  const parts: string[] = [];
  collect(e.message, parts);
  const raw = e.message.raw;
  if (raw === '' && parts.length === 0) return;
  addLines(raw, lines);
  for (const p of parts) addLines(p, lines);
}

function addLines(text: string, lines: Set<string>): void {
  if (!text.includes('\n')) lines.add(text);
  else for (const line of text.split('\n')) lines.add(line);
}

function otherText(e: Exclude<ImapscopeEvent, { type: 'message' }>): string {
  switch (e.type) {
    case 'malformed':
      return e.message.raw;
    case 'state.change':
      return e.mailbox ?? '';
    case 'lint':
      return e.code;
    case 'session.close':
      return e.reason;
    // The session's columns, so one index answers the list's search box.
    case 'session.open':
      return `${e.session} ${formatEndpoint(e.client)} ${formatEndpoint(e.upstream)}`;
    case 'session.facts':
      return e.user ?? '';
    default:
      return '';
  }
}

/**
 * What a decoded message holds beyond its line: the header blocks of its literal previews
 * (messageLiterals, the one typed walk of a message's literals) and a mailbox name decoded from
 * modified UTF-7 when it differs from the name as sent (which is in the line already).
 */
function collect(m: Message, out: string[]): void {
  for (const l of messageLiterals(m)) {
    const text = headerText(l.preview);
    if (text) out.push(text);
  }
  const mailbox = m.type === 'untagged' && 'mailbox' in m.data ? m.data.mailbox : null;
  if (mailbox !== null && typeof mailbox === 'object' && mailbox.name !== mailbox.raw) {
    out.push(mailbox.name);
  }
}

/**
 * A literal preview's header block, unfolded and with RFC 2047 words decoded; '' when the
 * preview does not start like a header (a body part, binary data).
 */
export function headerText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('latin1').decode(bytes);
  }
  if (!/^[A-Za-z0-9-]+:/.test(text)) return '';
  const end = text.search(/\r?\n\r?\n/);
  const head = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  // Only the fields people search by: Received, DKIM and the like are long, would fill the
  // trigram index with noise and cost ingest a third of its rate.
  const fields: string[] = [];
  let size = 0;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !SEARCHED_FIELDS.has(line.slice(0, colon).toLowerCase())) continue;
    fields.push(line);
    size += line.length;
    if (size >= HEADER_TEXT_MAX) break;
  }
  return decodeEncodedWords(fields.join('\n').slice(0, HEADER_TEXT_MAX));
}

/** The header fields of literal previews that the session list's search covers. */
const SEARCHED_FIELDS = new Set([
  'subject',
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'date',
  'message-id',
  'in-reply-to',
  'list-id',
]);
