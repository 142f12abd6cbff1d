/**
 * `imapscope import FILE`: a JSONL export, a C:/S: transcript or a Dovecot rawlog pair into the
 * archive as a new session (source `import:<kind>:<file name>`), so it is browsed, filtered and
 * exported like live traffic. Transcripts and rawlogs are decoded by the same pipeline as live
 * sessions (wire decoder, tracker, redaction); a JSONL export is already events and is stored
 * as it is, under a new session id.
 *
 * An imported session starts and ends at its first and last bytes' times; a file without
 * times (a rawlog without stamps, a transcript without them) is dated by its mtime and says
 * so in its end reason. The same content imports once (ledger.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Endpoint, ImapscopeEvent } from '../../shared/events.ts';
import { fromJson } from '../../shared/protocol.ts';
import type { TranscriptChunk } from '../export/transcript.ts';
import { parseTranscript } from '../export/transcript.ts';
import type { ArchiveStore } from '../archive/store.ts';
import { newSessionId } from '../net/relay.ts';
import {
  type PipelineOptions,
  type PipelineOutput,
  SessionPipeline,
} from '../inspection/pipeline.ts';
import type { ImportedReason } from '../../shared/close-reason.ts';
import { ImportError } from './import-error.ts';
import { contentHash } from './ledger.ts';
import { readRawlogPair } from './rawlog.ts';

export { ImportError };

export type ImportKind = 'jsonl' | 'transcript' | 'rawlog';

export interface ImportResult {
  session: string;
  kind: ImportKind;
  events: number;
}

/** Events, raw chunks or raw bytes queued that make the import wait for a flush to commit. */
const FLUSH_EVERY = 2_000;
const FLUSH_EVERY_BYTES = 4 * 1024 * 1024;

const UNDATED = "no times in the file: dated by the file's modification time";

/**
 * Recognizes the file by name and content and imports it into either archive (store.ts); see
 * the module comment.
 */
