/**
 * Preloaded (`node --require`) into the processes the relay and TLS benchmarks measure, so
 * their per-thread CPU time can be told apart: Node 20 names every thread "node", and worker
 * threads cannot be named. Node runs a --require preload in the main thread and again in
 * every worker thread, eval'd ones included (an --import preload skips those), so each thread
 * writes its kernel thread id next to its worker threadId, and each `new Worker(...)` writes
 * the new threadId next to its entry (file, or the start of an eval'd body), one JSON line
 * each, to the file named by IMAPSCOPE_BENCH_THREADS. The main thread also writes which
 * threads are V8's (they exist before any JavaScript runs) and which are libuv's pool (this
 * file starts it: the pool's first job creates all of its threads at once). Does nothing
 * without that variable; costs a few appends per thread, nothing on the measured paths.
 */
'use strict';
/* global require, __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload is CommonJS */
const { appendFileSync, readdirSync, readlinkSync, stat } = require('node:fs');
const Module = require('node:module');
const workerThreads = require('node:worker_threads');

const file = process.env.IMAPSCOPE_BENCH_THREADS;
if (file) {
  const write = (line) => {
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the benchmark then names fewer threads
    }
  };
  const tasks = () => readdirSync('/proc/self/task').map(Number);
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  const { isMainThread, threadId } = workerThreads;
  if (isMainThread) {
    const v8 = tasks().filter((t) => t !== tid);
    stat(__filename, () => {});
    const pool = tasks().filter((t) => t !== tid && !v8.includes(t));
    write({ tid, threadId, v8, pool });
  } else {
    write({ tid, threadId });
  }
  const Original = workerThreads.Worker;
  workerThreads.Worker = class extends Original {
    constructor(entry, options) {
      super(entry, options);
      const text = String(entry);
      write({
        threadId: this.threadId,
        entry: options && options.eval ? `eval:${text.slice(0, 400)}` : text,
      });
    }
  };
  // `import { Worker } from 'node:worker_threads'` then gets the class above too.
  Module.syncBuiltinESMExports();
}
