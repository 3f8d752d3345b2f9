/**
 * The agent end to end on the embedded control plane: a real aggregator (mTLS gRPC), the real
 * MNIST trainer run by a Job-runner test double, task status through the API server.
 */
import { family, sample, scrape } from '@ocm-fl/common/metrics/exposition.test-helpers.js';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import { federatedLearningTaskCrd } from '@ocm-fl/common/api/crds/federated-learning-task.js';
import { createTestCa, issueTestCert } from '@ocm-fl/common/dataplane/test-pki.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { agentCommonName, FL_API_VERSION } from '@ocm-fl/common/names.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { initialModel } from '../../e2e/trainers/mnist-ts/init-model.js';
import { findKeyMaterial } from '../../e2e/trainers/key-material.js';
import {
  startAggregator,
  type Aggregator,
  type AggregatorConfig,
} from '@ocm-fl/hub-manager/aggregator/main.js';
import { startAgent, type Agent, type AgentConfig } from './agent.js';
import { JobRunnerDouble } from './testing/job-runner-double.js';
import type { Job } from './trainer/job-types.js';

const NS = 'open-cluster-management-agent-addon';
const CLUSTER = 'cluster1';
const ROOT = path.resolve(import.meta.dirname ?? '.', '../..');
const TS_TRAINER = [process.execPath, '--import', 'tsx', 'e2e/trainers/mnist-ts/main.ts'];
const IMAGES: Record<string, readonly string[]> = {
  'quay.io/example/mnist-ts:v1': TS_TRAINER,
  'quay.io/example/mnist-py:v1': ['/usr/bin/python3', 'e2e/trainers/mnist-py/trainer.py'],
  'quay.io/example/crash:v1': [process.execPath, '-e', 'console.error("boom"); process.exit(3)'],
  'quay.io/example/hang:v1': [process.execPath, '-e', 'setTimeout(() => {}, 600000)'],
};

interface Fixture {
  api: ApiServer;
  kube: KubeClient;
  agg: Aggregator;
  agentConfig: AgentConfig;
  identity: Parameters<typeof startAgent>[0]['identity'];
  agent?: Agent;
  runner: JobRunnerDouble;
  dir: string;
  steps: { step: string; round: number; ms: number }[];
}

let fx: Fixture | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setup(o: {
  rounds: number;
  failurePolicy?: AggregatorConfig['failurePolicy'];
  beforeStart?: (job: Job) => Promise<void>;
}): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fl-agent-int-'));
  const api = await startApiServer({ port: 0 });
  const kube = KubeClient.fromKubeConfig(api.kubeConfig());
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await kube.create(federatedLearningTaskCrd());
  const ca = createTestCa();
  const server = issueTestCert(ca, 'aggregator', ['localhost']);
  const client = issueTestCert(ca, agentCommonName(CLUSTER));
  const files = {
    cert: path.join(dir, 'srv.crt'),
    key: path.join(dir, 'srv.key'),
    ca: path.join(dir, 'ca.crt'),
    model: path.join(dir, 'init.safetensors'),
  };
  await Promise.all([
    writeFile(files.cert, server.cert),
    writeFile(files.key, server.key),
    writeFile(files.ca, ca.certPem),
    writeFile(files.model, initialModel({ seed: 1 })),
  ]);
  const agg = await startAggregator(
    {
      jobId: 'default/mnist',
      jobName: 'mnist',
      listen: { host: '127.0.0.1', port: 0 },
      tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca },
      storageDir: path.join(dir, 'aggregator'),
      rounds: o.rounds,
      admittedClusters: [CLUSTER],
      minClients: 1,
      roundDeadlineSeconds: 120,
      failurePolicy: o.failurePolicy ?? { action: 'fail' },
      initialModelPath: files.model,
      keepCheckpoints: 1,
      taskConfig: { epochs: '1', maxExamples: '400', batchSize: '32' },
      heartbeatIntervalSeconds: 5,
      maxStreamsPerClient: 8,
    },
    { logger: silentLogger },
  );
  const expiry = new Date(new X509Certificate(client.cert).validTo);
  const identity = {
    tls: () => ({ cert: client.cert, key: client.key, ca: Buffer.from(ca.certPem) }),
    expiry: () => expiry,
    notReady: () => undefined,
  };
  const agentConfig: AgentConfig = {
    namespace: NS,
    clusterName: CLUSTER,
    workDir: path.join(dir, 'agent-work'),
    leasePeriodMs: 1000,
    healthPort: 0,
    healthHost: '127.0.0.1',
    handoffPort: await freePort(),
    handoffHost: '127.0.0.1',
    imageRegistries: [],
  };
  const runner = new JobRunnerDouble({
    kube,
    namespace: NS,
    argv: (image) => IMAGES[image],
    baseDir: path.join(dir, 'pods'),
    cwd: ROOT,
    ...(o.beforeStart ? { beforeStart: o.beforeStart } : {}),
  });
  runner.start();
  fx = { api, kube, agg, agentConfig, identity, runner, dir, steps: [] };
  return fx;
}

