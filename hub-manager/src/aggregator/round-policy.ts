/** Pure round-closing rules, kept apart from I/O so they are easy to test and read. */
import type { FailurePolicy } from './config.js';

export type CloseDecision = 'wait' | 'aggregate' | 'too-few';

export interface RoundTally {
  readonly admitted: ReadonlySet<string>;
  readonly submitted: ReadonlySet<string>;
  readonly failed: ReadonlySet<string>;
  readonly minClients: number;
  readonly deadlinePassed: boolean;
}

/**
 * Close when every admitted cluster has submitted or reported a failure, or at the deadline.
 * With no admitted cluster yet, only the deadline closes the round. When fewer clusters are
 * admitted than a round needs (a client was lost and a replacement may still be admitted), the
 * round waits for the deadline instead of burning a retry on a shortfall of membership: closing
 * early would discard the updates already received and re-run the round for nothing.
 */
export function closeDecision(t: RoundTally): CloseDecision {
  const allReported =
    t.admitted.size > 0 && [...t.admitted].every((c) => t.submitted.has(c) || t.failed.has(c));
  if (!allReported && !t.deadlinePassed) return 'wait';
  if (t.submitted.size >= t.minClients) return 'aggregate';
  return t.deadlinePassed || t.admitted.size >= t.minClients ? 'too-few' : 'wait';
}

/** After a round with too few updates: retry it (attempt+1) or fail the job. */
export function afterTooFew(policy: FailurePolicy, attempt: number): 'retry' | 'fail' {
  return policy.action === 'retryRound' && attempt < policy.maxRetries ? 'retry' : 'fail';
}

/** Bookkeeping a trainer may report with its metrics: the round already records the examples. */
const NOT_MODEL_METRICS = new Set(['examples', 'num_examples']);
/** Timings (`trainSeconds`, …) are the slowest client's, not an example-weighted mean. */
const isTiming = (k: string): boolean => /(Seconds|_seconds)$/.test(k);

/**
 * Model metrics averaged over clients weighted by their example counts (per metric, over
 * clients that sent it); timings are the round's maximum; example counts are left out.
 */
export function weightedMetrics(
  clients: Iterable<{ readonly examples: number; readonly metrics: Readonly<Record<string, number>> }>,
): Record<string, number> {
  const sum: Record<string, number> = {};
  const weight: Record<string, number> = {};
  const slowest: Record<string, number> = {};
  for (const c of clients) {
    for (const [k, v] of Object.entries(c.metrics)) {
      if (NOT_MODEL_METRICS.has(k)) continue;
      if (isTiming(k)) {
        slowest[k] = Math.max(slowest[k] ?? v, v);
        continue;
      }
      sum[k] = (sum[k] ?? 0) + v * c.examples;
      weight[k] = (weight[k] ?? 0) + c.examples;
    }
  }
  return {
    ...Object.fromEntries(Object.keys(sum).map((k) => [k, (sum[k] as number) / (weight[k] as number)])),
    ...slowest,
  };
}

/** Clusters admitted but neither submitted nor failed when the round closed. */
export function stragglers(t: Pick<RoundTally, 'admitted' | 'submitted' | 'failed'>): string[] {
  return [...t.admitted].filter((c) => !t.submitted.has(c) && !t.failed.has(c)).sort();
}
