/**
 * The large archive of `npm run bench:archive` (issue 13), generated fast: a few hundred real
 * sessions are played once through the inspection pipeline (one per user, each with its own
 * mailbox, commands, NO and BAD answers, message headers), and from each the archive's rows are
 * derived once by the archive's own code (the events' JSON, the session row by the shared
 * reducer, the searchable text by search-text.ts, the audit actions by the ActionRecorder, the
 * raw bytes). The copies are then written with prepared INSERTs in one transaction per
 * GENERATE_BATCH sessions, each with a new id, gseqs and times stamped into the template's
 * strings: about ten times the rate of Archive.write + flush, which derives all of that again
 * for every event. What ends up in the file is what a live imapscope writes for those sessions.
 */
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { toJson } from '../../shared/protocol.ts';
import { applySessionEvent, formatEndpoint, newSessionRow } from '../../shared/session-row.ts';
import { ActionRecorder } from '../../proxy/archive/actions.ts';
import { RawFiles } from '../../proxy/archive/raw-files.ts';
import { DERIVATION_VERSION, openArchiveDb } from '../../proxy/archive/schema.ts';
import { searchText } from '../../proxy/archive/search-text.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import { Capture } from '../hub/helpers.ts';
import { progress } from './stats.ts';

/** Distinct users (one template session each). */
export const USERS = 500;
/** The subject only one session in the archive shows (a rare search term). */
export const NEEDLE = 'Quarterly invoice 7Q4Z';
/** A term in one user's subjects: a search matching a few thousand sessions. */
export const COMMON = 'Weekly report 42';
/** Sessions per transaction. */
const GENERATE_BATCH = 2_000;
/** Milliseconds between session starts. */
const SPACING = 20_000;

const MAILBOXES = ['INBOX', 'Sent', 'Archive/2025', 'Entw&APw-rfe', 'Projects/Q4', 'INBOX'];
const TOPICS = ['Weekly report', 'Invoice', 'Meeting notes', 'Re: lunch', 'Project update'];
/** UID FETCHes of headers per session: 4 events each. */
const FETCHES = 20;

type Script = ['c2s' | 's2c', string][];

