/**
 * COMPRESS=DEFLATE (RFC 4978) for inspection, on the inspection thread. The relay forwards
 * compressed bytes unchanged and tees them as they are; this follower, placed in front of the
 * session's pipeline, hands the pipeline plaintext. It reads no IMAP itself: the pipeline's
 * tracker says where the transport switched (TransportBoundary: the chunk and the byte just
 * past the message that did it), and the follower takes the bytes from there:
 * - after the client's COMPRESS command, it holds the client's bytes (a copy) until the answer;
 * - after the OK, it inflates both directions: s2c from the byte after the OK, c2s from the
 *   byte after the command (what it held first); after NO or BAD it hands on what it held;
 * - after a STARTTLS OK passed through end to end (--client-tls none), and after corrupt
 *   deflate data or a gap inside a deflate stream, it stops: the bytes are not IMAP for an
 *   observer any more.
 * The relay is never affected: it runs in another thread and neither scans nor inflates.
 */
import type { Direction } from '../../shared/direction.ts';
import { MAX_TRANSPORT_HOLD_BYTES } from '../limits.ts';
import type {
  SessionInspector,
  TapChunk,
  TransportEvent,
  TransportNoticeCode,
} from '../transport.ts';
import { StreamingInflater } from './inflate.ts';
import type { TransportBoundary } from './pipeline.ts';

/**
 * Where a session's stream stands once it stopped being plain IMAP text: `compressed` after
 * COMPRESS took effect, `opaque` once inspection stopped (ciphertext or broken deflate data).
 * The relay thread keeps the last one it heard, so that an inspection thread restarted after a
 * crash does not take deflate or TLS bytes for IMAP lines.
 */
export type FollowState = 'compressed' | 'opaque';

export interface FollowerOptions {
  /** The session was already in this state when an earlier inspection thread died. */
  resumedIn?: FollowState;
  /** Called when the state changes (once per state). */
  onState?: (state: FollowState) => void;
}

/**
 * What the follower hands plaintext to: an inspector that takes a batch up to the first
 * transport switch in it and says where that was (null: it took the whole batch). The
 * session's pipeline with `stopAtSwitch` (createSessionInspector) is one.
 */
export interface SwitchingInspector extends SessionInspector {
  chunks(batch: readonly TapChunk[]): TransportBoundary | null;
}

/**
 * Wraps a session's inspector: passes chunks through (inflated after COMPRESS), transport
 * events through in order, and adds compress.started and its own notices.
 */
export class TransportFollower implements SessionInspector {
  private readonly inflaters: Partial<Record<Direction, StreamingInflater>> = {};
  /** The client sent COMPRESS and the server has not answered: its bytes wait in `held`. */
  private compressing = false;
  private held: TapChunk[] = [];
  private heldBytes = 0;
  private stopped = false;

  /**
   * @param inner the session's inspector
   * @param interceptsStarttls whether the relay terminates STARTTLS itself (--client-tls
   *   starttls); when not, a successful STARTTLS means ciphertext from there on
   */
  constructor(
    private readonly inner: SwitchingInspector,
    private readonly interceptsStarttls: boolean,
    private readonly options: FollowerOptions = {},
  ) {
    if (options.resumedIn === undefined) return;
    // The inflaters' windows died with the thread that held them: nothing after can be inflated.
    this.stopped = true;
    if (options.resumedIn === 'compressed') {
      this.notify(
        'COMPRESS_CORRUPT',
        null,
        'inspection restarted inside a deflate stream; it cannot be inflated from there',
      );
    }
  }

  chunks(batch: readonly TapChunk[]): void {
    let todo = batch;
    let i = 0;
    while (i < todo.length && !this.stopped) {
      if (this.inflaters.s2c) return this.inflateAll(todo, i);
      if (this.compressing && todo[i]!.direction === 'c2s') {
        this.hold(todo[i++]!);
        continue;
      }
      // The longest run the pipeline may take as it is: all of it, but for client bytes that
      // wait for a COMPRESS answer.
      let n = i + 1;
      if (this.compressing) while (n < todo.length && todo[n]!.direction === 's2c') n++;
      else n = todo.length;
      const run = i === 0 && n === todo.length ? todo : todo.slice(i, n);
      const boundary = this.inner.chunks(run);
      if (boundary === null) {
        i = n;
        continue;
      }
      const cut = run[boundary.index]!;
      todo = this.switched(boundary, cut, untaken(cut, boundary.end, todo, i + boundary.index + 1));
      i = 0;
    }
  }

