/** Collects the Observed input of the planner from informer caches and the job's files. */
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { parseJobState, STATE_KEY } from '@ocm-fl/common/job-contract/state.js';
import type { ManagedCluster, ManagedClusterAddOn, ManifestWork } from '@ocm-fl/common/api/ocm.js';
import type { FlControllerDeps } from './deps.js';
import { flNames, FL_UID_LABEL } from './names.js';
import { decidedClusters, jobOutcome, listenerStatus, type Service } from './observe.js';
import type { Observed } from './plan.js';
import { parseEvaluation, type JobState } from './progress.js';
import { serviceDnsNames } from './render/aggregator.js';
import { EVALUATION_FILE } from './render/evaluation-job.js';
import type { ResolvedJob } from './spec.js';
import type { Sources } from './sources.js';

export function modelLocation(job: ResolvedJob): string {
  const s = job.storage;
  const root =
    s.type === 'PersistentVolumeClaim' ? `pvc://${job.namespace}/${s.name}` : `hostpath://${s.name}`;
  return `${root}/${s.jobSubPath}/final.safetensors`;
}

/**
 * The aggregator's state as it publishes it to the job's state ConfigMap (works without any view
 * of the job storage); undefined until the first publication.
 */
function publishedState(deps: FlControllerDeps, s: Sources, job: ResolvedJob): JobState | undefined {
  const cm = s.configMaps.get(flNames.state(job), job.namespace) as
    (KubeObject & { data?: Record<string, string> }) | undefined;
  const raw = cm?.data?.[STATE_KEY];
  if (!raw) return undefined;
  try {
    return parseJobState(JSON.parse(raw));
  } catch (e) {
    deps.logger.warn('unreadable published job state; ignoring it', {
      configMap: `${job.namespace}/${flNames.state(job)}`,
      error: (e as Error).message,
    });
    return undefined;
  }
}

export async function observe(
  deps: FlControllerDeps,
  s: Sources,
  fl: FederatedLearning,
  job: ResolvedJob,
): Promise<Observed> {
  const uid = fl.metadata.uid;
  const decided = decidedClusters(
    s.decisions.list().filter((d) => d.metadata.namespace === job.namespace),
    flNames.placement(job),
  );
  const clusters = new Map<string, ManagedCluster>();
  const addons = new Map<string, ManagedClusterAddOn>();
  for (const c of decided) {
    const mc = s.clusters.get(c);
    if (mc) clusters.set(c, mc);
  }
  for (const a of s.addons.list()) if (a.metadata.namespace) addons.set(a.metadata.namespace, a);
  const works = new Map<string, ManifestWork>();
  for (const w of s.works.list())
    if (w.metadata.labels?.[FL_UID_LABEL] === uid && w.metadata.namespace) works.set(w.metadata.namespace, w);
  const dns = serviceDnsNames(job);
  const listeners = job.listeners.map((l, i) =>
    listenerStatus(
      l,
      s.services.get(flNames.service(job, l.name), job.namespace) as Service | undefined,
      dns[i * 4 + 2] ?? '',
      deps.settings.nodeAddress,
    ),
  );
  const aggregatorJob = s.jobs.get(flNames.aggregator(job), job.namespace);
  const evaluationJob = s.jobs.get(flNames.evaluation(job), job.namespace);
  const published = publishedState(deps, s, job);
  const state =
    published ?? ((await deps.settings.files.readJson(job, 'state.json')) as JobState | undefined);
  const evaluation =
    state?.phase === 'completed' && job.evaluation
      ? parseEvaluation(await deps.settings.files.readJson(job, EVALUATION_FILE))
      : undefined;
  return {
    fl,
    decided,
    clusters,
    addons,
    works,
    listeners,
    serverName: dns[2] ?? '',
    aggregator: aggregatorJob?.metadata.labels?.[FL_UID_LABEL] === uid ? jobOutcome(aggregatorJob) : 'Absent',
    ...(state ? { state } : {}),
    stateWatched: published !== undefined,
    evaluationJob:
      evaluationJob?.metadata.labels?.[FL_UID_LABEL] === uid ? jobOutcome(evaluationJob) : 'Absent',
    ...(evaluation ? { evaluation } : {}),
    modelLocation: modelLocation(job),
  };
}
