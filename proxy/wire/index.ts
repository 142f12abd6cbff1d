/** The wire layer: bytes of one direction → frames → messages. Sans-I/O. */
export { WireDecoder } from './decoder.ts';
export { decodeFrame, rawText, type DecodeOptions } from './decode.ts';
export {
  Framer,
  type Frame,
  type FramedLiteral,
  type FramerMode,
  type FramerOptions,
  type RefusedLiteral,
} from './framer.ts';
export { decodeModifiedUtf7, mailboxName } from './utf7.ts';
