/**
 * Trainer contract costs. (1) Handoff update intake: a BENCH_UPDATE_MIB safetensors update
 * PUT over loopback HTTP to a handoff round (manifest check, NaN scan, SHA-256, fsync, rename)
 * vs the baseline of hashing and writing the same bytes to a file in-process, same run.
 * (2) MNIST federation with the demo's three data locations: per round, held-out accuracy and
 * each trainer's time split (download task+model, train incl. data load, upload metrics+update),
 * vs the baseline of the same local training in-process (no process start, no handoff).
 * BENCH_TRAINER=ts|py, BENCH_ROUNDS (5). Writes bench-out/trainer.json.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeSafetensors } from '@ocm-fl/common/model/safetensors.js';
import { HandoffServer } from '@ocm-fl/spoke-agent/handoff/handoff-server.js';
import { runFederation } from '../../trainers/fed-loop.js';
import { trainingSet } from '../../trainers/mnist-ts/dataset.js';
import { evaluate } from '../../trainers/mnist-ts/evaluate.js';
import { initialModel } from '../../trainers/mnist-ts/init-model.js';
import { mlpFromSafetensors, train } from '../../trainers/mnist-ts/mlp.js';

const MIB = 1024 * 1024;
const UPDATE_MIB = Number(process.env.BENCH_UPDATE_MIB ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KIND = process.env.BENCH_TRAINER ?? 'ts';
const PARAMS = { epochs: 1, lr: 0.1, batchSize: 32 };
const dir = mkdtempSync(path.join(tmpdir(), 'trainer-bench-'));

function model(bytes: number, seed: number): Buffer {
  const n = Math.floor(bytes / 4);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = ((i * 2654435761 + seed) % 1000) / 1000 - 0.5;
  return encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [n], values }]);
}

async function intake(): Promise<{ handoffMiBs: number; baselineMiBs: number }> {
  const global = model(UPDATE_MIB * MIB, 1);
  const update = model(UPDATE_MIB * MIB, 2);
  writeFileSync(path.join(dir, 'global.safetensors'), global);
  const t0 = performance.now();
  const fh = await open(path.join(dir, 'baseline.bin'), 'w');
  createHash('sha256').update(update).digest();
  for (let off = 0; off < update.length; off += 4 * MIB) await fh.write(update.subarray(off, off + 4 * MIB));
  await fh.sync();
  await fh.close();
  const baseline = (performance.now() - t0) / 1000;
  const server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
  const round = await server.openRound({
    roundId: 'bench',
    task: {
      round: 1,
      rounds: 1,
      job: { namespace: 'b', name: 'b' },
      cluster: 'b',
      parameters: {},
      data: { location: '', dir: '' },
    },
    modelPath: path.join(dir, 'global.safetensors'),
    workDir: path.join(dir, 'work'),
  });
  const t1 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(`${round.url}/update`, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${round.token}`,
        'Content-Length': update.length,
        'X-FL-Examples': '1',
      },
    });
    req.on('response', (res) =>
      res.statusCode === 200 ? res.resume().on('end', resolve) : reject(new Error(`${res.statusCode}`)),
    );
    req.on('error', reject);
    for (let off = 0; off < update.length; off += MIB) req.write(update.subarray(off, off + MIB));
    req.end();
  });
  await round.result;
  const handoff = (performance.now() - t1) / 1000;
  await round.close();
  await server.close();
  return { handoffMiBs: update.length / MIB / handoff, baselineMiBs: update.length / MIB / baseline };
}

function inProcessTrainMs(location: string): number {
  const t0 = performance.now();
  const m = mlpFromSafetensors(initialModel({ seed: 1 }));
  train(m, trainingSet(location), { ...PARAMS, seed: 1 });
  return performance.now() - t0;
}

const io = await intake();
const command =
  KIND === 'py'
    ? ['/usr/bin/python3', 'e2e/trainers/mnist-py/trainer.py']
    : [process.execPath, '--import', 'tsx', 'e2e/trainers/mnist-ts/main.ts'];
const perRound: Record<string, unknown>[] = [];
let t = performance.now();
await runFederation({
  clients: [1, 2, 3].map((k) => ({ name: `cluster${k}`, command, location: `/data/private/cluster${k}` })),
  rounds: ROUNDS,
  initialModel: initialModel({ seed: 1 }),
  parameters: PARAMS,
  baseDir: path.join(dir, 'fed'),
  cwd: process.cwd(),
  onRound: (r) => {
    const e = evaluate(r.model);
    const clients = r.clients.map((c) => ({
      cluster: c.client,
      examples: c.result.examples,
      downloadMs: c.report?.downloadMs,
      trainMs: c.report?.trainMs,
      uploadMs: c.report?.uploadMs,
    }));
    perRound.push({
      round: r.round,
      accuracy: e.accuracy,
      perClassAccuracy: e.perClassAccuracy,
      wallMs: performance.now() - t,
      clients,
    });
    t = performance.now();
  },
});
const baselineTrainMs = inProcessTrainMs('/data/private/cluster1');
const mean = (k: 'downloadMs' | 'trainMs' | 'uploadMs'): number => {
  const v = perRound.flatMap((r) => (r.clients as Record<string, number>[]).map((c) => c[k] as number));
  return Math.round(v.reduce((a, b) => a + b, 0) / v.length);
};
const out = {
  intake: { updateMiB: UPDATE_MIB, ...io, ratio: io.handoffMiBs / io.baselineMiBs },
  federation: {
    trainer: KIND,
    parameters: PARAMS,
    rounds: perRound,
    meanSplitMs: { download: mean('downloadMs'), train: mean('trainMs'), upload: mean('uploadMs') },
    baselineInProcessTrainMs: Math.round(baselineTrainMs),
  },
};
mkdirSync('bench-out', { recursive: true });
writeFileSync('bench-out/trainer.json', JSON.stringify(out, null, 2));
rmSync(dir, { recursive: true, force: true });
const acc = perRound.map((r) => (r.accuracy as number).toFixed(3)).join(' ');
console.log(
  `trainer: intake ${io.handoffMiBs.toFixed(0)} MiB/s vs file ${io.baselineMiBs.toFixed(0)} MiB/s; ${KIND} rounds acc ${acc}; ` +
    `split download/train/upload ${out.federation.meanSplitMs.download}/${out.federation.meanSplitMs.train}/${out.federation.meanSplitMs.upload} ms ` +
    `(in-process train ${out.federation.baselineInProcessTrainMs} ms)`,
);
