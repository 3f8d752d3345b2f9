/**
 * Tier-1 image registry: which local program the pod runner starts for each image the addon
 * uses. Whatever command a manifest gives (an in-image path), the local entry point runs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageRegistry, ImageSpec } from '../standins/podrunner/images.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export const IMAGES = {
  hubManager: 'quay.io/open-cluster-management/federated-learning-hub-manager:latest',
  agent: 'quay.io/open-cluster-management/federated-learning-agent:latest',
  mnistTrainer: 'quay.io/open-cluster-management/federated-learning-mnist-trainer:latest',
  mnistTrainerPy: 'quay.io/open-cluster-management/federated-learning-mnist-trainer-py:latest',
} as const;

function tsProgram(entry: string): ImageSpec {
  const entrypoint = [process.execPath, '--import', 'tsx', join(REPO_ROOT, entry)];
  return { entrypoint, mapCommand: () => entrypoint, cwd: REPO_ROOT };
}

/** `agentLeasePeriodSeconds`: the agent image's ENV, so lease checks can use a short grace. */
export function tier1Images(o: { agentLeasePeriodSeconds?: number } = {}): ImageRegistry {
  const py = ['/usr/bin/python3', join(REPO_ROOT, 'e2e/trainers/mnist-py/trainer.py')];
  return {
    [IMAGES.hubManager]: tsProgram('hub-manager/src/main.ts'),
    [IMAGES.agent]: {
      ...tsProgram('spoke-agent/src/main.ts'),
      ...(o.agentLeasePeriodSeconds
        ? { env: { FL_LEASE_PERIOD_SECONDS: String(o.agentLeasePeriodSeconds) } }
        : {}),
    },
    [IMAGES.mnistTrainer]: tsProgram('e2e/trainers/mnist-ts/main.ts'),
    [IMAGES.mnistTrainerPy]: { entrypoint: py, mapCommand: () => py, cwd: REPO_ROOT },
  };
}
