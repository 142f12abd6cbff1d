/**
 * STARTTLS (RFC 9051 §6.2.1, RFC 3501 §6.2.1) for the relay: a sans-I/O watcher that finds
 * the client's STARTTLS command and the server's answer in the forwarded bytes, and the
 * upstream prelude that upgrades the server leg by itself before any client byte is relayed.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LineScanner, commandOf, taggedStatus } from './lines.ts';

/** What to do with one client chunk. */
export type C2sVerdict =
  /** Forward it all. */
  | { kind: 'forward' }
  /** A STARTTLS command ends at `end`: forward `chunk[0, end)`, hold the rest (never forward it in TLS). */
  | { kind: 'starttls'; tag: string; end: number }
  /** A STARTTLS answer is pending: hold the whole chunk. */
  | { kind: 'hold' };

/** What to do with one server chunk. */
export type S2cVerdict =
  /**
   * Forward it all. `done`, when present, is where the watcher stopped (just past a PREAUTH
   * greeting or the OK that authenticated the session): bytes from there on are no longer
   * in the not-authenticated state.
   */
  | { kind: 'forward'; done?: number }
  /** The tagged answer to STARTTLS ends at `end`; bytes after it were sent in plaintext after the answer. */
  | { kind: 'answer'; status: 'OK' | 'NO' | 'BAD'; end: number };

/**
 * Follows both directions while STARTTLS is still possible: before a successful LOGIN or
 * AUTHENTICATE and before a PREAUTH greeting. After that (or after the upgrade, see
 * `upgraded`) it stops scanning and every verdict is `forward`, so the bulk of a session
 * costs nothing. Known blind spot, shared with every line finder that knows no grammar:
 * a synchronizing literal the server refuses is taken as sent.
 */
export class StarttlsWatcher {
  private state: 'watching' | 'pending' | 'done' = 'watching';
  private readonly c2sLines = new LineScanner();
  private readonly s2cLines = new LineScanner();
  private readonly authTags = new Set<string>();
  private pendingTag = '';
  private greeted = false;

  get active(): boolean {
    return this.state !== 'done';
  }

  c2s(chunk: Buffer): C2sVerdict {
    if (this.state === 'done') return { kind: 'forward' };
    if (this.state === 'pending') return { kind: 'hold' };
    let pos = 0;
    for (let line = this.c2sLines.next(chunk, pos); line; line = this.c2sLines.next(chunk, pos)) {
      pos = line.end;
      const cmd = commandOf(line);
      if (!cmd) continue;
      if (cmd.name === 'STARTTLS' && cmd.rest === '') {
        this.state = 'pending';
        this.pendingTag = cmd.tag;
        return { kind: 'starttls', tag: cmd.tag, end: line.end };
      }
      if (cmd.name === 'LOGIN' || cmd.name === 'AUTHENTICATE') this.authTags.add(cmd.tag);
    }
    return { kind: 'forward' };
  }

  s2c(chunk: Buffer): S2cVerdict {
    if (this.state === 'done') return { kind: 'forward' };
    let pos = 0;
    for (let line = this.s2cLines.next(chunk, pos); line; line = this.s2cLines.next(chunk, pos)) {
      pos = line.end;
      if (!this.greeted && !line.continuation) {
        this.greeted = true;
        if (/^\* PREAUTH\b/i.test(line.head)) {
          this.state = 'done';
          return { kind: 'forward', done: line.end };
        }
      }
      if (this.state === 'pending') {
        const status = taggedStatus(line, this.pendingTag);
        if (status) return { kind: 'answer', status, end: line.end };
        continue;
      }
      for (const tag of this.authTags) {
        const status = taggedStatus(line, tag);
        if (status) this.authTags.delete(tag);
        if (status === 'OK') {
          this.state = 'done';
          return { kind: 'forward', done: line.end };
        }
      }
    }
    return { kind: 'forward' };
  }

  /** The server refused STARTTLS: watch again (the relay re-feeds any held bytes through c2s). */
  refused(): void {
    this.state = 'watching';
  }

  /** TLS is up on both legs: STARTTLS cannot come again (RFC 9051 §6.2.1). */
  upgraded(): void {
    this.state = 'done';
  }
}

