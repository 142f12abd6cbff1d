/**
 * The raw archive's writer thread (used by raw-files.ts): appends to segment files happen on a
 * thread of their own, so the inspection thread decodes the next bytes while the disk takes the
 * last ones. A bulk FETCH's synchronous direct writes were most of the inspection thread's busy
 * time (628 of 1,052 ms per 525 MB, mostly waiting on the disk), and a lossless relay can go no
 * faster than that thread.
 *
 * The bytes travel in slots: ArrayBuffers moved (transferred, not copied) to the thread with
 * their job and moved back when it is done. Not one SharedArrayBuffer: V8 copies into shared
 * memory with relaxed atomic stores, about 0.3 ms per MB on our machines against a plain
 * memcpy's few hundredths. The thread does the jobs one at a time, in the order they were
 * sent, and after each bumps a shared counter, so the owner can block on it (Atomics.wait)
 * when it must: when every slot is out, or to flush everything (close, a test). Answers (the
 * slot, a failure) are read synchronously from a message port (receiveMessageOnPort), without
 * the owner's event loop. A failed job loses only its own bytes: later jobs still run, each
 * writing its whole range.
 *
 * The thread's body is a few lines of plain JavaScript run with `eval`, so the same code runs
 * from the sources (tests, through tsx) and from the build, without a loader in the thread.
 */
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { closeSync } from 'node:fs';
import { RAW_WRITE_STALL_MS } from '../limits.ts';

/** One write: `length` bytes of a slot (from its aligned start) to `position` in a file. */
export interface WriteJob {
  seq: number;
  length: number;
  position: number;
  /** How many of the bytes (from the start) go through `direct`, an O_DIRECT descriptor. */
  whole: number;
  direct: number;
  /** The rest go through this (page cache) descriptor. */
  fd: number;
}

/** A slot: its memory and where in it the bytes start (aligned for O_DIRECT once probed). */
export interface Slot {
  buffer: ArrayBuffer;
  at: number;
}

/** The thread's answer to a job. */
interface Answer {
  seq: number;
  buffer: ArrayBuffer;
  at: number;
  code?: string;
  message?: string;
}

const BODY = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { control, port } = workerData;
port.on('message', (m) => {
  const bytes = Buffer.from(m.buffer);
  const answer = { seq: m.seq, buffer: m.buffer, at: m.at };
  try {
    let done = 0;
    while (done < m.whole) done += writeSync(m.direct, bytes, m.at + done, m.whole - done, m.position + done);
    while (done < m.length) done += writeSync(m.fd, bytes, m.at + done, m.length - done, m.position + done);
  } catch (err) {
    answer.code = err && err.code;
    answer.message = String((err && err.message) || err);
  }
  port.postMessage(answer, [m.buffer]);
  Atomics.store(control, 0, m.seq);
  Atomics.notify(control, 0);
});
`;

/** The writer thread and its slots. */
export class RawWriter {
  /** Every slot (to probe their alignment before the first job). */
  readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  private readonly control: Int32Array;
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private sent = 0;
  private answered = 0;
  private readonly failures = new Map<number, Error>();
  /** Descriptors to close once the job `after` is done. */
  private closing: { after: number; fds: number[] }[] = [];

  /** `count` slots of `bytes` each (and room to align them). */
  constructor(count: number, bytes: number, align: number) {
    for (let i = 0; i < count; i++)
      this.slots.push({ buffer: new ArrayBuffer(bytes + align), at: 0 });
    this.free.push(...this.slots);
    this.control = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(BODY, {
      eval: true,
      workerData: { control: this.control, port: port2 },
      transferList: [port2],
      // The thread only copies bytes to files: a small heap is plenty.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.unref();
    this.port.unref();
  }

  /** A free slot, waiting for the thread to give one back if it holds them all. */
  take(): Slot {
    this.answers();
    while (this.free.length === 0) {
      this.waitFor(this.answered + 1);
    }
    return this.free.pop()!;
  }

  /** Sends a job with its slot (which goes to the thread until the job is done). */
  send(job: WriteJob, slot: Slot): void {
    this.sent = job.seq;
    this.port.postMessage({ ...job, buffer: slot.buffer, at: slot.at }, [slot.buffer]);
  }

  /**
   * Closes descriptors once every job sent before has run. Here, not in the thread: Node warns
   * when a thread closes a descriptor another one opened.
   */
  closeLater(fds: number[]): void {
    if (this.answered >= this.sent) for (const fd of fds) closeSync(fd);
    else this.closing.push({ after: this.sent, fds });
  }

  /** The last job finished (failed ones included); 0 before the first. */
  get done(): number {
    this.answers();
    return this.answered;
  }

  /**
   * Waits until job `seq` has finished. Throws when the thread made no progress for
   * RAW_WRITE_STALL_MS (a disk that hangs): the caller treats that like a failed write.
   */
  waitFor(seq: number): void {
    let since = Date.now();
    let last = this.done;
    while (last < seq) {
      // The thread posts its answer before it bumps the counter: once the counter is read,
      // the answers up to it can be taken, and waiting on it cannot miss one.
      const counter = Atomics.load(this.control, 0);
      if (this.done >= seq) break;
      Atomics.wait(this.control, 0, counter, 1_000);
      const now = this.done;
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > RAW_WRITE_STALL_MS) {
        throw new Error(`raw archive writes made no progress for ${RAW_WRITE_STALL_MS} ms`);
      }
    }
  }

  /** Waits until every job sent has finished. */
  waitAll(): void {
    this.waitFor(this.sent);
  }

  /** The first failure among jobs `first`..`last` (finished), or null. */
  failure(first: number, last: number): Error | null {
    if (this.failures.size === 0) return null;
    for (const [seq, err] of this.failures) if (seq >= first && seq <= last) return err;
    return null;
  }

  /** Forgets failures of jobs up to `seq` (their spans are dealt with). */
  forget(seq: number): void {
    for (const s of this.failures.keys()) if (s <= seq) this.failures.delete(s);
  }

  /** Ends the thread (call after waitAll; closes what closeLater still holds). */
  stop(): void {
    this.answers();
    for (const { fds } of this.closing.splice(0)) for (const fd of fds) closeSync(fd);
    this.port.close();
    void this.worker.terminate();
  }

  /** Takes the thread's answers: slots back, failures noted. */
  private answers(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const a = m.message as Answer;
      this.free.push({ buffer: a.buffer, at: a.at });
      this.answered = a.seq;
      if (a.message !== undefined) {
        this.failures.set(a.seq, Object.assign(new Error(a.message), { code: a.code }));
      }
    }
    while (this.closing.length > 0 && this.closing[0]!.after <= this.answered) {
      for (const fd of this.closing.shift()!.fds) closeSync(fd);
    }
  }
}
