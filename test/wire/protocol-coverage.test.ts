/**
 * docs/protocol-coverage.md and test/wire/vectors/extensions.ts: every row has a vector, every
 * vector decodes to what it claims with zero malformed messages (whole, byte by byte, random
 * splits), and the doc's totals are the vectors' totals.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAllWays } from './split.ts';
import { VECTORS } from './vectors/extensions.ts';
import {
  coverage,
  decodedKinds,
  decodeVector,
  totals,
  totalsLine,
  vectorBytes,
  vectorDirection,
} from './vectors/coverage.ts';

const doc = readFileSync(new URL('../../docs/protocol-coverage.md', import.meta.url), 'utf8');
/** The doc's table rows, as [decoded, lint-aware, vector name]. */
const docRows = doc
  .split('\n')
  .filter((l) => /^\|.*`[^`]+` *\|$/.test(l))
  .map((l) => {
    const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
    return { decoded: cells[4], lintAware: cells[5], name: cells[6]?.replace(/`/g, '') };
  });

describe('the protocol-coverage vectors', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))(
    '%s decodes to what it claims, with no malformed message, every way it is split',
    (_name, v) => {
      const messages = decodeAllWays(vectorDirection(v), vectorBytes(v));
      const malformed = messages.filter((m) => m.type === 'malformed');
      expect(malformed.map((m) => m.type === 'malformed' && `${m.code}: ${m.reason}`)).toEqual([]);
      expect(decodedKinds(messages)).toContain(v.expect);
    },
  );

  it('have unique names', () => {
    const names = VECTORS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('docs/protocol-coverage.md', () => {
  it('lists every vector once, and only vectors, with the handling the decoder shows', () => {
    expect(docRows.map((r) => r.name)).toEqual(VECTORS.map((v) => v.name));
    for (const [i, v] of VECTORS.entries()) {
      const c = coverage(v, decodeVector(v));
      expect([docRows[i]?.decoded, docRows[i]?.lintAware], v.name).toEqual([
        c.decoded,
        c.lintAware ? 'yes' : '–',
      ]);
    }
  });

  it('gives the totals of the vectors at the top', () => {
    const rows = VECTORS.map((v) => coverage(v, decodeVector(v)));
    expect(doc.split('\n')[2]).toBe(totalsLine(totals(rows, 0)));
  });

  it('covers the extensions the brief names, each with at least one vector', () => {
    const areas = new Set(VECTORS.map((v) => v.area));
    for (const area of [
      'RFC 9051',
      'CONDSTORE',
      'QRESYNC',
      'ESEARCH',
      'PARTIAL',
      'SEARCHRES',
      'SORT',
      'THREAD',
      'ESORT',
      'CONTEXT=SEARCH',
      'LIST-EXTENDED',
      'LIST-STATUS',
      'SPECIAL-USE',
      'METADATA',
      'NOTIFY',
      'QUOTA',
      'ACL',
      'ID',
      'MOVE',
      'UIDPLUS',
      'BINARY',
      'CATENATE',
      'APPENDLIMIT',
      'OBJECTID',
      'SAVEDATE',
      'PREVIEW',
      'STATUS=SIZE',
      'UTF8=ACCEPT',
      'COMPRESS',
      'X-GM-EXT-1',
    ])
      expect(areas.has(area), area).toBe(true);
  });
});
