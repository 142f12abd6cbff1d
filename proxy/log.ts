import { createRequire } from 'node:module';
import type pinoModule from 'pino';
import type { Logger, Level } from 'pino';
import type * as pinoPrettyModule from 'pino-pretty';
import { WARN_INTERVAL_MS } from './limits.ts';
import { LogStream } from './log-stream.ts';

export type { Logger };

const require = createRequire(import.meta.url);

export const LOG_LEVELS: readonly (Level | 'silent')[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * The process logger: JSON lines on stdout (one object per line, `msg` is the message), or
 * human-readable through pino-pretty when stdout is a terminal. Both go through a LogStream,
 * which never blocks the thread that logs: when stdout is not read, lines wait in a bounded
 * queue and past it are dropped and counted (see log-stream.ts). The relay and the inspection
 * thread each call this; each line is one write of its own, so their lines never interleave.
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  // Required when a logger is made, not imported at the top: config.ts imports this module for
  // LOG_LEVELS, and `imapscope --help` or a bad flag should not load pino (or pino-pretty,
  // which only a terminal needs). Both are CommonJS, so require() gives them synchronously.
  const pino = require('pino') as typeof pinoModule;
  const format = pretty
    ? (require('pino-pretty') as typeof pinoPrettyModule).prettyFactory({
        colorize: true,
        translateTime: 'SYS:HH:MM:ss.l',
      })
    : undefined;
  return pino({ level, base: { pid: process.pid } }, new LogStream({ format }));
}

/**
 * A warning that may repeat many times a second (refused connections, failed accepts, failed
 * archive writes) logged at most once per interval, with how often it happened since.
 * `hit()` returns that count when a line is due now, else null.
 */
export class WarnThrottle {
  private count = 0;
  private last = -Infinity;

  constructor(
    private readonly intervalMs = WARN_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  hit(): number | null {
    this.count += 1;
    const t = this.now();
    if (t - this.last < this.intervalMs) return null;
    this.last = t;
    const n = this.count;
    this.count = 0;
    return n;
  }

  /** Occurrences not yet reported in a line. */
  get pending(): number {
    return this.count;
  }

  /** Forgets the interval: the next hit is reported at once (after a recovery, say). */
  reset(): void {
    this.last = -Infinity;
    this.count = 0;
  }
}
