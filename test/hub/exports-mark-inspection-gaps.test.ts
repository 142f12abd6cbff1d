import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withGapMarkers } from '../../proxy/export/index.ts';
import type { ExportChunk } from '../../proxy/export/index.ts';
import { writePcapng } from '../../proxy/export/pcapng.ts';
import { parseTranscript, writeTranscript } from '../../proxy/export/transcript.ts';

// A session whose FETCH literal lost 3 bytes to inspection (--inspection best-effort): the
// archive's raw bytes have the same hole, and every export must say where it is.
const at = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const raw: ExportChunk[] = [
  { direction: 's2c', at, data: Buffer.from('* OK hi\r\n') },
  { direction: 'c2s', at: at + 1, data: Buffer.from('a1 FETCH 1 BODY[]\r\n') },
  { direction: 's2c', at: at + 2, data: Buffer.from('* 1 FETCH (BODY[] {10}\r\n01234') },
  { direction: 's2c', at: at + 4, data: Buffer.from('89)\r\na1 OK done\r\n') },
];
const gap: ExportChunk = {
  direction: 's2c',
  at: at + 3,
  data: Buffer.alloc(0),
  gap: { droppedBytes: 3, droppedChunks: 1 },
};

describe('exports of a session with an inspection gap', () => {
  it('place the gap between the chunks that crossed the relay before and after it', () => {
    expect([...withGapMarkers(raw, [gap])]).toEqual([raw[0], raw[1], raw[2], gap, raw[3]]);
  });

  it('write a comment line in the transcript and end the line the hole cut short', () => {
    const text = [...writeTranscript('session=x', withGapMarkers(raw, [gap]))].join('');
    expect(text.split('\n').slice(4, 7)).toEqual([
      '2026-01-02T03:04:05.002Z S: 01234\\',
      '# 2026-01-02T03:04:05.003Z gap S: 3 bytes (1 chunks) relayed but not inspected',
      '2026-01-02T03:04:05.004Z S: 89)',
    ]);
    // Reading it back gives the bytes that were archived, the hole left out.
    const back = parseTranscript(text).filter((c) => c.direction === 's2c');
    expect(Buffer.concat(back.map((c) => c.data)).toString()).toBe(
      '* OK hi\r\n* 1 FETCH (BODY[] {10}\r\n0123489)\r\na1 OK done\r\n',
    );
  });

  it('skip the lost bytes in the pcapng TCP stream and comment the next packet, as tshark reads it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imapscope-gap-pcap-'));
    try {
      const file = path.join(dir, 'gap.pcapng');
      const ends = {
        client: { host: '127.0.0.1', port: 50000 },
        server: { host: '127.0.0.2', port: 143 },
        startedAt: at,
        endedAt: at + 5,
      };
      writeFileSync(file, Buffer.concat([...writePcapng(ends, withGapMarkers(raw, [gap]))]));
      const rows = execFileSync(
        'tshark',
        ['-r', file, '-T', 'fields', '-e', 'frame.comment', '-e', 'tcp.analysis.lost_segment'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      const marked = rows.filter((r) => r[0] !== '');
      expect(marked).toEqual([
        [
          'imapscope: inspection gap, 3 bytes (1 chunks) s2c relayed but not inspected before this packet',
          '1',
        ],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
