// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { WireDecoder } from '../../proxy/wire/index.ts';
import { DecodedTree } from '../../viewer/src/components/Inspector/decoded-tree.tsx';

afterEach(cleanup);

const decode = (line: string) =>
  new WireDecoder('s2c').push(Buffer.from(`* OK hi\r\n${line}\r\n`))[1];

describe('the inspector tree', () => {
  it('renders the typed extension shapes and the generic form of an unknown response', () => {
    for (const [line, texts] of [
      [
        '* ESEARCH (TAG "a") UID ADDTO (0 3:4) PARTIAL (1:5 NIL)',
        ['esearch', 'ADDTO', '"3:4"', '"1:5"'],
      ],
      ['* THREAD (2)(3 6 (4 23))', ['thread', 'uid', '23']],
      ['* QUOTA "" (STORAGE 10 512)', ['quota', '"STORAGE"', '512']],
      ['* X-FUTURE atom (nested "q") [b]', ['unknown', '"X-FUTURE"', '"atom"', '"q"', '"[b]"']],
    ] as const) {
      const m = decode(line);
      expect(m?.type, line).toBe('untagged');
      const { container } = render(h(DecodedTree, { value: m }));
      for (const t of texts) expect(container.textContent, `${line}: ${t}`).toContain(t);
      cleanup();
    }
  });
});
