/** Drives a SessionPipeline with a scripted dialog: each step is one chunk of one direction. */
import type { ImapscopeEvent } from '../../shared/events.ts';
import {
  SessionPipeline,
  type PipelineOptions,
  type RawChunk,
} from '../../proxy/inspection/pipeline.ts';
import type { TransportEvent } from '../../proxy/net/tap.ts';

/** `C:` client bytes, `S:` server bytes (one chunk each, CRLF not added), or a transport event. */
export type Step = `C:${string}` | `S:${string}` | { transport: WithoutAt<TransportEvent> };

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> : never;

export interface Run {
  events: ImapscopeEvent[];
  /** The raw chunks the pipeline released (masked), in order. */
  raw: RawChunk[];
  /** The released bytes of one direction, joined. */
  bytes(direction: 'c2s' | 's2c'): Buffer;
  pipeline: SessionPipeline;
  of<T extends ImapscopeEvent['type']>(type: T): Extract<ImapscopeEvent, { type: T }>[];
  /** Lint codes in order. */
  lintCodes(): string[];
  /** The state path, starting with not-authenticated. */
  states(): string[];
}

/** Chunk `i` is stamped `at = 1000 + 10 * i`, so latencies are multiples of 10 ms. */
export function run(steps: Step[], options: Partial<PipelineOptions> = {}, close = true): Run {
  const pipeline = new SessionPipeline({
    session: 'test',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
    ...options,
  });
  const events: ImapscopeEvent[] = [];
  const raw: RawChunk[] = [];
  steps.forEach((step, i) => {
    const at = 1000 + 10 * (i + 1);
    if (typeof step !== 'string') {
      events.push(...pipeline.transport({ ...step.transport, at } as TransportEvent).events);
      return;
    }
    const direction = step.startsWith('C:') ? 'c2s' : 's2c';
    const out = pipeline.push([{ direction, data: Buffer.from(step.slice(2), 'utf8'), at }]);
    events.push(...out.events);
    raw.push(...out.raw);
  });
  if (close) {
    const at = 1000 + 10 * (steps.length + 1);
    const out = pipeline.close({ bytes: { c2s: 0, s2c: 0 }, reason: 'closed', durationMs: 1 }, at);
    events.push(...out.events);
    raw.push(...out.raw);
  }
  const of = <T extends ImapscopeEvent['type']>(type: T): Extract<ImapscopeEvent, { type: T }>[] =>
    events.filter((e): e is Extract<ImapscopeEvent, { type: T }> => e.type === type);
  return {
    events,
    raw,
    bytes: (d) => Buffer.concat(raw.filter((c) => c.direction === d).map((c) => c.data)),
    pipeline,
    of,
    lintCodes: () => of('lint').map((l) => l.code),
    states: () => ['not-authenticated', ...of('state.change').map((s) => s.to)],
  };
}

/** The greeting Dovecot sends, with a capability list (no LOGINDISABLED). */
export const GREETING =
  'S:* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] ready\r\n';
