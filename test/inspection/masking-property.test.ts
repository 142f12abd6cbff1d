/**
 * Property: whatever a client pipelines, however its writes are split, no secret of LOGIN or
 * AUTHENTICATE reaches a sink (events, raw chunks, transcript, pcapng), and every other byte
 * reaches the raw output unchanged, in the same length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writePcapng } from '../../proxy/export/pcapng.ts';
import { writeTranscript } from '../../proxy/export/transcript.ts';
import { type RawChunk, SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import type { ImapscopeEvent } from '../../shared/events.ts';

/** One client step: bytes as sent, as they must come out, and the server's answer if awaited. */
type Step = { c2s: string; expected: string } | { s2c: string };

const stars = (s: string): string => '*'.repeat(s.length);
const plain = (pw: string): string => Buffer.from(`\0user\0${pw}`).toString('base64');

/** Secrets start with ZQ; nothing else in the stream contains a Z. */
const secret = fc.stringMatching(/^[a-y0-9]{4,12}$/).map((s) => `ZQ${s}`);
const text = (max: number) => fc.stringMatching(new RegExp(`^[a-y0-9 ]{0,${max}}$`));
/** Literal bodies: anything, including lines that look like LOGIN commands (not secrets). */
const body = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.constantFrom('x', ' ', '\r\n', 'b1 LOGIN u notsecret\r\n', '{5}', '"'), {
        maxLength: 20,
      })
      .map((a) => a.join('')),
  },
  { weight: 1, arbitrary: fc.constant('y'.repeat(300 * 1024)) },
);

type Command = (tag: string) => Step[];
const same = (c2s: string): Step => ({ c2s, expected: c2s });

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant((t: string) => [same(`${t} NOOP\r\n`)]),
  fc
    .oneof(
      { weight: 6, arbitrary: text(60) },
      { weight: 1, arbitrary: fc.constantFrom(5_000, 70_000, 300_000).map((n) => 'x'.repeat(n)) },
    )
    .map((q) => (t: string) => [same(`${t} SEARCH TEXT "${q}"\r\n`)]),
  body.map((b) => (t: string) => [same(`${t} APPEND INBOX {${b.length}+}\r\n${b}\r\n`)]),
  body.map((b) => (t: string) => [
    same(`${t} APPEND INBOX {${b.length}}\r\n`),
    { s2c: '+ go\r\n' },
    same(`${b}\r\n`),
  ]),
  secret.map((pw) => (t: string) => [
    { c2s: `${t} LOGIN user ${pw}\r\n`, expected: `${t} LOGIN user ${stars(pw)}\r\n` },
  ]),
  secret.map((pw) => (t: string) => [
    { c2s: `${t} LOGIN "user" "${pw}"\r\n`, expected: `${t} LOGIN "user" "${stars(pw)}"\r\n` },
  ]),
  secret.map((pw) => (t: string) => {
    const head = `${t} LOGIN {4+}\r\nuser {${pw.length}+}\r\n`;
    return [{ c2s: `${head}${pw}\r\n`, expected: `${head}${stars(pw)}\r\n` }];
  }),
  secret.map((pw) => (t: string) => [
    same(`${t} LOGIN user {${pw.length}}\r\n`),
    { s2c: '+ go\r\n' },
    { c2s: `${pw}\r\n`, expected: `${stars(pw)}\r\n` },
  ]),
  // AUTHENTICATE puts the client in SASL mode until its completion: the client waits for it.
  secret.map((pw) => (t: string) => [
    {
      c2s: `${t} AUTHENTICATE PLAIN ${plain(pw)}\r\n`,
      expected: `${t} AUTHENTICATE PLAIN ${stars(plain(pw))}\r\n`,
    },
    { s2c: `${t} OK done\r\n` },
  ]),
  secret.map((pw) => (t: string) => [
    same(`${t} AUTHENTICATE PLAIN\r\n`),
    { s2c: '+ \r\n' },
    { c2s: `${plain(pw)}\r\n`, expected: `${stars(plain(pw))}\r\n` },
    { s2c: `${t} OK done\r\n` },
  ]),
);

/** The client's bytes between two server answers, cut at the given points. */
function cut(data: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...at, data.length]) {
    if (p > from) out.push(data.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

function sinks(events: ImapscopeEvent[], raw: RawChunk[]): string {
  const chunks = raw.map((c) => ({ direction: c.direction, at: c.at, data: Buffer.from(c.data) }));
  const json = JSON.stringify(events, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
  );
  const ends = { host: '127.0.0.1', port: 1 };
  const pcap = Buffer.concat([
    ...writePcapng({ client: ends, server: ends, startedAt: 1, endedAt: 2 }, chunks),
  ]);
  return json + [...writeTranscript('t', chunks)].join('') + pcap.toString('latin1');
}

describe('masking, whatever the client sends and however it is split', () => {
  it('lets no secret reach any sink and changes no other byte', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (commands, points) => {
          const steps: Step[] = [{ s2c: '* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] hi\r\n' }];
          commands.forEach((make, i) => steps.push(...make(`t${i}`)));
          const p = new SessionPipeline({
            session: 'p',
            client: { host: '127.0.0.1', port: 50000 },
            upstream: { host: '127.0.0.1', port: 143 },
            startedAt: 1,
          });
          const events: ImapscopeEvent[] = [];
          const raw: RawChunk[] = [];
          const keep = (o: { events: ImapscopeEvent[]; raw: RawChunk[] }): void => {
            events.push(...o.events);
            for (const c of o.raw) raw.push({ ...c, data: Buffer.from(c.data) });
          };
          let client = '';
          let expected = '';
          let pending = '';
          const flush = (): void => {
            for (const data of cut(Buffer.from(pending, 'latin1'), points)) {
              const lent = Buffer.from(data);
              keep(p.push([{ direction: 'c2s', data: lent, at: 5 }]));
              lent.fill(0x23); // lent for the call only
            }
            pending = '';
          };
          for (const s of steps) {
            if ('s2c' in s) {
              flush();
              keep(p.push([{ direction: 's2c', data: Buffer.from(s.s2c), at: 5 }]));
            } else {
              client += s.c2s;
              expected += s.expected;
              pending += s.c2s;
            }
          }
          flush();
          keep(p.close({ bytes: { c2s: 0, s2c: 0 }, reason: 'closed', durationMs: 1 }, 9));

          const out = Buffer.concat(raw.filter((c) => c.direction === 'c2s').map((c) => c.data));
          expect(out.length).toBe(client.length);
          expect(out.toString('latin1') === expected).toBe(true);
          const all = sinks(events, raw);
          for (const [pw] of client.matchAll(/ZQ[a-y0-9]+/g)) {
            expect(all.includes(pw)).toBe(false);
            expect(all.includes(plain(pw))).toBe(false);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
