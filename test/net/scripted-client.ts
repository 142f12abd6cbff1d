/**
 * A test IMAP client that keeps every plaintext byte it sends and receives, through STARTTLS
 * and COMPRESS=DEFLATE, so a test can compare them with what imapscope's tap saw.
 */
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';

export class ScriptedClient {
  /** Plaintext sent (before TLS and compression). */
  readonly sent: Buffer[] = [];
  /** Plaintext received (after TLS and inflation). */
  readonly received: Buffer[] = [];
  closed = false;
  private socket: net.Socket;
  private pending = '';
  private waiter: { re: RegExp; resolve: (m: string) => void } | null = null;
  private deflate: zlib.DeflateRaw | null = null;
  private inflate: zlib.InflateRaw | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.listen();
  }

  static async connect(port: number, implicitCa?: string): Promise<ScriptedClient> {
    const socket = implicitCa
      ? tls.connect({ host: '127.0.0.1', port, ca: [implicitCa] })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(implicitCa ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new ScriptedClient(socket);
  }

  /** Sends plaintext (compressed when COMPRESS is on). */
  send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.sent.push(buf);
    if (this.deflate) {
      this.deflate.write(buf);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    } else this.socket.write(buf);
  }

  /** Resolves with the text received up to and including the first match of `re`. */
  waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const m = re.exec(this.pending);
    if (m) return Promise.resolve(this.take(m.index + m[0].length));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${re} within ${timeoutMs} ms; got ${JSON.stringify(this.pending.slice(-300))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiter = {
        re,
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
      };
    });
  }

  /** Sends a tagged command and waits for its tagged completion. */
  async command(tag: string, text: string): Promise<string> {
    this.send(`${tag} ${text}\r\n`);
    return this.waitFor(new RegExp(`^${tag} (OK|NO|BAD)[^\\n]*\\n`, 'm'));
  }

  /** Upgrades the connection after a STARTTLS OK, trusting `ca`. */
  async starttls(ca: string): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, ca: [ca], host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen();
  }

  /** Switches both directions to raw DEFLATE after a COMPRESS OK. */
  startCompress(): void {
    this.deflate = zlib.createDeflateRaw();
    this.deflate.on('data', (c: Buffer) => this.socket.write(c));
    this.inflate = zlib.createInflateRaw();
    this.inflate.on('data', (c: Buffer) => this.onPlain(c));
  }

  end(): void {
    this.socket.end();
  }

  private listen(): void {
    this.socket.on('data', (c: Buffer) => (this.inflate ? this.inflate.write(c) : this.onPlain(c)));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }

  private onPlain(c: Buffer): void {
    this.received.push(c);
    this.pending += c.toString('latin1');
    const w = this.waiter;
    if (!w) return;
    const m = w.re.exec(this.pending);
    if (m) {
      this.waiter = null;
      w.resolve(this.take(m.index + m[0].length));
    }
  }

  private take(end: number): string {
    const text = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    return text;
  }
}
