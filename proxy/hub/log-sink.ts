import type { ImapscopeEvent } from '../../shared/events.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './hub.ts';

/**
 * Events as log lines: one info line per exchange (session, tag, command,
 * status, latency), state changes and lints at info/warn, malformed messages at
 * warn, one debug line per decoded message. Session open/close are logged by the relay itself.
 */
export function logSink(log: Logger): Sink {
  return {
    name: 'log',
    write(events) {
      for (const e of events) writeOne(log, e);
    },
  };
}

function writeOne(log: Logger, e: ImapscopeEvent): void {
  switch (e.type) {
    case 'exchange':
      log.info(
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
      log.info({ session: e.session, from: e.from, to: e.to, mailbox: e.mailbox }, 'state change');
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
    case 'session.open':
    case 'session.close':
      return;
    default:
      // Event types added later (TLS, COMPRESS…) are logged generically rather than dropped.
      log.info({ session: (e as ImapscopeEvent).session, event: e }, (e as { type: string }).type);
  }
}
