/**
 * `npm run fuzz`: the framer+decoder properties (test/wire/properties.ts) and the PROXY header
 * parser's (test/fuzz/proxy-header.ts) at FUZZ_RUNS cases in all (default 100,000), shared
 * evenly between the properties; then the live targets
 * (test/fuzz/live-targets.ts: random HTTP at the UI port, mutated IMAP through the relay from
 * the client and from the server) against a real imapscope in front of Dovecot, FUZZ_SECONDS
 * each (default 60). FUZZ_SEED repeats a run; FUZZ_TARGETS=wire,proxy-header,ui-http,... runs
 * only those.
 * Prints cases and time per property or target; exits 1 with the findings when one fails.
 */
import fc from 'fast-check';
import { WIRE_PROPERTIES } from '../wire/properties.ts';
import { LIVE_TARGETS, runLiveTargets } from './live-targets.ts';
import { PROXY_HEADER_PROPERTIES } from './proxy-header.ts';

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
const seconds = positiveInt('FUZZ_SECONDS', 60);
const only = process.env.FUZZ_TARGETS?.split(',').map((s) => s.trim());
const wanted = (name: string): boolean => !only || only.includes(name);
const properties = [
  ...(wanted('wire') ? WIRE_PROPERTIES : []),
  ...(wanted('proxy-header') ? PROXY_HEADER_PROPERTIES : []),
];
const each = properties.length > 0 ? Math.ceil(total / properties.length) : 0;
const live = LIVE_TARGETS.filter((t) => wanted(t.name));
console.log(
  `fuzz: ${properties.length > 0 ? `${each * properties.length} property cases, ${each} per property; ` : ''}` +
    `${live.length} live targets × ${seconds} s; seed ${seed}`,
);

let failed = 0;
const started = performance.now();
for (const p of properties) {
  const t0 = performance.now();
  const result = fc.check(p.property(), { numRuns: each, seed });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (result.failed) {
    failed++;
    console.log(`FAIL  ${p.name} (${result.numRuns} cases, ${seconds} s)`);
    console.log(fc.defaultReportMessage(result));
  } else console.log(`ok    ${p.name}: ${result.numRuns} cases in ${seconds} s`);
}
if (live.length > 0) {
  const results = await runLiveTargets(live, seconds, seed, (line) => console.log(line));
  for (const r of results.values()) if (r.failures.length > 0) failed++;
}
const elapsed = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `fuzz: ${failed === 0 ? 'no failure' : `${failed} failing properties or targets`} in ${elapsed} s`,
);
process.exit(failed === 0 ? 0 : 1);
