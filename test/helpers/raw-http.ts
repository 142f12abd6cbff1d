/**
 * One HTTP request written verbatim on a raw socket (node:net), so a test can send request
 * targets and headers that fetch or curl would normalize or refuse (`//`, `/\`, bad escapes).
 */
import { connect } from 'node:net';

export interface RawResponse {
  /** The status code of the first response line; null when the server sent nothing. */
  status: number | null;
  /** Everything the server sent before it closed the connection. */
  text: string;
}

/**
 * Sends `head` (request line and headers, without the blank line; `Connection: close` is
 * added) and reads until the server closes the connection.
 */
export function rawRequest(
  at: { host: string; port: number },
  head: string,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(at.port, at.host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms after: ${head.split('\r\n')[0]}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer still ends in 'close'
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    });
  });
}
