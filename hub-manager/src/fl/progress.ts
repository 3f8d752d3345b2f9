/** Aggregator progress (state.json) and evaluation result mapped into FL status. Pure. */
import type { EvaluationStatus, RoundStatus } from '@ocm-fl/common/api/federated-learning.js';
import type { JobState } from '@ocm-fl/common/job-contract/state.js';

export { parseEvaluation } from '@ocm-fl/common/job-contract/evaluation.js';

export type { JobState };

/** Aggregated rounds of the history, newest last (retries and failed attempts left out). */
export function roundsFromState(state: JobState): RoundStatus[] {
  return state.history
    .filter((r) => r.outcome === 'aggregated')
    .map((r) => ({
      round: r.round,
      participants: [...r.participants].sort(),
      examples: r.examples,
      metrics: { ...r.metrics },
      durationSeconds: Math.round(r.durationMs) / 1000,
      modelDigest: r.sha256,
    }));
}

const PREFERRED_METRICS = ['accuracy', 'val_accuracy', 'loss', 'val_loss'];

/**
 * "name=value" for the METRIC printer column: the held-out accuracy once the final model was
 * evaluated (what the job is judged by), else the newest round's main training metric.
 */
export function lastMetric(
  rounds: readonly RoundStatus[],
  evaluation?: EvaluationStatus,
): string | undefined {
  if (evaluation?.accuracy !== undefined) return `heldOutAccuracy=${evaluation.accuracy.toFixed(4)}`;
  const m = rounds.at(-1)?.metrics;
  if (!m) return undefined;
  const key = PREFERRED_METRICS.find((k) => k in m) ?? Object.keys(m).sort()[0];
  if (key === undefined) return undefined;
  const v = m[key] as number;
  return `${key}=${Number.isInteger(v) ? v : v.toFixed(4)}`;
}
