/**
 * A minimal raw-socket IMAP client for the benchmark, so that the client is never the
 * bottleneck: one command in flight at a time, responses scanned for CRLF only, literal
 * bodies skipped by their `{n}` count without copying, and every received byte counted.
 * It understands just enough IMAP to know when a tagged command has completed.
 */
import net from 'node:net';

export interface Completion {
  /** OK, NO or BAD from the tagged line. */
  status: string;
  /** The tagged completion line, without CRLF. */
  line: string;
  /** Untagged responses seen while the command ran. */
  untagged: number;
}

interface Pending {
  tag: string;
  untagged: number;
  resolve: (c: Completion) => void;
  reject: (err: Error) => void;
  /** Called on a `+` continuation request. */
  onContinue?: () => void;
}

const LITERAL_AT_END = /\{(\d+)[+-]?\}\r?\n$/;

export class ImapDriver {
  /** Every byte received from the server so far. */
  bytesIn = 0;
  private partial: Buffer[] = [];
  private literalLeft = 0;
  /** The next line is the rest of a line that was interrupted by a literal. */
  private afterLiteral = false;
  private pending: Pending | undefined;
  private greeting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private seq = 0;
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects, waits for the server's greeting. */
  static async connect(host: string, port: number, timeoutMs = 30_000): Promise<ImapDriver> {
    const socket = net.connect({ host, port, noDelay: true });
    const driver = new ImapDriver(socket);
    const timer = setTimeout(
      () => socket.destroy(new Error(`no greeting within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => (driver.greeting = { resolve, reject }));
    } finally {
      clearTimeout(timer);
    }
    return driver;
  }

  /** Sends a tagged command and resolves at its tagged completion (whatever the status). */
  command(text: string): Promise<Completion> {
    return this.send(text);
  }

  /** Like command(), but rejects unless the completion is OK. */
  async ok(text: string): Promise<Completion> {
    const c = await this.send(text);
    if (c.status !== 'OK') throw new Error(`${text.split(' ')[0]}: ${c.line}`);
    return c;
  }

  /**
   * Sends `count` copies of the command `text` in one write, pipelined (the first count − 1
   * tagged p1, p2…, their completions not waited for), and resolves at the last one's
   * completion: a server completes a connection's NOOPs in order.
   */
  pipeline(text: string, count: number): Promise<Completion> {
    const head = Array.from({ length: count - 1 }, (_, i) => `p${i + 1} ${text}\r\n`).join('');
    return this.send(text, undefined, head);
  }

  /** APPENDs one message with a synchronizing literal (waits for the server's `+`). */
  async append(mailbox: string, message: Buffer): Promise<Completion> {
    const c = await this.send(`APPEND ${mailbox} {${message.length}}`, () => {
      this.socket.write(message);
      this.socket.write('\r\n');
    });
    if (c.status !== 'OK') throw new Error(`APPEND: ${c.line}`);
    return c;
  }

  /** LOGOUT, then waits for the server to close the connection. */
  async logout(): Promise<void> {
    const closed = new Promise<void>((r) => this.socket.once('close', () => r()));
    await this.ok('LOGOUT');
    await closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private send(text: string, onContinue?: () => void, before = ''): Promise<Completion> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error('a command is already in flight'));
    const tag = `b${(++this.seq).toString(36)}`;
    return new Promise<Completion>((resolve, reject) => {
      this.pending = { tag, untagged: 0, resolve, reject, ...(onContinue ? { onContinue } : {}) };
      this.socket.write(`${before}${tag} ${text}\r\n`);
    });
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
    const g = this.greeting;
    this.greeting = undefined;
    g?.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= take;
        pos += take;
        continue;
      }
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        this.partial.push(chunk.subarray(pos));
        return;
      }
      let line = chunk.subarray(pos, nl + 1);
      if (this.partial.length > 0) {
        line = Buffer.concat([...this.partial, line]);
        this.partial = [];
      }
      pos = nl + 1;
      this.onLine(line.toString('latin1'));
    }
  }

  private onLine(line: string): void {
    const continuation = this.afterLiteral;
    const literal = LITERAL_AT_END.exec(line);
    this.afterLiteral = literal !== null;
    if (literal?.[1] !== undefined) this.literalLeft = Number(literal[1]);
    if (continuation) return;

    if (this.greeting) {
      const g = this.greeting;
      this.greeting = undefined;
      if (line.startsWith('* OK')) g.resolve();
      else g.reject(new Error(`bad greeting: ${line.trimEnd()}`));
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (line.startsWith('+')) {
      p.onContinue?.();
      return;
    }
    if (line.startsWith('* ')) {
      p.untagged += 1;
      return;
    }
    if (line.startsWith(`${p.tag} `)) {
      this.pending = undefined;
      const rest = line.slice(p.tag.length + 1).trimEnd();
      const status = rest.split(' ', 1)[0] ?? '';
      p.resolve({ status, line: rest, untagged: p.untagged });
    }
  }
}
