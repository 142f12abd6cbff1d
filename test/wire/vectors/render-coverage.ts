/** Writes docs/protocol-coverage.md from the vectors: `node --import tsx test/wire/vectors/render-coverage.ts`. */
import { writeFileSync } from 'node:fs';
import { renderCoverage } from './coverage.ts';

const out = new URL('../../../docs/protocol-coverage.md', import.meta.url);
writeFileSync(out, renderCoverage());
console.log(`wrote ${out.pathname}`);
