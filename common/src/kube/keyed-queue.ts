import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';

export type ReconcileResult = void | { requeueAfterMs?: number };
export type Reconcile = (key: string) => Promise<ReconcileResult>;

/** Where a queue reports its reconciles and depth (the hub-manager's Prometheus metrics). */
export interface QueueMetrics {
  observe(queue: string, seconds: number, failed: boolean): void;
  track(queue: string, depth: () => number): void;
}

interface KeyState {
  running: boolean;
  dirty: boolean;
  failures: number;
  timer?: NodeJS.Timeout;
}

/**
 * Level-triggered work queue: at most one reconcile per key at a time (a key enqueued while
 * it runs runs once more afterwards), failures retried with capped exponential backoff.
 */
export class KeyedQueue {
  private readonly keys = new Map<string, KeyState>();
  private readonly pending: string[] = [];
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly log: Logger;
  private readonly maxBackoffMs: number;
  private readonly concurrency: number;
  private readonly name: string;
  private readonly metrics: QueueMetrics | undefined;

  constructor(
    private readonly reconcile: Reconcile,
    opts: {
      logger?: Logger;
      maxBackoffMs?: number;
      concurrency?: number;
      name?: string;
      metrics?: QueueMetrics;
    } = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.concurrency = opts.concurrency ?? 4;
    this.name = opts.name ?? 'queue';
    this.metrics = opts.metrics;
    this.metrics?.track(this.name, () => this.pending.length);
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    const s = this.state(key);
    if (s.timer) {
      clearTimeout(s.timer);
      delete s.timer;
    }
    if (s.running) {
      s.dirty = true;
      return;
    }
    if (!this.pending.includes(key)) this.pending.push(key);
    this.pump();
  }

  /** Resolves when nothing is queued or running (delayed retries do not count). */
  idle(): Promise<void> {
    if (this.active === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.length = 0;
    for (const s of this.keys.values()) if (s.timer) clearTimeout(s.timer);
    await this.idle();
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) {
      s = { running: false, dirty: false, failures: 0 };
      this.keys.set(key, s);
    }
    return s;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.pending.length > 0) {
      const key = this.pending.shift() as string;
      void this.run(key);
    }
    if (this.active === 0 && this.pending.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private async run(key: string): Promise<void> {
    const s = this.state(key);
    s.running = true;
    s.dirty = false;
    this.active++;
    let delay: number | undefined;
    const t0 = performance.now();
    try {
      const res = await this.reconcile(key);
      s.failures = 0;
      delay = res?.requeueAfterMs;
      this.metrics?.observe(this.name, (performance.now() - t0) / 1000, false);
    } catch (e) {
      this.metrics?.observe(this.name, (performance.now() - t0) / 1000, true);
      s.failures++;
      delay = Math.min(100 * 2 ** Math.min(s.failures, 16), this.maxBackoffMs);
      this.log.warn('reconcile failed; will retry', {
        key,
        error: e,
        retryInMs: delay,
        failures: s.failures,
      });
    } finally {
      s.running = false;
      this.active--;
    }
    if (!this.stopped) {
      if (s.dirty) this.enqueue(key);
      else if (delay !== undefined) s.timer = setTimeout(() => this.enqueue(key), delay);
      else if (s.failures === 0) this.keys.delete(key);
    }
    this.pump();
  }
}
