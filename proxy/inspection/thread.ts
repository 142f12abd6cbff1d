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
import type { TapChunk } from '../transport.ts';
import { createSessionInspector, type TrackingInspector } from './pipeline.ts';
import { startUiServer } from '../ui/http.ts';
import { Hub } from '../hub/hub.ts';
import { SessionRegistry } from '../hub/registry.ts';
import { startHubServices } from './services.ts';
import { logSink } from '../hub/log-sink.ts';
import type { Archive } from '../archive/archive.ts';
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

function unpack(batch: PackedBatch): TapChunk[] {
  return batch.buffers.map((ab, i) => ({
    direction: batch.directions[i] as Direction,
    data: Buffer.from(ab),
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
  const services = startHubServices(hub, log, {
    dataDir: config.dataDir,
    retainDays: config.retainDays,
    maxArchiveMb: config.maxArchiveMb,
    registry,
  });
  services.console = config.console;
  const ui = await startUiServer(
    config.ui,
    { token: config.token, log, tls: config.uiTls, hosts: config.uiHosts },
    services,
  );

  const inspectors = new Map<string, TrackingInspector>();
  /** Tap bytes inspected per session while handling the current post: [c2s, s2c]. */
  const consumed = new Map<string, [number, number]>();
  let inspectedTotal = 0;

  const handle = (m: ToInspection): void => {
    switch (m.type) {
      case 'batch':
        for (const each of m.messages) handle(each);
        return;
      case 'open': {
        registry.opened(m.info);
        // Resumed after a crash: continue after the archive's last event. When the dead thread
        // archived none (it died before its first flush), start over with session.open.
        const afterSeq = m.resume ? resumeArchived(services.archive, m.info.id) : 0;
        inspectors.set(
          m.info.id,
          createSessionInspector(m.info, {
            hub,
            revealSecrets: config.revealSecrets,
            ...(afterSeq > 0 ? { resume: { afterSeq } } : {}),
          }),
        );
        return;
      }
      case 'chunks': {
        const chunks = unpack(m.batch);
        inspectors.get(m.session)?.chunks(chunks);
        slowDown(m.batch.bytes);
        const c = consumed.get(m.session) ?? [0, 0];
        for (const chunk of chunks) c[chunk.direction === 'c2s' ? 0 : 1] += chunk.data.length;
        consumed.set(m.session, c);
        inspectedTotal += m.batch.bytes;
        if (
          config.testCrashAfterBytes !== undefined &&
          inspectedTotal >= config.testCrashAfterBytes
        )
          throw new Error(`test crash after ${inspectedTotal} inspected bytes`);
        return;
      }
      case 'gap':
        inspectors.get(m.session)?.gap(m.direction, m.droppedChunks, m.droppedBytes, m.at);
        return;
      case 'transport':
        inspectors.get(m.session)?.transport?.(m.event);
        return;
      case 'end':
        inspectors.get(m.session)?.close();
        return;
      case 'listening':
        services.listen = m.listen;
        return;
      case 'closed': {
        const s = m.summary;
        registry.closed(s);
        inspectors.get(s.id)?.closed({
          bytes: s.bytes,
          reason: s.reason,
          durationMs: s.endedAt - s.startedAt,
          closedFirst: s.closedFirst,
        });
        inspectors.delete(s.id);
        return;
      }
      case 'shutdown':
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
  // One report per post the relay thread made: its backlog (and any session paused on it)
  // follows inspection closely, whatever the size of the posts.
  port.on('message', (m: ToInspection) => {
    handle(m);
    if (consumed.size === 0) return;
    post({ type: 'consumed', sessions: [...consumed].map(([id, [c2s, s2c]]) => [id, c2s, s2c]) });
    consumed.clear();
  });
  post({ type: 'ready', ui: ui.address });
}

/** A session an earlier thread was inspecting: its last archived seq (0 without the archive). */
function resumeArchived(archive: Archive | null, id: string): number {
  return archive?.reopenInterrupted(id) ?? 0;
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  post({
    type: 'failed',
    message: `--ui ${config.ui.host}:${config.ui.port}: ${e.code ?? e.message}`,
  });
});
