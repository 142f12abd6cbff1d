import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LineBoundary, SessionGuard } from '../../proxy/net/session-guard.ts';

/** Feeds `text` whole, byte by byte, and split at every point; returns each run's boundary. */
function boundaries(text: string): boolean[] {
  const buf = Buffer.from(text, 'latin1');
  const runs: Buffer[][] = [[buf], [...buf].map((b) => Buffer.from([b]))];
  for (let i = 1; i < buf.length; i++) runs.push([buf.subarray(0, i), buf.subarray(i)]);
  return [false, true].flatMap((watchCommands) =>
    runs.map((chunks) => {
      const b = new LineBoundary(watchCommands);
      for (const c of chunks) b.feed(c);
      return b.atBoundary;
    }),
  );
}

describe('LineBoundary', () => {
  it.each([
    ['a whole line', '* OK ready\r\n', true],
    ['a partial line', '* OK rea', false],
    ['a line announcing a literal', 'a1 APPEND INBOX {5}\r\n', false],
    ['a literal half sent', 'a1 APPEND INBOX {5+}\r\nhel', false],
    ['a literal whose bytes end in CRLF, line not yet ended', 'a1 LOGIN {4}\r\nab\r\n', false],
    ['a literal and the rest of its line', 'a1 LOGIN {5}\r\nalice {3}\r\npw!\r\n', true],
    ['a server FETCH literal', '* 1 FETCH (BODY[] {6}\r\nhi\r\n\r\n)\r\n', true],
    ['a binary literal announced', 'a1 APPEND INBOX ~{3}\r\n', false],
    ['nothing at all', '', true],
    ['a literal of 13 bytes holding a {3}', 'a1 APPEND INBOX {13}\r\nab {3}\r\nxyz\r\n', false],
    ['two lines, the second announcing {10}', '* OK a\r\na2 LOGIN {10}\r\n', false],
    ['a literal of 12 bytes ending the line', 'a1 APPEND INBOX {12}\r\nab {3}\r\nxyz\r\n', true],
    ['braces that are no literal', '* OK [X] {a}\r\n* OK {}\r\n', true],
  ])('%s: at a boundary = %s, whole, byte by byte and at every split', (_name, text, want) => {
    expect(new Set(boundaries(text))).toEqual(new Set([want]));
  });

  it('names the last command of a complete line, after the tag and UID', () => {
    const b = new LineBoundary(true);
    b.feed(Buffer.from('a1 uid fetch 1:* FLAGS\r\nz9 COMPRESS DEFLATE\r\n'));
    expect(b.lastCommand).toBe('COMPRESS');
  });
});

function guard(idleTimeoutMs = 0): { g: SessionGuard; byes: string[]; idle: number[] } {
  const byes: string[] = [];
  const idle: number[] = [];
  const g = new SessionGuard(
    { idleTimeoutMs },
    [new Socket()],
    () => idle.push(1),
    (t) => byes.push(t),
  );
  return { g, byes, idle };
}

describe('SessionGuard.bye', () => {
  it('writes the BYE at once when both directions end a line', () => {
    const { g, byes } = guard();
    g.seen('s2c', Buffer.from('* OK ready\r\n'));
    g.seen('c2s', Buffer.from('a1 NOOP\r\n'));
    expect(g.bye('* BYE x\r\n')).toBe(true);
    expect(byes).toEqual(['* BYE x\r\n']);
  });

  it('holds the BYE while the server is inside a literal, and writes it after the line ends', () => {
    const { g, byes } = guard();
    g.seen('s2c', Buffer.from('* 1 FETCH (BODY[] {10}\r\n01234'));
    expect(g.bye('* BYE x\r\n')).toBe(false);
    g.seen('s2c', Buffer.from('56789'));
    expect(byes).toEqual([]);
    g.seen('s2c', Buffer.from(')\r\n'));
    expect(byes).toEqual(['* BYE x\r\n']);
    g.seen('s2c', Buffer.from('a1 OK done\r\n'));
    expect(byes).toHaveLength(1);
  });

  it('never writes a BYE while the client streams a literal', () => {
    const { g, byes } = guard();
    g.seen('c2s', Buffer.from('a1 APPEND INBOX {100}\r\n'));
    g.seen('s2c', Buffer.from('+ go ahead\r\n'));
    g.seen('c2s', Buffer.from('From: x\r\n'));
    expect(g.bye('* BYE x\r\n')).toBe(false);
    expect(byes).toEqual([]);
  });

  it.each(['STARTTLS', 'COMPRESS DEFLATE'])(
    'never writes a BYE once the client asked for %s (the bytes may no longer be plaintext)',
    (command) => {
      const { g, byes } = guard();
      g.seen('c2s', Buffer.from(`a1 ${command}\r\n`));
      g.seen('s2c', Buffer.from('a1 OK begin\r\n'));
      expect(g.bye('* BYE x\r\n')).toBe(false);
      g.seen('s2c', Buffer.from('* OK more\r\n'));
      expect(byes).toEqual([]);
    },
  );

  it.each(['STARTTLS', 'COMPRESS DEFLATE', 'compress deflate'])(
    'never writes a BYE once the client asked for %s, even with more commands behind it in the chunk',
    (command) => {
      const { g, byes } = guard();
      g.seen('c2s', Buffer.from(`a1 ${command}\r\na2 NOOP\r\n`));
      g.seen('s2c', Buffer.from('a1 OK begin\r\n'));
      expect(g.bye('* BYE x\r\n')).toBe(false);
      expect(byes).toEqual([]);
    },
  );

  it('still writes a BYE after commands that only look like STARTTLS or COMPRESS', () => {
    const { g, byes } = guard();
    g.seen('c2s', Buffer.from('a1 COMPRESSX\r\na2 STARTTLSY\r\na3 FETCH 1 (COMPRESS)\r\n'));
    g.seen('s2c', Buffer.from('a3 OK done\r\n'));
    expect(g.bye('* BYE x\r\n')).toBe(true);
    expect(byes).toEqual(['* BYE x\r\n']);
  });

  it('writes nothing after stop', () => {
    const { g, byes } = guard();
    g.stop();
    expect(g.bye('* BYE x\r\n')).toBe(false);
    expect(byes).toEqual([]);
  });
});
