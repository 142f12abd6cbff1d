import type { ImapscopeEvent } from '../../shared/events.ts';
import type { SessionRow } from '../../shared/protocol.ts';
import { applySessionEvent, newSessionRow } from '../../shared/session-row.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './hub.ts';

/**
 * Events as log lines. At info: one summary line per session when it closes (client, user,
 * upstream, duration, exchanges, NO/BAD/lint counts, inspection gaps and their bytes, bytes
 * each way, close reason), and lints (warn for errors); malformed messages and inspection
 * gaps at warn. At debug: one line per exchange (tag, command, status, latency), per state
 * change and per decoded message. The relay logs the session's opening itself, at debug. A session whose session.open this
 * sink did not see has no counts, client or upstream in its summary line.
 */
export function logSink(log: Logger): Sink {
  // Each open session's row, kept by the shared reducer (shared/session-row.ts) as the
  // registry, the archive and the viewer keep theirs: the summary line counts what they count.
  const rows = new Map<string, SessionRow>();
  return {
    name: 'log',
    write(events) {
      for (const e of events) {
        if (e.type === 'session.open') rows.set(e.session, newSessionRow(e.session, e.at));
        const row = rows.get(e.session);
        if (row) applySessionEvent(row, e);
        writeOne(log, e, rows);
      }
    },
  };
}

function writeOne(log: Logger, e: ImapscopeEvent, rows: Map<string, SessionRow>): void {
  switch (e.type) {
    case 'exchange':
      log.debug(
        {
          session: e.session,
          tag: e.tag,
          command: e.uid ? `UID ${e.command}` : e.command,
          status: e.status,
          latencyMs: e.latencyMs,
          untagged: e.untaggedCount,
        },
        'exchange',
      );
      return;
    case 'message':
      if (log.isLevelEnabled('debug')) {
        log.debug(
          {
            session: e.session,
            direction: e.direction,
            kind: e.message.type,
            raw: e.message.raw.slice(0, 200),
            ...(e.unsolicited ? { unsolicited: true } : {}),
          },
          'message',
        );
      }
      return;
    case 'malformed':
      // Bytes that did not decode are a finding (a broken peer, an attack, an imapscope bug).
      log.warn(
        {
          session: e.session,
          direction: e.direction,
          code: e.message.code,
          reason: e.message.reason,
        },
        'malformed',
      );
      return;
    case 'state.change':
      log.debug({ session: e.session, from: e.from, to: e.to, mailbox: e.mailbox }, 'state change');
      return;
    case 'lint':
      log[e.severity === 'error' ? 'warn' : 'info'](
        { session: e.session, code: e.code, rfc: e.rfc },
        `lint: ${e.title}`,
      );
      return;
    case 'gap':
      log.warn(
        {
          session: e.session,
          direction: e.direction,
          droppedChunks: e.droppedChunks,
          droppedBytes: e.droppedBytes,
        },
        'inspection gap',
      );
      return;
    case 'session.facts':
      if (log.isLevelEnabled('debug')) {
        const { v: _v, seq: _seq, gseq: _gseq, at: _at, type: _type, ...facts } = e;
        log.debug(facts, 'session facts');
      }
      return;
    case 'session.close': {
      const row = rows.get(e.session);
      rows.delete(e.session);
      log.info(
        {
          session: e.session,
          client: row?.client,
          user: e.user,
          upstream: row?.upstream,
          durationMs: e.durationMs,
          exchanges: row?.exchangeCount,
          nos: row?.noCount,
          bads: row?.badCount,
          lints: row?.lintCount,
          gaps: row?.gapCount,
          gapBytes: row?.gapBytes,
          bytesC2s: e.bytes.c2s,
          bytesS2c: e.bytes.s2c,
          reason: e.reason,
        },
        'session close',
      );
      return;
    }
    case 'session.open':
      return;
    default:
      // Event types added later (TLS, COMPRESS…) are logged generically rather than dropped.
      log.info({ session: (e as ImapscopeEvent).session, event: e }, (e as { type: string }).type);
  }
}
