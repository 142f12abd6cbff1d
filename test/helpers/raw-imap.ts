/** A minimal line-level IMAP conversation over a plain socket, for tests that need every byte. */
import net from 'node:net';

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
