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
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 1, sync: false }));
}
