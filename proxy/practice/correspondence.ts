/**
 * Everyday sample mail: the INBOX letters that are not lessons, and the
 * contents of the other folders. Realistic enough to make a client look
 * lived in; small enough to read on the wire.
 */
import { LEARNER } from './lessons.ts';
import { tinyPdf } from './mime.ts';
import type { Address, Letter } from './mime.ts';

const to = [LEARNER];
const MINA: Address = { name: 'Mina Okafor', address: 'mina@example.org' };
const DANA: Address = { name: 'Dana Whitfield', address: 'dana@example.com' };
const OMAR: Address = { name: 'Omar Haddad', address: 'omar.haddad@example.net' };
const CI: Address = { name: 'CI Bot', address: 'ci@builds.example.com' };
const SHOP: Address = { name: 'Parcel & Co. Shipping', address: 'noreply@parcel.example.com' };
const HOSTING: Address = { name: 'Paperclip Hosting', address: 'billing@paperclip.example.net' };
const NEWS: Address = { name: 'This Week in Mail', address: 'digest@mailnews.example.org' };
const BOOKCLUB: Address = { name: 'Elif Kaya', address: 'elif@example.org' };
const CAFE: Address = { name: 'Café Lumière', address: 'recus@cafe-lumiere.example.fr' };
const RAIL: Address = { name: 'Northern Rail Tickets', address: 'tickets@rail.example.com' };

/** The attachment message's file: a real, openable one-page PDF. */
export const INVOICE_PDF = tinyPdf([
  'Paperclip Hosting',
  'Invoice INV-2025-0917',
  'Total: EUR 4.20 (paid)',
]);

/** INBOX letters that are not lessons. */
export const INBOX_CORRESPONDENCE: Letter[] = [
  {
    id: 'lunch',
    from: DANA,
    to,
    date: '2025-09-02T11:58:00Z',
    flags: ['\\Seen', '\\Answered'],
    subject: 'Lunch on Thursday?',
    text: `Hey,\n\nThe new noodle place opened around the corner. Thursday, 12:30?\n\nDana`,
  },
  {
    id: 'build-412',
    from: CI,
    to,
    date: '2025-09-05T03:14:00Z',
    flags: ['\\Seen'],
    subject: 'Build #412 failed on main',
    text: `Build #412 failed.\n\nStep:   test\nCommit: 3f2a9c1 "relay: pause the client when upstream is slow"\nError:  expected 20971520 bytes, got 20971519\n\nhttps://builds.example.com/imapscope/412`,
  },
  {
    id: 'build-413',
    from: CI,
    to,
    date: '2025-09-05T09:47:00Z',
    flags: ['\\Seen'],
    subject: 'Build #413 passed on main',
    text: `Build #413 passed in 2m 41s.\n\nCommit: 8d01e77 "relay: count the last byte"\n\nhttps://builds.example.com/imapscope/413`,
  },
  {
    id: 'parcel',
    from: SHOP,
    to,
    date: '2025-09-09T13:22:00Z',
    flags: ['\\Seen'],
    subject: 'Your parcel is on its way',
    text: `Good news! Your parcel 4471-2209 left our depot today.\n\nExpected delivery: Friday, between 10:00 and 14:00.\n\nParcel & Co.`,
  },
  {
    id: 'bookclub-7',
    from: BOOKCLUB,
    to,
    date: '2025-09-11T18:03:00Z',
    flags: ['\\Seen', '$Forwarded'],
    subject: 'Book club: notes on chapter 7',
    text: `Hi all,\n\nThanks for a lively evening! My notes on chapter 7:\n\n- the letters arrive out of order, and that is the point\n- nobody agreed on whether the postman is the narrator\n\nNext meeting: the 25th, at my place.\n\nElif`,
  },
  {
    id: 'invoice-0917',
    from: HOSTING,
    to,
    date: '2025-09-17T06:30:00Z',
    flags: ['\\Seen'],
    subject: 'Your invoice INV-2025-0917',
    text: `Hello,\n\nThank you for hosting with Paperclip. Your invoice for September is\nattached as a PDF. The amount of EUR 4.20 has been paid by card.\n\n(Learners: this message is multipart/mixed. FETCH its BODYSTRUCTURE to\nsee the text part and the base64 PDF part side by side.)\n\nPaperclip Hosting`,
    attachment: {
      filename: 'invoice-INV-2025-0917.pdf',
      contentType: 'application/pdf',
      data: INVOICE_PDF,
    },
  },
  {
    id: 'digest-38',
    from: NEWS,
    to,
    date: '2025-09-19T07:00:00Z',
    subject: 'This Week in Mail: IMAP4rev2, and why IDLE is not push',
    text: `THIS WEEK IN MAIL\n\n* IMAP4rev2 (RFC 9051) folds many extensions into the base protocol.\n* Why IDLE keeps a connection open, and what mobile clients do instead.\n* A tour of BODYSTRUCTURE.\n\n(This message also has an HTML version: it is multipart/alternative.)`,
    html: `<html><body>\n<h1>This Week in Mail</h1>\n<ul>\n<li><b>IMAP4rev2</b> (RFC 9051) folds many extensions into the base protocol.</li>\n<li>Why <b>IDLE</b> keeps a connection open, and what mobile clients do instead.</li>\n<li>A tour of <b>BODYSTRUCTURE</b>.</li>\n</ul>\n</body></html>`,
  },
  {
    id: 'standup',
    from: OMAR,
    to,
    date: '2025-09-22T08:55:00Z',
    flags: ['\\Seen', '\\Answered'],
    subject: 'Meeting notes: relay backpressure',
    text: `Notes from today:\n\n1. A slow client must pause the upstream socket, not fill memory.\n2. Test with a reader that takes one byte per second.\n3. Omar writes the test, Dana reviews.\n\nOmar`,
  },
  {
    id: 'dentist',
    from: { name: 'Smile Dental Practice', address: 'appointments@dental.example.com' },
    to,
    date: '2025-09-25T15:10:00Z',
    flags: ['\\Seen', '\\Flagged'],
    subject: 'Reminder: your appointment on 14 October at 09:20',
    text: `This is a reminder of your check-up on 14 October at 09:20.\n\nTo move it, reply to this message or call us.`,
  },
  {
    id: 'hike',
    from: MINA,
    to,
    date: '2025-09-29T20:44:00Z',
    flags: ['\\Seen'],
    subject: 'Photos from the hike',
    text: `The photos are in the shared album now. The one of the fog over the\nvalley came out well!\n\nMina`,
  },
  {
    id: 'build-431',
    from: CI,
    to,
    date: '2025-10-06T02:31:00Z',
    subject: 'Build #431 passed on main',
    text: `Build #431 passed in 2m 38s.\n\nCommit: c4b7e02 "wire: frame {n+} literals"\n\nhttps://builds.example.com/imapscope/431`,
  },
  {
    id: 'bookclub-8',
    from: BOOKCLUB,
    to,
    date: '2025-10-09T17:20:00Z',
    subject: 'Book club: chapter 8 for the 23rd',
    text: `Hi all,\n\nChapter 8 for the 23rd. I will bake something.\n\nElif`,
  },
  {
    id: 'welcome',
    from: { name: 'imapscope guide', address: 'guide@imapscope.test' },
    to,
    date: '2025-10-13T08:00:00Z',
    flags: ['\\Flagged'],
    subject: 'Welcome to the imapscope practice server',
    text: `Welcome!

This mailbox belongs to the practice server built into imapscope. It
starts whenever imapscope runs without --upstream, so you can try IMAP
without an account anywhere. Log in as "learner" with the password
"practice".

Everything you do here is real IMAP and happens in memory: flag, move,
delete and append as you like. Restart imapscope and the mailbox is as
new. All sessions share this one mailbox.

The letters from Mina, Jonas, Priya, Lucas and Jürgen each explain one
idea of the protocol. Read one, then look in the imapscope viewer at the
commands your client sent to fetch it.

Happy exploring!`,
  },
];

