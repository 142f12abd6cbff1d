// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanup, fireEvent, render } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiteralRef } from '../../shared/messages.ts';
import { decodeEncodedWords } from '../../shared/encoded-words.ts';
import { LiteralView } from '../../viewer/src/components/Inspector/literal-view.tsx';
import { SessionView } from '../../viewer/src/components/SessionView/session-view.tsx';
import { Markdown } from '../../viewer/src/components/Teach/markdown.tsx';
import { TeachPanel } from '../../viewer/src/components/Teach/teach-panel.tsx';
import { Timeline } from '../../viewer/src/components/Timeline/timeline.tsx';
import { formatLatency } from '../../viewer/src/format.ts';
import { AppStore } from '../../viewer/src/state/app-store.ts';
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

// Not helpers/imapscope.ts's REPO_ROOT: under happy-dom `URL` is the DOM's, which Node's
// fileURLToPath refuses.
const VIEWER = path.join(import.meta.dirname, '../../viewer');

/** LOGIN → Authenticated, SELECT → Selected, a BAD FETCH with its lint, TLS, LOGOUT → Logout. */
function learnerSession() {
  const s = new SessionScript().open();
  s.push({
    type: 'tls.established',
    leg: 'upstream',
    via: 'implicit',
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    sni: 'imap.example.test',
    alpn: null,
    authorized: true,
    authorizationError: null,
    certificate: null,
  });
  const step = (
    from: 'not-authenticated' | 'authenticated' | 'selected',
    to: 'authenticated' | 'selected' | 'logout',
    seq: number,
    command: string,
  ) =>
    s.push({
      type: 'state.change',
      from,
      to,
      mailbox: to === 'selected' ? 'INBOX' : null,
      readOnly: to === 'selected' ? false : null,
      cause: { tag: null, command, seq, text: 'done' },
    });
  const login = s.exchange('A1 LOGIN learner ********', 'OK');
  step('not-authenticated', 'authenticated', login, 'LOGIN');
  const select = s.exchange('A2 SELECT INBOX', 'OK', ['* 3 EXISTS']);
  step('authenticated', 'selected', select, 'SELECT');
  const fetch = s.exchange('A3 FETCH 1:3', 'BAD');
  s.push({
    type: 'lint',
    severity: 'error',
    code: 'LINT_COMPLETION_BAD',
    title: 'BAD: FETCH needs `sequence-set data-items`',
    explanation:
      'Say **what** to fetch, e.g. `A3 FETCH 1:3 (FLAGS)`; see [RFC 9051](https://www.rfc-editor.org/rfc/rfc9051).',
    rfc: 'RFC 9051 §6.4.5',
    relatedSeq: fetch,
  });
  const logout = s.exchange('A4 LOGOUT', 'OK', ['* BYE']);
  step('selected', 'logout', logout, 'LOGOUT');
  // One exchange answered within a millisecond.
  const x = s.events.find((e) => e.type === 'exchange' && e.commandSeq === select);
  if (x?.type === 'exchange') x.latencyMs = 0.04;
  const model = new SessionModel('s1');
  model.add(s.events);
  model.markCaughtUp();
  return { model, login, select, fetch, logout };
}

const timelineProps = (model: SessionModel) => ({
  model,
  rows: model.flat(),
  selected: -1,
  onSelect: () => undefined,
  onToggle: () => undefined,
  follow: false,
  reveal: 0,
  onScrolledAway: () => undefined,
});

