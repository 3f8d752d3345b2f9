/** Deployment and Job status from their pods (pure), as the kube controllers report them. */
import { setCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import type { Deployment, Job, Pod } from './types.js';

export const isPodReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function deploymentStatus(
  d: Deployment,
  pods: readonly Pod[],
  now: Date,
): NonNullable<Deployment['status']> {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const ready = live.filter(isPodReady).length;
  const want = d.spec?.replicas ?? 1;
  let conditions = setCondition(
    d.status?.conditions,
    ready >= want
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    now,
  );
  conditions = setCondition(
    conditions,
    {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `Deployment "${d.metadata.name}" is progressing.`,
    },
    now,
  );
  return {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: live.length,
    updatedReplicas: live.length,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(live.length - ready > 0 ? { unavailableReplicas: live.length - ready } : {}),
    conditions,
  };
}

export type JobAction =
  | { kind: 'none' }
  | { kind: 'create-pod' }
  | {
      kind: 'finish';
      condition: 'Complete' | 'Failed';
      reason: string;
      message: string;
      killActive: boolean;
    };

export interface JobView {
  active: Pod[];
  succeeded: number;
  failed: number;
}

export function viewJobPods(pods: readonly Pod[]): JobView {
  return {
    active: pods.filter(
      (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    ),
    succeeded: pods.filter((p) => p.status?.phase === 'Succeeded').length,
    failed: pods.filter((p) => p.status?.phase === 'Failed').length,
  };
}

export const jobFinished = (j: Job): boolean =>
  (j.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

/** What the Job controller does next (parallelism 1, completions default 1, backoffLimit default 6). */
export function nextJobAction(j: Job, v: JobView, now: Date): JobAction {
  if (jobFinished(j) || j.spec?.suspend) return { kind: 'none' };
  const completions = j.spec?.completions ?? 1;
  if (v.succeeded >= completions)
    return {
      kind: 'finish',
      condition: 'Complete',
      reason: 'Completed',
      message: 'Reached expected number of succeeded pods',
      killActive: true,
    };
  const deadline = j.spec?.activeDeadlineSeconds;
  const start = j.status?.startTime ? Date.parse(j.status.startTime) : now.getTime();
  if (deadline !== undefined && now.getTime() - start >= deadline * 1000) {
    return {
      kind: 'finish',
      condition: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
      killActive: true,
    };
  }
  if (v.failed > (j.spec?.backoffLimit ?? 6)) {
    return {
      kind: 'finish',
      condition: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      killActive: true,
    };
  }
  return v.active.length === 0 ? { kind: 'create-pod' } : { kind: 'none' };
}

export function jobStatus(
  j: Job,
  v: JobView,
  now: Date,
  finish?: Extract<JobAction, { kind: 'finish' }>,
): NonNullable<Job['status']> {
  const iso = now.toISOString().replace(/\.\d+Z$/, 'Z');
  let conditions = j.status?.conditions as Condition[] | undefined;
  let completionTime = j.status?.completionTime;
  if (finish) {
    if (finish.condition === 'Failed')
      conditions = setCondition(
        conditions,
        { type: 'FailureTarget', status: 'True', reason: finish.reason, message: finish.message },
        now,
      );
    else
      conditions = setCondition(
        conditions,
        { type: 'SuccessCriteriaMet', status: 'True', reason: finish.reason, message: finish.message },
        now,
      );
    conditions = setCondition(
      conditions,
      { type: finish.condition, status: 'True', reason: finish.reason, message: finish.message },
      now,
    );
    if (finish.condition === 'Complete') completionTime = iso;
  }
  return {
    ...(finish?.killActive ? {} : v.active.length > 0 ? { active: v.active.length } : {}),
    ...(v.succeeded > 0 ? { succeeded: v.succeeded } : {}),
    ...(v.failed > 0 ? { failed: v.failed } : {}),
    ready: v.active.filter(isPodReady).length,
    startTime: j.status?.startTime ?? iso,
    ...(completionTime ? { completionTime } : {}),
    ...(conditions ? { conditions } : {}),
  };
}

/** When a finished Job with ttlSecondsAfterFinished is due for deletion (undefined: never / not finished). */
export function jobExpiry(j: Job): Date | undefined {
  const ttl = j.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || !jobFinished(j)) return undefined;
  const finished = (j.status?.conditions ?? []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const at = Date.parse(j.status?.completionTime ?? finished?.lastTransitionTime ?? '');
  return Number.isNaN(at) ? undefined : new Date(at + ttl * 1000);
}
