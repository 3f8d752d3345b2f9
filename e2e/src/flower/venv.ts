/**
 * Where tier 1 finds the real Flower: the virtualenv `e2e/scripts/system-deps.sh` installs
 * (`flwr==1.42.0` and numpy from PyPI, at install time only) under the ignored `.cache/`.
 * The Flower images' Dockerfiles install the same pinned version.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../scenarios/images.js';

export const FLOWER_VENV = join(REPO_ROOT, '.cache', 'flower-venv');
export const FLOWER_BIN = join(FLOWER_VENV, 'bin');
export const FLOWER_APP_DIR = join(REPO_ROOT, 'e2e', 'trainers', 'flower-mnist');
export const MNIST_PY_DIR = join(REPO_ROOT, 'e2e', 'trainers', 'mnist-py');

/** Environment every Flower process gets: nothing is fetched at run time. */
export const FLOWER_ENV: Record<string, string> = {
  FLWR_TELEMETRY_ENABLED: '0',
  FLWR_DISABLE_UPDATE_CHECK: '1',
  PYTHONPATH: MNIST_PY_DIR,
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONUNBUFFERED: '1',
};

export function flowerInstalled(): boolean {
  return existsSync(join(FLOWER_BIN, 'flower-superlink'));
}