export async function importFile(archive: ArchiveStore, file: string): Promise<ImportResult> {
  if (/\.(in|out)$/.test(file)) {
    const stem = file.replace(/\.(in|out)$/, '');
    if (!existsSync(`${stem}.in`) || !existsSync(`${stem}.out`)) {
      throw new ImportError('ERR_IMPORT_RAWLOG_PAIR', `${stem}.in and ${stem}.out are both needed`);
    }
    const inBytes = readFileSync(`${stem}.in`);
    const outBytes = readFileSync(`${stem}.out`);
    const name = basename(stem);
    const hash = contentHash('rawlog', [inBytes, outBytes]);
    await refuseDuplicate(archive, hash, `${stem}.in/.out`);
    // The later write of the two is when the connection ended.
    const mtime = Math.max(statSync(`${stem}.in`).mtimeMs, statSync(`${stem}.out`).mtimeMs);
    const pair = readRawlogPair(inBytes, outBytes, Math.floor(mtime), name);
    const notes = [
      pair.timestamps ? null : `${UNDATED}; no timestamps in the rawlog: paired by tags`,
      pair.loginTag === null
        ? null
        : `post-login rawlog: ${pair.loginTag} is the login imap-login received, not in the files`,
    ].filter((n) => n !== null);
    return record(archive, hash, name, () =>
      importChunks(
        archive,
        pair.chunks,
        'rawlog',
        name,
        {
          client: { host: 'rawlog-client', port: 0 },
          upstream: { host: 'rawlog-server', port: 143 },
        },
        notes,
        pair.loginTag === null ? {} : { startsAfterLogin: pair.loginTag },
      ),
    );
  }
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const first = text.trimStart()[0];
  const name = basename(file);
  if (first === '{') {
    const hash = contentHash('jsonl', [bytes]);
    await refuseDuplicate(archive, hash, file);
    return record(archive, hash, name, () => importJsonl(archive, text, name));
  }
  if (/^(#|(\d{4}-\S+ )?[CS]:)/m.test(text)) {
    const hash = contentHash('transcript', [bytes]);
    await refuseDuplicate(archive, hash, file);
    const mtime = Math.floor(statSync(file).mtimeMs);
    const timed = /^\d{4}-\d\d-\d\dT[\d:.]+Z [CS]:/m.test(text);
    return record(archive, hash, name, () =>
      importChunks(
        archive,
        parseTranscript(text, mtime),
        'transcript',
        name,
        {
          client: { host: 'transcript-client', port: 0 },
          upstream: { host: 'transcript-server', port: 143 },
        },
        timed ? [] : [UNDATED],
      ),
    );
  }
  throw new ImportError(
    'ERR_IMPORT_UNRECOGNIZED',
    `${file}: not a JSONL export, a transcript, nor a rawlog (.in/.out)`,
  );
}

async function refuseDuplicate(archive: ArchiveStore, hash: string, what: string): Promise<void> {
  const earlier = await archive.earlierImport(hash);
  if (earlier) {
    throw new ImportError(
      'ERR_IMPORT_DUPLICATE',
      `${what} was already imported as session ${earlier.session} (from ${earlier.name})`,
    );
  }
}

async function record(
  archive: ArchiveStore,
  hash: string,
  name: string,
  run: () => Promise<ImportResult>,
): Promise<ImportResult> {
  const r = await run();
  await archive.recordImport(hash, r.session, name);
  return r;
}

/**
 * Runs chunks through the live session pipeline (decoding, tracking, masking) straight into
 * the archive as one new session, from its first chunk's time to its last: the same pipeline
 * object as live traffic, no hub. `notes` become the session's end reason (`imported; …`);
 * `tracking` tells the tracker what the files imply (a post-login rawlog's login tag).
 */
export async function importChunks(
  archive: ArchiveStore,
  chunks: TranscriptChunk[],
  kind: ImportKind,
  name: string,
  ends: { client: Endpoint; upstream: Endpoint },
  notes: readonly string[] = [],
  tracking: Pick<PipelineOptions, 'startsAfterLogin'> = {},
): Promise<ImportResult> {
  // A loop, not Math.min(...): a big session has more chunks than a call has arguments.
  let startedAt = chunks[0]?.at ?? Date.now();
  let endedAt = startedAt;
  for (const c of chunks) {
    if (c.at < startedAt) startedAt = c.at;
    if (c.at > endedAt) endedAt = c.at;
  }
  const id = await freshId(archive, startedAt);
  const pipeline = new SessionPipeline({ session: id, ...ends, startedAt, ...tracking });
  let count = 0;
  let queued = { chunks: 0, bytes: 0 };
  const store = async ({ events, raw }: PipelineOutput): Promise<void> => {
    // Imported events never were live: gseq 0 keeps them out of viewers' resume streams.
    // The pipeline stamps what it emits at the end (session.close, aborted exchanges) with
    // the clock; the session ended with its last bytes, not at the time of the import.
    if (events.length > 0) {
      archive.write(
        events.map((e) => ({ ...e, gseq: 0, at: Math.min(Math.max(e.at, startedAt), endedAt) })),
      );
    }
    if (raw.length > 0) archive.raw(raw);
    count += events.length;
    queued.chunks += raw.length;
    for (const r of raw) queued.bytes += r.data.byteLength;
    // PostgreSQL commits asynchronously: wait for it, so the queue stays far below its cap.
    if (
      archive.pending >= FLUSH_EVERY ||
      queued.chunks >= FLUSH_EVERY ||
      queued.bytes >= FLUSH_EVERY_BYTES
    ) {
      await archive.settle();
      queued = { chunks: 0, bytes: 0 };
    }
  };
  await store(pipeline.push([]));
  const bytes = { c2s: 0, s2c: 0 };
  for (const c of chunks) {
    bytes[c.direction] += c.data.length;
    await store(pipeline.push([{ direction: c.direction, data: Buffer.from(c.data), at: c.at }]));
  }
  const reason: ImportedReason = notes.length > 0 ? `imported; ${notes.join('; ')}` : 'imported';
  await store(pipeline.close({ bytes, reason, durationMs: endedAt - startedAt }, endedAt));
  await archive.settle();
  await archive.markImported(id, `import:${kind}:${name}`, endedAt);
  return { session: id, kind, events: count };
}

/** A session id not yet in the archive (ids derive from the start time, as live ones do). */
async function freshId(archive: ArchiveStore, startedAt: number): Promise<string> {
  for (let i = 0; ; i++) {
    const id = newSessionId(startedAt + Math.floor(i / 1296));
    if (!(await archive.hasSession(id))) return id;
  }
}

/** Stores the events of a JSONL export under a new session id. */
async function importJsonl(
  archive: ArchiveStore,
  text: string,
  name: string,
): Promise<ImportResult> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const events = lines.map((l, i) => {
    try {
      return fromJson<ImapscopeEvent>(l);
    } catch {
      throw new ImportError('ERR_IMPORT_JSONL', `${name} line ${i + 1}: not JSON`);
    }
  });
  const startedAt = events[0]?.at ?? Date.now();
  const id = await freshId(archive, startedAt);
  for (let i = 0; i < events.length; i += FLUSH_EVERY) {
    archive.write(events.slice(i, i + FLUSH_EVERY).map((e) => ({ ...e, session: id, gseq: 0 })));
    await archive.settle();
  }
  await archive.markImported(
    id,
    `import:jsonl:${name}`,
    events[events.length - 1]?.at ?? startedAt,
  );
  return { session: id, kind: 'jsonl', events: events.length };
}
