/**
 * Client commands the server answers before they are complete, or that never complete: a
 * refused `{0}`, an APPEND answered before its body, a command cut off in its literal, a line
 * past the cap. Every dialog runs with each step pushed whole, byte by byte and at random splits.
 */
import { describe, expect, it } from 'vitest';
import type { ImapscopeEvent } from '../../shared/events.ts';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import { MAX_LINE_BYTES } from '../../proxy/limits.ts';
import { byteByByte, randomSplits, whole, type Splitter } from '../wire/transcript.ts';

const PREAUTH = 'S:* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n';
const SECRET = 's3cr3t-pw';

interface Run {
  events: ImapscopeEvent[];
  of<T extends ImapscopeEvent['type']>(type: T): Extract<ImapscopeEvent, { type: T }>[];
  lintCodes(): string[];
  /** The event with this seq. */
  bySeq(seq: number | null | undefined): ImapscopeEvent | undefined;
}

/** Like test/session/dialog.ts, but each step's chunk is cut by `split` (same `at` for its pieces). */
function runSplit(steps: string[], split: Splitter): Run {
  const pipeline = new SessionPipeline({
    session: 't',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
  });
  const events = pipeline.push([]).events;
  steps.forEach((step, i) => {
    const at = 1000 + 10 * (i + 1);
    const direction = step.startsWith('C:') ? 'c2s' : 's2c';
    for (const data of split(Buffer.from(step.slice(2), 'latin1'))) {
      events.push(...pipeline.push([{ direction, data, at }]).events);
    }
  });
  const end = 1000 + 10 * (steps.length + 1);
  events.push(
    ...pipeline.close({ bytes: { c2s: 0, s2c: 0 }, reason: 'closed', durationMs: 1 }, end).events,
  );
  const of = <T extends ImapscopeEvent['type']>(type: T): Extract<ImapscopeEvent, { type: T }>[] =>
    events.filter((e): e is Extract<ImapscopeEvent, { type: T }> => e.type === type);
  return {
    events,
    of,
    lintCodes: () => of('lint').map((l) => l.code),
    bySeq: (seq) => events.find((e) => e.seq === seq),
  };
}

/** Runs the dialog every way and hands each run to `check`. */
function everyWay(steps: string[], check: (r: Run) => void, ways = [1, 2, 3]): void {
  check(runSplit(steps, whole));
  check(runSplit(steps, byteByByte));
  for (const seed of ways) check(runSplit(steps, randomSplits(seed)));
}

const exchanges = (r: Run) => r.of('exchange').map((e) => [e.tag, e.command, e.status]);

describe('a zero-length synchronizing literal', () => {
  it('refused by the server leaves the next LOGIN its own exchange, its password masked', () => {
    const separate = [
      PREAUTH,
      'C:x APPEND INBOX {0}\r\n',
      'S:x NO [TRYCREATE] no such mailbox\r\n',
      `C:y LOGIN user ${SECRET}\r\n`,
      'S:y OK done\r\n',
    ];
    // The same with the client not waiting: the LOGIN comes in the APPEND's write.
    const glued = [
      PREAUTH,
      `C:x APPEND INBOX {0}\r\ny LOGIN user ${SECRET}\r\n`,
      'S:x NO [TRYCREATE] no such mailbox\r\n',
      'S:y OK done\r\n',
    ];
    for (const steps of [separate, glued]) {
      everyWay(steps, (r) => {
        expect(JSON.stringify(r.events)).not.toContain(SECRET);
        expect(exchanges(r)).toEqual([
          ['x', 'APPEND', 'NO'],
          ['y', 'LOGIN', 'OK'],
        ]);
        const [append, login] = r.of('message').filter((m) => m.message.type === 'command');
        expect(append?.message.raw).toBe('x APPEND INBOX {0}');
        expect(append?.message).toMatchObject({
          args: [{}, { type: 'literal', literal: { size: 0, refused: true } }],
        });
        expect(login?.message.raw).toBe('y LOGIN user *********');
        expect(r.of('malformed')).toEqual([]);
      });
    }
  });

  it('accepted with + completes its command, and the + pairs with it', () => {
    everyWay(
      [PREAUTH, 'C:x APPEND INBOX {0}\r\n', 'S:+ go ahead\r\n', 'C:\r\n', 'S:x OK appended\r\n'],
      (r) => {
        const [ex] = r.of('exchange');
        expect(ex).toMatchObject({ tag: 'x', status: 'OK', latencyMs: 10 });
        expect(r.bySeq(ex?.continuationSeqs[0])).toMatchObject({
          message: { type: 'continuation' },
        });
        expect(r.lintCodes()).toEqual([]);
      },
    );
  });
});

