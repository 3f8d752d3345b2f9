/**
 * The two jobs the hub runs with the trainer image (hub-manager/src/fl/README.md):
 * `FL_MODE=init-model` writes the round-0 model to `FL_MODEL_OUT`; `FL_MODE=evaluate` scores
 * `FL_MODEL_PATH` on the held-out digits and writes `FL_EVALUATION_OUT`. Outputs are written
 * atomically (temp file, fsync, rename) so the hub never reads half a file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DType } from '@ocm-fl/common/model/safetensors.js';
import { evaluate } from './evaluate.js';
import { initialModel } from './init-model.js';

function writeAtomic(path: string, data: Uint8Array | string): void {
  // The job's directory on fresh storage does not exist yet.
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function parameters(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    return JSON.parse(env.FL_PARAMETERS || '{}') as Record<string, unknown>;
  } catch (e) {
    throw new Error('FL_PARAMETERS is not JSON', { cause: e });
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}

/** Run the hub mode named by FL_MODE; returns false when FL_MODE names none (train). */
export function runHubMode(env: NodeJS.ProcessEnv): boolean {
  const mode = env.FL_MODE;
  if (!mode || mode === 'train') return false;
  if (mode === 'init-model') {
    const p = parameters(env);
    const out = required(env, 'FL_MODEL_OUT');
    const model = initialModel({
      seed: Number(p.seed ?? 1),
      hidden: Number(p.hidden ?? 64),
      dtype: (p.dtype ?? 'F32') as DType,
    });
    writeAtomic(out, model);
    process.stdout.write(`${JSON.stringify({ event: 'initial-model', out, bytes: model.length })}\n`);
    return true;
  }
  if (mode === 'evaluate') {
    const result = evaluate(readFileSync(required(env, 'FL_MODEL_PATH')));
    writeAtomic(required(env, 'FL_EVALUATION_OUT'), JSON.stringify(result));
    process.stdout.write(`${JSON.stringify({ event: 'evaluated', accuracy: result.accuracy })}\n`);
    return true;
  }
  throw new Error(`FL_MODE=${mode} is not one of train, init-model, evaluate`);
}
