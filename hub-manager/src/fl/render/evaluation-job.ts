/**
 * Hub evaluation of the final model: a Job from `spec.evaluation.image` (default the trainer
 * image) with the model storage mounted; it writes evaluation.json next to the model. Pure.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { flLabels, flNames } from '../names.js';
import type { ResolvedJob } from '../spec.js';
import { jobIdOf } from './aggregator.js';
import { HUB_ENV } from './hub-env.js';
import { ownerRef } from './owner.js';
import { storageMount, storageVolume } from './volumes.js';

import { EVALUATION_FILE } from '@ocm-fl/common/job-contract/evaluation.js';

export { EVALUATION_FILE };
export const EVALUATION_COMPONENT = 'evaluation';

export const evaluationOutPath = (job: ResolvedJob): string => `${job.storage.jobDir}/${EVALUATION_FILE}`;

/** undefined when the spec asks for no evaluation. `modelPath` is the final model in hub containers. */
export function renderEvaluationJob(job: ResolvedJob, modelPath: string): KubeObject | undefined {
  const ev = job.evaluation;
  if (!ev) return undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: flNames.evaluation(job),
      namespace: job.namespace,
      labels: flLabels(job, EVALUATION_COMPONENT),
      ownerReferences: [ownerRef(job)],
    },
    spec: {
      backoffLimit: 2,
      template: {
        metadata: { labels: flLabels(job, EVALUATION_COMPONENT) },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'evaluate',
              image: ev.image || job.clientImage,
              ...(ev.command ? { command: ev.command } : {}),
              ...(ev.args ? { args: ev.args } : {}),
              env: [
                { name: HUB_ENV.mode, value: 'evaluate' },
                { name: HUB_ENV.modelPath, value: modelPath },
                { name: HUB_ENV.evaluationOut, value: evaluationOutPath(job) },
                { name: HUB_ENV.parameters, value: JSON.stringify(job.parameters) },
                { name: HUB_ENV.job, value: jobIdOf(job) },
                ...(ev.env ?? []),
              ],
              volumeMounts: [storageMount(job)],
            },
          ],
          volumes: [storageVolume(job)],
        },
      },
    },
  };
}
