import { describe, expect, it } from 'vitest';
import { Hub } from '../../proxy/hub/hub.ts';
import { Capture, play } from './helpers.ts';

describe('raw bytes after a refused zero-length literal', () => {
  it('have the password of the LOGIN that follows masked for the archive', () => {
    for (const script of [
      [
        ['s2c', '* PREAUTH ready\r\n'],
        ['c2s', 'x APPEND INBOX {0}\r\n'],
        ['s2c', 'x NO [TRYCREATE] no such mailbox\r\n'],
        ['c2s', 'y LOGIN user s3cr3t-pw\r\n'],
        ['s2c', 'y OK done\r\n'],
      ],
      [
        ['s2c', '* PREAUTH ready\r\n'],
        ['c2s', 'x APPEND INBOX {0}\r\ny LOGIN user s3cr3t-pw\r\n'],
        ['s2c', 'x NO [TRYCREATE] no such mailbox\r\ny OK done\r\n'],
      ],
    ] as ['c2s' | 's2c', string][][]) {
      const hub = new Hub();
      const cap = new Capture();
      hub.add(cap);
      play(hub, 's1', script);
      expect(cap.bytes('c2s').toString()).toBe('x APPEND INBOX {0}\r\ny LOGIN user *********\r\n');
      expect(JSON.stringify(cap.events)).not.toContain('s3cr3t');
    }
  });
});
