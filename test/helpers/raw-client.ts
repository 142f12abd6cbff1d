/** A plain socket to an IMAP listener that keeps everything it reads, for lifecycle tests. */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface RawClient {
  socket: net.Socket;
  /** Everything read so far (latin1). */
  readonly text: string;
  /** Resolves once what was read matches `re` (or rejects after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the connection has closed. */
  closed: Promise<void>;
  write(text: string): void;
}

/**
 * Connects to `port`. With `closeOnBye`, the client ends the connection as soon as it reads
 * an untagged BYE, as a well-behaved IMAP client does.
 */
export function rawClient(host: string, port: number, closeOnBye = false): RawClient {
  const socket = net.connect({ host, port });
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (c: Buffer) => {
    text += c.toString('latin1');
    if (closeOnBye && /^\* BYE /m.test(text)) socket.end();
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    socket,
    get text() {
      return text;
    },
    closed,
    write: (t) => void socket.write(t),
    waitFor: (re, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!re.test(text)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(text);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no ${re} within ${timeoutMs} ms; read so far: ${JSON.stringify(text)}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

/** Resolves with the exit status of `child`, or rejects if it has not exited within `ms`. */
export function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}
