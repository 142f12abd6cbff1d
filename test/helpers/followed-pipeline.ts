/**
 * The inner inspector a TransportFollower needs in tests, as the inspection thread builds it
 * (thread.ts): the session's real pipeline with `stopAtSwitch`, so that its tracker says where
 * COMPRESS and STARTTLS switched the transport. It records what the pipeline took (the
 * plaintext, each batch up to the switch), the transport events and gaps it got.
 */
import { createSessionInspector } from '../../proxy/inspection/pipeline.ts';
import type { SwitchingInspector } from '../../proxy/inspection/transport-follower.ts';
import type { TapChunk, TransportEvent } from '../../proxy/transport.ts';
import type { Direction } from '../../shared/direction.ts';

export interface PipelineRecord {
  /** The plaintext chunks the pipeline took, copied (tap chunks are only lent). */
  chunks: TapChunk[];
  transport: TransportEvent[];
  gaps: Direction[];
  closed: boolean;
}

/** A recording pipeline for one session; `record` fills as the follower hands bytes on. */
export function followedPipeline(
  record: PipelineRecord = { chunks: [], transport: [], gaps: [], closed: false },
): { inner: SwitchingInspector; record: PipelineRecord } {
  const tracking = createSessionInspector(
    {
      id: 'followed',
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
      startedAt: 0,
    },
    { hub: { publish() {}, raw() {} }, stopAtSwitch: true },
  );
  const inner: SwitchingInspector = {
    chunks(batch) {
      const copy = batch.map((c) => ({ ...c, data: Buffer.from(c.data) }));
      const boundary = tracking.chunks(batch);
      if (boundary === null) record.chunks.push(...copy);
      else {
        const cut = copy[boundary.index]!;
        record.chunks.push(...copy.slice(0, boundary.index), {
          ...cut,
          data: cut.data.subarray(0, boundary.end),
        });
      }
      return boundary;
    },
    gap(direction, droppedChunks, droppedBytes, at) {
      record.gaps.push(direction);
      tracking.gap(direction, droppedChunks, droppedBytes, at);
    },
    transport(event) {
      record.transport.push(event);
      tracking.transport?.(event);
    },
    close() {
      record.closed = true;
      tracking.close();
    },
  };
  return { inner, record };
}

/** The plaintext of one direction the pipeline took, as latin1 text. */
export function taken(record: PipelineRecord, direction: Direction): string {
  return Buffer.concat(
    record.chunks.filter((c) => c.direction === direction).map((c) => c.data),
  ).toString('latin1');
}
