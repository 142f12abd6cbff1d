import { describe, expect, it } from 'vitest';
import { GREETING, run } from './dialog.ts';

describe('the session tracker pairs commands with their responses', () => {
  it('pairs pipelined commands by tag and attaches untagged responses to every command in flight', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 SELECT INBOX\r\na2 FETCH 1 (FLAGS)\r\na3 NOOP\r\n',
      'S:* 1 EXISTS\r\na1 OK [READ-WRITE] done\r\n',
      'S:* 1 FETCH (FLAGS (\\Seen))\r\na2 OK done\r\n',
      'S:a3 OK done\r\n',
    ]);
    const ex = r.of('exchange');
    expect(ex.map((e) => [e.tag, e.command, e.status, e.untaggedCount])).toEqual([
      ['a1', 'SELECT', 'OK', 1],
      ['a2', 'FETCH', 'OK', 2],
      ['a3', 'NOOP', 'OK', 2],
    ]);
    // Latency: from the chunk that completed the command to the chunk that completed its completion.
    expect(ex.map((e) => e.latencyMs)).toEqual([10, 20, 30]);
    const msgs = r.of('message');
    expect(ex[1]?.untaggedSeqs.map((s) => msgs.find((m) => m.seq === s)?.message.raw)).toEqual([
      '* 1 EXISTS',
      '* 1 FETCH (FLAGS (\\Seen))',
    ]);
    // No command is linted as invalid: the FETCH was pipelined behind a SELECT in flight.
    expect(r.lintCodes()).toEqual([]);
  });

  it('holds the + for a literal until the command is complete, then attaches it', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 APPEND INBOX {11}\r\n',
      'S:+ Ready for literal data\r\n',
      'C:Hello world\r\n',
      'S:a1 OK [APPENDUID 1 1] done\r\n',
    ]);
    const [append] = r.of('exchange');
    const plus = r.of('message').find((m) => m.message.type === 'continuation');
    expect(append).toMatchObject({ tag: 'a1', status: 'OK', continuationSeqs: [plus?.seq] });
    expect(append?.latencyMs).toBe(10);
    expect(r.lintCodes()).toEqual([]);
  });

  it('pairs IDLE: the + switches the client decoder to idle, EXISTS is unsolicited, DONE decodes', () => {
    const r = run([
      'S:* PREAUTH [CAPABILITY IMAP4rev1 IDLE] ok\r\n',
      'C:a1 SELECT INBOX\r\n',
      'S:a1 OK done\r\n',
      'C:a2 IDLE\r\n',
      'S:+ idling\r\n',
      'S:* 4 EXISTS\r\n',
      'C:DONE\r\n',
      'S:a2 OK Idle completed.\r\n',
      'C:a3 NOOP\r\n',
      'S:a3 OK done\r\n',
    ]);
    expect(r.of('malformed')).toEqual([]);
    const kinds = r.of('message').map((m) => m.message.type);
    expect(kinds).toContain('idle-done');
    const exists = r.of('message').find((m) => m.message.raw === '* 4 EXISTS');
    expect(exists?.unsolicited).toBe(true);
    const idle = r.of('exchange').find((e) => e.command === 'IDLE');
    const plus = r.of('message').find((m) => m.message.type === 'continuation');
    expect(idle).toMatchObject({
      status: 'OK',
      untaggedSeqs: [exists?.seq],
      continuationSeqs: [plus?.seq],
    });
    expect(r.of('session.facts').some((f) => f.idle)).toBe(true);
    expect(r.of('session.facts').at(-1)?.idle).toBe(false);
  });

  it('decodes AUTHENTICATE responses as SASL lines until the tagged completion', () => {
    const r = run([
      GREETING,
      'C:a1 AUTHENTICATE PLAIN\r\n',
      'S:+ \r\n',
      'C:AHVzZXIAc2VjcmV0\r\n',
      'S:a1 OK Logged in\r\n',
      'C:a2 NOOP\r\n',
      'S:a2 OK done\r\n',
    ]);
    expect(r.of('malformed')).toEqual([]);
    expect(r.of('message').map((m) => m.message.type)).toEqual([
      'greeting',
      'command',
      'continuation',
      'sasl-response',
      'tagged',
      'command',
      'tagged',
    ]);
    expect(r.of('session.close')[0]?.user).toBe('user');
    expect(r.states()).toEqual(['not-authenticated', 'authenticated']);
  });

  it('refuses the pending literal when the server answers NO instead of +, and decodes the next command', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 APPEND INBOX {99999999}\r\n',
      'S:a1 NO [LIMIT] Message too large\r\n',
      'C:a2 NOOP\r\n',
      'S:a2 OK done\r\n',
    ]);
    expect(r.of('malformed')).toEqual([]);
    expect(r.of('exchange').map((e) => [e.tag, e.status])).toEqual([
      ['a1', 'NO'],
      ['a2', 'OK'],
    ]);
    expect(r.lintCodes()).toEqual(['LINT_COMPLETION_NO']);
  });

  it('marks a BYE without LOGOUT and an ALERT as unsolicited', () => {
    const r = run([
      'S:* PREAUTH ok\r\n',
      'C:a1 NOOP\r\n',
      'S:* OK [ALERT] System going down\r\na1 OK done\r\n',
      'S:* BYE Shutting down\r\n',
    ]);
    const unsolicited = r
      .of('message')
      .filter((m) => m.unsolicited)
      .map((m) => m.message.raw);
    expect(unsolicited).toEqual(['* OK [ALERT] System going down', '* BYE Shutting down']);
    expect(r.states()).toEqual(['not-authenticated', 'authenticated', 'logout']);
  });

  it('reports commands still running when the connection closes as aborted', () => {
    const r = run(['S:* PREAUTH ok\r\n', 'C:a1 IDLE\r\n', 'S:+ idling\r\n']);
    expect(r.of('exchange')).toMatchObject([
      { tag: 'a1', status: 'aborted', completionSeq: null, latencyMs: null },
    ]);
    expect(r.events.at(-1)?.type).toBe('session.close');
  });

  it('numbers the events of a session 1, 2, 3… without holes', () => {
    const r = run([GREETING, 'C:a1 LOGIN u p\r\n', 'S:a1 OK done\r\n']);
    expect(r.events.map((e) => e.seq)).toEqual(r.events.map((_, i) => i + 1));
    expect(r.events.every((e) => e.session === 'test' && e.v === 1 && e.gseq === 0)).toBe(true);
  });
});
