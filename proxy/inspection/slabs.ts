/**
 * The memory tap bytes travel in from the relay thread to the inspection thread (see
 * thread-client.ts). Each chunk is copied into a slab, an ArrayBuffer holding the chunks of one
 * post; the post transfers its slabs, and the inspection thread gives them back once it has
 * handled the post (chunks are lent to inspection for the call only: what it keeps, it copies),
 * so the same few megabytes go round.
 *
 * Why copy: transferring each socket read's own buffer instead cost no copy, but every read's
 * memory then ended up in the inspection thread, whose garbage collector ran a full
 * mark-compact every few dozen megabytes of it (external memory pressure), on the otherwise
 * idle cores' helper threads as well; a copy into warm memory costs far less. The relay's
 * socket buffers now stay in the relay thread and die young there, as in any relay.
 */
import type { Direction } from '../../shared/direction.ts';
import { INSPECTION_SLAB_POOL_BYTES, INSPECTION_SLAB_SIZES } from '../limits.ts';
import type { TapChunk } from '../transport.ts';
import type { PackedBatch } from './thread-protocol.ts';

const LARGEST = INSPECTION_SLAB_SIZES[INSPECTION_SLAB_SIZES.length - 1]!;

export class SlabPacker {
  /** Free slabs, per size (index into INSPECTION_SLAB_SIZES). */
  private readonly free: ArrayBuffer[][] = INSPECTION_SLAB_SIZES.map(() => []);
  private freeBytes = 0;
  /** The slabs of what was packed since the last {@link take}; the last one is being filled. */
  private filling: ArrayBuffer[] = [];
  /** Bytes used of the last slab in `filling`. */
  private used = 0;
  /** Bytes packed since the last {@link take}. */
  private packed = 0;
  /** Bytes the current post is still to pack, as announced by {@link expect}. */
  private expected = 0;

  constructor(private readonly poolBytes = INSPECTION_SLAB_POOL_BYTES) {}

  /** Free slab bytes kept for reuse. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  /**
   * Announces the bytes the next post will pack (every batch until the next {@link take}), so
   * that its first slab holds them all when they fit the largest size: each slab transferred
   * costs both threads tens of microseconds per post, as much as copying a few hundred KiB.
   */
  expect(bytes: number): void {
    this.expected = bytes;
  }

  /**
   * Copies a batch's chunks into slabs (the chunks' own memory is not kept); returns the batch
   * to post, and its bytes of each direction. A new slab is at least as large as what was
   * packed since the last {@link take}, or as what is still {@link expect}ed of this post, up
   * to the largest size (so a post of a few lines takes a small one and a bulk post one large
   * one); a chunk larger than the largest slab size gets an ArrayBuffer of its own size, never
   * pooled.
   */
  pack(batch: readonly TapChunk[]): PackedBatch & { perDirection: Record<Direction, number> } {
    const buffers: ArrayBuffer[] = [];
    const offsets: number[] = [];
    const lengths: number[] = [];
    const directions: Direction[] = [];
    const ats: number[] = [];
    let c2s = 0;
    let bytes = 0;
    for (const c of batch) {
      const d = c.data;
      let slab = this.filling[this.filling.length - 1];
      if (slab === undefined || slab.byteLength - this.used < d.length) {
        const want = Math.max(this.packed, this.expected);
        slab = this.slab(Math.max(d.length, Math.min(want, LARGEST)));
        this.filling.push(slab);
        this.used = 0;
      }
      new Uint8Array(slab, this.used, d.length).set(d);
      // A chunk that goes on the one before it (same direction, same millisecond, right after
      // it in the same slab) joins it: nothing the chunks say is lost (their times are whole
      // milliseconds), and everything after this costs per chunk. TLS reads come a few KiB at
      // a time: 230 chunks per MB against 16 for plain TCP's 64 KiB reads.
      const k = lengths.length - 1;
      if (
        k >= 0 &&
        buffers[k] === slab &&
        offsets[k]! + lengths[k]! === this.used &&
        directions[k] === c.direction &&
        ats[k] === c.at
      ) {
        lengths[k]! += d.length;
      } else {
        buffers.push(slab);
        offsets.push(this.used);
        lengths.push(d.length);
        directions.push(c.direction);
        ats.push(c.at);
      }
      this.used += d.length;
      this.packed += d.length;
      this.expected = Math.max(0, this.expected - d.length);
      bytes += d.length;
      // Branch-free: code optimized while only one direction flowed (a bulk FETCH) would
      // deoptimize at the first chunk of the other (perDirection[c.direction] += …, or an
      // if), and this function costs a compiler thread tens of ms to compile again.
      c2s += d.length * +(c.direction === 'c2s');
    }
    const perDirection = { c2s, s2c: bytes - c2s };
    return { buffers, offsets, lengths, directions, ats, bytes, perDirection };
  }

  /**
   * The slabs of everything packed since the last call, each once (the transfer list of the
   * post that carries those batches); the next {@link pack} starts a new slab.
   */
  take(): ArrayBuffer[] {
    const slabs = this.filling;
    this.filling = [];
    this.used = 0;
    this.packed = 0;
    this.expected = 0;
    return slabs;
  }

  /**
   * Slabs back from the inspection thread (or taken and never posted): kept for reuse while
   * the pool holds less than its bound. Others (a size that is not a slab size, a detached
   * buffer, the pool full) are left to the garbage collector.
   */
  give(slabs: readonly ArrayBuffer[]): void {
    for (const ab of slabs) {
      const i = (INSPECTION_SLAB_SIZES as readonly number[]).indexOf(ab.byteLength);
      if (i < 0 || this.freeBytes + ab.byteLength > this.poolBytes) continue;
      this.free[i]!.push(ab);
      this.freeBytes += ab.byteLength;
    }
  }

  /** A free slab of the smallest size that holds `min` bytes, or a new one. */
  private slab(min: number): ArrayBuffer {
    const i = INSPECTION_SLAB_SIZES.findIndex((size) => size >= min);
    if (i < 0) return new ArrayBuffer(min);
    const pooled = this.free[i]!.pop();
    if (pooled === undefined) return new ArrayBuffer(INSPECTION_SLAB_SIZES[i]!);
    this.freeBytes -= pooled.byteLength;
    return pooled;
  }
}