describe('a command the server answers before its literal body', () => {
  it('pairs the early NO [TRYCREATE] with the APPEND instead of an unknown tag', () => {
    everyWay(
      [
        PREAUTH,
        'C:e1 APPEND missing {10+}\r\n',
        'S:e1 NO [TRYCREATE] no such mailbox\r\n',
        'C:0123456789\r\n',
        'C:e2 NOOP\r\n',
        'S:e2 OK done\r\n',
      ],
      (r) => {
        expect(exchanges(r)).toEqual([
          ['e1', 'APPEND', 'NO'],
          ['e2', 'NOOP', 'OK'],
        ]);
        const [e1] = r.of('exchange');
        expect(e1?.code?.name).toBe('TRYCREATE');
        expect(r.bySeq(e1?.commandSeq)).toMatchObject({ message: { type: 'command', tag: 'e1' } });
        expect(r.bySeq(e1?.completionSeq)).toMatchObject({ message: { type: 'tagged' } });
        // From the command's first line to the completion.
        expect(e1?.latencyMs).toBe(10);
        expect(r.lintCodes()).toEqual(['LINT_COMPLETION_NO']);
      },
    );
  });
});

describe('a command cut off inside its literal', () => {
  it('reaches the tracker as a command: aborted, with its + paired', () => {
    everyWay(
      [
        PREAUTH,
        'C:a1 APPEND INBOX {100}\r\n',
        'S:+ Ready for literal data\r\n',
        `C:${'m'.repeat(50)}`,
      ],
      (r) => {
        const [ex] = r.of('exchange');
        expect(ex).toMatchObject({ tag: 'a1', command: 'APPEND', status: 'aborted' });
        expect(r.bySeq(ex?.commandSeq)).toMatchObject({
          type: 'malformed',
          message: { code: 'ERR_WIRE_INCOMPLETE' },
        });
        expect(ex?.continuationSeqs).toHaveLength(1);
        expect(r.bySeq(ex?.continuationSeqs[0])).toMatchObject({
          message: { type: 'continuation' },
        });
      },
    );
  });
});

describe('a command line past the line cap', () => {
  const long = 'y'.repeat(MAX_LINE_BYTES + 10);

  it('keeps its tag, so the server BAD sent before the line ended pairs with it', () => {
    everyWay(
      [PREAUTH, `C:b1 APPEND INBOX ${long}`, 'S:b1 BAD line too long\r\n', 'C:\r\nb2 NOOP\r\n'],
      (r) => {
        expect(exchanges(r)).toEqual([
          ['b1', 'APPEND', 'BAD'],
          ['b2', 'NOOP', 'aborted'],
        ]);
        expect(r.lintCodes()).not.toContain('LINT_UNKNOWN_TAG');
        expect(r.bySeq(r.of('exchange')[0]?.commandSeq)).toMatchObject({
          message: { code: 'ERR_WIRE_LINE_TOO_LONG' },
        });
      },
      [4],
    );
  });

  it('keeps its tag when the whole line came before the BAD', () => {
    everyWay(
      [PREAUTH, `C:b1 NOOP ${long}\r\n`, 'S:b1 BAD line too long\r\n'],
      (r) => {
        expect(exchanges(r)).toEqual([['b1', 'NOOP', 'BAD']]);
        expect(r.lintCodes()).not.toContain('LINT_UNKNOWN_TAG');
      },
      [5],
    );
  });
});

describe('a malformed message with bytes that are not UTF-8', () => {
  it('keeps the bytes in hex beside the text, except where a mask hid a password', () => {
    everyWay([PREAUTH, 'C:a1 NOOP (\xff\xfe\r\n', `C:a2 LOGIN alice \xff${SECRET} (\r\n`], (r) => {
      const [noop, login] = r.of('malformed');
      expect(noop?.message.raw).toBe('a1 NOOP (\ufffd\ufffd');
      expect(noop?.message.rawHex).toBe(Buffer.from('a1 NOOP (\xff\xfe', 'latin1').toString('hex'));
      expect(login?.message.rawHex).toBeUndefined();
      expect(JSON.stringify(r.events)).not.toContain(Buffer.from(SECRET).toString('hex'));
    });
  });
});
