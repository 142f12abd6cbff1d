/**
 * `npm run fuzz`: the framer+decoder properties (test/wire/properties.ts) at FUZZ_RUNS cases in
 * all (default 100,000), shared evenly between the properties. FUZZ_SEED repeats a run. Prints
 * cases and time per property; exits 1 with the shrunk counterexample when one fails.
 */
import fc from 'fast-check';
import { WIRE_PROPERTIES } from '../wire/properties.ts';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const total = positiveInt('FUZZ_RUNS', 100_000);
const seed = positiveInt('FUZZ_SEED', Date.now() % 2 ** 31);
const each = Math.ceil(total / WIRE_PROPERTIES.length);
console.log(`fuzz: ${each * WIRE_PROPERTIES.length} cases, ${each} per property, seed ${seed}`);

let failed = 0;
const started = performance.now();
for (const p of WIRE_PROPERTIES) {
  const t0 = performance.now();
  const result = fc.check(p.property(), { numRuns: each, seed });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (result.failed) {
    failed++;
    console.log(`FAIL  ${p.name} (${result.numRuns} cases, ${seconds} s)`);
    console.log(fc.defaultReportMessage(result));
  } else console.log(`ok    ${p.name}: ${result.numRuns} cases in ${seconds} s`);
}
const elapsed = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `fuzz: ${failed === 0 ? 'no failure' : `${failed} failing properties`} in ${elapsed} s`,
);
process.exit(failed === 0 ? 0 : 1);
