/** A minimal line-level IMAP conversation over a plain socket, for tests that need every byte. */
import net from 'node:net';
import zlib from 'node:zlib';

export interface Transcript {
  greeting: string;
  /** For each command: every line the server sent until that command's tagged response. */
  replies: string[][];
  /** Whether the server closed the connection by the end. */
  closed: boolean;
}

/**
 * Connects, waits for the greeting, then sends each command (tagged `a1`, `a2`, ...) and
 * waits for its tagged response before the next. Commands must not carry literals.
 * Rejects on socket error or after `timeoutMs`.
 */
export function converse(
  host: string,
  port: number,
  commands: string[],
  timeoutMs = 20_000,
): Promise<Transcript> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const replies: string[][] = [];
    let greeting: string | undefined;
    let pending = '';
    let current: string[] = [];
    let index = 0;
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`converse: timeout; greeting ${greeting}; replies ${JSON.stringify(replies)}`),
      );
    }, timeoutMs);
    const sendNext = (): void => {
      const command = commands[index];
      if (command === undefined) return;
      socket.write(`a${index + 1} ${command}\r\n`);
    };
    const finish = (): void => {
      clearTimeout(timer);
      resolve({ greeting: greeting ?? '', replies, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        if (greeting === undefined) {
          greeting = line;
          sendNext();
          continue;
        }
        current.push(line);
        if (line.startsWith(`a${index + 1} `)) {
          replies.push(current);
          current = [];
          index++;
          if (index < commands.length) sendNext();
        }
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      closed = true;
      if (index >= commands.length) finish();
      else {
        clearTimeout(timer);
        reject(
          new Error(
            `converse: closed early; greeting ${greeting}; replies ${JSON.stringify(replies)}`,
          ),
        );
      }
    });
  });
}

/** Connects and collects everything the server sends until it closes the connection. */
export function readUntilClose(
  host: string,
  port: number,
  timeoutMs = 20_000,
): Promise<{ text: string; closedBy: 'server' | 'reset' | 'timeout' }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedBy: 'timeout' });
    }, timeoutMs);
    let reset = false;
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') reset = true;
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedBy: reset ? 'reset' : 'server' });
    });
  });
}

/**
 * A scripted raw session: send exact bytes, wait for a line, and switch both directions to
 * DEFLATE after COMPRESS (RFC 4978), for tests that must choose every form the client sends.
 */
export interface RawSession {
  /** Sends `text` + CRLF (compressed once {@link compress} ran). */
  send(text: string): void;
  /** Resolves with every line received since the last wait, up to the first matching one. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  /** Sends `tag command` and waits for its tagged response; returns the lines. */
  command(tag: string, command: string): Promise<string[]>;
  /** From now on both directions are raw DEFLATE (call after the COMPRESS OK). */
  compress(): void;
  close(): void;
}

export async function rawSession(host: string, port: number): Promise<RawSession> {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let deflate: zlib.DeflateRaw | null = null;
  const onText = (chunk: Buffer): void => {
    pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\r\n')) >= 0) {
      lines.push(pending.slice(0, nl));
      pending = pending.slice(nl + 2);
    }
    wake?.();
  };
  socket.on('data', onText);
  const session: RawSession = {
    send(text) {
      if (deflate) {
        deflate.write(`${text}\r\n`);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH);
      } else socket.write(`${text}\r\n`);
    },
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = lines.findIndex((l) => pattern.test(l));
        if (i >= 0) return lines.splice(0, i + 1);
        if (Date.now() > deadline)
          throw new Error(`rawSession: no ${pattern} in ${JSON.stringify(lines)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
        wake = null;
      }
    },
    command(tag, command) {
      session.send(`${tag} ${command}`);
      return session.waitFor(new RegExp(`^${tag} (OK|NO|BAD)`));
    },
    compress() {
      const inflate = zlib.createInflateRaw();
      socket.off('data', onText);
      socket.pipe(inflate);
      inflate.on('data', onText);
      deflate = zlib.createDeflateRaw();
      deflate.pipe(socket);
    },
    close() {
      socket.destroy();
    },
  };
  await session.waitFor(/^\* (OK|PREAUTH)/);
  return session;
}
