import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { LOG_BUFFER_BYTES, LOG_RETRY_MS } from './limits.ts';

/** A write of at most this many bytes to a pipe is atomic: lines from two threads never mix. */
const PIPE_BUF = 4096;

export interface LogStreamOptions {
  fd?: number;
  /** Bytes queued while the destination does not take them; past it lines are dropped. */
  capacity?: number;
  /** Turns a JSON line into what is written (pino-pretty's formatter on a terminal). */
  format?: (line: string) => string;
  retryMs?: number;
}

/**
 * The log's destination: writes each line at once when the reader keeps up, and never waits
 * for one that does not. stdout as a pipe is non-blocking once Node has opened it, so a write
 * to a full pipe fails with EAGAIN instead of blocking; the line is then queued (up to
 * `capacity` bytes) and written by a timer when the reader is back. Past the capacity lines
 * are dropped and counted, and the first line after the queue has drained says how many.
 *
 * pino's own destinations retry EAGAIN in a loop (sync) or queue without bound (async): either
 * way an `imapscope | less` left on one page stopped the relay thread in a log call, and with
 * it every session, new LOGINs and SIGTERM (finding 9).
 */
export class LogStream {
  private readonly fd: number;
  private readonly capacity: number;
  private readonly format: (line: string) => string;
  private readonly retryMs: number;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private broken = false;
  /** Lines dropped since the last report. */
  private dropped = 0;
  /** Lines dropped over the stream's life. */
  droppedTotal = 0;

  constructor(opts: LogStreamOptions = {}) {
    this.fd = opts.fd ?? 1;
    this.capacity = opts.capacity ?? LOG_BUFFER_BYTES;
    this.format = opts.format ?? ((line) => line);
    this.retryMs = opts.retryMs ?? LOG_RETRY_MS;
    // Opening process.stdout is what makes a pipe on fd 1 non-blocking (the flag belongs to
    // the pipe, so the inspection thread's writes to fd 1 are non-blocking too).
    if (isMainThread && this.fd === 1) void process.stdout;
  }

  /** pino's destination interface: one JSON line, newline included. Never blocks. */
  write(line: string): boolean {
    if (this.broken) return true;
    const buf = Buffer.from(this.format(line));
    if (this.queue.length === 0) {
      const rest = this.tryWrite(buf);
      if (rest === null) return true;
      this.enqueue(rest, true);
    } else {
      this.enqueue(buf, false);
    }
    this.timer ??= setTimeout(this.retry, this.retryMs).unref();
    return true;
  }

  /** Writes what is queued as far as the destination takes it now; never waits. */
  flushSync(): void {
    while (this.queue.length > 0 && !this.broken) {
      const head = this.queue[0]!;
      const rest = this.tryWrite(head);
      if (rest === head) return;
      this.queue.shift();
      this.queuedBytes -= head.length - (rest?.length ?? 0);
      if (rest) {
        this.queue.unshift(rest);
        return;
      }
    }
    if (this.queue.length === 0) this.reportDrops();
  }

  /** pino's logger.flush(cb): a best effort that never waits for a stalled reader. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  private enqueue(buf: Buffer, partial: boolean): void {
    // The tail of a line half written must follow, or the next line would be glued to its head.
    if (!partial && this.queuedBytes + buf.length > this.capacity) {
      this.dropped += 1;
      this.droppedTotal += 1;
      return;
    }
    this.queue.push(buf);
    this.queuedBytes += buf.length;
  }

  /** Returns null when all was written, else what is left (the same buffer if nothing went). */
  private tryWrite(buf: Buffer): Buffer | null {
    let off = 0;
    try {
      // One write per line (at most PIPE_BUF bytes at a time), so it is atomic in a pipe.
      while (off < buf.length) {
        const n = writeSync(this.fd, buf, off, Math.min(PIPE_BUF, buf.length - off));
        off += n;
      }
      return null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return off === 0 ? buf : buf.subarray(off);
      // EPIPE, EBADF: nobody will ever read this; stop trying, quietly.
      this.broken = true;
      this.queue = [];
      this.queuedBytes = 0;
      return null;
    }
  }

  private readonly retry = (): void => {
    this.timer = null;
    this.flushSync();
    if (this.queue.length > 0) this.timer = setTimeout(this.retry, this.retryMs).unref();
  };

  private reportDrops(): void {
    if (this.dropped === 0) return;
    const line = JSON.stringify({
      level: 40,
      time: Date.now(),
      pid: process.pid,
      droppedLines: this.dropped,
      msg: 'log lines dropped while stdout was not read',
    });
    this.dropped = 0;
    const rest = this.tryWrite(Buffer.from(this.format(line + '\n')));
    if (rest) this.enqueue(rest, true);
  }
}
