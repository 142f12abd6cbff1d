import net from 'node:net';

import { ImapFlow } from 'imapflow';
import type { MessageStructureObject } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ImapscopeError } from '../../proxy/errors.ts';
import { SAMPLE_MAILBOXES } from '../../proxy/practice/sample-store.ts';
import {
  PRACTICE_PASSWORD,
  PRACTICE_USER,
  startPracticeServer,
} from '../../proxy/practice/server.ts';
import type { PracticeServer } from '../../proxy/practice/server.ts';

const clients: ImapFlow[] = [];

function client(server: PracticeServer, pass = server.password): ImapFlow {
  const c = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user: server.user, pass },
    logger: false,
  });
  // A refused login also ends in an 'error' event; the test asserts the rejection instead.
  c.on('error', () => {});
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.logout().catch(() => c.close())));
});

async function messageCount(c: ImapFlow, path: string): Promise<number | undefined> {
  const status = await c.status(path, { messages: true });
  return status ? status.messages : undefined;
}

function childParts(node: MessageStructureObject): MessageStructureObject[] {
  return node.childNodes ?? [];
}

describe('the practice server', () => {
  let server: PracticeServer;
  beforeAll(async () => {
    server = await startPracticeServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on loopback on an ephemeral port and reports the practice credentials', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.user).toBe('learner');
    expect(server.password).toBe('practice');
    expect([PRACTICE_USER, PRACTICE_PASSWORD]).toEqual(['learner', 'practice']);
  });

  it('lets imapflow log in as learner with the password practice', async () => {
    const c = client(server);
    await c.connect();
    expect(c.authenticated).toBeTruthy();
  });

  it('rejects a wrong password and keeps the session unauthenticated', async () => {
    const c = client(server, 'not-the-password');
    await expect(c.connect()).rejects.toMatchObject({ authenticationFailed: true });
    expect(c.authenticated).toBeFalsy();
  });

  it('advertises the extensions a learner should meet', async () => {
    const c = client(server);
    await c.connect();
    const caps = [...c.capabilities.keys()];
    for (const cap of [
      'IMAP4rev1',
      'IDLE',
      'LITERAL+',
      'UIDPLUS',
      'MOVE',
      'NAMESPACE',
      'SPECIAL-USE',
      'UNSELECT',
      'ID',
      'ENABLE',
    ]) {
      expect(caps).toContain(cap);
    }
    expect(caps).not.toContain('STARTTLS');
  });

  it('lists every sample folder, the nested Archive/2025 and the non-ASCII Reçus decoded from modified UTF-7', async () => {
    const c = client(server);
    await c.connect();
    const list = await c.list();
    const byPath = new Map(list.map((box) => [box.path, box]));
    expect([...byPath.keys()].sort()).toEqual(
      ['Archive', 'Archive/2025', 'Drafts', 'INBOX', 'Reçus', 'Sent', 'Trash'].sort(),
    );
    expect(byPath.get('Reçus')?.pathAsListed).toBe('Re&AOc-us');
    expect(byPath.get('Archive/2025')).toMatchObject({
      delimiter: '/',
      name: '2025',
      parentPath: 'Archive',
    });
    expect(byPath.get('Sent')?.specialUse).toBe('\\Sent');
    expect(byPath.get('Trash')?.specialUse).toBe('\\Trash');
    expect(byPath.get('Drafts')?.specialUse).toBe('\\Drafts');
    expect(byPath.get('Archive')?.specialUse).toBe('\\Archive');
  });

  it('holds 30 messages in INBOX and the documented count in every other folder', async () => {
    const c = client(server);
    await c.connect();
    const inbox = await c.mailboxOpen('INBOX', { readOnly: true });
    expect(inbox.exists).toBe(30);
    for (const box of SAMPLE_MAILBOXES) {
      expect(await messageCount(c, box.path), box.path).toBe(box.messages);
    }
  });

  it('shows the invoice PDF as an attachment in BODYSTRUCTURE and serves it intact', async () => {
    const c = client(server);
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    const [uid] = (await c.search({ subject: 'invoice INV-2025-0917' }, { uid: true })) || [];
    expect(uid).toBeDefined();
    const msg = await c.fetchOne(String(uid), { bodyStructure: true }, { uid: true });
    if (!msg) throw new Error('invoice not fetched');
    const structure = msg.bodyStructure;
    expect(structure?.type).toBe('multipart/mixed');
    const parts = structure ? childParts(structure) : [];
    expect(parts.map((p) => p.type)).toEqual(['text/plain', 'application/pdf']);
    const pdf = parts[1];
    expect(pdf?.disposition).toBe('attachment');
    expect(pdf?.dispositionParameters?.filename).toBe('invoice-INV-2025-0917.pdf');
    expect(pdf?.encoding).toBe('base64');

    const { content } = await c.download(String(uid), pdf?.part ?? '2', { uid: true });
    const chunks: Buffer[] = [];
    if (!content) throw new Error('attachment not downloaded');
    for await (const chunk of content) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(bytes.subarray(-6).toString('latin1')).toBe('%%EOF\n');
  });

  it('decodes the RFC 2047 UTF-8 subject and sender name of the encoded-words lesson', async () => {
    const c = client(server);
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    const [uid] = (await c.search({ from: 'juergen@example.de' }, { uid: true })) || [];
    const msg = await c.fetchOne(String(uid), { envelope: true, source: true }, { uid: true });
    expect(msg && msg.envelope?.subject).toBe(
      'Lektion 15: Grüße aus Zürich – Umlaute im Betreff ✉',
    );
    expect(msg && msg.envelope?.from?.[0]?.name).toBe('Jürgen Müller');
    expect(msg && msg.source?.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?B\?/m);
  });

  it('answers SELECT of a missing mailbox with NO [NONEXISTENT], as RFC 3501 asks', async () => {
    const c = client(server);
    await c.connect();
    await expect(c.mailboxOpen('No such folder')).rejects.toMatchObject({
      responseStatus: 'NO',
      serverResponseCode: 'NONEXISTENT',
    });
  });

  it('wakes an IDLE session with EXISTS when a second connection appends to INBOX', async () => {
    const watcher = client(server);
    await watcher.connect();
    await watcher.mailboxOpen('INBOX');
    const before = watcher.mailbox ? watcher.mailbox.exists : 0;
    const woke = new Promise<number>((resolve) =>
      watcher.on('exists', (info: { count: number }) => resolve(info.count)),
    );
    const idling = watcher.idle();
    // Let IDLE reach the server before the other session appends.
    await new Promise((r) => setTimeout(r, 100));

    const writer = client(server);
    await writer.connect();
    const appended = await writer.append(
      'INBOX',
      'Subject: pushed\r\n\r\nHello from the other session.\r\n',
      ['\\Seen'],
    );
    expect(appended && appended.uid).toBe(before + 1);

    await expect(woke).resolves.toBe(before + 1);
    await watcher.noop(); // breaks IDLE with DONE
    await idling;
  });

  it('moves a message with MOVE and reports COPYUID through UIDPLUS', async () => {
    const c = client(server);
    await c.connect();
    await c.mailboxOpen('Drafts');
    const appended = await c.append('Drafts', 'Subject: to move\r\n\r\nx\r\n');
    expect(appended && appended.uid).toBeGreaterThan(0);
    const moved = await c.messageMove(String(appended && appended.uid), 'Trash', { uid: true });
    expect(moved && moved.destination).toBe('Trash');
    expect(moved && moved.uidMap?.get(appended ? (appended.uid ?? 0) : 0)).toBeGreaterThan(0);
  });
});

