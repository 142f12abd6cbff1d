/**
 * The relay thread's SlabPacker (inspection/slabs.ts): tap chunks copied into slabs that are
 * transferred to the inspection thread and given back for reuse.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { INSPECTION_SLAB_POOL_BYTES, INSPECTION_SLAB_SIZES } from '../../proxy/limits.ts';
import { SlabPacker } from '../../proxy/inspection/slabs.ts';
import type { Direction } from '../../shared/direction.ts';
import type { TapChunk } from '../../proxy/transport.ts';

const chunk = (direction: Direction, data: Buffer, at = 5): TapChunk => ({ direction, data, at });
const SMALLEST = INSPECTION_SLAB_SIZES[0];
const LARGEST = INSPECTION_SLAB_SIZES[INSPECTION_SLAB_SIZES.length - 1]!;

/** What the inspection thread makes of a packed batch: the chunks' bytes, as it reads them. */
function unpacked(p: ReturnType<SlabPacker['pack']>): Buffer[] {
  return p.buffers.map((ab, i) => Buffer.from(ab, p.offsets[i], p.lengths[i]));
}

describe('SlabPacker', () => {
  it('gives back each chunk byte for byte, with its direction and time, whatever the sizes', () => {
    const packer = new SlabPacker();
    const sizes = [0, 1, 17, SMALLEST - 1, SMALLEST, SMALLEST + 1, 65_536, 300_000, LARGEST + 5];
    const batch = sizes.map((n, i) => chunk(i % 2 ? 'c2s' : 's2c', randomBytes(n), i));
    const p = packer.pack(batch);
    const out = unpacked(p);
    expect(out.map((b) => b.length)).toEqual(sizes);
    batch.forEach((c, i) => expect(out[i]!.equals(c.data)).toBe(true));
    expect(p.directions).toEqual(batch.map((c) => c.direction));
    expect(p.ats).toEqual(batch.map((c) => c.at));
    const sum = (d: Direction): number =>
      batch.filter((c) => c.direction === d).reduce((a, c) => a + c.data.length, 0);
    expect(p.perDirection).toEqual({ c2s: sum('c2s'), s2c: sum('s2c') });
    expect(p.bytes).toBe(sum('c2s') + sum('s2c'));
  });

  it("keeps none of the chunk's own memory: a chunk overwritten after packing changes nothing", () => {
    const packer = new SlabPacker();
    const data = Buffer.from('a1 OK done\r\n');
    const p = packer.pack([chunk('s2c', data)]);
    data.fill(0x23);
    expect(unpacked(p)[0]!.toString()).toBe('a1 OK done\r\n');
  });

  it('lists each slab once for the transfer, and packs several chunks into one', () => {
    const packer = new SlabPacker();
    const a = packer.pack([chunk('c2s', Buffer.from('a1 NOOP\r\n'))]);
    const b = packer.pack([chunk('s2c', Buffer.from('a1 OK\r\n')), chunk('c2s', Buffer.from('x'))]);
    const slabs = packer.take();
    expect(slabs).toHaveLength(1);
    expect(new Set([...a.buffers, ...b.buffers])).toEqual(new Set(slabs));
    expect(slabs[0]!.byteLength).toBe(SMALLEST);
    // After take(), packing starts a new slab: the posted one belongs to the other thread now.
    const c = packer.pack([chunk('c2s', Buffer.from('a2 NOOP\r\n'))]);
    expect(c.buffers[0]).not.toBe(slabs[0]);
  });

  it('takes larger slabs as a post grows, up to the largest size', () => {
    const packer = new SlabPacker();
    const piece = randomBytes(64 * 1024);
    for (let i = 0; i < 40; i++) packer.pack([chunk('s2c', piece)]);
    const sizes = packer.take().map((ab) => ab.byteLength);
    expect(sizes[0]).toBe(64 * 1024);
    expect(Math.max(...sizes)).toBe(LARGEST);
    for (const s of sizes) expect(INSPECTION_SLAB_SIZES).toContain(s);
    expect(sizes.reduce((a, s) => a + s, 0)).toBeLessThan(2 * 40 * piece.length);
  });

  it('reuses slabs given back instead of allocating new ones', () => {
    const packer = new SlabPacker();
    packer.pack([chunk('c2s', Buffer.from('a1 NOOP\r\n'))]);
    const posted = packer.take();
    packer.give(posted);
    expect(packer.pooledBytes).toBe(SMALLEST);
    const p = packer.pack([chunk('c2s', Buffer.from('a2 NOOP\r\n'))]);
    expect(p.buffers[0]).toBe(posted[0]);
    expect(packer.pooledBytes).toBe(0);
  });

  it('joins a chunk to the one before it when it has the same direction and millisecond and follows it in the slab, and only then', () => {
    const packer = new SlabPacker();
    const pieces = ['a1 FETCH 1 ', '(BODY[] {5}\r\nhello', ')\r\n', 'a1 OK\r\n', 'b1 NOOP\r\n'];
    const p = packer.pack([
      chunk('s2c', Buffer.from(pieces[0]!), 7),
      chunk('s2c', Buffer.from(pieces[1]!), 7),
      chunk('s2c', Buffer.from(pieces[2]!), 7),
      chunk('s2c', Buffer.from(pieces[3]!), 8),
      chunk('c2s', Buffer.from(pieces[4]!), 8),
    ]);
    expect(p.directions).toEqual(['s2c', 's2c', 'c2s']);
    expect(p.ats).toEqual([7, 8, 8]);
    expect(unpacked(p).map((b) => b.toString())).toEqual([
      pieces.slice(0, 3).join(''),
      pieces[3],
      pieces[4],
    ]);
    expect(p.bytes).toBe(pieces.join('').length);
    // A chunk that needs a new slab starts a new one, even in the same millisecond.
    const big = new SlabPacker();
    const first = randomBytes(10);
    const second = randomBytes(INSPECTION_SLAB_SIZES[0]!);
    const q = big.pack([chunk('s2c', first, 9), chunk('s2c', second, 9)]);
    expect(q.lengths).toHaveLength(2);
    expect(Buffer.concat(unpacked(q)).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('pools at most its bound; odd sizes and detached buffers are never pooled', () => {
    const packer = new SlabPacker(2 * LARGEST);
    packer.give([1, 2, 3].map(() => new ArrayBuffer(LARGEST)));
    expect(packer.pooledBytes).toBe(2 * LARGEST);
    packer.give([new ArrayBuffer(LARGEST + 5), new ArrayBuffer(SMALLEST - 1)]);
    expect(packer.pooledBytes).toBe(2 * LARGEST);
    const detached = new ArrayBuffer(SMALLEST);
    structuredClone(detached, { transfer: [detached] });
    packer.give([detached]);
    expect(packer.pooledBytes).toBe(2 * LARGEST);
    expect(INSPECTION_SLAB_POOL_BYTES).toBeGreaterThanOrEqual(LARGEST);
  });
});
