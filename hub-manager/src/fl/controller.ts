/**
 * FederatedLearning controller: level-triggered on `namespace/name`. Each pass re-reads the
 * CR, gathers what the informers hold, asks the pure planner (plan.ts) what should exist and
 * what the status is, then writes: finalizer, Placement, aggregator objects, task works,
 * status (only when changed), Events.
 */
import { FL_FINALIZER, FL_KIND, type FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import { KeyedQueue, type ReconcileResult } from '@ocm-fl/common/kube/keyed-queue.js';
import { parseKey } from '@ocm-fl/common/kube/paths.js';
import { createIfAbsent, recordEvent } from './apply.js';
import { cleanup } from './cleanup.js';
import type { FlControllerDeps } from './deps.js';
import { ensureAggregator } from './ensure-aggregator.js';
import { FL_UID_LABEL } from './names.js';
import { observe } from './gather.js';
import { planJob, planSpecProblem, type Plan } from './plan.js';
import { renderEvaluationJob } from './render/evaluation-job.js';
import { renderClusterSetBindings, renderPlacement } from './render/placement.js';
import { renderTaskWork } from './render/task-work.js';
import { isSpecProblem, resolveSpec, type ResolvedJob } from './spec.js';
import { createSources, routeEvents, startSources, stopSources, type Sources } from './sources.js';

export interface FlController {
  /** The FederatedLearning objects the informer holds (metrics, dashboard). */
  jobs(): FederatedLearning[];
  stop(): Promise<void>;
  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void>;
}

export async function startFederatedLearningController(deps: FlControllerDeps): Promise<FlController> {
  const log = deps.logger.child({ controller: 'federated-learning' });
  const sources = createSources(deps.client, log);
  const queue = new KeyedQueue((key) => reconcile(deps, sources, key), {
    logger: log,
    maxBackoffMs: 30_000,
    name: 'federated-learning',
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  routeEvents(sources, (k) => queue.enqueue(k));
  await startSources(sources);
  log.info('federated-learning controller started');
  return {
    jobs: () => sources.fls.list(),
    async stop(): Promise<void> {
      stopSources(sources);
      await queue.stop();
    },
    idle: () => queue.idle(),
  };
}

async function ensureFinalizer(deps: FlControllerDeps, fl: FederatedLearning): Promise<FederatedLearning> {
  if (fl.metadata.finalizers?.includes(FL_FINALIZER)) return fl;
  const next = {
    ...fl,
    metadata: { ...fl.metadata, finalizers: [...(fl.metadata.finalizers ?? []), FL_FINALIZER] },
  };
  return deps.client.update(next);
}

export async function reconcile(
  deps: FlControllerDeps,
  sources: Sources,
  key: string,
): Promise<ReconcileResult> {
  const { namespace, name } = parseKey(key);
  let fl = await deps.client.get<FederatedLearning>(FL_API_VERSION, FL_KIND, name, namespace);
  if (!fl) return;
  if (fl.metadata.deletionTimestamp) {
    await cleanup(deps, sources, fl);
    return;
  }
  fl = await ensureFinalizer(deps, fl);
  const resolved = resolveSpec(fl, { hubManagerImage: deps.settings.hubManagerImage });
  let plan: Plan;
  let job: ResolvedJob | undefined;
  if (isSpecProblem(resolved)) plan = planSpecProblem(fl, resolved);
  else {
    job = resolved;
    const observed = await observe(deps, sources, fl, job);
    plan = planJob(job, observed, { pollMs: deps.settings.pollIntervalMs ?? 2000 });
  }
  const errors: unknown[] = [];
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(new Error(`${key}: ${what}`, { cause: e }));
    }
  };
  if (job) await act(deps, sources, fl, job, plan, step);
  await step('status', () => writeStatus(deps, fl as FederatedLearning, plan));
  for (const ev of plan.events)
    await recordEvent(deps.client, fl, ev).catch((e: unknown) =>
      deps.logger.warn('event not recorded', { key, error: e }),
    );
  // Every step ran; one error makes the queue retry the key with backoff.
  if (errors.length > 0) throw new AggregateError(errors, `${key}: ${errors.length} step(s) failed`);
  return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
}

type Step = (what: string, fn: () => Promise<unknown>) => Promise<void>;

async function act(
  deps: FlControllerDeps,
  sources: Sources,
  fl: FederatedLearning,
  job: ResolvedJob,
  plan: Plan,
  step: Step,
): Promise<void> {
  const { client } = deps;
  if (plan.placement) {
    await step('placement', () => client.apply(renderPlacement(job)));
    for (const b of renderClusterSetBindings(job))
      await step(`binding ${b.metadata.name}`, () => createIfAbsent(client, b));
  }
  if (plan.aggregator) {
    const admitted = plan.aggregator.admitted;
    await step('aggregator', () => ensureAggregator(deps, job, admitted));
  }
  if (plan.works) {
    const desired = plan.works.map((w) => renderTaskWork(job, w));
    for (const w of desired) await step(`work ${w.metadata.namespace}`, () => client.apply(w));
    const keep = new Set(desired.map((w) => w.metadata.namespace));
    for (const w of sources.works.list())
      if (w.metadata.labels?.[FL_UID_LABEL] === fl.metadata.uid && !keep.has(w.metadata.namespace))
        await step(`delete work ${w.metadata.namespace}`, () =>
          client.delete(w.apiVersion, w.kind, w.metadata.name ?? '', w.metadata.namespace),
        );
  }
  if (plan.evaluation) {
    const ev = renderEvaluationJob(job, `${job.storage.jobDir}/final.safetensors`);
    if (ev) await step('evaluation job', () => createIfAbsent(client, ev));
  }
}

async function writeStatus(deps: FlControllerDeps, fl: FederatedLearning, plan: Plan): Promise<void> {
  if (JSON.stringify(fl.status ?? {}) === JSON.stringify(plan.status)) return;
  await deps.client.updateStatus<FederatedLearning>({ ...fl, status: plan.status } as FederatedLearning &
    KubeObject);
}