/** Folders besides INBOX, by their Unicode path ("/" separates levels). */
export const FOLDER_LETTERS: Record<string, Letter[]> = {
  Sent: [
    {
      id: 'lunch-reply',
      from: LEARNER,
      to: [DANA],
      inReplyTo: 'lunch',
      date: '2025-09-02T12:40:00Z',
      flags: ['\\Seen'],
      subject: 'Re: Lunch on Thursday?',
      text: `Yes! 12:30 works. See you there.\n\n> The new noodle place opened around the corner. Thursday, 12:30?`,
    },
    {
      id: 'standup-reply',
      from: LEARNER,
      to: [OMAR],
      inReplyTo: 'standup',
      date: '2025-09-22T10:02:00Z',
      flags: ['\\Seen'],
      subject: 'Re: Meeting notes: relay backpressure',
      text: `Thanks Omar. For point 2, a reader that pauses for a second after\nevery byte should be enough.`,
    },
    {
      id: 'uidvalidity-question',
      from: LEARNER,
      to: [{ name: 'Jonas Berg', address: 'jonas.berg@example.net' }],
      date: '2025-10-03T16:12:00Z',
      flags: ['\\Seen'],
      subject: 'Question about UIDVALIDITY',
      text: `Hi Jonas,\n\nWhen UIDVALIDITY changes, must a client throw away its whole cache for\nthat mailbox, or only the UIDs?\n\nThanks!`,
    },
    {
      id: 'bookclub-fwd',
      from: LEARNER,
      to: [{ name: 'Sam Ortiz', address: 'sam@example.com' }],
      date: '2025-09-12T08:15:00Z',
      flags: ['\\Seen'],
      subject: 'Fwd: Book club: notes on chapter 7',
      text: `Sam, you asked about the book club. Elif's notes are below.\n\n---------- Forwarded message ----------\nFrom: Elif Kaya <elif@example.org>\nSubject: Book club: notes on chapter 7\n\nNext meeting: the 25th, at my place.`,
    },
  ],
  Drafts: [
    {
      id: 'draft-compress',
      from: LEARNER,
      to: [MINA],
      date: '2025-10-10T21:05:00Z',
      flags: ['\\Draft', '\\Seen'],
      subject: 'Notes on COMPRESS=DEFLATE',
      text: `Mina, a question for a future lesson: after COMPRESS DEFLATE, how does a\nproxy keep reading the protocol? (unfinished)`,
    },
    {
      id: 'draft-list',
      from: LEARNER,
      to: [BOOKCLUB],
      date: '2025-10-12T19:48:00Z',
      flags: ['\\Draft'],
      subject: 'Book club snacks',
      text: `I can bring`,
    },
  ],
  Trash: [
    {
      id: 'prize',
      from: { name: 'Prize Department', address: 'winner@lottery.example.com' },
      to,
      date: '2025-09-14T04:04:00Z',
      flags: ['\\Seen', '\\Deleted'],
      subject: 'You have won a free mailbox!!!',
      text: `Claim your prize now. (This message carries \\Deleted: an EXPUNGE in\nTrash removes it for good.)`,
    },
    {
      id: 'build-412-dup',
      from: CI,
      to,
      date: '2025-09-05T03:15:00Z',
      flags: ['\\Seen'],
      subject: 'Build #412 failed on main (retry)',
      text: `Build #412 failed again on retry.`,
    },
    {
      id: 'newsletter-old',
      from: NEWS,
      to,
      date: '2025-08-29T07:00:00Z',
      flags: ['\\Seen'],
      subject: 'This Week in Mail: SMTP is older than you think',
      text: `THIS WEEK IN MAIL\n\n* RFC 821 turns 43.`,
    },
  ],
  Archive: [
    {
      id: 'kickoff',
      from: OMAR,
      to,
      date: '2025-08-18T09:00:00Z',
      flags: ['\\Seen', '\\Answered'],
      subject: 'imapscope kickoff',
      text: `Welcome to the project! First milestone: a relay that forwards every\nbyte unchanged, and a tap beside it.\n\nOmar`,
    },
    {
      id: 'dovecot-config',
      from: DANA,
      to,
      date: '2025-08-21T14:30:00Z',
      flags: ['\\Seen', '\\Flagged'],
      subject: 'Dovecot test config',
      text: `The test config starts Dovecot on a free port with a passwd-file and a\nMaildir in a temp directory. No root needed.\n\nDana`,
    },
    {
      id: 'holiday',
      from: MINA,
      to,
      date: '2025-08-27T10:12:00Z',
      flags: ['\\Seen'],
      subject: 'Back from holiday',
      text: `I am back on Monday. Did I miss anything?\n\nMina`,
    },
  ],
  'Archive/2025': [
    {
      id: 'newyear',
      from: DANA,
      to,
      date: '2025-01-02T10:00:00Z',
      flags: ['\\Seen'],
      subject: 'Happy new year!',
      text: `All the best for 2025!\n\nDana`,
    },
    {
      id: 'rfc-reading',
      from: OMAR,
      to,
      date: '2025-02-11T16:45:00Z',
      flags: ['\\Seen', '\\Flagged'],
      subject: 'Reading list: RFC 3501, 9051, 2177, 7888',
      text: `The four to read first: IMAP4rev1, IMAP4rev2, IDLE, and literals\n(LITERAL+ / LITERAL-).\n\nOmar`,
    },
    {
      id: 'conference',
      from: { name: 'Mail Systems Meetup', address: 'events@meetup.example.org' },
      to,
      date: '2025-03-20T12:00:00Z',
      flags: ['\\Seen'],
      subject: 'Your ticket for the Mail Systems Meetup',
      text: `See you on 10 April. Doors open at 18:00.`,
    },
    {
      id: 'laptop',
      from: { name: 'IT Desk', address: 'it@example.com' },
      to,
      date: '2025-05-06T09:30:00Z',
      flags: ['\\Seen'],
      subject: 'Your new laptop is ready',
      text: `Pick it up at the IT desk any time this week.`,
    },
    {
      id: 'summer',
      from: MINA,
      to,
      date: '2025-07-01T18:20:00Z',
      flags: ['\\Seen', '\\Answered'],
      subject: 'Summer plans?',
      text: `Are you around in August? Thinking of a hike.\n\nMina`,
    },
  ],
  Reçus: [
    {
      id: 'cafe',
      from: CAFE,
      to,
      date: '2025-09-07T10:26:00Z',
      flags: ['\\Seen'],
      subject: 'Votre reçu – Café Lumière',
      text: `Merci de votre visite !\n\n1 café crème     3,20 €\n1 croissant      1,80 €\nTotal            5,00 €`,
    },
    {
      id: 'train',
      from: RAIL,
      to,
      date: '2025-09-20T06:02:00Z',
      flags: ['\\Seen'],
      subject: 'Your e-ticket: Leeds to York, 27 September',
      text: `Booking reference: NRX-48213\nLeeds 09:14 -> York 09:37, coach C, seat 42.`,
    },
    {
      id: 'hosting-receipt',
      from: HOSTING,
      to,
      date: '2025-09-17T06:31:00Z',
      flags: ['\\Seen'],
      subject: 'Payment received: EUR 4.20',
      text: `We received your payment of EUR 4.20 for invoice INV-2025-0917.`,
    },
  ],
};
