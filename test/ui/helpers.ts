/**
 * The UI side of the inspection thread, in the test's process: a hub with an archive and a
 * WebSocket sink (sizes adjustable), served by the real UI server on a free loopback port, and
 * a real session inspector to produce events with.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import { Archive } from '../../proxy/archive/archive.ts';
import { eventsByGseq, getSession, listSessions, sessionEvents } from '../../proxy/archive/read.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { SessionRegistry } from '../../proxy/hub/registry.ts';
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import { startUiServer } from '../../proxy/ui/http.ts';
import { WsSink, type WsSinkOptions } from '../../proxy/ui/ws-sink.ts';

export const TOKEN = 'ui-test-token-1234';

export interface UiUnderTest {
  hub: Hub;
  archive: Archive;
  sink: WsSink;
  /** http://127.0.0.1:PORT/?token=… */
  url: string;
  port: number;
  /** Unexpected handler exceptions the server logged. */
  failures: unknown[];
  close(): Promise<void>;
}

export async function startUi(sinkOptions: WsSinkOptions = {}): Promise<UiUnderTest> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapscope-ui-'));
  const hub = new Hub();
  const archive = new Archive(path.join(dir, 'archive.db'), { maxBytes: 1024 * 2 ** 20 });
  const registry = new SessionRegistry();
  const sink = new WsSink(
    {
      lastGseq: () => hub.lastGseq,
      sessions: () => (archive.flush(), listSessions(archive.db, { limit: 200 })),
      byGseq: (after, until, limit) => (
        archive.flush(),
        eventsByGseq(archive.db, after, until, limit)
      ),
      bySession: (session, afterSeq, limit) => {
        archive.flush();
        if (!getSession(archive.db, session)) return null;
        return sessionEvents(archive.db, session, afterSeq, limit);
      },
    },
    sinkOptions,
  );
  hub.add(registry);
  hub.add(archive);
  hub.add(sink);
  const failures: unknown[] = [];
  const ui = await startUiServer(
    { host: '127.0.0.1', port: 0 },
    { token: TOKEN, log: { error: (obj: unknown) => void failures.push(obj) } },
    { hub, archive, registry, ws: sink },
  );
  const port = ui.address.port;
  return {
    hub,
    archive,
    sink,
    url: `http://127.0.0.1:${port}/?token=${TOKEN}`,
    port,
    failures,
    async close() {
      await sink.close(); // first: upgraded sockets keep the server's close waiting
      ui.server.closeAllConnections();
      await new Promise((r) => ui.server.close(r));
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A session through the real inspector that FETCHes `count` messages of `literalBytes` each,
 * `perTick` responses per event-loop turn (as tap batches arrive in the inspection thread).
 * Resolves once the tagged OK is through.
 */
export async function fetchLoad(
  hub: Hub,
  id: string,
  count: number,
  literalBytes: number,
  perTick: number,
): Promise<void> {
  const inspector = createSessionInspector(
    {
      id,
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
      startedAt: Date.now(),
    },
    { hub },
  );
  let at = Date.now();
  const feed = (direction: 'c2s' | 's2c', text: string): void => {
    inspector.chunks([{ direction, data: Buffer.from(text, 'latin1'), at: ++at }]);
  };
  feed('s2c', '* OK ready\r\n');
  feed('c2s', 'a1 SELECT INBOX\r\n');
  feed('s2c', `* ${count} EXISTS\r\na1 OK [READ-WRITE] done\r\n`);
  feed('c2s', `a2 FETCH 1:${count} BODY[]\r\n`);
  const body = 'Subject: x\r\n\r\n'.padEnd(literalBytes, 'y');
  for (let i = 1; i <= count; i += perTick) {
    let text = '';
    for (let j = i; j < Math.min(count + 1, i + perTick); j++) {
      text += `* ${j} FETCH (BODY[] {${literalBytes}}\r\n${body})\r\n`;
    }
    feed('s2c', text);
    await nextTick();
  }
  feed('s2c', 'a2 OK done\r\n');
  await nextTick();
}