describe('starting and stopping the practice server', () => {
  it('frees its port on close(), even with a client still connected', async () => {
    const server = await startPracticeServer();
    const c = client(server);
    await c.connect();
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    await server.close();
    await closed;
    await server.close(); // idempotent

    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(server.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('listens on the port it is given', async () => {
    const first = await startPracticeServer();
    const { port } = first;
    await first.close();
    const second = await startPracticeServer({ port });
    try {
      expect(second.port).toBe(port);
    } finally {
      await second.close();
    }
  });

  it('fails with ERR_PRACTICE_SERVER when the port is taken', async () => {
    const first = await startPracticeServer();
    try {
      const attempt = startPracticeServer({ port: first.port });
      await expect(attempt).rejects.toBeInstanceOf(ImapscopeError);
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_PRACTICE_SERVER' });
    } finally {
      await first.close();
    }
  });

  it('gives every server its own fresh store', async () => {
    const a = await startPracticeServer();
    const b = await startPracticeServer();
    try {
      const ca = client(a);
      await ca.connect();
      await ca.append('INBOX', 'Subject: only in a\r\n\r\nx\r\n');
      const cb = client(b);
      await cb.connect();
      expect(await messageCount(cb, 'INBOX')).toBe(30);
      expect(await messageCount(ca, 'INBOX')).toBe(31);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
