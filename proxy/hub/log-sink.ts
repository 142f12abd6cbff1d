import type { ImapscopeEvent } from '../../shared/events.ts';
import type { Logger } from '../log.ts';
import type { Sink } from './hub.ts';

/** What the summary line of a session counts while it is open. */
interface Tally {
  client: string;
  upstream: string;
  exchanges: number;
  nos: number;
  bads: number;
  lints: number;
}

const hp = (h: { host: string; port: number }): string =>
  h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;

/**
 * Events as log lines. At info: one summary line per session when it closes (client, user,
 * upstream, duration, exchanges, NO/BAD/lint counts, bytes each way, close reason), state
 * changes and lints (warn for errors), malformed messages at warn. At debug: one line per exchange (tag, command, status,
 * latency) and per decoded message. The relay logs the session's opening itself.
 */
export function logSink(log: Logger): Sink {
  const tallies = new Map<string, Tally>();
  return {
    name: 'log',
    write(events) {
      for (const e of events) {
        tally(tallies, e);
        writeOne(log, e, tallies);
      }
    },
  };
}

function tally(tallies: Map<string, Tally>, e: ImapscopeEvent): void {
  if (e.type === 'session.open') {
    tallies.set(e.session, {
      client: hp(e.client),
      upstream: hp(e.upstream),
      exchanges: 0,
      nos: 0,
      bads: 0,
      lints: 0,
    });
    return;
  }
  const t = tallies.get(e.session);
  if (!t) return;
  if (e.type === 'exchange') {
    t.exchanges += 1;
    if (e.status === 'NO') t.nos += 1;
    if (e.status === 'BAD') t.bads += 1;
  } else if (e.type === 'lint') {
    t.lints += 1;
  }
}

function writeOne(log: Logger, e: ImapscopeEvent, tallies: Map<string, Tally>): void {
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
    case 'session.close': {
      const t = tallies.get(e.session);
      tallies.delete(e.session);
      log.info(
        {
          session: e.session,
          client: t?.client,
          user: e.user,
          upstream: t?.upstream,
          durationMs: e.durationMs,
          exchanges: t?.exchanges,
          nos: t?.nos,
          bads: t?.bads,
          lints: t?.lints,
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
