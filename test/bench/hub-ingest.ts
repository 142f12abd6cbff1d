/**
 * Hub benchmark (ii): sustained archive ingest, in process. Real events (those a viewer
 * received from imapscope during the 200-session rounds) are replayed under fresh session ids
 * into proxy/archive/archive.ts the way the hub calls it: small batches (one tap batch's
 * worth), the archive flushing on its own schedule (setImmediate past ARCHIVE_FLUSH_EVENTS,
 * else a timer). Once with events only, once with the raw bytes of those sessions beside; each
 * into SQLite (the embedded archive) and into PostgreSQL (the shared one, a server started for
 * the run under a temp dir, as the tests do), side by side.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Archive } from '../../proxy/archive/archive.ts';
import { PgArchive } from '../../proxy/archive/pg-archive.ts';
import type { ArchiveStore } from '../../proxy/archive/store.ts';
import { startPostgres } from '../helpers/postgres.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { progress } from './stats.ts';

const INGEST_MS = 3_000;
const INGEST_BATCH = 8; // events per hub.publish, about what one tap batch yields

const n0 = (n: number): string => Math.round(n).toLocaleString('en-US');

// ----------------------------------------------------------------------------------------

export interface IngestFigure {
  events: number;
  seconds: number;
  perS: number;
  rawMB: number;
  dropped: number;
  flushes: number;
  maxFlushMs: number;
}

export interface IngestFigures {
  eventsOnly: IngestFigure;
  withRaw: IngestFigure;
  /** The same runs into PostgreSQL; a reason instead when it could not be measured. */
  postgres: { eventsOnly: IngestFigure; withRaw: IngestFigure } | { notMeasured: string };
  templateEvents: number;
}

const sqliteStore = async (dir: string): Promise<ArchiveStore> =>
  new Archive(path.join(dir, 'archive.sqlite'), { retainDays: 30, maxBytes: 1024 * 2 ** 20 });

export async function archiveIngest(template: ImapscopeEvent[]): Promise<IngestFigures> {
  if (template.length < 1_000) {
    throw new Error(`the viewer recorded only ${template.length} events to replay`);
  }
  const eventsOnly = await ingestRun(template, false, 'SQLite', sqliteStore);
  const withRaw = await ingestRun(template, true, 'SQLite', sqliteStore);
  let postgres: IngestFigures['postgres'];
  try {
    const server = await startPostgres();
    try {
      let n = 0;
      const pgStore = async (): Promise<ArchiveStore> =>
        PgArchive.open(await server.createDatabase(`bench${++n}`), {
          retainDays: 30,
          maxBytes: 1024 * 2 ** 20,
          instance: 'bench',
        });
      postgres = {
        eventsOnly: await ingestRun(template, false, 'PostgreSQL', pgStore),
        withRaw: await ingestRun(template, true, 'PostgreSQL', pgStore),
      };
    } finally {
      await server.stop();
    }
  } catch (err) {
    postgres = { notMeasured: (err instanceof Error ? err.message : String(err)).slice(0, 200) };
  }
  return { eventsOnly, withRaw, postgres, templateEvents: template.length };
}

async function ingestRun(
  template: ImapscopeEvent[],
  withRaw: boolean,
  engine: string,
  open: (dir: string) => Promise<ArchiveStore>,
): Promise<IngestFigure> {
  progress(
    `hub (ii) archive ingest into ${engine} for ${INGEST_MS / 1000} s, ${withRaw ? 'with' : 'no'} raw bytes`,
  );
  // Raw bytes as the sessions moved them, spread evenly over their events.
  let rawTotal = 0;
  for (const e of template) if (e.type === 'session.close') rawTotal += e.bytes.c2s + e.bytes.s2c;
  const rawPerBatch = Math.ceil((rawTotal / template.length) * INGEST_BATCH);
  const rawData = Buffer.alloc(rawPerBatch, 'x');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-bench-archive-'));
  const archive = await open(dir);
  try {
    let gseq = 0;
    let rawBytes = 0;
    const start = process.hrtime.bigint();
    const deadline = Date.now() + INGEST_MS;
    for (let copy = 0; Date.now() < deadline; copy++) {
      for (let i = 0; i < template.length && Date.now() < deadline; i += INGEST_BATCH) {
        const batch = template
          .slice(i, i + INGEST_BATCH)
          .map((e) => ({ ...e, session: `${e.session}.${copy}`, gseq: ++gseq }));
        if (withRaw && rawPerBatch > 0) {
          const b = batch[0]!;
          archive.raw([{ session: b.session, direction: 's2c', at: b.at, data: rawData }]);
          rawBytes += rawData.length;
        }
        archive.write(batch);
        // Let the archive's own setImmediate/setTimeout flushes run, as in the proxy.
        if (i % 2_000 < INGEST_BATCH) await new Promise((r) => setImmediate(r));
      }
    }
    // Until the last event is committed (PostgreSQL's flushes run beside the loop).
    await archive.settle();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const s = archive.stats;
    progress(
      `  ${n0(s.eventsWritten)} events in ${seconds.toFixed(1)} s: ` +
        `${n0(s.eventsWritten / seconds)}/s, ${s.eventsDropped} dropped`,
    );
    return {
      events: s.eventsWritten,
      seconds,
      perS: s.eventsWritten / seconds,
      rawMB: rawBytes / 1e6,
      dropped: s.eventsDropped + s.chunksDropped,
      flushes: s.flushes,
      maxFlushMs: s.maxFlushMs,
    };
  } finally {
    await archive.close();
    await rm(dir, { recursive: true, force: true });
  }
}
