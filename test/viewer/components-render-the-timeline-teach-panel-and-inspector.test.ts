// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Inspector } from '../../viewer/src/components/Inspector/inspector.tsx';
import { StateDiagram } from '../../viewer/src/components/StateDiagram/state-diagram.tsx';
import { TeachPanel } from '../../viewer/src/components/Teach/teach-panel.tsx';
import { Timeline } from '../../viewer/src/components/Timeline/timeline.tsx';
import { rfcLinks } from '../../viewer/src/format.ts';
import { SessionModel } from '../../viewer/src/state/session-model.ts';
import { SessionScript } from './events.ts';

beforeAll(() => {
  // happy-dom does no layout: give the timeline's scroll box a size.
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    get: () => 520,
    configurable: true,
  });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
    get: () => 900,
    configurable: true,
  });
});
afterEach(cleanup);

function seedModel(): { model: SessionModel; fetch: number; quit: number } {
  const s = new SessionScript().open();
  s.exchange('A0001 LOGIN test ********', 'OK');
  s.push({
    type: 'state.change',
    from: 'not-authenticated',
    to: 'authenticated',
    mailbox: null,
    readOnly: null,
    cause: { tag: 'A0001', command: 'LOGIN', seq: 2, text: 'Logged in' },
  });
  const fetch = s.exchange('A0004 FETCH 1:3', 'BAD');
  s.push({
    type: 'lint',
    severity: 'error',
    code: 'LINT_COMPLETION_BAD',
    title: 'BAD: FETCH needs sequence-set data-items',
    explanation: 'Say what to fetch after the set, e.g. "A0004 FETCH 1:3 (FLAGS ENVELOPE)".',
    rfc: 'RFC 3501 §6.4.5 / RFC 9051 §6.4.5',
    relatedSeq: fetch,
  });
  const quit = s.exchange('A0005 Quit', 'BAD');
  s.push({
    type: 'lint',
    severity: 'warning',
    code: 'LINT_UNKNOWN_COMMAND',
    title: 'QUIT is not an IMAP command',
    explanation: 'To end the session send LOGOUT.',
    rfc: 'RFC 3501 §6.1.3 / RFC 9051 §6.1.3',
    relatedSeq: quit,
  });
  const model = new SessionModel('s1');
  model.add(s.events);
  model.markCaughtUp();
  return { model, fetch, quit };
}

describe('the teach panel', () => {
  it('explains the selected command, where it is valid, and its lint in plain words', () => {
    const { model, fetch } = seedModel();
    const { getByTestId } = render(h(TeachPanel, { model, seq: fetch }));
    const text = getByTestId('teach').textContent ?? '';
    expect(text).toMatch(/Retrieves data about messages/);
    expect(text).toMatch(/Valid in:\s*Selected/);
    expect(text).toMatch(/session was in Authenticated/);
    expect(text).toMatch(/Say what to fetch/);
    const links = [...getByTestId('teach').querySelectorAll('a')].map((a) =>
      a.getAttribute('href'),
    );
    expect(links).toContain('https://www.rfc-editor.org/rfc/rfc3501#section-6.4.5');
  });

  it('says an unknown command is not IMAP and shows the lint', () => {
    const { model, quit } = seedModel();
    const { getByTestId } = render(h(TeachPanel, { model, seq: quit }));
    expect(getByTestId('teach').textContent).toMatch(/QUIT is not an IMAP command imapscope knows/);
    expect(getByTestId('lint').dataset.code).toBe('LINT_UNKNOWN_COMMAND');
  });
});

describe('the state diagram', () => {
  it('highlights the current state and jumps to the cause of a step', () => {
    const { model } = seedModel();
    const onJump = vi.fn();
    const { container, getByTestId } = render(
      h(StateDiagram, { current: model.state, path: model.path, onJump }),
    );
    expect(container.querySelector('.node.current')?.getAttribute('data-state')).toBe(
      'authenticated',
    );
    fireEvent.click(getByTestId('state-path').querySelector('button[data-to="authenticated"]')!);
    expect(onJump).toHaveBeenCalledWith(2);
    fireEvent.click(container.querySelector('[data-edge="not-authenticated>authenticated"]')!);
    expect(onJump).toHaveBeenCalledTimes(2);
  });
});

