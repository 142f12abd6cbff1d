/**
 * The practice server's mail store, generated in code and deterministic:
 * INBOX (lessons and everyday mail), Sent, Drafts, Trash, Archive with a
 * nested Archive/2025, and "Reçus", whose name needs modified UTF-7.
 */
import type { HoodiecrowMailbox, HoodiecrowStorage } from 'hoodiecrow-imap';

import { FOLDER_LETTERS, INBOX_CORRESPONDENCE } from './correspondence.ts';
import { LESSONS } from './lessons.ts';
import { buildRawMessage, imapDate } from './mime.ts';
import type { Letter } from './mime.ts';

/** Hierarchy separator of the practice server's personal namespace (`""`). */
export const FOLDER_SEPARATOR = '/';

/** One mailbox of the sample store, as a learner sees it and as it goes on the wire. */
export interface SampleMailbox {
  /** Unicode path, levels joined by FOLDER_SEPARATOR (`Archive/2025`, `Reçus`). */
  path: string;
  /** The path in modified UTF-7 (RFC 3501 5.1.3), as LIST sends it (`Re&AOc-us`). */
  wirePath: string;
  messages: number;
  /** RFC 6154 special-use attribute announced in LIST, if any. */
  specialUse?: string;
}

const SPECIAL_USE: Record<string, string> = {
  Sent: '\\Sent',
  Drafts: '\\Drafts',
  Trash: '\\Trash',
  Archive: '\\Archive',
};

/** UIDVALIDITY of INBOX (2025-09-01T00:00:00Z); each other mailbox adds its index. */
const BASE_UIDVALIDITY = 1_756_684_800;

/**
 * Encodes one mailbox name level in modified UTF-7: printable ASCII stays,
 * `&` becomes `&-`, every other run becomes `&` + base64 of its UTF-16BE
 * (`,` for `/`, no padding) + `-`.
 */
export function encodeMailboxName(name: string): string {
  let out = '';
  let run = '';
  const flush = (): void => {
    if (!run) return;
    const utf16 = Buffer.from(run, 'utf16le').swap16();
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else {
      run += ch;
    }
  }
  flush();
  return out;
}

const byDate = (a: Letter, b: Letter): number => Date.parse(a.date) - Date.parse(b.date);

function mailbox(letters: Letter[], uidvalidity: number, specialUse?: string): HoodiecrowMailbox {
  const box: HoodiecrowMailbox = {
    uidvalidity,
    messages: [...letters].sort(byDate).map((letter) => ({
      raw: buildRawMessage(letter),
      flags: [...(letter.flags ?? [])],
      internaldate: imapDate(letter.date),
    })),
  };
  if (specialUse) box['special-use'] = specialUse;
  return box;
}

const INBOX_LETTERS: Letter[] = [...LESSONS, ...INBOX_CORRESPONDENCE];

/**
 * A fresh copy of the sample store in hoodiecrow's storage shape. Call it
 * once per server: hoodiecrow mutates the object it is given (UIDs, flags,
 * appended and expunged messages).
 */
export function buildSampleStore(): HoodiecrowStorage {
  const personal: Record<string, HoodiecrowMailbox> = {};
  Object.keys(FOLDER_LETTERS).forEach((path, i) => {
    const letters = FOLDER_LETTERS[path] ?? [];
    const box = mailbox(letters, BASE_UIDVALIDITY + i + 1, SPECIAL_USE[path]);
    // Walk down the levels, creating parents that appear later in the list (none today).
    const levels = path.split(FOLDER_SEPARATOR).map(encodeMailboxName);
    const leaf = levels.pop() ?? '';
    let siblings = personal;
    for (const level of levels) {
      const parent = (siblings[level] ??= { messages: [] });
      siblings = parent.folders ??= {};
    }
    siblings[leaf] = { ...box, folders: siblings[leaf]?.folders ?? {} };
  });
  return {
    INBOX: mailbox(INBOX_LETTERS, BASE_UIDVALIDITY),
    '': { separator: FOLDER_SEPARATOR, type: 'personal', folders: personal },
  };
}

/** Every mailbox of the sample store with its message count, INBOX first. */
export const SAMPLE_MAILBOXES: readonly SampleMailbox[] = [
  { path: 'INBOX', wirePath: 'INBOX', messages: INBOX_LETTERS.length },
  ...Object.entries(FOLDER_LETTERS).map(([path, letters]) => {
    const entry: SampleMailbox = {
      path,
      wirePath: path.split(FOLDER_SEPARATOR).map(encodeMailboxName).join(FOLDER_SEPARATOR),
      messages: letters.length,
    };
    const specialUse = SPECIAL_USE[path];
    if (specialUse) entry.specialUse = specialUse;
    return entry;
  }),
];
