/**
 * The inspection thread: a worker that runs everything that looks at the bytes (wire
 * decoders, session trackers), the hub and its sinks (log, archive, registry, WebSocket)
 * and the UI server. The relay thread posts tap batches here and never waits for an answer,
 * so decoding, archiving and serving viewers cannot delay mail traffic (DESIGN rule 1), and
 * on a machine with more than one core they run beside it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Direction } from '../../shared/direction.ts';
import { createLogger } from '../log.ts';
import { INSPECTION_HEARTBEAT_MS } from '../limits.ts';
import type { TapChunk } from '../transport.ts';
import { createSessionInspector, type TrackingInspector } from './pipeline.ts';
import { TransportFollower } from './transport-follower.ts';
import { startUiServer } from '../ui/http.ts';
import { Metrics } from '../ui/metrics.ts';
import { Hub } from '../hub/hub.ts';
import { SessionRegistry } from '../hub/registry.ts';
import {
  archiveFile,
  attachArchive,
  startHubServices,
  type HubServiceOptions,
} from './services.ts';
import { recoverInThread } from './recovery-client.ts';
import { logSink } from '../hub/log-sink.ts';
import type { ArchiveStore } from '../archive/store.ts';
import type {
  FromInspection,
  InspectionConfig,
  PackedBatch,
  ToInspection,
} from './thread-protocol.ts';

const port = parentPort!;
const config = workerData as InspectionConfig;
const post = (m: FromInspection): void => port.postMessage(m);

/** Test only: sleeps the thread (see InspectionConfig.testSlowMsPerMb). */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function slowDown(bytes: number): void {
  const ms = ((config.testSlowMsPerMb ?? 0) * bytes) / (1024 * 1024);
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/** The batch's chunks, as views of its slabs: lent to inspection for the call only. */
function unpack(batch: PackedBatch): TapChunk[] {
  return batch.buffers.map((ab, i) => ({
    direction: batch.directions[i] as Direction,
    data: Buffer.from(ab, batch.offsets[i], batch.lengths[i]),
    at: batch.ats[i]!,
  }));
}

async function main(): Promise<void> {
  const log = createLogger(config.logLevel, { pretty: config.prettyLogs });
  const registry = new SessionRegistry();
  const hub = new Hub((sink, err) =>
    log.error({ sink, err: err instanceof Error ? err.message : String(err) }, 'sink failed'),
  );
  hub.add(logSink(log));
  // Read at scrape time: `services` exists by then.
  const metrics = new Metrics({
    archiveQueue: () => services.archive?.pending ?? null,
    wsClients: () => services.ws?.clientCount ?? 0,
  });
  const serviceOptions: HubServiceOptions = {
    dataDir: config.dataDir,
    retainDays: config.retainDays,
    maxArchiveMb: config.maxArchiveMb,
    archiveUrl: config.archiveUrl,
    instance: config.instance,
    registry,
    onArchiveFlushed: (ms) => metrics.archiveFlushed(ms),
  };
  const services = await startHubServices(hub, log, serviceOptions);
  hub.add(metrics);
  services.console = config.console;
  /** /healthz: 503 until the client listener is up and again once shutdown begins. */
  let draining = false;
  // Crash recovery of the archive, in a thread of its own, started first so that its start
  // overlaps the UI server's; the listener opens meanwhile (see `held` below).
  const file = archiveFile(serviceOptions);
  const started = performance.now();
  const recovery = services.archiveRecovering
    ? (log.info({ file }, 'archive recovery started'),
      recoverInThread({
        file,
        retainDays: config.retainDays,
        maxBytes: config.maxArchiveMb * 1024 * 1024,
        ...(config.testHoldRecoveryUntil ? { testHoldUntil: config.testHoldRecoveryUntil } : {}),
      }))
    : null;
  const ui = await startUiServer(
    config.ui,
    {
      token: config.token,
      log,
      tls: config.uiTls,
      hosts: config.uiHosts,
      metrics: { render: () => metrics.render(), contentType: metrics.contentType },
      metricsPublic: config.metricsPublic === true,
      health: () => (draining ? 'shutting-down' : services.listen ? 'ok' : 'starting'),
    },
    services,
  );

  /**
   * Each open session's inspector: the transport follower (COMPRESS, pass-through STARTTLS) in
   * front of its pipeline, and the pipeline's own for session.close.
   */
  const inspectors = new Map<
    string,
    { follower: TransportFollower; tracking: TrackingInspector }
  >();
  /** Tap bytes inspected per session while handling the current post: [c2s, s2c]. */
  const consumed = new Map<string, [number, number]>();
  /** The slabs of the tap batches handled for the current post, given back with the report. */
  const slabs = new Set<ArrayBuffer>();
  let inspectedTotal = 0;

  /** The heartbeat the relay thread's watchdog listens for (stopped at shutdown). */
  let heartbeat: NodeJS.Timeout | null = null;
  const handle = (m: ToInspection): void => {
    switch (m.type) {
      case 'batch':
        for (const each of m.messages) handle(each);
        return;
      case 'open': {
        registry.opened(m.info);
        metrics.sessionOpened();
        // Resumed after a crash: continue after the archive's last event. When the dead thread
        // archived none (it died before its first flush), start over with session.open.
        const afterSeq = m.resume ? resumeArchived(services.archive, m.info.id) : 0;
        const session = m.info.id;
        const tracking = createSessionInspector(m.info, {
          hub,
          revealSecrets: config.revealSecrets,
          hashLiterals: config.literalHashes,
          stopAtSwitch: true,
          ...(afterSeq > 0 ? { resume: { afterSeq } } : {}),
        });
        const follower = new TransportFollower(tracking, m.interceptsStarttls, {
          ...(m.follow ? { resumedIn: m.follow } : {}),
          onState: (state) => post({ type: 'follow', session, state }),
        });
        inspectors.set(session, { follower, tracking });
        return;
      }
      case 'chunks': {
        for (const ab of m.batch.buffers) slabs.add(ab);
        const chunks = unpack(m.batch);
        inspectors.get(m.session)?.follower.chunks(chunks);
        slowDown(m.batch.bytes);
        const c = consumed.get(m.session) ?? [0, 0];
        const [c2s, s2c] = c;
        for (const chunk of chunks) c[chunk.direction === 'c2s' ? 0 : 1] += chunk.data.length;
        consumed.set(m.session, c);
        metrics.relayedBytes('c2s', c[0] - c2s);
        metrics.relayedBytes('s2c', c[1] - s2c);
        inspectedTotal += m.batch.bytes;
        if (
          config.testCrashAfterBytes !== undefined &&
          inspectedTotal >= config.testCrashAfterBytes
        )
          throw new Error(`test crash after ${inspectedTotal} inspected bytes`);
        if (config.testSpinAfterBytes !== undefined && inspectedTotal >= config.testSpinAfterBytes)
          for (;;); // a stuck thread: the relay thread's watchdog must notice
        return;
      }
      case 'gap':
        // Relayed all the same: only inspection lost them.
        metrics.relayedBytes(m.direction, m.droppedBytes);
        inspectors.get(m.session)?.follower.gap(m.direction, m.droppedChunks, m.droppedBytes, m.at);
        return;
      case 'transport':
        inspectors.get(m.session)?.follower.transport(m.event);
        return;
      case 'end':
        inspectors.get(m.session)?.follower.close();
        return;
      case 'listening':
        services.listen = m.listen;
        return;
      case 'draining':
        draining = true;
        return;
      case 'relay-stats':
        metrics.relayStats(m.backlogBytes, m.restarts);
        return;
      case 'closed': {
        const s = m.summary;
        registry.closed(s);
        metrics.sessionClosed(s.reason);
        inspectors.get(s.id)?.tracking.closed({
          bytes: s.bytes,
          reason: s.reason,
          durationMs: s.endedAt - s.startedAt,
          closedFirst: s.closedFirst,
        });
        inspectors.delete(s.id);
        return;
      }
      case 'shutdown':
        if (heartbeat) clearInterval(heartbeat);
        ui.server.closeAllConnections();
        ui.server.close();
        void hub.close().then(() => {
          log.flush();
          post({ type: 'stopped' });
          port.close();
        });
        return;
    }
  };
  /**
   * Posts that arrived while the archive was being recovered, in order: nothing is published
   * before the archive has been opened and the hub's gseq continued after it. The relay
   * thread's backlog bounds them (lossless pauses sessions past its bounds, as for a slow
   * inspection); they are handled as soon as recovery has finished.
   */
  let held: ToInspection[] | null = services.archiveRecovering ? [] : null;
  const take = (m: ToInspection): void => {
    try {
      handle(m);
    } catch (err) {
      // The thread dies of this (the relay thread restarts inspection): what it did inspect is
      // written first, so that a crash loses the bytes it was handling, not the events of the
      // last flush interval before them (SQLite writes synchronously).
      try {
        services.archive?.flush();
      } catch {
        // Dying anyway: the uncaught exception below is what gets reported.
      }
      throw err;
    }
    if (consumed.size === 0 && slabs.size === 0) return;
    // Every view of the slabs was lent for the handling only: the relay thread may reuse them.
    const back = [...slabs];
    port.postMessage(
      {
        type: 'consumed',
        sessions: [...consumed].map(([id, [c2s, s2c]]) => [id, c2s, s2c]),
        slabs: back,
      } satisfies FromInspection,
      back,
    );
    consumed.clear();
    slabs.clear();
  };
  // One report per post the relay thread made: its backlog (and any session paused on it)
  // follows inspection closely, whatever the size of the posts.
  // While held, the in-memory session list still follows the relay (the viewer lists them).
  const listOnly = (m: ToInspection): void => {
    if (m.type === 'batch') m.messages.forEach(listOnly);
    else if (m.type === 'open') registry.opened(m.info);
    else if (m.type === 'closed') registry.closed(m.summary);
  };
  const isListening = (m: ToInspection): boolean =>
    m.type === 'listening' || (m.type === 'batch' && m.messages.some(isListening));
  port.on('message', (m: ToInspection) => {
    if (!held) take(m);
    else {
      held.push(m);
      listOnly(m);
    }
    // Answered once handled, or held (recovery must not hold the ready line back): the relay
    // thread writes the ready line on this answer.
    if (isListening(m)) post({ type: 'listening' });
  });
  post({ type: 'ready', ui: ui.address });
  // Heard by the relay thread's watchdog; silent only while this thread's event loop is stuck.
  heartbeat = setInterval(() => post({ type: 'heartbeat' }), INSPECTION_HEARTBEAT_MS);
  if (!held || !recovery) return;
  const done = await recovery;
  if (done.ok) {
    const r = done.report;
    if (r.interrupted > 0)
      log.warn({ sessions: r.interrupted }, 'archive: sessions cut off by a crash');
    // ms: the whole recovery as the operator waits for it (thread start included); recoverMs: the work.
    const { ms: recoverMs, ...counts } = r;
    log.info(
      { ...counts, recoverMs, ms: Math.round(performance.now() - started), held: held.length },
      'archive recovery finished',
    );
  } else {
    log.error({ file, err: done.message }, 'archive recovery failed: running without an archive');
  }
  try {
    attachArchive(services, log, serviceOptions, done.ok ? done.report : null);
  } catch (err) {
    log.error(
      { file, err: err instanceof Error ? err.message : String(err) },
      'archive failed to open after recovery: running without an archive',
    );
    attachArchive(services, log, serviceOptions, null);
  }
  const waiting = held;
  held = null;
  // Outside main()'s promise: a throw is the thread's uncaught exception, as for any post.
  queueMicrotask(() => {
    for (const m of waiting) take(m);
  });
}

/** A session an earlier thread was inspecting: its last archived seq (0 without the archive). */
function resumeArchived(archive: ArchiveStore | null, id: string): number {
  return archive?.reopenInterrupted(id) ?? 0;
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  post({
    type: 'failed',
    message: e.message.startsWith('--archive ')
      ? e.message
      : `--ui ${config.ui.host}:${config.ui.port}: ${e.code ?? e.message}`,
  });
});
