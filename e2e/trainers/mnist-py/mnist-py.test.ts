import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { HandoffServer } from '@ocm-fl/spoke-agent/handoff/handoff-server.js';
import { TrainerFailedError } from '@ocm-fl/spoke-agent/handoff/types.js';
import { findKeyMaterial } from '../key-material.js';
import { runFederation, runTrainer } from '../fed-loop.js';
import { loadDigits } from '../mnist-ts/dataset.js';
import { evaluate } from '../mnist-ts/evaluate.js';
import { initialModel } from '../mnist-ts/init-model.js';
import { parseLocation, selectSamples } from '../mnist-ts/partition.js';

const PY = '/usr/bin/python3';
const PY_TRAINER = [PY, 'e2e/trainers/mnist-py/trainer.py'];
const TS_TRAINER = [process.execPath, '--import', 'tsx', 'e2e/trainers/mnist-ts/main.ts'];
const PARAMS = { epochs: 1, lr: 0.2, batchSize: 32, maxExamples: 1000 };

/** Run a Python snippet with the trainer's modules importable; stdout parsed as JSON. */
function python(code: string, input?: Buffer): unknown {
  const r = spawnSync(PY, ['-c', `import sys; sys.path.insert(0, 'e2e/trainers/mnist-py')\n${code}`], {
    input,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

describe('mnist-py trainer (numpy) under the handoff contract', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mnist-py-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('partitions the data exactly as the TypeScript trainer does', () => {
    const locations = [
      '/data/private/cluster1',
      '/data/private/cluster3',
      's3://bucket/site-a',
      'mnist:digits=0-5;minor=0.1',
    ];
    const py = python(
      `import json, mnist_data as m\nd = m.load_digits(m.digits_dir())\nc = [len(x) for x in d]\n` +
        `out = {l: [[int(a), int(b)] for a, b in zip(*m.select_samples(m.parse_location(l), c, 400))] for l in ${JSON.stringify(locations)}}\n` +
        `print(json.dumps({"counts": c, "out": out}))`,
    ) as { counts: number[]; out: Record<string, [number, number][]> };
    expect(py.counts).toEqual([...loadDigits().counts]);
    for (const l of locations) expect(py.out[l]).toEqual(selectSamples(parseLocation(l), py.counts, 400));
  });

  it('reads a TypeScript-written model and writes back the identical layout (F32 and F16)', () => {
    for (const dtype of ['F32', 'F16'] as const) {
      const model = initialModel({ seed: 3, dtype });
      const out = python(
        `import json, sys, safetensors_np as s\nb = sys.stdin.buffer.read()\nt, h = s.load(b)\n` +
          `t["fc2.bias"] += 1\nsys.stdout.write(json.dumps(list(s.dump(t, h, {"trainer": "py"}))))`,
        model,
      ) as number[];
      const back = Buffer.from(out);
      const want = parseManifest(model).tensors;
      expect(parseManifest(back).tensors).toEqual(want);
      const a = decodeSafetensors(model).tensors;
      const b = decodeSafetensors(back);
      expect(b.metadata).toEqual({ trainer: 'py' });
      expect([...(b.tensors[2]?.values ?? [])]).toEqual([...(a[2]?.values ?? [])].map((v) => v + 1));
      expect(b.tensors[1]?.values).toEqual(a[1]?.values);
    }
  });

  it('trains two non-IID sites with FedAvg to a good held-out accuracy, with no key material', async () => {
    const accuracy: number[] = [];
    const rounds = await runFederation({
      clients: ['0-5', '4-9'].map((d, i) => ({
        name: `py${i + 1}`,
        command: PY_TRAINER,
        location: `mnist:digits=${d}`,
      })),
      rounds: 4,
      initialModel: initialModel({ seed: 1 }),
      parameters: { ...PARAMS, epochs: 2, lr: 0.1 },
      baseDir: join(dir, 'fed'),
      cwd: process.cwd(),
      onRound: (r) => void accuracy.push(evaluate(r.model).accuracy),
    });
    // Seeded numpy training, reproducible: measured 0.673, 0.815, 0.838, 0.855 (rounds 1-4).
    expect(accuracy[3]).toBeGreaterThanOrEqual(0.83);
    expect(accuracy[3]).toBeGreaterThan((accuracy[0] as number) + 0.15);
    for (const c of rounds.flatMap((r) => r.clients)) {
      expect(c.result.examples).toBe(1000);
      expect(c.result.metrics).toMatchObject({ examples: 1000 });
      expect(await findKeyMaterial(c.env, c.dirs)).toEqual([]);
    }
  }, 180_000);

  it('joins one job with the TypeScript trainer: both updates accepted and averaged', async () => {
    const rounds = await runFederation({
      clients: [
        { name: 'ts', command: TS_TRAINER, location: 'mnist:digits=0-5' },
        { name: 'py', command: PY_TRAINER, location: 'mnist:digits=4-9' },
      ],
      rounds: 1,
      initialModel: initialModel({ seed: 1 }),
      parameters: PARAMS,
      baseDir: join(dir, 'mixed'),
      cwd: process.cwd(),
    });
    expect(rounds[0]?.clients.map((c) => [c.client, c.exitCode, c.result.examples])).toEqual([
      ['ts', 0, 1000],
      ['py', 0, 1000],
    ]);
    expect(evaluate(rounds[0]!.model).accuracy).toBeGreaterThan(0.5);
  }, 120_000);

  it('FedProx step in numpy: w − step·g − lr·μ·(w − w0), by hand; no anchor is plain SGD', () => {
    const out = python(
      `import json, numpy as np, trainer as t\nw = np.array([1, 2], np.float32)\n` +
        `t.sgd_step(w, np.array([4, -2], np.float32), 0.5, np.zeros(2, np.float32), 0.1)\n` +
        `v = np.array([1, 2], np.float32)\nt.sgd_step(v, np.array([4, -2], np.float32), 0.5)\n` +
        `print(json.dumps([w.tolist(), v.tolist()]))`,
    ) as number[][];
    // float32 arithmetic in numpy: equal to the hand values within float32 rounding.
    expect(out[0]![0]).toBeCloseTo(-1.1, 6);
    expect(out[0]![1]).toBeCloseTo(2.8, 6);
    expect(out[1]).toEqual([-1, 3]);
  });

  it('both trainers apply the task strategy proximalMu: the update stays nearer the global model', async () => {
    const server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
    const modelPath = join(dir, 'prox-init.safetensors');
    const init = initialModel({ seed: 5 });
    await writeFile(modelPath, init);
    const flat = (b: Uint8Array) => decodeSafetensors(b).tensors.flatMap((t) => [...t.values]);
    const start = flat(init);
    const drift = (b: Uint8Array) =>
      Math.sqrt(flat(b).reduce((s, v, i) => s + (v - (start[i] as number)) ** 2, 0));
    try {
      for (const [name, command] of [
        ['ts', TS_TRAINER],
        ['py', PY_TRAINER],
      ] as const) {
        const d: number[] = [];
        for (const mu of ['0', '2']) {
          const run = await runTrainer(server, {
            client: { name: `${name}-mu${mu}`, command, location: 'mnist:digits=0-9' },
            round: 1,
            rounds: 1,
            modelPath,
            parameters: { ...PARAMS, maxExamples: 500 },
            strategy: { proximalMu: mu },
            baseDir: join(dir, 'prox'),
            cwd: process.cwd(),
          });
          if (run.outcome.status !== 'fulfilled') throw new Error(`${name} mu=${mu}: ${run.stderr}`);
          d.push(drift(await readFile(run.outcome.value.updatePath)));
        }
        expect(d[1]!).toBeLessThan(0.8 * d[0]!);
      }
    } finally {
      await server.close();
    }
  }, 120_000);

  it('reports a failure through POST /fail and exits non-zero', async () => {
    const server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
    try {
      const modelPath = join(dir, 'init.safetensors');
      await writeFile(modelPath, initialModel({ seed: 1 }));
      const run = await runTrainer(server, {
        client: { name: 'empty', command: PY_TRAINER, location: 'mnist:digits=0;major=0;minor=0' },
        round: 1,
        rounds: 1,
        modelPath,
        parameters: PARAMS,
        baseDir: join(dir, 'fail'),
        cwd: process.cwd(),
      });
      expect(run.exitCode).toBe(1);
      expect(run.outcome.status).toBe('rejected');
      const reason = (run.outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(TrainerFailedError);
      expect(reason.message).toMatch(/selects no examples/);
    } finally {
      await server.close();
    }
  });
});