/** The conversation of user `u` (`needle`: the one session with the rare subject). */
function script(u: number, needle: boolean): Script {
  const user = `user${u}`;
  const mailbox = MAILBOXES[u % MAILBOXES.length]!;
  const out: Script = [
    ['s2c', '* OK [CAPABILITY IMAP4rev1 LITERAL+ ID MOVE UIDPLUS] ready\r\n'],
    [
      'c2s',
      `a0 ID ("name" "${['Thunderbird', 'Outlook', 'K-9 Mail'][u % 3]}" "version" "1.${u % 9}")\r\n`,
    ],
    ['s2c', '* ID ("name" "Dovecot")\r\na0 OK done\r\n'],
    ['c2s', `a1 LOGIN ${user} secret${u}\r\n`],
  ];
  if (u % 50 === 7) {
    // A user who gets the password wrong once.
    out.push(['s2c', 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n']);
    out.push(['c2s', `a1b LOGIN ${user} secret${u}\r\n`]);
  }
  out.push(['s2c', 'a1 OK logged in\r\n']);
  if (u % 7 === 0) {
    out.push(['c2s', 'a2a SELECT Missing\r\n']);
    out.push(['s2c', 'a2a NO [NONEXISTENT] Mailbox does not exist\r\n']);
  }
  if (u % 13 === 0) {
    out.push(['c2s', 'a2b BOGUS\r\n']);
    out.push(['s2c', 'a2b BAD Error in IMAP command BOGUS: Unknown command.\r\n']);
  }
  out.push(['c2s', `a2 SELECT ${mailbox}\r\n`]);
  out.push([
    's2c',
    `* ${FETCHES} EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\na2 OK [READ-WRITE] done\r\n`,
  ]);
  for (let i = 1; i <= FETCHES; i++) {
    const subject =
      i === 1 && needle ? NEEDLE : `${TOPICS[(u + i) % TOPICS.length]} ${i === 1 ? u : i}`;
    const header =
      `From: Sender ${i} <sender${(u * 7 + i) % 997}@example.org>\r\n` +
      `To: ${user}@example.com\r\nSubject: ${subject}\r\n` +
      `Date: Mon, 1 Dec 2025 10:${String(i).padStart(2, '0')}:00 +0000\r\n` +
      `Message-ID: <${i}.${user}@bench>\r\n\r\n`;
    out.push(['c2s', `a${i + 2} UID FETCH ${i} (FLAGS BODY.PEEK[HEADER])\r\n`]);
    out.push([
      's2c',
      `* ${i} FETCH (UID ${i} FLAGS (\\Seen) BODY[HEADER] {${Buffer.byteLength(header)}}\r\n` +
        `${header})\r\na${i + 2} OK done\r\n`,
    ]);
  }
  if (u % 3 === 0) {
    out.push(['c2s', 'a50 UID STORE 3 +FLAGS (\\Deleted)\r\n']);
    out.push(['s2c', '* 3 FETCH (UID 3 FLAGS (\\Seen \\Deleted))\r\na50 OK done\r\n']);
    out.push(['c2s', 'a51 UID EXPUNGE 3\r\n']);
    out.push(['s2c', '* 3 EXPUNGE\r\na51 OK done\r\n']);
  }
  if (u % 4 === 1) {
    out.push(['c2s', 'a52 UID MOVE 2 Archive/2025\r\n']);
    out.push(['s2c', '* OK [COPYUID 1 2 7] moved\r\n* 2 EXPUNGE\r\na52 OK done\r\n']);
  }
  out.push(['c2s', 'a99 LOGOUT\r\n'], ['s2c', '* BYE bye\r\na99 OK done\r\n']);
  return out;
}

/** Placeholders stamped into the template's strings, replaced in each copy. */
const SID = 'SID0000000';
const GSEQ_BASE = 7_000_000_000_000;
const AT_BASE = 5_000_000_000_000_000;
const STAMP = /SID0000000|7000000000\d{3}|5000000000\d{6}/g;

/**
 * A template string and how to stamp it: id, gseq (base + offset), time (start + offset). Cut
 * once into its fixed parts and the placeholders between them, so a copy is a join.
 */
function stamper(text: string): (id: string, gseq0: number, at0: number) => string {
  const parts: string[] = [];
  const slots: ((id: string, gseq0: number, at0: number) => string)[] = [];
  let from = 0;
  for (const m of text.matchAll(STAMP)) {
    parts.push(text.slice(from, m.index));
    from = m.index + m[0].length;
    const v = m[0];
    const n = Number(v);
    slots.push(
      v === SID
        ? (id) => id
        : v.startsWith('7')
          ? (_id, gseq0) => String(gseq0 + n - GSEQ_BASE)
          : (_id, _g, at0) => String(at0 + n - AT_BASE),
    );
  }
  if (slots.length === 0) return () => text;
  parts.push(text.slice(from));
  return (id, gseq0, at0) => {
    let out = parts[0]!;
    for (let i = 0; i < slots.length; i++) out += slots[i]!(id, gseq0, at0) + parts[i + 1]!;
    return out;
  };
}

interface Template {
  events: {
    seq: number;
    gseqOffset: number;
    atOffset: number;
    type: string;
    body: ReturnType<typeof stamper>;
  }[];
  row: SessionRow;
  lastAt: number;
  text: ReturnType<typeof stamper>;
  actions: {
    seq: number;
    atOffset: number;
    user: string | null;
    client: string;
    kind: string;
    status: string;
    mailbox: string | null;
    body: ReturnType<typeof stamper>;
  }[];
  raw: { direction: string; atOffset: number; data: Buffer }[];
}

/** One session played through the real inspection pipeline and turned into archive rows. */
function template(u: number, needle: boolean): Template {
  const hub = new Hub();
  const capture = new Capture();
  hub.add(capture);
  const client = {
    host: `10.${(u >> 8) & 255}.${u & 255}.${((u * 37) % 250) + 2}`,
    port: 40000 + u,
  };
  const inspector = createSessionInspector(
    { id: SID, client, upstream: { host: '192.0.2.10', port: 143 }, startedAt: AT_BASE },
    { hub },
  );
  let t = AT_BASE;
  const bytes = { c2s: 0, s2c: 0 };
  for (const [direction, data] of script(u, needle)) {
    const buf = Buffer.from(data);
    bytes[direction] += buf.length;
    t += 3;
    inspector.chunks([{ direction, data: buf, at: t }]);
  }
  inspector.close();
  inspector.closed({ bytes, reason: 'closed', durationMs: t - AT_BASE });
  const events = capture.events.map((e, i) => ({ ...e, gseq: GSEQ_BASE + i }) as ImapscopeEvent);
  const row = newSessionRow(SID, AT_BASE);
  for (const e of events) applySessionEvent(row, e);
  const lines = new Set<string>();
  for (const e of events) {
    const s = searchText(e);
    if (s !== '') lines.add(s);
  }
  const actions = new ActionRecorder(null).record(events);
  return {
    events: events.map((e) => ({
      seq: e.seq,
      gseqOffset: e.gseq - GSEQ_BASE,
      atOffset: e.at - AT_BASE,
      type: e.type,
      body: stamper(toJson(e)),
    })),
    row: { ...row, client: formatEndpoint(client), upstream: '192.0.2.10:143' },
    lastAt: Math.max(...events.map((e) => e.at)) - AT_BASE,
    text: stamper([...lines].join('\n')),
    actions: actions.map((a) => ({
      seq: a.seq,
      atOffset: a.at - AT_BASE,
      user: a.user,
      client: a.client,
      kind: a.kind,
      status: a.status,
      mailbox: a.mailbox,
      body: stamper(toJson(a)),
    })),
    raw: capture.chunks.map((c) => ({
      direction: c.direction,
      atOffset: c.at - AT_BASE,
      data: Buffer.from(c.data),
    })),
  };
}

export interface Generated {
  sessions: number;
  events: number;
  actions: number;
  ms: number;
}

/**
 * Writes `sessions` sessions (session s is a copy of user s % USERS's template; session
 * sessions / 10 carries NEEDLE) into a new archive at `file`, the newest starting now.
 */
export function generateArchive(file: string, sessions: number): Generated {
  const t0 = performance.now();
  const needleSession = Math.floor(sessions / 10);
  // Made when first needed: a small archive plays only the users it has.
  const made: Template[] = [];
  const tmpl = (u: number): Template => (made[u] ??= template(u, false));
  const needle = template(needleSession % USERS, true);
  const db = openArchiveDb(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const rawFiles = new RawFiles(db);
  const insEvent = db.prepare(
    `INSERT INTO events(session, seq, gseq, at, type, body) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insSession = db.prepare(
    `INSERT INTO sessions(id, started_at, ended_at, client, upstream, user, state, reason,
       bytes_c2s, bytes_s2c, events, dropped, source, last_at, exchanges, nos, bads, lints, gaps,
       gap_bytes, instance, client_name, client_version, derived)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'live', ?, ?, ?, ?, ?, ?, ?, '', ?, ?,
       ${DERIVATION_VERSION})`,
  );
  const insSearchRow = db.prepare(`INSERT INTO search_rows(session) VALUES (?)`);
  const insSearchText = db.prepare(`INSERT INTO session_text(rowid, text) VALUES (?, ?)`);
  const insAction = db.prepare(
    `INSERT INTO actions(session, seq, at, user, client, kind, status, mailbox, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insSpan = db.prepare(
    `INSERT INTO raw_spans(session, direction, at, segment, offset, length)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const start = Date.now() - sessions * SPACING;
  let gseq = 0;
  let events = 0;
  let actions = 0;
  const batch = db.transaction((from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const t = s === needleSession ? needle : tmpl(s % USERS);
      const id = `b${String(s).padStart(7, '0')}`;
      const at0 = start + s * SPACING;
      const gseq0 = gseq + 1;
      const r = t.row;
      insSession.run(
        id,
        at0,
        r.endedAt === null ? null : at0 + t.lastAt,
        r.client,
        r.upstream,
        r.user,
        r.state,
        r.reason,
        r.bytesC2s,
        r.bytesS2c,
        r.events,
        at0 + t.lastAt,
        r.exchangeCount,
        r.noCount,
        r.badCount,
        r.lintCount,
        r.gapCount,
        r.gapBytes,
        r.clientName,
        r.clientVersion,
      );
      for (const e of t.events) {
        insEvent.run(
          id,
          e.seq,
          gseq0 + e.gseqOffset,
          at0 + e.atOffset,
          e.type,
          e.body(id, gseq0, at0),
        );
      }
      gseq += t.events.length;
      events += t.events.length;
      const rowid = insSearchRow.run(id).lastInsertRowid;
      insSearchText.run(rowid, t.text(id, gseq0, at0));
      for (const a of t.actions) {
        insAction.run(
          id,
          a.seq,
          at0 + a.atOffset,
          a.user,
          a.client,
          a.kind,
          a.status,
          a.mailbox,
          a.body(id, gseq0, at0),
        );
      }
      actions += t.actions.length;
      const place = rawFiles.append(t.raw.map((c) => c.data));
      let offset = place.offset;
      for (const c of t.raw) {
        insSpan.run(id, c.direction, at0 + c.atOffset, place.segment, offset, c.data.length);
        offset += c.data.length;
      }
    }
  });
  let last = performance.now();
  for (let s = 0; s < sessions; s += GENERATE_BATCH) {
    batch(s, Math.min(sessions, s + GENERATE_BATCH));
    if (performance.now() - last > 10_000 || s + GENERATE_BATCH >= sessions) {
      last = performance.now();
      const sec = (last - t0) / 1000;
      progress(
        `archive-scale: ${Math.min(sessions, s + GENERATE_BATCH)}/${sessions} sessions, ` +
          `${events} events, ${Math.round(events / sec)} events/s`,
      );
    }
  }
  rawFiles.close();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return { sessions, events, actions, ms: performance.now() - t0 };
}
