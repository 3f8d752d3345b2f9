/**
 * Tier-1 image registry: which local program the pod runner starts for each image the addon
 * uses. Whatever command a manifest gives (an in-image path), the local entry point runs.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ImageRegistry, ImageSpec } from '../standins/podrunner/images.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export const IMAGES = {
  hubManager: 'quay.io/open-cluster-management/federated-learning-hub-manager:latest',
  agent: 'quay.io/open-cluster-management/federated-learning-agent:latest',
  mnistTrainer: 'quay.io/open-cluster-management/federated-learning-mnist-trainer:latest',
  mnistTrainerPy: 'quay.io/open-cluster-management/federated-learning-mnist-trainer-py:latest',
  /** e2e/trainers/flower-mnist/Dockerfile: `server.image` and `client.image` of a Flower job. */
  flowerMnist: 'quay.io/open-cluster-management/federated-learning-flower-mnist:latest',
} as const;

/**
 * tsx's loader by file URL and the repo's tsconfig (for the `@ocm-fl/*` paths) by env: both are
 * otherwise looked up from the process's cwd, which is a pod volume when a container sets
 * workingDir (the trainer's scratch mount) — outside the repo unless the fleet's workDir is in it.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TSX_ENV = { TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json') };

function tsProgram(entry: string, env: Record<string, string> = {}): ImageSpec {
  const entrypoint = [process.execPath, '--import', TSX_LOADER, join(REPO_ROOT, entry)];
  return { entrypoint, mapCommand: () => entrypoint, cwd: REPO_ROOT, env: { ...TSX_ENV, ...env } };
}

/**
 * The Flower image as local processes: its programs (flower-superlink, flower-supernode, flwr)
 * from the pinned virtualenv, `sh` for scripts, and the image's ENV (app dir, mnist-py on the
 * Python path, telemetry and update checks off).
 */
function flowerImage(): ImageSpec {
  const bin = join(REPO_ROOT, '.cache', 'flower-venv', 'bin');
  const program = (name: string): string =>
    name === 'sh' ? '/bin/sh' : join(bin, name.split('/').pop() ?? name);
  return {
    entrypoint: ['/bin/sh'],
    mapCommand: (command) => [program(command[0] ?? 'sh'), ...command.slice(1)],
    cwd: REPO_ROOT,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      FLOWER_APP_DIR: join(REPO_ROOT, 'e2e', 'trainers', 'flower-mnist'),
      PYTHONPATH: join(REPO_ROOT, 'e2e', 'trainers', 'mnist-py'),
      FLWR_TELEMETRY_ENABLED: '0',
      FLWR_DISABLE_UPDATE_CHECK: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
    },
  };
}

/** `agentLeasePeriodSeconds`: the agent image's ENV, so lease checks can use a short grace. */
export function tier1Images(o: { agentLeasePeriodSeconds?: number } = {}): ImageRegistry {
  const py = ['/usr/bin/python3', join(REPO_ROOT, 'e2e/trainers/mnist-py/trainer.py')];
  return {
    [IMAGES.hubManager]: tsProgram('hub-manager/src/cli.ts'),
    [IMAGES.agent]: tsProgram(
      'spoke-agent/src/main.ts',
      o.agentLeasePeriodSeconds ? { FL_LEASE_PERIOD_SECONDS: String(o.agentLeasePeriodSeconds) } : {},
    ),
    [IMAGES.mnistTrainer]: tsProgram('e2e/trainers/mnist-ts/main.ts'),
    [IMAGES.mnistTrainerPy]: { entrypoint: py, mapCommand: () => py, cwd: REPO_ROOT },
    [IMAGES.flowerMnist]: flowerImage(),
  };
}
