/**
 * Per-session exports: JSONL of events, a C:/S: transcript, pcapng. Each renders lazily as a
 * sequence of buffers, so the API streams it and the CLI writes it, without holding a whole
 * session in memory.
 */
import type { Database as Db } from 'better-sqlite3';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { toJson } from '../../shared/protocol.ts';
import { getSession, hasChunks, sessionChunks, sessionEvents } from '../archive/read.ts';
import type { StoredChunk } from '../archive/read.ts';
import type { ArchiveReader } from '../archive/store.ts';
import { writePcapng } from './pcapng.ts';
import { messageBytes } from './reconstruct.ts';
import { writeTranscript } from './transcript.ts';
import type { ExportFormat } from './formats.ts';

export { EXPORT_FORMATS, isExportFormat, type ExportFormat } from './formats.ts';

/** What an export reads: the session row, its events, its raw chunks. */
export interface ExportSource {
  session: SessionRow;
  events(): Iterable<ImapscopeEvent>;
  /** The raw (redacted) chunks, with gap markers; rebuilt from message events when none were archived. */
  chunks(): Iterable<ExportChunk>;
}

/** A raw chunk, or (with `gap`, no data) a marker where inspection lost bytes. */
export type ExportChunk = StoredChunk & {
  gap?: { droppedBytes: number; droppedChunks: number };
};

/** An archived session as an export source, or undefined if the archive has no such session. */
export function archiveSource(db: Db, id: string): ExportSource | undefined {
  const session = getSession(db, id);
  if (!session) return undefined;
  const events = function* (): Generator<ImapscopeEvent> {
    let after = 0;
    for (;;) {
      const page = sessionEvents(db, id, after, 1000);
      if (page.length === 0) return;
      yield* page;
      after = page[page.length - 1]!.seq;
    }
  };
  return {
    session,
    events,
    chunks: () =>
      hasChunks(db, id)
        ? withGapMarkers(sessionChunks(db, id), gapsOf(events()))
        : chunksFromEvents(events()),
  };
}

/**
 * An archived session as an export source, from either archive (store.ts). Its events and
 * chunks are read first and held in memory: the renderers are synchronous, and the reads of
 * PostgreSQL are not. (SQLite's CLI export still streams through archiveSource.)
 */
export async function storeSource(
  store: ArchiveReader,
  id: string,
): Promise<ExportSource | undefined> {
  const session = await store.getSession(id);
  if (!session) return undefined;
  const events: ImapscopeEvent[] = [];
  for (let after = 0; ;) {
    const page = await store.sessionEvents(id, after, 1000);
    if (page.length === 0) break;
    events.push(...page);
    after = page[page.length - 1]!.seq;
  }
  const chunks: StoredChunk[] = [];
  if (await store.hasChunks(id)) for await (const c of store.sessionChunks(id)) chunks.push(c);
  return {
    session,
    events: () => events,
    chunks: () =>
      chunks.length > 0 ? withGapMarkers(chunks, gapsOf(events)) : chunksFromEvents(events),
  };
}

/** A session's gap events, as markers for the transcript and pcapng. */
function gapsOf(events: Iterable<ImapscopeEvent>): ExportChunk[] {
  const gaps: ExportChunk[] = [];
  for (const e of events) {
    if (e.type !== 'gap') continue;
    const gap = { droppedBytes: e.droppedBytes, droppedChunks: e.droppedChunks };
    gaps.push({ direction: e.direction, at: e.at, data: Buffer.alloc(0), gap });
  }
  return gaps;
}

/**
 * The raw chunks with each gap marker placed where its time falls: after the chunks that
 * crossed the relay no later than the first lost byte. The raw bytes have the same hole.
 */
export function* withGapMarkers(
  chunks: Iterable<StoredChunk>,
  gaps: readonly ExportChunk[],
): Generator<ExportChunk> {
  let next = 0;
  for (const c of chunks) {
    while (next < gaps.length && gaps[next]!.at < c.at) yield gaps[next++]!;
    yield c;
  }
  while (next < gaps.length) yield gaps[next++]!;
}

/** Stream bytes rebuilt from decoded messages (literal bodies cut to their previews), and gaps. */
export function* chunksFromEvents(events: Iterable<ImapscopeEvent>): Generator<ExportChunk> {
  for (const e of events) {
    if (e.type === 'gap') {
      yield* gapsOf([e]);
      continue;
    }
    if (e.type !== 'message' && e.type !== 'malformed') continue;
    yield { direction: e.direction, at: e.at, data: messageBytes(e.message).bytes };
  }
}

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson',
  transcript: 'text/plain; charset=utf-8',
  pcapng: 'application/vnd.tcpdump.pcap',
};

/** A file name for the download: `imapscope-<session>.<ext>`. */
export function exportFileName(session: string, format: ExportFormat): string {
  const ext = format === 'transcript' ? 'txt' : format;
  return `imapscope-${session.replace(/[^\w.-]/g, '_')}.${ext}`;
}

function parseHost(hp: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(hp);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: '', port: 0 };
}

/** Renders one export as a sequence of buffers. */
export function* renderExport(src: ExportSource, format: ExportFormat): Generator<Buffer> {
  const s = src.session;
  switch (format) {
    case 'jsonl':
      for (const e of src.events()) yield Buffer.from(toJson(e) + '\n');
      return;
    case 'transcript': {
      const header = `session=${s.id} client=${s.client} upstream=${s.upstream} user=${s.user ?? '-'}`;
      for (const text of writeTranscript(header, src.chunks())) yield Buffer.from(text, 'utf8');
      return;
    }
    case 'pcapng':
      yield* writePcapng(
        {
          client: parseHost(s.client),
          server: parseHost(s.upstream),
          startedAt: s.startedAt,
          endedAt: s.endedAt,
        },
        src.chunks(),
      );
      return;
  }
}
