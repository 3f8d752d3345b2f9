import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  f16ToF32,
  f32ToF16,
  type Tensor,
} from '@ocm-fl/common/model/safetensors.js';
import { DataPlaneError } from '@ocm-fl/common/dataplane/errors.js';
import { createTestCa, issueTestCert } from '@ocm-fl/common/dataplane/test-pki.js';
import { agentCommonName } from '@ocm-fl/common/names.js';
import { createHarness, makeTensors, MIXED_SPEC, type Harness } from './test-harness.js';
import { startAggregator, type Aggregator } from './main.js';
import type { JobState } from './state-store.js';

const silent = (await import('@ocm-fl/common/logger.js')).silentLogger;

async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (e instanceof DataPlaneError) return e.status;
    throw e;
  }
}

function weightedReference(updates: Tensor[][], weights: number[], dtypes: Tensor[]): Float32Array[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return dtypes.map((t, k) => {
    const out = new Float32Array(t.values.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      updates.forEach((u, j) => (s += (u[k]!.values[i] as number) * (weights[j] as number)));
      out[i] = t.dtype === 'F16' ? f16ToF32(f32ToF16(s / total)) : s / total;
    }
    return out;
  });
}

describe('aggregator over mTLS gRPC', () => {
  let h: Harness;
  let agg: Aggregator;
  beforeAll(async () => {
    h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    agg = await startAggregator(h.config({ admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 2 }), {
      logger: silent,
    });
  });
  afterAll(async () => {
    await agg.close();
  });

  it('round-trips F32/F16 models and aggregates FedAvg to float32 tolerance', async () => {
    const c1 = h.client(agg.port, 'c1');
    const c2 = h.client(agg.port, 'c2');
    const join = await c1.join();
    expect(join).toMatchObject({ cluster: 'c1', jobId: 'job-1', rounds: 2, currentRound: 1 });
    const task = await c1.getTask();
    expect(task).toMatchObject({ round: 1, finished: false, phase: 'running', config: { epochs: '1' } });

    const dl = await c1.downloadModel(1, path.join(h.dir, 'c1', 'model.safetensors'));
    expect(readFileSync(dl.path).equals(readFileSync(path.join(h.dir, 'initial.safetensors')))).toBe(true);
    expect(dl.sha256).toBe(task.model?.sha256);

    const u1 = makeTensors(MIXED_SPEC, 1);
    const u2 = makeTensors(MIXED_SPEC, 2, 3);
    const f1 = h.writeModel('u1.safetensors', u1);
    const f2 = h.writeModel('u2.safetensors', u2);
    // Reference from the values as stored (F16 tensors rounded on encode).
    const stored1 = decodeSafetensors(readFileSync(f1)).tensors;
    const stored2 = decodeSafetensors(readFileSync(f2)).tensors;
    await c1.uploadUpdate(1, f1, 10, { loss: 1.0, accuracy: 0.5 });
    await c2.uploadUpdate(1, f2, 30, { loss: 3.0 });

    const done = await waitFor(
      () => agg.state(),
      (s) => s.completedRounds === 1,
    );
    const rec = done.history[0]!;
    expect(rec).toMatchObject({
      round: 1,
      participants: ['c1', 'c2'],
      examples: 40,
      outcome: 'aggregated',
      stragglers: [],
    });
    expect(rec.metrics.loss).toBeCloseTo(2.5, 10);
    expect(rec.metrics.accuracy).toBeCloseTo(0.5, 10);

    const dl2 = await c2.downloadModel(2, path.join(h.dir, 'c2', 'model.safetensors'));
    expect(dl2.sha256).toBe(rec.sha256);
    const got = decodeSafetensors(readFileSync(dl2.path)).tensors;
    const ref = weightedReference([stored1, stored2], [10, 30], stored1);
    got.forEach((t, k) => {
      expect(t.name).toBe(stored1[k]!.name);
      const r = ref[k]!;
      for (let i = 0; i < r.length; i++) {
        const tol =
          t.dtype === 'F16' ? 2e-3 * Math.max(1, Math.abs(r[i]!)) : 1e-6 * Math.max(1, Math.abs(r[i]!));
        expect(Math.abs((t.values[i] as number) - (r[i] as number))).toBeLessThanOrEqual(tol);
      }
    });
    const state = JSON.parse(readFileSync(path.join(agg.storageDir, 'state.json'), 'utf8')) as JobState;
    expect(state.completedRounds).toBe(1);
    expect(readFileSync(path.join(agg.storageDir, 'last.safetensors')).equals(readFileSync(dl2.path))).toBe(
      true,
    );
    c1.close();
    c2.close();
  });
});

async function waitFor<T>(get: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
void encodeSafetensors;
void writeFileSync;
void createTestCa;
void issueTestCert;
void agentCommonName;
void statusOf;
