/**
 * Publishes the aggregator's job state (state.json) to a ConfigMap the FL controller reads, so
 * the hub-manager needs no view of the job's storage volume (no ReadWriteMany claim). The
 * controller creates the ConfigMap and a Role that lets the aggregator's ServiceAccount update
 * only that object; the aggregator never creates anything.
 *
 * Writes are coalesced (only the newest state matters) and retried until they land; the file
 * on the job storage stays the aggregator's own source of truth for resuming.
 */
import type { Logger } from '@ocm-fl/common/logger.js';
import type { JobState } from './state-store.js';

/** Key of the state in the ConfigMap, the same name as the file on storage. */
export { STATE_KEY } from '@ocm-fl/common/job-contract/state.js';
import { STATE_KEY } from '@ocm-fl/common/job-contract/state.js';

/**
 * Round records kept in the published copy. A ConfigMap holds at most 1 MiB; the oldest rounds
 * are dropped beyond this (the file on storage keeps all of them).
 */
export const PUBLISHED_ROUNDS = 200;

export interface StateTarget {
  readonly namespace: string;
  readonly name: string;
}

/** Applies a JSON merge patch to the target ConfigMap (the caller picks the API client). */
export type MergePatch = (patch: unknown) => Promise<void>;

/** The copy that is published: newest PUBLISHED_ROUNDS round records. Pure. */
export function publishedState(s: JobState): JobState {
  return s.history.length <= PUBLISHED_ROUNDS ? s : { ...s, history: s.history.slice(-PUBLISHED_ROUNDS) };
}

export class StatePublisher {
  private latest: JobState | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly patch: MergePatch,
    private readonly target: StateTarget,
    private readonly log: Logger,
    private readonly retryMs = 2_000,
  ) {}

  /** Queue `state`; returns at once. An older state still queued is replaced. */
  publish(state: JobState): void {
    this.latest = state;
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // A state queued between the loop's last check and here still gets written.
      if (this.latest) this.kick();
    });
  }

  /** Resolve once everything queued so far was written (or `timeoutMs` passed). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running && Date.now() < deadline)
      await Promise.race([
        this.running,
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
      ]);
    return !this.running;
  }

  /** Stop retrying; a write in flight finishes. */
  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    while (this.latest && !this.stopped) {
      const s = this.latest;
      try {
        await this.patch({ data: { [STATE_KEY]: JSON.stringify(publishedState(s)) } });
        if (this.failing) this.log.info('job state published again', { configMap: this.target.name });
        this.failing = false;
        if (this.latest === s) this.latest = undefined;
      } catch (e) {
        if (!this.failing)
          this.log.warn('cannot publish the job state; retrying', {
            configMap: `${this.target.namespace}/${this.target.name}`,
            error: (e as Error).message,
          });
        this.failing = true;
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
  }
}
