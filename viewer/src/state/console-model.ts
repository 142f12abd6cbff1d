/**
 * The console's logic without I/O: what a learner types becomes bytes for the bridge (tags
 * numbered when asked, synchronizing literals held until the server's `+`), and the bytes that
 * come back become transcript lines. The page wires it to the `/console` WebSocket.
 */
import { Emitter } from './emitter.ts';

export interface ConsoleLine {
  /** c2s: sent; s2c: received; note: the console explaining itself. */
  dir: 'c2s' | 's2c' | 'note';
  text: string;
}

/** Lines kept in the transcript; older ones scroll away (the session view keeps everything). */
export const CONSOLE_MAX_LINES = 2000;
/** Bytes of a server literal shown in the transcript; the rest is counted, not kept. */
export const CONSOLE_LITERAL_SHOWN = 16 * 1024;
/** Entries kept in the input history. */
export const CONSOLE_MAX_HISTORY = 200;

const LITERAL_AT_END = /\{(\d+)(\+?)\}$/;
const utf8 = new TextEncoder();

interface PendingLiteral {
  tag: string;
  /** Bytes still owed. */
  size: number;
  /** The server sent `+` (or the literal is non-synchronizing). */
  mayGo: boolean;
  /** Input typed before the `+` came, sent when it does. */
  held: string[];
}

export class ConsoleModel {
  readonly emitter = new Emitter();
  readonly lines: ConsoleLine[] = [];
  readonly history: string[] = [];
  autoTag = true;
  private tagNumber = 0;
  private literal: PendingLiteral | null = null;
  /** The server's last line was a `+` outside a literal: the next input answers it untagged. */
  private continuation = false;
  private inbox = new Uint8Array(0);
  /** Bytes of a server literal still to come before looking for lines again. */
  private serverLiteral = 0;
  /** The shown part of that literal, collected whole so a split never cuts a character. */
  private literalParts: Uint8Array[] = [];
  private literalKept = 0;
  private literalSize = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  /** Where typed bytes go (the page attaches its WebSocket; nothing is sent before). */
  private send: (bytes: Uint8Array) => void = () => undefined;

  attach(send: (bytes: Uint8Array) => void): void {
    this.send = send;
  }

  setAutoTag(on: boolean): void {
    this.autoTag = on;
    this.emitter.changed();
  }

  /** What the next auto tag will be (A0001, A0002…). */
  get nextTag(): string {
    return `A${String(this.tagNumber + 1).padStart(4, '0')}`;
  }

  /** Whether input now goes out as a literal's bytes (after `{n}` was sent). */
  get awaitingLiteral(): { size: number; mayGo: boolean } | null {
    return this.literal && { size: this.literal.size, mayGo: this.literal.mayGo };
  }

  /** One line typed by the learner (without CRLF). */
  submit(input: string): void {
    if (input.trim() !== '' && this.history.at(-1) !== input) {
      this.history.push(input);
      if (this.history.length > CONSOLE_MAX_HISTORY) this.history.shift();
    }
    if (this.literal) {
      if (!this.literal.mayGo) {
        this.literal.held.push(input);
        this.note(`held until the server's + (it has not asked for the literal yet)`);
      } else this.literalBody(input);
      this.emitter.changed();
      return;
    }
    const untagged = !this.autoTag || this.continuation || /^DONE$/i.test(input.trim());
    const line = untagged ? input : `${this.takeTag()} ${input}`;
    this.continuation = false;
    this.line(line);
    this.emitter.changed();
  }

