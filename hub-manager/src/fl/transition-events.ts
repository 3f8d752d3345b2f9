/**
 * Events for what changed between two statuses, besides the phase (plan.ts): every condition
 * that flipped, clients that joined a running job (replacement / re-admission), and updates
 * the aggregator rejected. Pure; the recorder deduplicates repeats by reason and message.
 */
import {
  FL_CONDITIONS as C,
  type ClientStatus,
  type FederatedLearningStatus,
} from '@ocm-fl/common/api/federated-learning.js';
import type { FlEvent } from './plan.js';
import type { JobState } from './progress.js';

/** Succeeded/Failed mirror the phase, whose own Event already says it. */
const PHASE_MIRRORS = new Set<string>([C.succeeded, C.failed]);

export function conditionEvents(
  prev: FederatedLearningStatus | undefined,
  next: FederatedLearningStatus,
): FlEvent[] {
  const out: FlEvent[] = [];
  for (const c of next.conditions ?? []) {
    if (PHASE_MIRRORS.has(c.type)) continue;
    const before = prev?.conditions?.find((p) => p.type === c.type);
    if (before?.status === c.status && before.reason === c.reason) continue;
    if (!before && c.status !== 'True') continue; // a condition born False is the phase's story
    out.push({
      type: c.status === 'False' && /Failed|Unreadable|NotEnough/.test(c.reason) ? 'Warning' : 'Normal',
      reason: `${c.type}${c.status === 'True' ? '' : c.status === 'False' ? 'False' : 'Unknown'}`,
      message: `${c.reason}: ${c.message}`,
    });
  }
  return out;
}

const out_ = (c: ClientStatus): boolean => c.state === 'Lost' || c.state === 'Failed';

function membershipEvent(
  c: ClientStatus,
  p: ClientStatus | undefined,
  running: boolean,
): FlEvent | undefined {
  if (!p && running)
    return { type: 'Normal', reason: 'ClientAdded', message: `cluster ${c.cluster} joined the running job` };
  if (p && out_(p) && !out_(c))
    return { type: 'Normal', reason: 'ClientReadmitted', message: `cluster ${c.cluster} is back in the job` };
  return undefined;
}

function rejectionEvent(
  c: ClientStatus,
  p: ClientStatus | undefined,
  agg: JobState | undefined,
): FlEvent | undefined {
  const a = agg?.clients[c.cluster];
  if (a?.state !== 'rejected' || !c.lastError || c.lastError === p?.lastError) return undefined;
  return {
    type: 'Warning',
    reason: 'UpdateRejected',
    message: `cluster ${c.cluster}, round ${a.round}: ${a.message ?? c.lastError}`,
  };
}

export function clientEvents(
  prev: FederatedLearningStatus | undefined,
  next: FederatedLearningStatus,
  agg: JobState | undefined,
): FlEvent[] {
  const before = new Map<string, ClientStatus>((prev?.clients ?? []).map((c) => [c.cluster, c]));
  return (next.clients ?? []).flatMap((c) => {
    const p = before.get(c.cluster);
    return [rejectionEvent(c, p, agg), membershipEvent(c, p, before.size > 0)].filter(
      (e): e is FlEvent => e !== undefined,
    );
  });
}
