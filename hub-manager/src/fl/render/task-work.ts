/** Per-cluster ManifestWork carrying the job's FederatedLearningTask. Pure. */
import { FL_API_VERSION, FL_GROUP } from '@ocm-fl/common/names.js';
import {
  TASK_FEEDBACK_PATHS,
  TASK_KIND,
  TASK_PLURAL,
  type FederatedLearningTask,
} from '@ocm-fl/common/api/task.js';
import { WORK_API_VERSION, type ManifestWork } from '@ocm-fl/common/api/ocm.js';
import { flLabels, flNames } from '../names.js';
import type { ResolvedJob } from '../spec.js';
import { jobIdOf } from './aggregator.js';

export interface TaskWorkInput {
  cluster: string;
  /** Namespace of the agent on the managed cluster (ManagedClusterAddOn status/spec). */
  agentNamespace: string;
  /** ClusterClaim value naming where the cluster's data is; '' when there is none. */
  dataLocation: string;
  endpoint: string;
  serverName: string;
}

export function renderTask(job: ResolvedJob, input: TaskWorkInput): FederatedLearningTask {
  return {
    apiVersion: FL_API_VERSION,
    kind: TASK_KIND,
    metadata: {
      name: flNames.task(job),
      namespace: input.agentNamespace,
      labels: flLabels(job, 'task'),
      annotations: { 'federation-ai.open-cluster-management.io/job-id': jobIdOf(job) },
    },
    spec: {
      job: { namespace: job.namespace, name: job.name, uid: job.uid },
      cluster: input.cluster,
      aggregator: { endpoint: input.endpoint, serverName: input.serverName },
      trainer: {
        image: job.clientImage,
        ...(job.clientCommand ? { command: job.clientCommand } : {}),
        ...(job.clientArgs ? { args: job.clientArgs } : {}),
        ...(job.clientEnv ? { env: job.clientEnv } : {}),
        ...(job.clientResources ? { resources: stringQuantities(job.clientResources) } : {}),
      },
      data: { location: input.dataLocation, ...(job.dataClaim ? { claim: job.dataClaim } : {}) },
      parameters: { ...job.parameters },
      rounds: job.rounds,
      roundTimeoutSeconds: job.roundTimeoutSeconds,
    },
  };
}

function stringQuantities(r: NonNullable<ResolvedJob['clientResources']>): {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
} {
  const conv = (m?: Record<string, string | number>): Record<string, string> | undefined =>
    m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  const requests = conv(r.requests);
  const limits = conv(r.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

export function renderTaskWork(job: ResolvedJob, input: TaskWorkInput): ManifestWork {
  const task = renderTask(job, input);
  return {
    apiVersion: WORK_API_VERSION,
    kind: 'ManifestWork',
    metadata: {
      name: flNames.work(job),
      namespace: input.cluster,
      labels: flLabels(job, 'task'),
      annotations: { 'federation-ai.open-cluster-management.io/job-id': jobIdOf(job) },
    },
    spec: {
      workload: { manifests: [task] },
      deleteOption: { propagationPolicy: 'Foreground' },
      manifestConfigs: [
        {
          resourceIdentifier: {
            group: FL_GROUP,
            resource: TASK_PLURAL,
            name: task.metadata.name ?? '',
            namespace: input.agentNamespace,
          },
          feedbackRules: [
            {
              type: 'JSONPaths',
              jsonPaths: Object.entries(TASK_FEEDBACK_PATHS).map(([name, path]) => ({ name, path })),
            },
          ],
        },
      ],
    },
  };
}
