/**
 * Inspection time for N pipelined NOOPs (issue 11, finding 2): one client write of N `tag NOOP`
 * lines, then one server write of their N completions, through a SessionPipeline (decode, pair,
 * lint). The same-run baseline is decoding the same bytes alone (WireDecoder per direction), so
 * the difference is the session layer's share. Before the fix, 10,000 took 19 s of inspection
 * and 100,000 never finished. Run standalone:
 *   node --import tsx test/bench/pipelined-noops.ts
 */
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { WireDecoder } from '../../proxy/wire/index.ts';

export interface PipelinedNoopsRow {
  commands: number;
  /** ms to inspect both writes through SessionPipeline. */
  pipelineMs: number;
  /** ms to decode the same bytes without the session layer (baseline). */
  decodeMs: number;
  events: number;
}

function writes(n: number): { c2s: Buffer; s2c: Buffer } {
  const c: string[] = [];
  const s: string[] = [];
  for (let i = 0; i < n; i++) {
    c.push(`n${i} NOOP\r\n`);
    s.push(`n${i} OK NOOP completed\r\n`);
  }
  return { c2s: Buffer.from(c.join('')), s2c: Buffer.from(s.join('')) };
}

export function benchPipelinedNoops(sizes = [10_000, 50_000, 100_000]): PipelinedNoopsRow[] {
  return sizes.map((n) => {
    const { c2s, s2c } = writes(n);
    let t = performance.now();
    const p = new SessionPipeline({
      session: 'bench',
      client: { host: '127.0.0.1', port: 1 },
      upstream: { host: '127.0.0.1', port: 2 },
      startedAt: 0,
    });
    let events = p.push([{ direction: 's2c', data: Buffer.from('* PREAUTH ready\r\n'), at: 1 }])
      .events.length;
    events += p.push([{ direction: 'c2s', data: c2s, at: 2 }]).events.length;
    events += p.push([{ direction: 's2c', data: s2c, at: 3 }]).events.length;
    const pipelineMs = performance.now() - t;
    t = performance.now();
    new WireDecoder('c2s').push(c2s);
    new WireDecoder('s2c').push(Buffer.concat([Buffer.from('* PREAUTH ready\r\n'), s2c]));
    const decodeMs = performance.now() - t;
    return { commands: n, pipelineMs, decodeMs, events };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| pipelined NOOPs | SessionPipeline ms | decode-only ms (baseline) | events |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const r of benchPipelinedNoops()) {
    console.log(
      `| ${r.commands.toLocaleString('en')} | ${r.pipelineMs.toFixed(0)} | ${r.decodeMs.toFixed(0)} | ${r.events.toLocaleString('en')} |`,
    );
  }
}
