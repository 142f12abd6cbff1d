/**
 * Starts the archive recovery thread (recovery-thread.ts, around proxy/archive/recovery.ts):
 * a short-lived worker the inspection thread runs once the listener may open, so neither mail
 * traffic nor the UI waits while a large archive is recovered.
 */
import { Worker } from 'node:worker_threads';
import type { RecoveryReport } from '../archive/recovery.ts';
import { COMPILED } from '../paths.ts';

export interface RecoveryJob {
  file: string;
  retainDays: number;
  maxBytes: number;
  /** Test only: wait until this file exists before starting (see InspectionConfig). */
  testHoldUntil?: string;
}

export type RecoveryDone = { ok: true; report: RecoveryReport } | { ok: false; message: string };

/** Runs the recovery in a thread of its own; resolves with its report or its one-line failure. */
export function recoverInThread(job: RecoveryJob): Promise<RecoveryDone> {
  // Compiled, the worker runs recovery-thread.js; from the sources, the tsx entry.
  const entry = COMPILED ? './recovery-thread.js' : './recovery-entry.mjs';
  const worker = new Worker(new URL(entry, import.meta.url), { workerData: job });
  return new Promise((resolve) => {
    worker.once('message', (m: RecoveryDone) => resolve(m));
    worker.once('error', (err) => resolve({ ok: false, message: err.message }));
    worker.once('exit', (code) =>
      resolve({ ok: false, message: `recovery thread exited with code ${code}` }),
    );
  });
}
