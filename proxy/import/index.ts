/**
 * `imapscope import FILE`: a JSONL export, a C:/S: transcript or a Dovecot rawlog pair into the
 * archive as a new session (source `import:<kind>:<file name>`), so it is browsed, filtered and
 * exported like live traffic. Transcripts and rawlogs are decoded by the same pipeline as live
 * sessions (wire decoder, tracker, redaction); a JSONL export is already events and is stored
 * as it is, under a new session id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Endpoint, ImapscopeEvent } from '../../shared/events.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { TranscriptChunk } from '../export/transcript.ts';
import { parseTranscript } from '../export/transcript.ts';
import type { Archive } from '../archive/archive.ts';
import { newSessionId } from '../net/relay.ts';
import { type PipelineOutput, SessionPipeline } from '../inspection/pipeline.ts';
import { mergeRawlogPair } from './rawlog.ts';

export type ImportKind = 'jsonl' | 'transcript' | 'rawlog';

export interface ImportResult {
  session: string;
  kind: ImportKind;
  events: number;
}

/** A file that is none of the three, or a rawlog without its other half. */
export class ImportError extends Error {
  constructor(
    readonly code: 'ERR_IMPORT_UNRECOGNIZED' | 'ERR_IMPORT_RAWLOG_PAIR' | 'ERR_IMPORT_JSONL',
    message: string,
  ) {
    super(message);
  }
}

const FLUSH_EVERY = 2_000;

/** Recognizes the file by name and content and imports it; see the module comment. */
export function importFile(archive: Archive, file: string): ImportResult {
  if (/\.(in|out)$/.test(file)) {
    const stem = file.replace(/\.(in|out)$/, '');
    if (!existsSync(`${stem}.in`) || !existsSync(`${stem}.out`)) {
      throw new ImportError('ERR_IMPORT_RAWLOG_PAIR', `${stem}.in and ${stem}.out are both needed`);
    }
    const chunks = mergeRawlogPair(readFileSync(`${stem}.in`), readFileSync(`${stem}.out`));
    return importChunks(archive, chunks, 'rawlog', basename(stem), {
      client: { host: 'rawlog-client', port: 0 },
      upstream: { host: 'rawlog-server', port: 143 },
    });
  }
  const text = readFileSync(file, 'utf8');
  const first = text.trimStart()[0];
  if (first === '{') return importJsonl(archive, text, basename(file));
  if (/^(#|(\d{4}-\S+ )?[CS]:)/m.test(text)) {
    return importChunks(archive, parseTranscript(text), 'transcript', basename(file), {
      client: { host: 'transcript-client', port: 0 },
      upstream: { host: 'transcript-server', port: 143 },
    });
  }
  throw new ImportError(
    'ERR_IMPORT_UNRECOGNIZED',
    `${file}: not a JSONL export, a transcript, nor a rawlog (.in/.out)`,
  );
}

/**
 * Runs chunks through the live session pipeline (decoding, tracking, masking) straight into
 * the archive as one new session: the same pipeline object as live traffic, no hub.
 */
export function importChunks(
  archive: Archive,
  chunks: TranscriptChunk[],
  kind: ImportKind,
  name: string,
  ends: { client: Endpoint; upstream: Endpoint },
): ImportResult {
  const startedAt = chunks[0]?.at ?? Date.now();
  const id = freshId(archive, startedAt);
  const pipeline = new SessionPipeline({ session: id, ...ends, startedAt });
  let count = 0;
  const store = ({ events, raw }: PipelineOutput): void => {
    // Imported events never were live: gseq 0 keeps them out of viewers' resume streams.
    if (events.length > 0) archive.write(events.map((e) => ({ ...e, gseq: 0 })));
    if (raw.length > 0) archive.raw(raw);
    count += events.length;
    if (archive.pending >= FLUSH_EVERY) archive.flush();
  };
  store(pipeline.push([]));
  const bytes = { c2s: 0, s2c: 0 };
  for (const c of chunks) {
    bytes[c.direction] += c.data.length;
    store(pipeline.push([{ direction: c.direction, data: Buffer.from(c.data), at: c.at }]));
  }
  const endedAt = chunks[chunks.length - 1]?.at ?? startedAt;
  store(pipeline.close({ bytes, reason: 'closed', durationMs: endedAt - startedAt }, Date.now()));
  archive.flush();
  archive.markImported(id, `import:${kind}:${name}`, endedAt);
  return { session: id, kind, events: count };
}

/** A session id not yet in the archive (ids derive from the start time, as live ones do). */
function freshId(archive: Archive, startedAt: number): string {
  const taken = archive.db.prepare(`SELECT 1 FROM sessions WHERE id = ?`);
  for (let i = 0; ; i++) {
    const id = newSessionId(startedAt + Math.floor(i / 1296));
    if (taken.get(id) === undefined) return id;
  }
}

/** Stores the events of a JSONL export under a new session id. */
function importJsonl(archive: Archive, text: string, name: string): ImportResult {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const events = lines.map((l, i) => {
    try {
      return fromJson<ImapscopeEvent>(l);
    } catch {
      throw new ImportError('ERR_IMPORT_JSONL', `${name} line ${i + 1}: not JSON`);
    }
  });
  const startedAt = events[0]?.at ?? Date.now();
  const id = freshId(archive, startedAt);
  for (let i = 0; i < events.length; i += FLUSH_EVERY) {
    archive.write(events.slice(i, i + FLUSH_EVERY).map((e) => ({ ...e, session: id, gseq: 0 })));
    archive.flush();
  }
  archive.markImported(id, `import:jsonl:${name}`, events[events.length - 1]?.at ?? startedAt);
  return { session: id, kind: 'jsonl', events: events.length };
}