  /** Bytes from the bridge. */
  receive(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.inbox.length + bytes.length);
    joined.set(this.inbox);
    joined.set(bytes, this.inbox.length);
    let at = 0;
    for (;;) {
      if (this.serverLiteral > 0) {
        const n = Math.min(this.serverLiteral, joined.length - at);
        const keep = Math.min(n, CONSOLE_LITERAL_SHOWN - this.literalKept);
        if (keep > 0) this.literalParts.push(joined.slice(at, at + keep));
        this.literalKept += keep;
        this.serverLiteral -= n;
        at += n;
        if (this.serverLiteral > 0) break;
        this.literalDone();
      }
      const nl = indexOfCrlf(joined, at);
      if (nl < 0) break;
      this.heard(this.decoder.decode(joined.subarray(at, nl)));
      at = nl + 2;
    }
    this.inbox = joined.slice(at);
    this.emitter.changed();
  }

  /** A one-click example: always tagged (with the next number), whatever the auto-tag setting. */
  example(command: string): void {
    this.continuation = false;
    const saved = this.autoTag;
    this.autoTag = true;
    this.submit(command);
    this.autoTag = saved;
  }

  note(text: string): void {
    this.push({ dir: 'note', text });
  }

  private takeTag(): string {
    const tag = this.nextTag;
    this.tagNumber++;
    return tag;
  }

  /** Sends a command line (or the rest of one after a literal), noticing a literal at its end. */
  private line(text: string): void {
    const m = LITERAL_AT_END.exec(text);
    this.send(utf8.encode(`${text}\r\n`));
    // An empty rest after a literal is just the CRLF that ends the command.
    if (text !== '') this.show('c2s', text);
    if (!m) return;
    const nonSync = m[2] === '+';
    this.literal = { tag: text.split(' ')[0] ?? '', size: Number(m[1]), mayGo: nonSync, held: [] };
    this.note(
      nonSync
        ? `LITERAL+: type the ${m[1]} bytes now, no need to wait`
        : `{${m[1]}}: waiting for the server's + before sending ${m[1]} bytes`,
    );
    if (this.literal.size === 0) this.literalBody('');
  }

  /** Input while a literal is owed: its first bytes are the literal, the rest ends the command. */
  private literalBody(input: string): void {
    const lit = this.literal!;
    const bytes = utf8.encode(input);
    const body = bytes.subarray(0, lit.size);
    if (body.length > 0) this.send(body);
    this.show('c2s', this.decoder.decode(body));
    lit.size -= body.length;
    if (lit.size > 0) {
      this.note(`${lit.size} more bytes of the literal to go`);
      return;
    }
    this.literal = null;
    // What follows the literal continues the command line (may announce another literal).
    this.line(this.decoder.decode(bytes.subarray(body.length)));
  }

  private literalDone(): void {
    const all = new Uint8Array(this.literalKept);
    let o = 0;
    for (const p of this.literalParts) {
      all.set(p, o);
      o += p.length;
    }
    this.show('s2c', this.decoder.decode(all));
    if (this.literalSize > this.literalKept)
      this.note(`… ${this.literalSize - this.literalKept} more bytes of the literal`);
    this.literalParts = [];
    this.literalKept = 0;
  }

  private heard(text: string): void {
    this.show('s2c', text);
    const m = LITERAL_AT_END.exec(text);
    if (m && !text.startsWith('+')) {
      this.serverLiteral = this.literalSize = Number(m[1]);
      if (this.serverLiteral === 0) this.literalDone();
    }
    if (text.startsWith('+')) {
      if (this.literal && !this.literal.mayGo) {
        this.literal.mayGo = true;
        for (const h of this.literal.held.splice(0)) if (this.literal) this.literalBody(h);
      } else if (!this.literal) this.continuation = true;
      return;
    }
    const [tag, status] = text.split(' ');
    if (tag && tag !== '*') {
      this.continuation = false;
      if (this.literal?.tag === tag && !this.literal.mayGo && /^(NO|BAD)$/i.test(status ?? '')) {
        this.note(`the server refused the literal: it is not sent`);
        this.literal = null;
      }
    }
  }

  private show(dir: 'c2s' | 's2c', text: string): void {
    this.push({ dir, text });
  }

  private push(l: ConsoleLine): void {
    this.lines.push(l);
    if (this.lines.length > CONSOLE_MAX_LINES) this.lines.shift();
  }
}

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}
