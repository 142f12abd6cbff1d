import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, TOO_MANY_BYE } from '../../proxy/net/listener.ts';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

/** Connects and resolves with everything read until the listener closes the connection. */
function readAll(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(text));
  });
}

describe('the listener', () => {
  it('survives failed accepts (EMFILE) and logs them once per interval with a count', async () => {
    const { log, lines } = capture();
    const { server, address } = await startListener(
      { host: '127.0.0.1', port: 0 },
      (s) => s.end('* OK hi\r\n'),
      { log },
    );
    servers.push(server);
    // What Node does when accept(2) fails: an 'error' on the listening server. Unhandled,
    // it ended the whole process (every session with it).
    for (let i = 0; i < 50; i++)
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    expect(lines.filter((l) => l.msg === 'accept failed')).toMatchObject([
      { level: 40, code: 'EMFILE', failures: 1 },
    ]);
    // And it goes on accepting.
    expect(await readAll(address.port)).toBe('* OK hi\r\n');
  });

  it('hands over up to maxConnections at once and refuses one more with a BYE', async () => {
    const { log, lines } = capture();
    const held: net.Socket[] = [];
    const { server, address } = await startListener(
      { host: '127.0.0.1', port: 0 },
      (s) => {
        held.push(s);
        // Half-open capable: the client's FIN is answered with ours, as the relay does.
        s.on('end', () => s.end());
        s.resume();
        s.write('* OK held\r\n');
      },
      { log, maxConnections: 1 },
    );
    servers.push(server);
    const first = net.connect({ host: '127.0.0.1', port: address.port });
    await new Promise((r) => first.once('data', r));
    expect(await readAll(address.port)).toBe(TOO_MANY_BYE);
    expect(lines.filter((l) => /^too many connections/.test(String(l.msg)))).toHaveLength(1);
    // Once the first leaves, the next is handed over.
    first.destroy();
    await new Promise((r) => held[0]!.once('close', r));
    const second = net.connect({ host: '127.0.0.1', port: address.port });
    const greeting = await new Promise<string>((r) => second.once('data', (c) => r(String(c))));
    expect(greeting).toBe('* OK held\r\n');
    second.destroy();
    for (const s of held) s.destroy();
  });
});
