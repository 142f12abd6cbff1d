/** The archive recovery thread's body (started by recovery-client.ts): one job, one answer. */
import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { recoverArchive } from '../archive/recovery.ts';
import type { RecoveryDone, RecoveryJob } from './recovery-client.ts';

async function run(job: RecoveryJob): Promise<RecoveryDone> {
  if (job.testHoldUntil) {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    while (!existsSync(job.testHoldUntil)) Atomics.wait(sleeper, 0, 0, 50);
  }
  try {
    const report = await recoverArchive(job.file, {
      retainDays: job.retainDays,
      maxBytes: job.maxBytes,
    });
    return { ok: true, report };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

const port = parentPort!;
void run(workerData as RecoveryJob).then((done) => {
  port.postMessage(done);
  port.close();
});