/** Reads CRLF lines from a socket that is not yet relayed; `release` hands back what is left. */
class PreludeReader {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private error: Error | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  async line(): Promise<string> {
    for (;;) {
      const nl = this.buffered.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buffered.toString('latin1', 0, nl + 1);
        this.buffered = this.buffered.subarray(nl + 1);
        return line;
      }
      if (this.error) throw this.error;
      if (this.buffered.length > 64 * 1024) throw new Error('line too long in the prelude');
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** Stops reading and returns bytes received past the last line read (normally none). */
  release(): Buffer {
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    return this.buffered;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake();
  };
  private readonly onError = (err: Error): void => {
    this.error = err;
    this.wake();
  };
  private readonly onClose = (): void => {
    this.error ??= new Error('the upstream closed the connection');
    this.wake();
  };
  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** How the upstream prelude ended. */
export type PreludeResult =
  | { ok: true; tls: TLSSocket; greeting: Buffer; originalGreeting: string }
  /** The client gets `bye` (a complete `* BYE …\r\n` line) and is closed; `why` is for the log. */
  | { ok: false; bye: string; why: string; code: 'STARTTLS_REFUSED' | 'PRELUDE_FAILED' };

const PRELUDE_TAG = 'imapscope0';
const CAPABILITY_TAG = 'imapscope1';

/**
 * With a plain (or implicit-TLS) client leg and `--upstream-tls starttls`: reads the server's
 * greeting, sends STARTTLS, completes TLS through `handshake`, and returns the greeting the
 * client is shown. The greeting is the server's own line, except that a `[CAPABILITY …]`
 * code in it is replaced by the capabilities the server reports after TLS (asked with
 * CAPABILITY inside TLS), so the client never sees the pre-TLS list (STARTTLS,
 * LOGINDISABLED) of a leg it did not secure itself. A PREAUTH or BYE greeting, or a refused
 * STARTTLS, ends the session with a BYE that says so.
 */
export async function upgradeUpstreamFirst(
  raw: Socket,
  handshake: (raw: Socket) => Promise<TLSSocket>,
): Promise<PreludeResult> {
  const plain = new PreludeReader(raw);
  let greeting: string;
  try {
    greeting = await plain.line();
    if (/^\* BYE\b/i.test(greeting)) {
      return {
        ok: false,
        bye: greeting,
        why: 'the upstream greeted with BYE',
        code: 'PRELUDE_FAILED',
      };
    }
    if (!/^\* OK\b/i.test(greeting)) {
      const why = `the upstream's greeting does not allow STARTTLS: ${greeting.trim().slice(0, 120)}`;
      return {
        ok: false,
        bye: `* BYE [UNAVAILABLE] imapscope: ${why}\r\n`,
        why,
        code: 'PRELUDE_FAILED',
      };
    }
    raw.write(`${PRELUDE_TAG} STARTTLS\r\n`);
    for (;;) {
      const line = await plain.line();
      if (!line.startsWith(`${PRELUDE_TAG} `)) continue;
      if (/^imapscope0 OK\b/i.test(line)) break;
      const why = `the upstream refused STARTTLS: ${line.trim().slice(0, 120)}`;
      return {
        ok: false,
        bye: `* BYE [UNAVAILABLE] imapscope: ${why}\r\n`,
        why,
        code: 'STARTTLS_REFUSED',
      };
    }
  } catch (err) {
    const why = `upstream STARTTLS prelude failed: ${(err as Error).message}`;
    return {
      ok: false,
      bye: `* BYE [UNAVAILABLE] imapscope: ${why}\r\n`,
      why,
      code: 'PRELUDE_FAILED',
    };
  }
  // Bytes after the OK and before the handshake are the server-side injection class: dropped.
  plain.release();
  const tls = await handshake(raw); // throws on a failed handshake or verification: the caller's BYE
  const caps = /^\* OK \[CAPABILITY ([^\]]*)\](.*)$/is.exec(greeting);
  if (!caps)
    return { ok: true, tls, greeting: Buffer.from(greeting, 'latin1'), originalGreeting: greeting };
  const secure = new PreludeReader(tls);
  try {
    tls.resume();
    tls.write(`${CAPABILITY_TAG} CAPABILITY\r\n`);
    let list: string | null = null;
    for (;;) {
      const line = await secure.line();
      const m = /^\* CAPABILITY (.*?)\r?\n$/i.exec(line);
      if (m) list = m[1]!;
      if (line.startsWith(`${CAPABILITY_TAG} `)) break;
    }
    const rest = secure.release();
    if (rest.length > 0) tls.unshift(rest);
    const shown = list === null ? greeting : `* OK [CAPABILITY ${list}]${caps[2]!}`;
    return { ok: true, tls, greeting: Buffer.from(shown, 'latin1'), originalGreeting: greeting };
  } catch (err) {
    tls.destroy();
    const why = `upstream CAPABILITY after STARTTLS failed: ${(err as Error).message}`;
    return {
      ok: false,
      bye: `* BYE [UNAVAILABLE] imapscope: ${why}\r\n`,
      why,
      code: 'PRELUDE_FAILED',
    };
  }
}
