/**
 * What the framer (framer.ts) produces and the state it keeps: the shapes only, so the framer
 * file holds the logic.
 */
import type { Hash } from 'node:crypto';
import type { Direction } from '../../shared/direction.ts';
import type { LiteralKind } from '../../shared/messages.ts';

/**
 * What the client side is sending, as the session tracker knows it:
 * - `normal`: tagged commands; a line ending in `{n}`, `{n+}`, `~{n}` announces a literal.
 * - `sasl`: AUTHENTICATE responses; every line is one message, literal markers mean nothing.
 * - `idle`: the line that ends IDLE (`DONE`); after that one line the framer is back in `normal`
 *   by itself, so a command pipelined right behind `DONE` frames correctly.
 */
export type FramerMode = 'normal' | 'sasl' | 'idle';

/** A literal whose body has fully streamed through. */
export interface FramedLiteral {
  kind: LiteralKind;
  literal8: boolean;
  size: number;
  /** Stream offset of the body's first byte. */
  offset: number;
  /** Index in its line where the marker (`{` or `~{`) starts. */
  markerStart: number;
  /** Lowercase hex sha256 of the whole body; null unless the framer hashes (`hashLiterals`). */
  sha256: string | null;
  /** The first min(size, preview cap) bytes of the body (an owned copy). */
  preview: Buffer;
}

/** The sync literal the server refused: the message ended at its marker. */
export interface RefusedLiteral {
  literal8: boolean;
  size: number;
  markerStart: number;
}

/**
 * One complete message: `lines[i]` (without its line end) is followed by `literals[i]`; so
 * `lines.length === literals.length + 1` unless `messageTooLong` (then both are a prefix).
 * Line buffers may share memory with the chunk that was pushed.
 */
export interface Frame {
  direction: Direction;
  mode: FramerMode;
  offset: number;
  /** Bytes of stream this message spans (line ends and literal bodies included). */
  length: number;
  lines: Buffer[];
  literals: FramedLiteral[];
  /** Some line ended with LF alone. */
  bareLf: boolean;
  /** Some line was longer than the line cap; it is truncated to the cap in `lines`. */
  lineTooLong: boolean;
  /** The message kept more than the message cap; `lines`/`literals` hold a prefix. */
  messageTooLong: boolean;
  refusedLiteral: RefusedLiteral | null;
  /** The stream ended (see {@link Framer.end}) in the middle of this message. */
  incomplete: boolean;
}

/** Caps, defaulting to proxy/limits.ts; tests pass small ones. */
export interface FramerOptions {
  maxLineBytes?: number;
  previewBytes?: number;
  maxMessageBytes?: number;
  /**
   * Hash every literal body (sha256) as it streams through; default false, as in the product
   * (--literal-hashes). Hashing is nearly all of the framer's cost per byte on a bulk FETCH:
   * without it a body is skipped by count and only its preview is copied.
   */
  hashLiterals?: boolean;
}

/** The message being framed (framer-internal). */
export interface Pending {
  offset: number;
  mode: FramerMode;
  lines: Buffer[];
  literals: FramedLiteral[];
  kept: number;
  owned: number;
  bareLf: boolean;
  lineTooLong: boolean;
  tooLong: boolean;
}

/** The literal being read (framer-internal). */
export interface LiteralState {
  kind: LiteralKind;
  literal8: boolean;
  size: number;
  offset: number;
  markerStart: number;
  received: number;
  /** Null when the framer does not hash, or the message is already too long to keep. */
  hash: Hash | null;
  preview: Buffer;
}
