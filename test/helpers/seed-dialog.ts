/** The seed dialog (test/fixtures/seed-dialog.txt), played line by line. */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The dialog's lines (comments dropped), with USER/PASS replaced by the given account. */
export function seedDialog(user: string, password: string): string[] {
  return readFileSync(new URL('../fixtures/seed-dialog.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^(\S+ LOGIN) USER PASS$/, `$1 ${user} ${password}`));
}

/**
 * Sends each line after the greeting, waiting for the tagged response to the previous one
 * (and then `pauseMs` more, when given). Resolves with every line received once the server
 * closes the connection.
 */
export function play(host: string, port: number, lines: string[], pauseMs = 0): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const received: string[] = [];
    let pending = '';
    let next = 0;
    const send = (): void => {
      const line = lines[next];
      if (line === undefined) return;
      if (pauseMs > 0) setTimeout(() => socket.write(`${line}\r\n`), pauseMs);
      else socket.write(`${line}\r\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        received.push(line);
        if (received.length === 1) send();
        else if (line.startsWith(`${lines[next]?.split(' ')[0]} `)) {
          next++;
          send();
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}
