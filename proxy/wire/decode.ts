/**
 * Frames → messages. Every failure is a value: a frame that does not parse becomes a Malformed
 * message carrying a stable code, a reason and the raw text, and the next frame decodes as usual.
 */
import { isUtf8 } from 'node:buffer';
import type { Malformed, MalformedCode, Message, MessageBase } from '../../shared/messages.ts';
import { decodeCommand } from './command.ts';
import type { Frame } from './framer.ts';
import { decodeResponse } from './response.ts';
import { Reader, WireSyntaxError } from './tokens.ts';

export interface DecodeOptions {
  /** s2c: this frame is the first of the stream, so an untagged OK/PREAUTH/BYE is the greeting. */
  greeting?: boolean;
}

/**
 * Decodes one frame of either direction into a message. Never throws. Frames flagged by the
 * framer decode to Malformed: `incomplete` → ERR_WIRE_INCOMPLETE, `lineTooLong` →
 * ERR_WIRE_LINE_TOO_LONG, `messageTooLong` → ERR_WIRE_MESSAGE_TOO_LONG; grammar errors →
 * ERR_WIRE_SYNTAX, nesting past MAX_NESTING_DEPTH → ERR_WIRE_TOO_DEEP.
 */
export function decodeFrame(frame: Frame, options: DecodeOptions = {}): Message {
  const m = decodeUnchecked(frame, options);
  if (m.type !== 'malformed' || frame.lines.every((l) => isUtf8(l))) return m;
  // `raw` shows U+FFFD for the bytes that are not UTF-8; keep the bytes themselves beside it.
  const crlf = Buffer.from('\r\n');
  const bytes = Buffer.concat(frame.lines.flatMap((l, i) => (i === 0 ? [l] : [crlf, l])));
  return { ...m, rawHex: bytes.toString('hex') };
}

function decodeUnchecked(frame: Frame, options: DecodeOptions): Message {
  const base: MessageBase = {
    direction: frame.direction,
    offset: frame.offset,
    length: frame.length,
    raw: rawText(frame),
    bareLf: frame.bareLf,
  };
  if (frame.incomplete)
    return malformed(base, 'ERR_WIRE_INCOMPLETE', 'the stream ended inside this message');
  if (frame.lineTooLong)
    return malformed(base, 'ERR_WIRE_LINE_TOO_LONG', 'a line is longer than the line cap');
  if (frame.messageTooLong) {
    return malformed(
      base,
      'ERR_WIRE_MESSAGE_TOO_LONG',
      'the message is longer than the message cap',
    );
  }
  try {
    const r = new Reader(frame);
    if (frame.direction === 'c2s') return decodeCommand(r, base, frame.mode);
    return decodeResponse(r, base, options.greeting === true);
  } catch (err) {
    if (err instanceof WireSyntaxError) return malformed(base, err.code, err.message);
    return malformed(base, 'ERR_WIRE_INTERNAL', err instanceof Error ? err.message : String(err));
  }
}

function malformed(base: MessageBase, code: MalformedCode, reason: string): Malformed {
  return { ...base, type: 'malformed', code, reason };
}

/** The frame's lines as text joined by CRLF; literal bodies are not included. */
export function rawText(frame: Frame): string {
  const lines = frame.lines;
  if (lines.length === 1) return (lines[0] as Buffer).toString('utf8');
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out += '\r\n';
    out += (lines[i] as Buffer).toString('utf8');
  }
  return out;
}
