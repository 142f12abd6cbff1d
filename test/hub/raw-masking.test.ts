import { describe, expect, it } from 'vitest';
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
