/**
 * The hub↔aggregator job contract, part 3: the evaluation result the evaluation Job writes
 * (evaluation.json next to the final model) and the FL controller reads into status.
 */
import type { EvaluationStatus } from '../api/federated-learning.js';

/** File name of the evaluation result in the job storage. */
export const EVALUATION_FILE = 'evaluation.json';

/**
 * Parse evaluation.json: `{accuracy, perClassAccuracy: {label: recall}, examples}`; perClass
 * may also be an array indexed by class. Undefined when the content is not that shape.
 */
export function parseEvaluation(raw: unknown): EvaluationStatus | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const out: EvaluationStatus = {};
  if (typeof r.accuracy === 'number') out.accuracy = r.accuracy;
  if (typeof r.examples === 'number') out.examples = Math.round(r.examples);
  const pc = r.perClassAccuracy ?? r.perClass;
  if (Array.isArray(pc)) out.perClassAccuracy = Object.fromEntries(pc.map((v, i) => [String(i), Number(v)]));
  else if (pc && typeof pc === 'object')
    out.perClassAccuracy = Object.fromEntries(
      Object.entries(pc).filter(([, v]) => typeof v === 'number'),
    ) as Record<string, number>;
  return out.accuracy === undefined && !out.perClassAccuracy ? undefined : out;
}
