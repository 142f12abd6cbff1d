import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionPipeline } from '../../proxy/inspection/pipeline.ts';
import type { LiteralRef } from '../../shared/messages.ts';
import { messageLiterals } from '../../shared/message-literals.ts';

const BODY = 'Subject: hi\r\n\r\nhello\r\n';

function fetchedLiteral(hashLiterals: boolean | undefined): LiteralRef | undefined {
  const p = new SessionPipeline({
    session: 'h',
    client: { host: '127.0.0.1', port: 50000 },
    upstream: { host: '127.0.0.1', port: 143 },
    startedAt: 1000,
    ...(hashLiterals === undefined ? {} : { hashLiterals }),
  });
  const s2c = (text: string, at: number) => [
    { direction: 's2c' as const, data: Buffer.from(text), at },
  ];
  const c2s = (text: string, at: number) => [
    { direction: 'c2s' as const, data: Buffer.from(text), at },
  ];
  const events = [
    ...p.push(s2c('* PREAUTH hi\r\n', 1001)).events,
    ...p.push(c2s('a1 FETCH 1 BODY[]\r\n', 1002)).events,
    ...p.push(s2c(`* 1 FETCH (BODY[] {${BODY.length}}\r\n${BODY})\r\na1 OK done\r\n`, 1003)).events,
  ];
  const fetch = events.find(
    (e) => e.type === 'message' && e.direction === 's2c' && e.message.type === 'untagged',
  );
  return fetch?.type === 'message' ? messageLiterals(fetch.message)[0] : undefined;
}

describe('literal hashes in inspection', () => {
  it('are left out by default: the literal has its size and preview, and a null hash', () => {
    for (const off of [undefined, false]) {
      const lit = fetchedLiteral(off);
      expect(lit?.size).toBe(BODY.length);
      expect(Buffer.from(lit!.preview).toString()).toBe(BODY);
      expect(lit?.sha256).toBeNull();
    }
  });

  it('are the sha256 of the whole body with hashLiterals (--literal-hashes)', () => {
    const lit = fetchedLiteral(true);
    expect(lit?.sha256).toBe(createHash('sha256').update(BODY).digest('hex'));
  });
});