describe('the state diagram in the session view', () => {
  it('follows the selected row, and shows the live state again when following', () => {
    const { model, login, select, fetch } = learnerSession();
    const { container, getByTestId } = render(
      h(SessionView, { store: new AppStore(null), model, onBack: () => undefined }),
    );
    const current = () =>
      container.querySelector('.diagram .node.current')?.getAttribute('data-state');
    const click = (seq: number) =>
      fireEvent.click(container.querySelector(`.timeline [data-seq="${seq}"]`)!);
    expect(current()).toBe('logout');
    click(login);
    expect(current()).toBe('authenticated');
    expect(getByTestId('state-caption').textContent).toMatch(/as of #\d+ A1 LOGIN/);
    click(select);
    expect(current()).toBe('selected');
    click(fetch);
    expect(current()).toBe('selected');
    // Later steps stay listed, muted.
    expect(container.querySelectorAll('.path li.later')).toHaveLength(1);
    fireEvent.keyDown(window, { key: 'f' });
    expect(current()).toBe('logout');
    expect(getByTestId('state-caption').textContent).toMatch(/live/);
  });
});

describe('the teach panel', () => {
  it('renders backticks, bold and links in the reference and the lints as Markdown', () => {
    const { model, fetch } = learnerSession();
    const { getByTestId } = render(h(TeachPanel, { model, seq: fetch }));
    const teach = getByTestId('teach');
    expect(teach.textContent).not.toContain('`');
    expect(teach.textContent).not.toContain('**');
    const codes = [...teach.querySelectorAll('code')].map((c) => c.textContent);
    expect(codes).toContain('1:3');
    expect(codes).toContain('A3 FETCH 1:3 (FLAGS)');
    const lint = getByTestId('lint');
    expect(lint.querySelector('b')?.textContent).toBe('what');
    expect(
      lint.querySelector('a[href="https://www.rfc-editor.org/rfc/rfc9051"]')?.textContent,
    ).toBe('RFC 9051');
  });

  it('links only http(s) URLs and leaves unclosed markers as they are', () => {
    const { container } = render(
      h(Markdown, { text: 'a `b and [x](javascript:alert(1)) and *c* and 2 * 3 * 4' }),
    );
    expect(container.querySelector('a')).toBeNull();
    expect(container.querySelector('i')?.textContent).toBe('c');
    expect(container.textContent).toBe('a `b and [x](javascript:alert(1)) and c and 2 * 3 * 4');
  });
});

describe('the timeline', () => {
  it('titles a lint in plain words with its code in small print', () => {
    const { model } = learnerSession();
    const { container } = render(h(Timeline, timelineProps(model)));
    const row = container.querySelector('.row.lint')!;
    expect(row.textContent).not.toMatch(/completion_bad:/);
    expect(row.querySelector('.text')?.textContent).toMatch(/^BAD: FETCH needs sequence-set/);
    expect(row.querySelector('.text code')?.textContent).toBe('sequence-set data-items');
    expect(row.querySelector('.lint-code')?.textContent).toBe('LINT_COMPLETION_BAD');
  });

  it('says <1 ms for a sub-millisecond exchange, not 0.0 ms', () => {
    const { model, select } = learnerSession();
    const { container } = render(h(Timeline, timelineProps(model)));
    const ms = container.querySelector(`[data-seq="${select}"] .latency .ms`)!;
    expect(ms.textContent).toBe('<1 ms');
    expect(container.textContent).not.toContain('0.0 ms');
    expect([0, 0.999, 1, 2.54, 10, 123.4].map(formatLatency)).toEqual([
      '<1 ms',
      '<1 ms',
      '1.0 ms',
      '2.5 ms',
      '10 ms',
      '123 ms',
    ]);
  });

  it('draws the TLS icon as an inline SVG, not a glyph fonts may lack', () => {
    const { model } = learnerSession();
    const { container } = render(h(Timeline, timelineProps(model)));
    const tls = [...container.querySelectorAll('.row.note')].find((r) =>
      r.textContent?.includes('TLS on the upstream leg'),
    )!;
    expect(tls.querySelector('svg[data-testid="lock-icon"]')).not.toBeNull();
    expect(tls.textContent).not.toContain('⚿');
  });
});

describe('the page', () => {
  it('has a favicon', () => {
    const html = readFileSync(path.join(VIEWER, 'index.html'), 'utf8');
    expect(html).toMatch(/<link rel="icon" type="image\/svg\+xml" href="\.\/favicon\.svg"/);
    expect(readFileSync(path.join(VIEWER, 'public/favicon.svg'), 'utf8')).toMatch(
      /^<svg [^>]*xmlns=/,
    );
  });
});

describe('literal previews', () => {
  const literal = (text: string): LiteralRef => {
    const preview = new TextEncoder().encode(text);
    return {
      kind: 'sync',
      literal8: false,
      size: preview.length,
      offset: 0,
      sha256: null,
      preview,
      refused: false,
    };
  };

  it('decode RFC 2047 encoded words in headers and UTF-8 in the body', () => {
    const { getByTestId } = render(
      h(LiteralView, {
        index: 0,
        literal: literal(
          'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?= =?UTF-8?B?ZGVtIFZpZXdlcg==?=\r\n' +
            'From: =?iso-8859-1?q?J=F6rg?= <j@example.test>\r\n\r\nGrüße! imapscope’s test\r\n',
        ),
      }),
    );
    const text = getByTestId('literal').textContent ?? '';
    expect(text).toContain('Grüße ausdem Viewer');
    expect(text).toContain('Jörg <j@example.test>');
    expect(text).toContain('Grüße! imapscope’s test');
    expect(text).not.toContain('·');
  });

  it('decode a UTF-8 preview that is not a message', () => {
    const text = 'Grüße ohne Kopfzeilen, mit einem Steuerzeichen\x01 darin';
    const { getByTestId } = render(h(LiteralView, { index: 0, literal: literal(text) }));
    expect(getByTestId('literal').querySelector('pre')?.textContent).toBe(
      'Grüße ohne Kopfzeilen, mit einem Steuerzeichen· darin',
    );
  });

  it('leave encoded words they cannot decode as they came', () => {
    expect(decodeEncodedWords('=?x-unknown?B?QUJD?= and =?UTF-8?B?***?=')).toBe(
      '=?x-unknown?B?QUJD?= and =?UTF-8?B?***?=',
    );
    expect(decodeEncodedWords('plain =?utf-8?b?w6Q=?= text')).toBe('plain ä text');
  });
});
