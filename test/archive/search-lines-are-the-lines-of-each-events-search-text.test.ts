import { describe, expect, it } from 'vitest';
import { addSearchLines, searchText } from '../../proxy/archive/search-text.ts';
import { Hub } from '../../proxy/hub/hub.ts';
import { LITERALS_EVERYWHERE } from '../helpers/literal-session.ts';
import { Capture, play } from '../hub/helpers.ts';

describe("the archive's search lines of a session", () => {
  it("are each event's search text split into lines, each distinct line once", () => {
    const hub = new Hub();
    const capture = new Capture();
    hub.add(capture);
    play(hub, 's1', LITERALS_EVERYWHERE);
    const expected = new Set<string>();
    const lines = new Set<string>();
    for (const e of capture.events) {
      const text = searchText(e);
      if (text !== '') for (const line of text.split('\n')) expected.add(line);
      addSearchLines(e, lines);
    }
    expect([...lines]).toEqual([...expected]);
    // The corpus reaches every kind of text: decoded mailbox names and literal header blocks.
    expect(lines).toContain('äpfel');
    expect(lines).toContain('Subject: x');
    expect(lines).toContain('Subject: hi');
    expect(capture.events.filter((e) => e.type === 'malformed')).toEqual([]);
  });
});
