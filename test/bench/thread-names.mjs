/**
 * Preloaded (`node --import`) into the processes the relay benchmark measures, so their
 * per-thread CPU time can be told apart: Node 20 leaves every thread's name "node", and its
 * worker threads cannot be named. Node runs the preload in the main thread and again in every
 * worker thread (they inherit execArgv), so each thread writes its kernel thread id next to its
 * worker threadId, and each `new Worker(...)` writes the new threadId next to its entry (file
 * or eval'd body), one JSON line each, to the file named by IMAPSCOPE_BENCH_THREADS. The main
 * thread also writes the threads that exist before any application code ran (V8's platform
 * threads and libuv's pool). Does nothing without that variable. Costs a few appends per
 * thread: nothing on the measured paths.
 */
import { appendFileSync, readdirSync, readlinkSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const file = process.env.IMAPSCOPE_BENCH_THREADS;
if (file) {
  const write = (line) => {
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the benchmark then names fewer threads
    }
  };
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  const { isMainThread, threadId } = workerThreads;
  write({
    tid,
    threadId,
    ...(isMainThread ? { startup: readdirSync('/proc/self/task').map(Number) } : {}),
  });
  const Original = workerThreads.Worker;
  workerThreads.Worker = class extends Original {
    constructor(entry, options) {
      super(entry, options);
      const text = String(entry);
      write({
        threadId: this.threadId,
        entry: options?.eval ? `eval:${text.slice(0, 400)}` : text,
      });
    }
  };
  // `import { Worker } from 'node:worker_threads'` then gets the class above too.
  syncBuiltinESMExports();
}