describe('the inspector', () => {
  it('marks masked secrets, shows literal headers, hex for literal8 and decoded mailbox names', () => {
    const s = new SessionScript().open();
    const login = s.c('a1 LOGIN alice ********');
    const body = new TextEncoder().encode('Subject: Grüße\r\nFrom: a@b.test\r\n\r\nHello');
    const lit = (preview: Uint8Array, literal8: boolean) => ({
      kind: 'sync' as const,
      literal8,
      size: preview.length,
      offset: 0,
      sha256: null,
      preview,
      refused: false,
    });
    const append = s.c('a2 APPEND &AOQ-rger {40}', {
      args: [
        { type: 'atom', value: '&AOQ-rger' },
        { type: 'literal', literal: lit(body, false) },
        { type: 'literal', literal: lit(new Uint8Array([0, 1, 2, 255]), true) },
      ],
    });
    const list = s.untagged('* LIST () "/" &AOQ-rger', {
      kind: 'list',
      attributes: [],
      delimiter: '/',
      mailbox: { name: 'ärger', raw: '&AOQ-rger' },
      extended: [],
    });
    const model = new SessionModel('s1');
    model.add(s.events);
    const a = render(h(Inspector, { model, seq: login }));
    expect(a.container.querySelector('.masked')?.textContent).toBe('********');
    a.unmount();
    const b = render(h(Inspector, { model, seq: append }));
    expect(b.getByTestId('inspector').textContent).toMatch(/Subject.*Grüße/);
    expect(b.getByTestId('hex').textContent).toMatch(/^000000 {2}00 01 02 ff/);
    b.unmount();
    const c = render(h(Inspector, { model, seq: list }));
    expect(c.getByTestId('inspector').textContent).toMatch(/"ärger" ← mUTF-7 &AOQ-rger/);
  });

  it('offers each literal whole as a download, its size first, numbered by stream offset', () => {
    const s = new SessionScript().open();
    const lit = (offset: number, size: number, refused = false) => ({
      kind: 'sync' as const,
      literal8: false,
      size,
      offset,
      sha256: null,
      preview: new Uint8Array(Math.min(size, 4096)).fill(65),
      refused,
    });
    // Listed in the tree after the one that comes first in the stream.
    const fetch = s.untagged('* 1 FETCH (BODY[1] {9000} BODY[HEADER] {300})', {
      kind: 'fetch',
      seq: 1,
      attributes: [
        {
          kind: 'body-section',
          name: 'BODY',
          section: { text: '1', part: [1], specifier: '', fields: [] },
          origin: null,
          value: { type: 'literal', literal: lit(500, 9000) },
        },
        {
          kind: 'body-section',
          name: 'BODY',
          section: { text: 'HEADER', part: [], specifier: 'HEADER', fields: [] },
          origin: null,
          value: { type: 'literal', literal: lit(100, 300) },
        },
      ],
    });
    const refused = s.c('a2 APPEND INBOX {99999999}', {
      args: [
        { type: 'atom', value: 'INBOX' },
        { type: 'literal', literal: lit(20, 99999999, true) },
      ],
    });
    const model = new SessionModel('s1');
    model.add(s.events);
    const a = render(h(Inspector, { model, seq: fetch, token: 'tok' }));
    const links = a.getAllByTestId('literal-download');
    // Listed in stream order (shared messageLiterals), as the REST route numbers them.
    expect(links.map((l) => [l.textContent, l.getAttribute('href')])).toEqual([
      ['⤓ Download all 300 B', `/api/sessions/s1/events/${fetch}/literals/0/body?token=tok`],
      ['⤓ Download all 8.8 KB', `/api/sessions/s1/events/${fetch}/literals/1/body?token=tok`],
    ]);
    a.unmount();
    const b = render(h(Inspector, { model, seq: refused, token: 'tok' }));
    expect(b.queryAllByTestId('literal-download')).toEqual([]);
  });
});

describe('the timeline', () => {
  it('renders only a window of a 100,000-event session', async () => {
    const s = new SessionScript().open();
    while (s.events.length < 100_000) s.exchange(`a${s.events.length} NOOP`, 'OK', ['* 1 EXISTS']);
    const model = new SessionModel('s1');
    const t0 = performance.now();
    model.add(s.events);
    const rows = model.flat();
    const built = performance.now() - t0;
    const { container } = render(
      h(Timeline, {
        model,
        rows,
        selected: -1,
        onSelect: () => undefined,
        onToggle: () => undefined,
        follow: false,
        reveal: 0,
        onScrolledAway: () => undefined,
      }),
    );
    await act(async () => new Promise((r) => setTimeout(r, 20)));
    const shown = container.querySelectorAll('.row').length;
    expect(rows.length).toBeGreaterThan(25_000);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(100);
    // Not a timed assertion: a number for the curious, printed once.
    console.info(
      `100k events → ${rows.length} rows modelled in ${built.toFixed(0)} ms; ${shown} in the DOM`,
    );
  });
});

describe('RFC links', () => {
  it('link each RFC named, to the section when there is one', () => {
    expect(rfcLinks('RFC 3501 §6.1.3 / RFC 9051 §6.1.3').map((l) => l.href)).toEqual([
      'https://www.rfc-editor.org/rfc/rfc3501#section-6.1.3',
      'https://www.rfc-editor.org/rfc/rfc9051#section-6.1.3',
    ]);
    expect(rfcLinks('RFC 4978').map((l) => l.href)).toEqual([
      'https://www.rfc-editor.org/rfc/rfc4978',
    ]);
  });
});
