import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive } from '../../proxy/archive/archive.ts';
import { sessionChunks } from '../../proxy/archive/read.ts';
import { archiveSource, renderExport } from '../../proxy/export/index.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { Capture, LOGIN_SCRIPT, play } from './helpers.ts';

describe('raw bytes reaching the sinks', () => {
  it('have LOGIN passwords masked, quoted or literal, even split across chunks', () => {
    const hub = new Hub();
    const cap = new Capture();
    hub.add(cap);
    play(hub, 's1', LOGIN_SCRIPT);
    const c2s = cap.bytes('c2s').toString();
    expect(c2s).not.toContain('secret');
    expect(c2s).not.toContain('hunter');
    expect(c2s).toBe(
      'a1 LOGIN alice "******"\r\na2 LOGIN {5}\r\nalice {6}\r\n******\r\na3 SELECT INBOX\r\na4 LOGOUT\r\n',
    );
  });

  it('keep every byte and length otherwise', () => {
    const hub = new Hub();
    const cap = new Capture();
    hub.add(cap);
    play(hub, 's1', LOGIN_SCRIPT);
    const s2c = LOGIN_SCRIPT.filter(([d]) => d === 's2c')
      .map(([, t]) => t)
      .join('');
    const c2s = LOGIN_SCRIPT.filter(([d]) => d === 'c2s')
      .map(([, t]) => t)
      .join('');
    expect(cap.bytes('s2c').toString()).toBe(s2c);
    expect(cap.bytes('c2s').length).toBe(c2s.length);
  });

  it('are let through past the hold cap when a message never completes', () => {
    const hub = new Hub();
    const cap = new Capture();
    hub.add(cap);
    const big = 'x'.repeat(300 * 1024);
    play(hub, 's1', [
      ['s2c', '* OK ready\r\n'],
      ['c2s', 'a1 APPEND INBOX {400000}\r\n'],
      ['s2c', '+ go\r\n'],
      ['c2s', big],
    ]);
    expect(cap.bytes('c2s').length).toBe('a1 APPEND INBOX {400000}\r\n'.length + big.length);
  });
});

/** Issue 11 finding 4: one client write of a long message and then a LOGIN. */
const LONG_THEN_LOGIN: Record<string, string> = {
  'a 300 KiB SEARCH line': `a1 SEARCH TEXT "${'x'.repeat(300 * 1024)}"\r\na2 LOGIN user secretpass\r\n`,
  'a 300 KiB APPEND literal': `a1 APPEND INBOX {${300 * 1024}+}\r\n${'y'.repeat(300 * 1024)}\r\na2 LOGIN user secretpass\r\n`,
};

describe('a long message and a LOGIN in one client write', () => {
  for (const [name, write] of Object.entries(LONG_THEN_LOGIN)) {
    it(`never lets the password through to the archive after ${name}`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-masking-'));
      try {
        const archive = new Archive(path.join(dir, 'archive.sqlite'));
        const hub = new Hub();
        const cap = new Capture();
        hub.add(cap);
        hub.add(archive);
        play(hub, 's1', [
          ['s2c', '* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n'],
          ['c2s', write],
          ['s2c', 'a1 OK done\r\na2 OK logged in\r\n'],
        ]);
        archive.flush();
        const c2s = cap.bytes('c2s');
        expect(c2s.length).toBe(Buffer.byteLength(write));
        expect(c2s.includes('secretpass')).toBe(false);
        expect(c2s.toString('latin1')).toBe(write.replace('secretpass', '*'.repeat(10)));
        const stored = Buffer.concat([...sessionChunks(archive.db, 's1')].map((c) => c.data));
        expect(stored.includes('secretpass')).toBe(false);
        const src = archiveSource(archive.db, 's1');
        for (const format of ['transcript', 'pcapng'] as const) {
          const rendered = Buffer.concat([...renderExport(src!, format)]);
          expect(rendered.includes('secretpass')).toBe(false);
        }
        await archive.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
