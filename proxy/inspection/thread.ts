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
import type {
  FromInspection,
  InspectionConfig,
  PackedBatch,
  ToInspection,
} from './thread-protocol.ts';

const port = parentPort!;
const config = workerData as InspectionConfig;
const post = (m: FromInspection): void => port.postMessage(m);

/** Reports consumed bytes at most this often, so the relay's backlog count stays close. */
const CONSUMED_REPORT_BYTES = 1024 * 1024;

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
  const ui = await startUiServer(
    config.ui,
    { token: config.token, log, tls: config.uiTls, hosts: config.uiHosts },
    services,
  );

  const inspectors = new Map<string, TrackingInspector>();
  let consumed = 0;

  const handle = (m: ToInspection): void => {
    switch (m.type) {
      case 'batch':
        for (const each of m.messages) handle(each);
        return;
      case 'open':
        registry.opened(m.info);
        inspectors.set(
          m.info.id,
          createSessionInspector(m.info, { hub, revealSecrets: config.revealSecrets }),
        );
        return;
      case 'chunks': {
        inspectors.get(m.session)?.chunks(unpack(m.batch));
        consumed += m.batch.bytes;
        if (consumed >= CONSUMED_REPORT_BYTES) {
          post({ type: 'consumed', bytes: consumed });
          consumed = 0;
        }
        return;
      }
      case 'gap':
        inspectors.get(m.session)?.gap(m.direction, m.droppedChunks, m.droppedBytes);
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
        });
        inspectors.delete(s.id);
        if (consumed > 0) {
          post({ type: 'consumed', bytes: consumed });
          consumed = 0;
        }
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
  port.on('message', handle);
  post({ type: 'ready', ui: ui.address });
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  post({
    type: 'failed',
    message: `--ui ${config.ui.host}:${config.ui.port}: ${e.code ?? e.message}`,
  });
});
