/**
 * The events of one session as the tracker emits them: numbered 1, 2, 3… without holes, in
 * the shapes of shared/events.ts. The tracker extends it; nothing here decides anything.
 */
import { EVENT_SCHEMA_VERSION, type EventBody, type ImapscopeEvent } from '../../shared/events.ts';
import type { Message } from '../../shared/messages.ts';
import type { InFlight } from './in-flight.ts';
import type * as lints from './lints.ts';

export class SessionEvents {
  /** seq of the last event emitted. */
  protected seq = 0;
  protected out: ImapscopeEvent[] = [];

  constructor(readonly session: string) {}

  /** `done` null: the connection closed first (`aborted`). */
  protected exchange(p: InFlight, done: InFlight['early'], at: number): void {
    const res = done?.res ?? null;
    // A completion that came before the command was read whole counts from its first line.
    const from = done !== null && done.at < p.at ? p.startedAt : p.at;
    this.emit(
      {
        type: 'exchange',
        tag: p.tag,
        command: p.name,
        uid: p.uid,
        commandSeq: p.seq,
        continuationSeqs: p.continuationSeqs,
        untaggedSeqs: p.untaggedSeqs,
        untaggedCount: p.untaggedCount,
        completionSeq: done?.seq ?? null,
        status: res === null ? 'aborted' : res.status,
        code: res?.code ?? null,
        text: res?.text ?? '',
        latencyMs: done === null ? null : Math.max(0, done.at - from),
      },
      at,
    );
  }

  protected lint(l: lints.Lint, at: number): void {
    this.emit(l, at);
  }

  /** seq of the last message from the server (null before its first). */
  protected lastS2cSeq: number | null = null;

  protected emitMessage(
    message: Exclude<Message, { type: 'malformed' }>,
    unsolicited: boolean,
    at: number,
  ): number {
    // The hot path (one per decoded message): one object literal, no spreads.
    const seq = ++this.seq;
    if (message.direction === 's2c') this.lastS2cSeq = seq;
    this.out.push({
      v: EVENT_SCHEMA_VERSION,
      session: this.session,
      seq,
      gseq: 0,
      at,
      type: 'message',
      direction: message.direction,
      message,
      unsolicited,
    });
    return seq;
  }

  protected emit(body: EventBody, at: number): void {
    const base = { v: EVENT_SCHEMA_VERSION, session: this.session, seq: ++this.seq, gseq: 0, at };
    this.out.push(Object.assign(base, body) as ImapscopeEvent);
  }
}
