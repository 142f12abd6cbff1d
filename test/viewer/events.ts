/** Synthetic events of one session, shaped like the tracker's, for the viewer's component tests. */
import type { ImapscopeEvent } from '../../shared/events.ts';
import type { Message } from '../../shared/messages.ts';

type Body = ImapscopeEvent extends infer E
  ? E extends ImapscopeEvent
    ? Omit<E, 'v' | 'session' | 'seq' | 'gseq' | 'at'>
    : never
  : never;

/** Builds a session's events with seq 1, 2, 3… and a clock 1 ms per event. */
export class SessionScript {
  readonly events: ImapscopeEvent[] = [];
  constructor(
    readonly session = 's1',
    private t0 = Date.UTC(2025, 10, 26, 12, 0, 0),
  ) {}

  push(body: Body): ImapscopeEvent {
    const seq = this.events.length + 1;
    const e = { v: 1, session: this.session, seq, gseq: seq, at: this.t0 + seq, ...body };
    this.events.push(e as ImapscopeEvent);
    return e as ImapscopeEvent;
  }

  open(): this {
    this.push({
      type: 'session.open',
      client: { host: '127.0.0.1', port: 50000 },
      upstream: { host: '127.0.0.1', port: 143 },
    });
    return this;
  }

  c(raw: string, extra: Partial<Extract<Message, { type: 'command' }>> = {}): number {
    const [tag = '', name = '', ...rest] = raw.split(' ');
    return this.push({
      type: 'message',
      direction: 'c2s',
      unsolicited: false,
      message: {
        type: 'command',
        tag,
        name: name.toUpperCase(),
        uid: false,
        args: rest.map((value) => ({ type: 'atom', value })),
        direction: 'c2s',
        offset: 0,
        length: raw.length + 2,
        raw,
        bareLf: false,
        ...extra,
      },
    }).seq;
  }

  s(raw: string, message: Partial<Message> & Pick<Message, 'type'>, unsolicited = false): number {
    return this.push({
      type: 'message',
      direction: 's2c',
      unsolicited,
      message: {
        direction: 's2c',
        offset: 0,
        length: raw.length + 2,
        raw,
        bareLf: false,
        ...message,
      } as Extract<Message, { type: 'untagged' }>,
    }).seq;
  }

  tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string): number {
    return this.s(`${tag} ${status} ${text}`, { type: 'tagged', tag, status, code: null, text });
  }

  untagged(raw: string, data: Extract<Message, { type: 'untagged' }>['data'], unsolicited = false) {
    return this.s(raw, { type: 'untagged', data }, unsolicited);
  }

  /** A whole exchange: command, untagged answers, completion and the exchange event. */
  exchange(raw: string, status: 'OK' | 'NO' | 'BAD', untagged: string[] = []): number {
    const tag = raw.split(' ')[0]!;
    const commandSeq = this.c(raw);
    const untaggedSeqs = untagged.map((u) =>
      this.untagged(u, { kind: 'unknown', name: u.split(' ')[1] ?? '', number: null, args: [] }),
    );
    const completionSeq = this.tagged(tag, status, `${raw.split(' ')[1]} done`);
    this.push({
      type: 'exchange',
      tag,
      command: raw.split(' ')[1]!.toUpperCase(),
      uid: false,
      commandSeq,
      continuationSeqs: [],
      untaggedSeqs,
      untaggedCount: untaggedSeqs.length,
      completionSeq,
      status,
      code: null,
      text: 'done',
      latencyMs: 2.5,
    });
    return commandSeq;
  }
}
