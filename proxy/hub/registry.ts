import type { SessionInfo, SessionSummary } from '../net/relay.ts';

/** How many ended sessions the in-memory registry remembers (the archive keeps the rest). */
export const RECENT_SESSIONS_KEPT = 200;

export interface SessionRow {
  id: string;
  client: string;
  upstream: string;
  startedAt: number;
  endedAt: number | null;
  bytesC2s: number | null;
  bytesS2c: number | null;
  reason: string | null;
}

const hp = (h: { host: string; port: number }): string => `${h.host}:${h.port}`;

/** Live and recently ended sessions, newest first, for the UI's session list. */
export class SessionRegistry {
  private readonly live = new Map<string, SessionInfo>();
  private recent: SessionSummary[] = [];

  opened(info: SessionInfo): void {
    this.live.set(info.id, info);
  }

  closed(summary: SessionSummary): void {
    this.live.delete(summary.id);
    this.recent.unshift(summary);
    if (this.recent.length > RECENT_SESSIONS_KEPT) this.recent.length = RECENT_SESSIONS_KEPT;
  }

  list(): SessionRow[] {
    const live: SessionRow[] = [...this.live.values()].reverse().map((s) => ({
      id: s.id,
      client: hp(s.client),
      upstream: hp(s.upstream),
      startedAt: s.startedAt,
      endedAt: null,
      bytesC2s: null,
      bytesS2c: null,
      reason: null,
    }));
    const ended: SessionRow[] = this.recent.map((s) => ({
      id: s.id,
      client: hp(s.client),
      upstream: hp(s.upstream),
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      bytesC2s: s.bytes.c2s,
      bytesS2c: s.bytes.s2c,
      reason: s.reason,
    }));
    return [...live, ...ended];
  }
}
