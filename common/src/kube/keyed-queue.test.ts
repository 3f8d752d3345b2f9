import { describe, expect, it } from '@jest/globals';
import { KeyedQueue } from './keyed-queue.js';

describe('KeyedQueue', () => {
  it('never runs one key twice at once and re-runs a key enqueued while running', async () => {
    const running = new Set<string>();
    const calls: string[] = [];
    let overlap = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const q = new KeyedQueue(async (key) => {
      if (running.has(key)) overlap = true;
      running.add(key);
      calls.push(key);
      if (calls.length === 1) await gate;
      running.delete(key);
    });
    q.enqueue('a');
    q.enqueue('a');
    q.enqueue('b');
    await new Promise((r) => setTimeout(r, 10));
    release();
    await q.idle();
    expect(overlap).toBe(false);
    expect(calls.sort()).toEqual(['a', 'a', 'b']);
  });

  it('retries a failing key until it succeeds', async () => {
    let n = 0;
    const q = new KeyedQueue(async () => {
      n++;
      if (n < 3) throw new Error('transient');
    });
    q.enqueue('k');
    while (n < 3) await new Promise((r) => setTimeout(r, 50));
    await q.idle();
    expect(n).toBe(3);
    await q.stop();
  });
});
