import { createHash } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSafetensors, f16ToF32, f32ToF16, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import { createTestCa, issueTestCert } from '@ocm-fl/common/dataplane/test-pki.js';
import { agentCommonName } from '@ocm-fl/common/names.js';
import {
  createHarness,
  makeTensors,
  MIXED_SPEC,
  type Harness,
  statusOf,
  startHarnessAggregator,
} from './test-harness.js';
import { startAggregator, type Aggregator } from './main.js';
import type { JobState } from './state-store.js';

const silent = (await import('@ocm-fl/common/logger.js')).silentLogger;

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
    ({ h, agg } = await startHarnessAggregator({ admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 2 }));
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

describe('admission and validation', () => {
  let h: Harness;
  let agg: Aggregator;
  let initial: Buffer;
  beforeAll(async () => {
    h = createHarness();
    initial = readFileSync(h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0)));
    agg = await startAggregator(h.config({ admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 1 }), {
      logger: silent,
    });
  });
  afterAll(async () => {
    await agg.close();
  });

  it('refuses a client without a certificate, with one from another CA, or of a non-admitted cluster', async () => {
    const other = createTestCa('other-ca');
    const foreign = h.client(agg.port, 'c1', {
      cert: issueTestCert(other, agentCommonName('c1')),
      retries: 0,
    });
    expect(await statusOf(foreign.join())).toBe('UNAVAILABLE');
    foreign.close();
    // A certificate with an empty key/cert pair: grpc-js refuses to build such credentials, so
    // present a server certificate (no clientAuth usage, not an agent CN) instead of none.
    const noAgent = h.client(agg.port, 'c1', { cert: issueTestCert(h.ca, 'someone-else'), retries: 0 });
    expect(await statusOf(noAgent.join())).toBe('UNAUTHENTICATED');
    noAgent.close();
    const stranger = h.client(agg.port, 'c3', { retries: 0 });
    expect(await statusOf(stranger.join())).toBe('PERMISSION_DENIED');
    expect(await statusOf(stranger.downloadModel(1, path.join(h.dir, 'c3', 'm.safetensors')))).toBe(
      'PERMISSION_DENIED',
    );
    stranger.close();
  });

  it('refuses NaN, wrong shape and oversized updates and leaves the global model unchanged', async () => {
    const c1 = h.client(agg.port, 'c1');
    const nan = makeTensors(MIXED_SPEC, 5);
    nan[2]!.values[7] = NaN;
    expect(await statusOf(c1.uploadUpdate(1, h.writeModel('nan.safetensors', nan), 5, {}))).toBe(
      'INVALID_ARGUMENT',
    );
    const inf = makeTensors(MIXED_SPEC, 5);
    inf[3]!.values[100] = Infinity;
    expect(await statusOf(c1.uploadUpdate(1, h.writeModel('inf.safetensors', inf), 5, {}))).toBe(
      'INVALID_ARGUMENT',
    );
    const shape = makeTensors(
      MIXED_SPEC.map(([n, d, s]) => (n === 'dense.weight' ? [n, d, [12, 16]] : [n, d, s])),
      5,
    );
    const wrongShape = h.writeModel('shape.safetensors', shape);
    expect(await statusOf(c1.uploadUpdate(1, wrongShape, 5, {}))).toBe('INVALID_ARGUMENT');
    const big = makeTensors(
      MIXED_SPEC.map(([n, d, s]) => (n === 'emb' ? [n, d, [33, 5000]] : [n, d, s])),
      5,
    );
    expect(await statusOf(c1.uploadUpdate(1, h.writeModel('big.safetensors', big), 5, {}))).toBe(
      'INVALID_ARGUMENT',
    );
    const dtype = makeTensors(
      MIXED_SPEC.map(([n, , s]) => [n, 'F32', s]),
      5,
    );
    expect(await statusOf(c1.uploadUpdate(1, h.writeModel('dtype.safetensors', dtype), 5, {}))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(agg.state().clients.c1?.state).toBe('rejected');
    expect(agg.state().completedRounds).toBe(0);
    expect(
      readFileSync(path.join(agg.storageDir, 'checkpoints', 'round-00000.safetensors')).equals(initial),
    ).toBe(true);

    // A good update afterwards counts, and only it: round result equals c1 + c2 alone.
    const good1 = makeTensors(MIXED_SPEC, 6);
    const good2 = makeTensors(MIXED_SPEC, 7);
    const f1 = h.writeModel('good1.safetensors', good1);
    const f2 = h.writeModel('good2.safetensors', good2);
    // A digest the caller already holds (the agent's handoff computed it) is used as given: a
    // wrong one is caught by the aggregator before anything counts, the right one uploads.
    const f1Digest = createHash('sha256').update(readFileSync(f1)).digest('hex');
    expect(await statusOf(c1.uploadUpdate(1, f1, 1, {}, { sha256: 'f'.repeat(64) }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(agg.state().completedRounds).toBe(0);
    await c1.uploadUpdate(1, f1, 1, {}, { sha256: `sha256:${f1Digest}` });
    expect(await statusOf(c1.uploadUpdate(1, f1, 1, {}))).toBe('OK'); // same update again: already complete, idempotent
    expect(await statusOf(c1.uploadUpdate(1, f2, 1, {}))).toBe('ALREADY_EXISTS'); // a second, different update
    const c2 = h.client(agg.port, 'c2');
    await c2.uploadUpdate(1, f2, 1, {});
    const s = await waitFor(
      () => agg.state(),
      (v) => v.phase === 'completed',
    );
    const out = decodeSafetensors(readFileSync(path.join(agg.storageDir, 'final.safetensors'))).tensors;
    const ref = weightedReference(
      [decodeSafetensors(readFileSync(f1)).tensors, decodeSafetensors(readFileSync(f2)).tensors],
      [1, 1],
      good1,
    );
    expect(Math.abs(out[0]!.values[5]! - ref[0]![5]!)).toBeLessThan(1e-6);
    expect(s.history[0]?.participants).toEqual(['c1', 'c2']);
    // Replays after the round closed are refused too.
    expect(await statusOf(c2.uploadUpdate(1, f2, 1, {}))).toBe('FAILED_PRECONDITION');
    c1.close();
    c2.close();
  });
});

describe('round closing', () => {
  it('closes at the deadline with stragglers recorded and refuses late uploads', async () => {
    const h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    ['c1', 'c2', 'c3'].forEach((c) => h.clientCert(c)); // certificates first: key generation is slow
    const f = h.writeModel('u.safetensors', makeTensors(MIXED_SPEC, 1));
    const agg = await startAggregator(
      h.config({ admittedClusters: ['c1', 'c2', 'c3'], minClients: 2, rounds: 2, roundDeadlineSeconds: 5 }),
      { logger: silent },
    );
    try {
      const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((c) => h.client(agg.port, c)) as [
        ReturnType<Harness['client']>,
        ReturnType<Harness['client']>,
        ReturnType<Harness['client']>,
      ];
      await c1.uploadUpdate(1, f, 3, { loss: 1 });
      await c2.reportFailure(1, 'TRAINER_CRASHED', 'exit code 137');
      const early = agg.state();
      expect(early.completedRounds).toBe(0); // c3 still expected, one update < min
      const s = await waitFor(
        () => agg.state(),
        (v) => v.phase !== 'running' || v.history.length > 0,
      );
      expect(s.history[0]).toMatchObject({
        round: 1,
        outcome: 'failed',
        participants: ['c1'],
        failed: ['c2'],
        stragglers: ['c3'],
      });
      expect(s.phase).toBe('failed');
      expect(await statusOf(c3.uploadUpdate(1, f, 3, {}))).toBe('FAILED_PRECONDITION');
      [c1, c2, c3].forEach((c) => c.close());
    } finally {
      await agg.close();
    }
  });

  it('aggregates at the deadline when at least the minimum reported, retrying a short round first', async () => {
    const h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    h.clientCert('c1');
    const f = h.writeModel('u.safetensors', makeTensors(MIXED_SPEC, 1));
    const agg = await startAggregator(
      h.config({
        admittedClusters: ['c1', 'c2', 'c3'],
        minClients: 1,
        rounds: 1,
        roundDeadlineSeconds: 3,
        failurePolicy: { action: 'retryRound', maxRetries: 1 },
      }),
      { logger: silent },
    );
    try {
      const s1 = await waitFor(
        () => agg.state(),
        (v) => v.history.length === 1,
      );
      expect(s1.history[0]).toMatchObject({ outcome: 'retry', attempt: 0, stragglers: ['c1', 'c2', 'c3'] });
      const c1 = h.client(agg.port, 'c1');
      await c1.uploadUpdate(1, f, 3, {});
      const s = await waitFor(
        () => agg.state(),
        (v) => v.phase !== 'running',
      );
      expect(s.phase).toBe('completed');
      expect(s.history[1]).toMatchObject({
        round: 1,
        attempt: 1,
        outcome: 'aggregated',
        participants: ['c1'],
        stragglers: ['c2', 'c3'],
      });
      expect(s.clients.c2?.state).toBe('straggler');
      c1.close();
    } finally {
      await agg.close();
    }
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
