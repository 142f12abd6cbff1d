/** Packing tap batches for posting to the inspection thread (see thread-client.ts). */
import type { Direction } from '../../shared/direction.ts';
import type { TapChunk } from '../transport.ts';
import type { PackedBatch } from './thread-protocol.ts';

/**
 * Packs a batch for posting. A chunk the relay is done with (`owned`) that is the whole of
 * its ArrayBuffer (socket reads are) is transferred as it is: no copy. Anything else (bytes
 * still being written, slices of a shared buffer, a buffer `taken` already for this post) is
 * copied into a buffer of its own. `perDirection`: the batch's bytes of each direction.
 */
export function pack(
  batch: readonly TapChunk[],
  taken: Set<ArrayBufferLike>,
): PackedBatch & { perDirection: Record<Direction, number> } {
  const buffers: ArrayBuffer[] = [];
  const directions: Direction[] = [];
  const ats: number[] = [];
  const perDirection: Record<Direction, number> = { c2s: 0, s2c: 0 };
  let bytes = 0;
  for (const c of batch) {
    const d = c.data;
    const whole =
      c.owned === true &&
      d.byteOffset === 0 &&
      d.byteLength === d.buffer.byteLength &&
      d.buffer instanceof ArrayBuffer &&
      !taken.has(d.buffer);
    let ab: ArrayBuffer;
    if (whole) {
      ab = d.buffer as ArrayBuffer;
    } else {
      const copy = Buffer.allocUnsafeSlow(d.length);
      d.copy(copy);
      ab = copy.buffer as ArrayBuffer;
    }
    taken.add(ab);
    buffers.push(ab);
    directions.push(c.direction);
    ats.push(c.at);
    bytes += d.length;
    perDirection[c.direction] += d.length;
  }
  return { buffers, directions, ats, bytes, perDirection };
}
