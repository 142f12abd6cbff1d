import { describe, expect, it } from 'vitest';
import { InspectionBacklog, type BacklogBounds } from '../../proxy/inspection/backlog.ts';

const bounds: BacklogBounds = {
  pauseBytes: 1000,
  resumeBytes: 500,
  sessionPauseBytes: 400,
  sessionResumeBytes: 100,
};

function flow(): { pause(): void; resume(): void; log: string[] } {
  const log: string[] = [];
  return { pause: () => log.push('pause'), resume: () => log.push('resume'), log };
}

describe('the inspection backlog (lossless flow control)', () => {
  it('pauses a session only past its share: at the bound nothing waits, one byte more pauses', () => {
    const b = new InspectionBacklog(bounds);
    const f = flow();
    b.open('a', f);
    b.add('a', 's2c', 400);
    expect(f.log).toEqual([]);
    b.add('a', 'c2s', 1);
    expect(f.log).toEqual(['pause']);
    b.add('a', 's2c', 1000);
    expect(f.log).toEqual(['pause']); // pausing twice is not needed
  });

  it('resumes a session once its own backlog is under the low-water mark, not before', () => {
    const b = new InspectionBacklog(bounds);
    const f = flow();
    b.open('a', f);
    b.add('a', 's2c', 450);
    b.consumed('a', 0, 350);
    b.release();
    expect(f.log).toEqual(['pause']); // 100 left: at the mark, still paused
    b.consumed('a', 0, 1);
    b.release();
    expect(f.log).toEqual(['pause', 'resume']);
    expect(b.isPaused('a')).toBe(false);
  });

  it('pauses whichever session feeds it past the process bound and resumes it when all is under the low mark', () => {
    const b = new InspectionBacklog(bounds);
    const fs = [flow(), flow(), flow()];
    fs.forEach((f, i) => b.open(`s${i}`, f));
    b.add('s0', 's2c', 350);
    b.add('s1', 's2c', 350);
    b.add('s2', 's2c', 300);
    expect(fs.map((f) => f.log)).toEqual([[], [], []]); // 1000 in all: at the bound
    b.add('s2', 'c2s', 10);
    expect(fs.map((f) => f.log)).toEqual([[], [], ['pause']]);
    // s0 and s1 drain; 310 left in all (under 500), and s2's own 310 is over its 100.
    b.consumed('s0', 0, 350);
    b.consumed('s1', 0, 350);
    b.release();
    expect(fs[2]!.log).toEqual(['pause']);
    b.consumed('s2', 10, 250);
    b.release();
    expect(fs[2]!.log).toEqual(['pause', 'resume']);
  });

  it('never pauses a session without flow control (best-effort) but still counts it', () => {
    const b = new InspectionBacklog(bounds);
    b.open('a', null);
    b.add('a', 's2c', 5000);
    expect(b.total).toBe(5000);
    expect(b.isPaused('a')).toBe(false);
  });

  it('hands over what was in flight when inspection is lost, and lets every session go', () => {
    const b = new InspectionBacklog(bounds);
    const f = flow();
    b.open('a', f);
    b.open('b', flow());
    b.add('a', 'c2s', 20);
    b.add('a', 's2c', 500);
    const lost = b.lose();
    expect([...lost]).toEqual([['a', { c2s: 20, s2c: 500 }]]);
    expect(f.log).toEqual(['pause', 'resume']);
    expect(b.total).toBe(0);
    expect(b.inFlight('a')).toEqual({ c2s: 0, s2c: 0 });
  });

  it('keeps a closed session’s bytes in the total until inspection reports them', () => {
    const b = new InspectionBacklog(bounds);
    b.open('a', flow());
    b.add('a', 's2c', 300);
    b.close('a');
    expect(b.total).toBe(300);
    b.consumed('a', 0, 300);
    expect(b.total).toBe(0);
  });
});