  gap(direction: Direction, droppedChunks: number, droppedBytes: number, at?: number): void {
    // Passed on even once inspection stopped: the raw bytes behind it have the hole too.
    this.inner.gap(direction, droppedChunks, droppedBytes, at);
    if (!this.stopped && this.inflaters[direction]) {
      this.stop(
        'COMPRESS_CORRUPT',
        direction,
        'bytes were lost inside a deflate stream; it cannot be inflated past them',
      );
    }
  }

  transport(event: TransportEvent): void {
    this.inner.transport?.(event);
  }

  close(): void {
    for (const inflater of Object.values(this.inflaters)) inflater.close();
    this.inner.close();
  }

  /**
   * Acts on the switch the pipeline found in `cut`; returns the chunks to go on with: `rest`
   * (the bytes after the switch, then the batch's later chunks), after the held ones if the
   * switch released them.
   */
  private switched(b: TransportBoundary, cut: TapChunk, rest: TapChunk[]): TapChunk[] {
    if (b.kind === 'starttls') {
      if (this.interceptsStarttls) return rest;
      this.stop(
        'STARTTLS_PASSTHROUGH',
        null,
        'STARTTLS went end to end between client and server; from here the bytes are ciphertext ' +
          '(run with --client-tls starttls to inspect inside)',
      );
      return [];
    }
    if (b.status === null) {
      this.compressing = true;
      return rest;
    }
    const held = this.held;
    this.compressing = false;
    this.held = [];
    this.heldBytes = 0;
    if (b.status === 'OK') {
      this.inner.transport?.({
        type: 'compress.started',
        algorithm: 'DEFLATE',
        tag: b.tag,
        at: cut.at,
      });
      this.options.onState?.('compressed');
      this.inflaters.s2c = new StreamingInflater();
      this.inflaters.c2s = new StreamingInflater();
    }
    return held.length === 0 ? rest : [...held, ...rest];
  }

  private hold(chunk: TapChunk): void {
    // Held past this call, and chunks are only lent for it (slabs.ts): a copy.
    this.held.push({ ...chunk, data: Buffer.from(chunk.data) });
    this.heldBytes += chunk.data.length;
    if (this.heldBytes > MAX_TRANSPORT_HOLD_BYTES) {
      this.stop(
        'COMPRESS_CORRUPT',
        'c2s',
        'the client sent too much while COMPRESS was unanswered',
      );
    }
  }

  /** Inflates `todo` from `from` and hands the plaintext on, in one batch. */
  private inflateAll(todo: readonly TapChunk[], from: number): void {
    const out: TapChunk[] = [];
    for (let i = from; i < todo.length; i++) {
      const chunk = todo[i]!;
      const r = this.inflaters[chunk.direction]!.push(chunk.data);
      if (!r.ok) {
        this.handOn(out);
        if (this.stopped) return;
        this.stop(
          'COMPRESS_CORRUPT',
          chunk.direction,
          `corrupt deflate data: ${r.error}; inspection of this session stops`,
        );
        return;
      }
      if (r.data.length > 0) out.push({ direction: chunk.direction, data: r.data, at: chunk.at });
    }
    this.handOn(out);
  }

  /**
   * Hands inflated plaintext to the pipeline. A switch inside it can only be a STARTTLS (a
   * second COMPRESS switches nothing): passed through end to end it stops inspection; else the
   * pipeline takes the rest, already plaintext.
   */
  private handOn(plain: TapChunk[]): void {
    let todo = plain;
    while (todo.length > 0 && !this.stopped) {
      const b = this.inner.chunks(todo);
      if (b === null) return;
      const cut = todo[b.index]!;
      const rest = untaken(cut, b.end, todo, b.index + 1);
      if (b.kind === 'starttls' && !this.interceptsStarttls) this.switched(b, cut, rest);
      todo = rest;
    }
  }

  private stop(code: TransportNoticeCode, direction: Direction | null, message: string): void {
    this.stopped = true;
    for (const inflater of Object.values(this.inflaters)) inflater.close();
    this.options.onState?.('opaque');
    this.notify(code, direction, message);
  }

  private notify(code: TransportNoticeCode, direction: Direction | null, message: string): void {
    this.inner.transport?.({
      type: 'transport.notice',
      code,
      direction,
      message,
      bytes: 0,
      at: Date.now(),
    });
  }
}

/** What a boundary left untaken: `cut`'s bytes from `end` (views, used at once), then `todo` from `next`. */
function untaken(cut: TapChunk, end: number, todo: readonly TapChunk[], next: number): TapChunk[] {
  const rest: TapChunk[] = [];
  if (end < cut.data.length) rest.push({ ...cut, data: cut.data.subarray(end) });
  for (let k = next; k < todo.length; k++) rest.push(todo[k]!);
  return rest;
}
