/**
 * MNIST trainer implementing the spoke-agent trainer contract (spoke-agent/TRAINER.md):
 * fetch the task and global model, train the 784-64-10 MLP on this location's partition,
 * upload metrics and the trained weights, exit 0; on error report it and exit 1.
 * Run: npx tsx e2e/trainers/mnist-ts/main.ts (with FL_HANDOFF_URL, FL_HANDOFF_TOKEN, ...).
 */
import { trainingSet, loadDigits } from './dataset.js';
import { HandoffClient } from './handoff-client.js';
import { runHubMode } from './hub-modes.js';
import { mlpFromSafetensors, mlpToSafetensors, train } from './mlp.js';
import { fnv1a32 } from './partition.js';
import type { DType } from '@ocm-fl/common/model/safetensors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function num(params: Record<string, string | number | boolean>, key: string, dflt: number): number {
  const v = params[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`parameter ${key}=${String(v)} is not a number`);
  return n;
}

async function run(client: HandoffClient): Promise<void> {
  const t0 = performance.now();
  const task = await client.task();
  const modelBytes = await client.model(task.model.digest);
  const tDownload = performance.now();
  // The task carries the ClusterClaim value verbatim; the env copy is a convenience.
  const location = task.data.location || process.env.FL_DATA_LOCATION || '';
  const dataDir = process.env.FL_DATA_DIR ?? task.data.dir;
  const digits = loadDigits(
    dataDir && existsSync(join(dataDir, 'mnist', '0.json')) ? join(dataDir, 'mnist') : undefined,
  );
  const p = task.parameters;
  const limit = num(p, 'maxExamples', Infinity);
  const data = trainingSet(location, limit, digits);
  if (data.count === 0) throw new Error(`data location ${location} selects no examples`);
  const model = mlpFromSafetensors(modelBytes);
  const epochs = num(p, 'epochs', 1);
  const { loss, accuracy } = train(model, data, {
    epochs,
    lr: num(p, 'lr', 0.1),
    batchSize: num(p, 'batchSize', 32),
    seed: (fnv1a32(location) ^ task.round) >>> 0,
    proximalMu: num(task.strategy ?? {}, 'proximalMu', 0),
    onEpoch: (e) => void client.progress({ fraction: e / epochs, epoch: e }).catch(() => undefined),
  });
  const tTrain = performance.now();
  const update = mlpToSafetensors(model, task.model.dtype as DType, { round: String(task.round) });
  await client.metrics({ loss, accuracy, examples: data.count, trainSeconds: (tTrain - tDownload) / 1000 });
  const stored = await client.update(update, data.count);
  const tUpload = performance.now();
  log('round-done', {
    round: task.round,
    examples: data.count,
    loss,
    accuracy,
    digest: stored.digest,
    downloadMs: Math.round(tDownload - t0),
    trainMs: Math.round(tTrain - tDownload),
    uploadMs: Math.round(tUpload - tTrain),
  });
}

async function main(): Promise<number> {
  // The hub runs this image too, to create the initial model and to evaluate the final one.
  try {
    if (runHubMode(process.env)) return 0;
  } catch (e) {
    log('error', { reason: e instanceof Error ? e.message : String(e) });
    return 1;
  }
  const url = process.env.FL_HANDOFF_URL;
  const token = process.env.FL_HANDOFF_TOKEN;
  if (!url || !token) {
    log('error', { reason: 'FL_HANDOFF_URL and FL_HANDOFF_TOKEN must be set' });
    return 2;
  }
  const client = new HandoffClient(url, token);
  try {
    await run(client);
    return 0;
  } catch (e) {
    const reason =
      e instanceof Error
        ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}`
        : String(e);
    log('error', { reason });
    await client.fail(reason).catch(() => undefined);
    return 1;
  }
}

process.exitCode = await main();
