import net from 'node:net';

import hoodiecrow from 'hoodiecrow-imap';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { hardenHoodiecrow, normalizeSequenceSets } from '../../proxy/practice/hardening.ts';
import { startPracticeServer } from '../../proxy/practice/server.ts';

/** A raw IMAP session: send lines, read until the tagged reply, as C:/S: transcripts do. */
class RawSession {
  private buffer = '';
  private readonly socket: net.Socket;
  private waiter: (() => void) | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.buffer += chunk.toString('latin1');
      this.waiter?.();
    });
  }

  /** Resolves with every line received up to and including the first line matching `until`. */
  async readUntil(until: RegExp): Promise<string[]> {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const end = lines.findIndex((line) => until.test(line));
      if (end >= 0) {
        this.buffer = lines.slice(end + 1).join('\r\n');
        return lines.slice(0, end + 1);
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Sends `tag command` and resolves with the response lines, the tagged one last. */
  async command(tag: string, command: string): Promise<string[]> {
    this.socket.write(`${tag} ${command}\r\n`);
    return this.readUntil(new RegExp(`^${tag} `));
  }

  /** Whatever arrived and was not read yet. */
  pending(): string {
    return this.buffer;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

async function loggedInSession(port?: number): Promise<RawSession> {
  if (port === undefined) {
    const server = await startPracticeServer();
    cleanups.push(() => server.close());
    port = server.port;
  }
  const session = new RawSession(port);
  cleanups.push(() => session.close());
  await session.readUntil(/^\* OK/);
  expect(await session.command('a1', 'LOGIN learner practice')).toEqual(['a1 OK User logged in']);
  return session;
}

describe('normalizeSequenceSets', () => {
  it('rewrites a bare * in the first sequence set to *:*', () => {
    expect(normalizeSequenceSets('a FETCH * (FLAGS)')).toBe('a FETCH *:* (FLAGS)');
    expect(normalizeSequenceSets('a UID STORE 2,* +FLAGS (\\Seen)')).toBe(
      'a UID STORE 2,*:* +FLAGS (\\Seen)',
    );
    expect(normalizeSequenceSets('a COPY * Archive')).toBe('a COPY *:* Archive');
  });

  it('leaves ranges, other commands and LIST patterns alone', () => {
    for (const line of [
      'a FETCH 1:* (FLAGS)',
      'a FETCH *:4 FLAGS',
      'a LIST "" *',
      'a LSUB "" *',
      'a UID EXPUNGE *',
    ]) {
      expect(normalizeSequenceSets(line)).toBe(line);
    }
  });
});

describe('the hardened practice server on the wire', () => {
  it('answers FETCH * with the last message instead of a parse error', async () => {
    const s = await loggedInSession();
    await s.command('a2', 'EXAMINE INBOX');
    expect(await s.command('a3', 'FETCH * (UID)')).toEqual([
      '* 30 FETCH (UID 30)',
      'a3 OK FETCH Completed',
    ]);
  });

  it('keeps a handler error on one response line and the session usable', async () => {
    const s = await loggedInSession();
    await s.command('a2', 'EXAMINE INBOX');
    const reply = await s.command('a3', 'SEARCH SINCE 32-Foo-2025');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatch(/^a3 NO RangeError: Invalid time value$/);
    expect(await s.command('a4', 'NOOP')).toEqual(['a4 OK Completed']);
  });

  it('answers STATUS of a missing mailbox with NO [NONEXISTENT]', async () => {
    const s = await loggedInSession();
    expect(await s.command('a2', 'STATUS Nowhere (MESSAGES)')).toEqual([
      'a2 NO [NONEXISTENT] No such mailbox',
    ]);
  });

  it('sends "+ Go ahead" for a synchronizing literal and none for LITERAL+', async () => {
    const s = await loggedInSession();
    const message = 'Subject: hi\r\n\r\nhello\r\n';
    s.write(`a2 APPEND Drafts {${message.length}}\r\n`);
    expect(await s.readUntil(/^\+ /)).toEqual(['+ Go ahead']);
    s.write(`${message}\r\n`);
    expect(await s.readUntil(/^a2 /)).toEqual(['a2 OK [APPENDUID 1756684802 3] APPEND Completed']);
    s.write(`a3 APPEND Drafts {${message.length}+}\r\n${message}\r\n`);
    expect(await s.readUntil(/^a3 /)).toEqual(['a3 OK [APPENDUID 1756684802 4] APPEND Completed']);
  });

  it('pushes EXISTS during IDLE, and after DONE holds notifications for the next command again', async () => {
    const server = await startPracticeServer();
    cleanups.push(() => server.close());
    const watcher = await loggedInSession(server.port);
    const writer = await loggedInSession(server.port);
    const message = 'Subject: hi\r\n\r\nhello\r\n';
    await watcher.command('a2', 'SELECT INBOX');

    watcher.write('a3 IDLE\r\n');
    expect(await watcher.readUntil(/^\+ /)).toEqual(['+ idling']);
    await writer.command('b1', `APPEND INBOX {${message.length}+}\r\n${message}`);
    expect(await watcher.readUntil(/EXISTS$/)).toEqual(['* 31 EXISTS']);
    watcher.write('DONE\r\n');
    expect(await watcher.readUntil(/^a3 /)).toEqual(['a3 OK IDLE terminated']);

    await writer.command('b2', `APPEND INBOX {${message.length}+}\r\n${message}`);
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.pending()).toBe('');
    expect(await watcher.command('a4', 'NOOP')).toEqual(['* 32 EXISTS', 'a4 OK Completed']);
  });

  it('refuses STORE, EXPUNGE and MOVE in a mailbox opened with EXAMINE, allows them after SELECT', async () => {
    const s = await loggedInSession();
    await s.command('a2', 'EXAMINE INBOX');
    for (const [tag, command] of [
      ['a3', 'STORE 1 +FLAGS (\\Deleted)'],
      ['a4', 'UID STORE 1 +FLAGS (\\Deleted)'],
      ['a5', 'EXPUNGE'],
      ['a6', 'MOVE 1 Archive'],
      ['a7', 'UID MOVE 1 Archive'],
    ] as const) {
      const name = command
        .split(' ')
        .slice(0, command.startsWith('UID') ? 2 : 1)
        .join(' ');
      expect(await s.command(tag, command)).toEqual([
        `${tag} NO ${name} refused: the mailbox is read-only (EXAMINE)`,
      ]);
    }
    expect((await s.command('a8', 'COPY 1 Archive')).at(-1)).toMatch(/^a8 OK/);
    await s.command('a9', 'SELECT INBOX');
    expect((await s.command('a10', 'MOVE 1 Archive')).at(-1)).toMatch(/^a10 OK/);
  });

  it('rejects anything but DONE inside IDLE with BAD', async () => {
    const s = await loggedInSession();
    await s.command('a2', 'SELECT INBOX');
    s.write('a3 IDLE\r\n');
    await s.readUntil(/^\+ /);
    s.write('a4 NOOP\r\n');
    expect(await s.readUntil(/^a3 /)).toEqual(['a3 BAD Expected DONE to end IDLE']);
  });
});

describe('guarding hoodiecrow command handlers', () => {
  it('answers a throwing handler with NO [SERVERBUG], reports it, prints nothing and keeps the session', async () => {
    const errors: string[] = [];
    const imap = hoodiecrow({
      plugins: [
        (server) =>
          server.setCommandHandler('XBOOM', () => {
            throw new Error('kaboom');
          }),
      ],
      users: { u: { password: 'p' } },
    });
    hardenHoodiecrow(imap, (error, command) => errors.push(`${command}: ${String(error)}`));
    await new Promise<void>((resolve) => imap.listen(0, '127.0.0.1', resolve));
    const address = imap.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const session = new RawSession(port);
    cleanups.push(() => new Promise<void>((resolve) => imap.close(() => resolve())));
    cleanups.push(() => session.close());
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');

    await session.readUntil(/^\* OK/);
    expect(await session.command('a1', 'XBOOM')).toEqual([
      'a1 NO [SERVERBUG] XBOOM failed inside the practice server',
    ]);
    expect(await session.command('a2', 'NOOP')).toEqual(['a2 OK Completed']);
    expect(errors).toEqual(['XBOOM: Error: kaboom']);
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  });
});
