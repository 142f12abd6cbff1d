/**
 * COMPRESS=DEFLATE (RFC 4978) for inspection, on the inspection thread. The relay forwards
 * compressed bytes unchanged and tees them as they are; this inspector, placed in front of the
 * session's pipeline, finds the COMPRESS command and its tagged OK in the plaintext and from
 * then on hands on inflated bytes: s2c from the byte after the OK line, c2s from the byte after
 * the command line (the client sends nothing in between; if it did, those bytes are compressed
 * only if the answer is OK).
 *
 * It also ends inspection where the bytes stop being IMAP for an observer: after a STARTTLS
 * that succeeded end to end without imapscope in it (--client-tls none), and after corrupt
 * deflate data or a gap inside a deflate stream. The relay is never affected: it runs in
 * another thread and neither scans nor inflates (issue 12).
 */
import type { Direction } from '../../shared/direction.ts';
import { MAX_TRANSPORT_HOLD_BYTES } from '../limits.ts';
import { LineScanner, commandOf, taggedStatus } from '../net/lines.ts';
import type {
  SessionInspector,
  TapChunk,
  TransportEvent,
  TransportNoticeCode,
} from '../transport.ts';
import { StreamingInflater } from './inflate.ts';

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
 * Wraps a session's inspector: passes chunks through (inflated after COMPRESS), transport
 * events through in order, and adds compress.started and its own notices.
 */
export class TransportFollower implements SessionInspector {
  private readonly lines: Record<Direction, LineScanner> = {
    c2s: new LineScanner(),
    s2c: new LineScanner(),
  };
  private readonly inflaters: Partial<Record<Direction, StreamingInflater>> = {};
  private compressTag: string | null = null;
  private starttlsTag: string | null = null;
  private heldC2s: TapChunk[] = [];
  private heldBytes = 0;
  private stopped = false;
  private out: TapChunk[] = [];

  /**
   * @param inner the session's inspector
   * @param interceptsStarttls whether the relay terminates STARTTLS itself (--client-tls
   *   starttls); when not, a successful STARTTLS means ciphertext from there on
   */
  constructor(
    private readonly inner: SessionInspector,
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
    for (const chunk of batch) {
      if (this.stopped) break;
      this.one(chunk);
    }
    this.flush();
  }

  gap(direction: Direction, droppedChunks: number, droppedBytes: number, at?: number): void {
    this.flush();
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
    this.flush();
    this.inner.transport?.(event);
  }

  close(): void {
    this.flush();
    for (const inflater of Object.values(this.inflaters)) inflater.close();
    this.inner.close();
  }

  private one(chunk: TapChunk): void {
    if (this.stopped) return;
    const { direction, data } = chunk;
    const inflater = this.inflaters[direction];
    if (inflater) return this.inflate(inflater, chunk, data);
    if (direction === 'c2s' && this.compressTag !== null) {
      // Held past this call, and chunks are only lent for it (slabs.ts): a copy.
      this.heldC2s.push({ ...chunk, data: Buffer.from(data) });
      this.heldBytes += data.length;
      if (this.heldBytes > MAX_TRANSPORT_HOLD_BYTES) {
        this.stop(
          'COMPRESS_CORRUPT',
          'c2s',
          'the client sent too much while COMPRESS was unanswered',
        );
      }
      return;
    }
    const scanner = this.lines[direction];
    let pos = 0;
    for (let line = scanner.next(data, pos); line; line = scanner.next(data, pos)) {
      pos = line.end;
      if (direction === 'c2s') {
        const cmd = commandOf(line);
        if (cmd?.name === 'COMPRESS' && /^ DEFLATE$/i.test(cmd.rest)) {
          this.compressTag = cmd.tag;
          this.emit(chunk, data.subarray(0, line.end));
          if (line.end < data.length) this.one({ ...chunk, data: data.subarray(line.end) });
          return;
        }
        if (cmd?.name === 'STARTTLS' && cmd.rest === '' && !this.interceptsStarttls)
          this.starttlsTag = cmd.tag;
        continue;
      }
      if (this.compressTag !== null) {
        const status = taggedStatus(line, this.compressTag);
        if (status) {
          this.emit(chunk, data.subarray(0, line.end));
          this.answerCompress(status, chunk, data.subarray(line.end));
          return;
        }
      }
      if (this.starttlsTag !== null && taggedStatus(line, this.starttlsTag) === 'OK') {
        this.emit(chunk, data.subarray(0, line.end));
        this.stop(
          'STARTTLS_PASSTHROUGH',
          null,
          'STARTTLS went end to end between client and server; from here the bytes are ciphertext ' +
            '(run with --client-tls starttls to inspect inside)',
        );
        return;
      }
    }
    this.emit(chunk, data);
  }

  private answerCompress(status: 'OK' | 'NO' | 'BAD', chunk: TapChunk, rest: Buffer): void {
    const tag = this.compressTag!;
    this.compressTag = null;
    const held = this.heldC2s;
    this.heldC2s = [];
    this.heldBytes = 0;
    if (status !== 'OK') {
      for (const h of held) this.one(h);
      if (rest.length > 0) this.one({ ...chunk, data: rest });
      return;
    }
    this.flush();
    this.inner.transport?.({ type: 'compress.started', algorithm: 'DEFLATE', tag, at: chunk.at });
    this.options.onState?.('compressed');
    this.inflaters.s2c = new StreamingInflater();
    this.inflaters.c2s = new StreamingInflater();
    for (const h of held) this.one(h);
    if (rest.length > 0) this.one({ ...chunk, data: rest });
  }

  private inflate(inflater: StreamingInflater, chunk: TapChunk, data: Buffer): void {
    const r = inflater.push(data);
    if (!r.ok) {
      this.stop(
        'COMPRESS_CORRUPT',
        chunk.direction,
        `corrupt deflate data: ${r.error}; inspection of this session stops`,
      );
      return;
    }
    this.emit(chunk, r.data);
  }

  private emit(chunk: TapChunk, data: Buffer): void {
    if (data.length === 0) return;
    this.out.push(data === chunk.data ? chunk : { direction: chunk.direction, data, at: chunk.at });
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    this.inner.chunks(batch);
  }

  private stop(code: TransportNoticeCode, direction: Direction | null, message: string): void {
    this.flush();
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
