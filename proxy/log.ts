import pino from 'pino';
import type { Logger, Level } from 'pino';

export type { Logger };

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
 * The process logger: JSON lines on stdout (one object per line, `msg` is the
 * message), or human-readable through pino-pretty when stdout is a terminal.
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  // Synchronous writes: two threads (relay and inspection) log to the same stdout, and a
  // line written in one write(2) of under PIPE_BUF bytes is never interleaved with another.
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 1, sync: true }));
}
