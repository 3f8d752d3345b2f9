/** How the runner treats a failed step. Pure. */
import { DataPlaneError } from '@ocm-fl/common/dataplane/errors.js';

export type StepFailure =
  /** Retry the same step after a backoff; the status message says why. */
  | { kind: 'retry'; message: string }
  /** The aggregator no longer takes this round: record it and wait for the next one. */
  | { kind: 'round-closed'; message: string };

const ROUND_GONE = new Set(['FAILED_PRECONDITION', 'OUT_OF_RANGE', 'NOT_FOUND']);

/** `step` is the state the error came from; only round-bound steps can see their round close. */
export function classifyStepError(step: string, e: unknown): StepFailure {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof DataPlaneError) {
    if (ROUND_GONE.has(e.status) && step !== 'poll')
      return { kind: 'round-closed', message: `aggregator refused: ${message}` };
    if (e.status === 'PERMISSION_DENIED' || e.status === 'UNAUTHENTICATED') {
      return { kind: 'retry', message: `aggregator refused the agent certificate (${e.status}): ${message}` };
    }
    return { kind: 'retry', message: `aggregator unreachable (${e.status}): ${message}` };
  }
  return { kind: 'retry', message: `${step} failed: ${message}` };
}

/** Delay before retry `attempt` (1-based): full jitter under an exponential cap. */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  // Never zero: half the cap plus jitter keeps a dead aggregator from being hammered.
  return Math.floor(cap / 2 + random() * (cap / 2));
}