async function runAgent(f: Fixture): Promise<Agent> {
  f.agent = await startAgent({
    config: f.agentConfig,
    kube: f.kube,
    identity: f.identity,
    logger: silentLogger,
    timing: {
      retry: { baseMs: 100, maxMs: 1000 },
      poll: { minMs: 100, maxMs: 400 },
      jobPollMs: 100,
      deadlineGraceMs: 3000,
    },
    onStepDone: (step, round, ms) => f.steps.push({ step, round, ms }),
  });
  return f.agent;
}

function newTask(
  image: string,
  rounds: number,
  over: Partial<NonNullable<FederatedLearningTask['spec']>> = {},
): FederatedLearningTask {
  return {
    apiVersion: FL_API_VERSION,
    kind: 'FederatedLearningTask',
    metadata: { name: 'mnist', namespace: NS },
    spec: {
      job: { namespace: 'default', name: 'mnist' },
      cluster: CLUSTER,
      aggregator: { endpoint: `localhost:${fx!.agg.port}` },
      trainer: { image, command: ['trainer'] },
      data: { location: `/data/private/${CLUSTER}` },
      rounds,
      roundTimeoutSeconds: 60,
      ...over,
    },
  };
}

async function taskStatus(f: Fixture): Promise<FederatedLearningTask | undefined> {
  return f.kube.get<FederatedLearningTask>(FL_API_VERSION, 'FederatedLearningTask', 'mnist', NS);
}

async function untilPhase(f: Fixture, phases: string[], timeoutMs = 90_000): Promise<FederatedLearningTask> {
  return waitFor(
    `task phase ${phases.join('|')}`,
    async () => {
      const t = await taskStatus(f);
      return t?.status?.phase && phases.includes(t.status.phase) ? t : undefined;
    },
    timeoutMs,
  );
}

afterEach(async () => {
  const f = fx;
  fx = undefined;
  if (!f) return;
  await f.agent?.stop();
  await f.runner.stop();
  await f.agg.close();
  await f.api.close();
  await rm(f.dir, { recursive: true, force: true });
});

