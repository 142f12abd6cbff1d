/** A WebSocket viewer on imapscope's `/ws` for the hub benchmark (test/bench/hub.ts). */
import WebSocket from 'ws';
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { ServerMessage } from '../../shared/protocol.ts';
import { fromJson } from '../../shared/protocol.ts';

/** A viewer on `/ws`; keeps the text of every message (parsed later, off the clock). */
export class Viewer {
  readonly texts: string[] = [];
  gaps = 0;
  /** Events the server said it skipped (the sum of the gap notices' ranges). */
  skipped = 0;
  /** When the last message arrived (ms since the epoch). */
  lastMessageAt = 0;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.lastMessageAt = Date.now();
      if (text.startsWith('{"type":"gap"')) {
        const gap = JSON.parse(text) as { fromGseq: number; toGseq: number };
        this.gaps += 1;
        this.skipped += gap.toGseq - gap.fromGseq + 1;
      } else this.texts.push(text);
    });
  }

  static open(url: string): Promise<Viewer> {
    const u = new URL('/ws', url.replace(/^http/, 'ws'));
    u.search = new URL(url).search;
    const ws = new WebSocket(u);
    const v = new Viewer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(v));
      ws.once('error', reject);
    });
  }

  events(): ImapscopeEvent[] {
    return this.texts.flatMap((t) => {
      const m = fromJson<ServerMessage>(t);
      return m.type === 'events' ? m.events : [];
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

/** How many events the `events` messages among `texts` carry. */
export function countEvents(texts: string[]): number {
  let n = 0;
  for (const t of texts) {
    const m = fromJson<ServerMessage>(t);
    if (m.type === 'events') n += m.events.length;
  }
  return n;
}