describe('spoke agent on the embedded control plane', () => {
  it('runs two rounds with the MNIST trainer against a real aggregator, with no key material in the trainer', async () => {
    const f = await setup({ rounds: 2 });
    await runAgent(f);
    await f.kube.create(newTask('quay.io/example/mnist-ts:v1', 2));
    const done = await untilPhase(f, ['Completed', 'Failed']);
    expect(done.status).toMatchObject({ phase: 'Completed', round: 2 });
    expect(done.status!.lastUpdate).toMatchObject({ round: 2 });
    expect(done.status!.lastUpdate!.examples).toBeGreaterThan(0);
    expect(done.status!.lastUpdate!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(done.status!.metrics ?? {})).toEqual(expect.arrayContaining(['loss', 'accuracy']));
    expect(done.status!.certificateExpiry).toMatch(/^\d{4}-/);
    expect(done.status!.observedGeneration).toBe(done.metadata.generation);
    const state = f.agg.state();
    expect(state.phase).toBe('completed');
    expect(state.completedRounds).toBe(2);
    // Two trainer runs, both clean: env and scratch folders hold no key material.
    expect(f.runner.runs.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
    // The agent's /metrics on its health port counted both rounds' steps and bytes.
    const m = await scrape(`http://127.0.0.1:${f.agent!.healthPort}/metrics`);
    expect(
      sample(family(m, 'fl_agent_step_duration_seconds', 'HISTOGRAM', ['step']), { step: 'train' }),
    ).toBe(2);
    expect(
      sample(family(m, 'fl_agent_trainer_exits_total', 'COUNTER', ['reason']), { reason: 'SUCCEEDED' }),
    ).toBe(2);
    const bytes = family(m, 'fl_agent_transferred_bytes_total', 'COUNTER', ['direction']);
    expect(sample(bytes, { direction: 'download' })).toBeGreaterThan(0);
    expect(sample(bytes, { direction: 'upload' })).toBeGreaterThan(0);
    expect(sample(family(m, 'fl_agent_certificate_expiry_seconds', 'GAUGE'))).toBeGreaterThan(0);
    for (const r of f.runner.runs) {
      expect(r.env.FL_HANDOFF_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await findKeyMaterial(r.env, r.dirs)).toEqual([]);
    }
    // Jobs and token Secrets are cleaned up after each round.
    await waitFor('trainer objects deleted', async () =>
      (await f.kube.list('batch/v1', 'Job', { namespace: NS })).length === 0 ? true : undefined,
    );
    expect(
      (await f.kube.list('v1', 'Secret', { namespace: NS })).filter((s) =>
        s.metadata.name?.startsWith('fl-'),
      ),
    ).toEqual([]);
    // Per-round time split, for the report.
    const split = f.steps.filter((s) => ['download', 'train', 'upload'].includes(s.step));
    process.stdout.write(`round time split: ${JSON.stringify(split)}\n`);
  });

  it('runs a round with the Python (numpy) trainer: the contract is language-neutral', async () => {
    const f = await setup({ rounds: 1 });
    await runAgent(f);
    await f.kube.create(newTask('quay.io/example/mnist-py:v1', 1));
    const done = await untilPhase(f, ['Completed', 'Failed']);
    expect(done.status).toMatchObject({ phase: 'Completed', round: 1 });
    expect(done.status!.lastUpdate!.examples).toBeGreaterThan(0);
    expect(Object.keys(done.status!.metrics ?? {})).toEqual(expect.arrayContaining(['loss', 'accuracy']));
    expect(f.agg.state()).toMatchObject({ phase: 'completed', completedRounds: 1 });
    for (const r of f.runner.runs) expect(await findKeyMaterial(r.env, r.dirs)).toEqual([]);
  });

  it('reports a crashing trainer to the aggregator instead of waiting for the deadline', async () => {
    const f = await setup({ rounds: 2, failurePolicy: { action: 'fail' } });
    await runAgent(f);
    await f.kube.create(newTask('quay.io/example/crash:v1', 2));
    const started = Date.now();
    const done = await untilPhase(f, ['Failed']);
    // The aggregator's round deadline is 120 s: failing well before it means the failure was reported.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(done.status!.lastError).toMatch(/round 1: trainer failed \(BackoffLimitExceeded/);
    expect(f.agg.state().phase).toBe('failed');
    expect(f.runner.runs[0]!.outcome).toBe('failed');
  });

  it('stops a trainer that exceeds the round timeout and reports it as timed out', async () => {
    const f = await setup({ rounds: 1, failurePolicy: { action: 'fail' } });
    await runAgent(f);
    await f.kube.create(newTask('quay.io/example/hang:v1', 1, { roundTimeoutSeconds: 2 }));
    const done = await untilPhase(f, ['Failed']);
    expect(done.status!.lastError).toMatch(/round 1: trainer exceeded its deadline/);
    expect(f.runner.runs[0]!.outcome).toBe('deadline');
    expect(f.agg.state().phase).toBe('failed');
  });

  it('re-attaches to the running trainer Job after an agent restart mid-round', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const f = await setup({
      rounds: 1,
      beforeStart: async () => {
        if (first) {
          first = false;
          await gate;
        }
      },
    });
    const agent1 = await runAgent(f);
    await f.kube.create(newTask('quay.io/example/mnist-ts:v1', 1));
    await untilPhase(f, ['Training']);
    const job = await waitFor(
      'trainer Job',
      async () => (await f.kube.list<Job>('batch/v1', 'Job', { namespace: NS }))[0],
    );
    await agent1.stop();
    // The Job survives the agent; a new agent takes the round over and the held-back trainer runs.
    expect(await f.kube.get<Job>('batch/v1', 'Job', job.metadata.name!, NS)).toBeDefined();
    await runAgent(f);
    release();
    const done = await untilPhase(f, ['Completed', 'Failed']);
    expect(done.status!.phase).toBe('Completed');
    expect(f.runner.runs).toHaveLength(1);
    expect(f.runner.runs[0]!.outcome).toBe('succeeded');
    expect(f.agg.state().completedRounds).toBe(1);
  });
});
