import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { waitFor } from '../testing/wait.js';
import { PodRunner } from './pod-runner.js';
import type { Deployment, Job, Pod, PodTemplate } from './types.js';

// A tiny program standing in for a container image: behaviour chosen by env MODE.
const APP = `
const fs = require('node:fs');
const path = require('node:path');
const mode = process.env.MODE;
if (process.env.CONFIG) console.log('config:' + fs.readFileSync(process.env.CONFIG, 'utf8'));
console.log('kubeconfig:' + (process.env.KUBECONFIG ?? 'none'));
console.log('pod-ip:' + process.env.POD_IP + ' ns:' + process.env.MY_NS + ' key:' + process.env.SECRET_KEY);
if (mode === 'crash-once') {
  const f = path.join(process.argv[2], 'count');
  const n = fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0;
  fs.writeFileSync(f, String(n + 1));
  if (n === 0) process.exit(3);
  setInterval(() => {}, 1000);
} else if (mode === 'init') fs.writeFileSync(path.join(process.argv[2], 'init-done'), 'yes');
else if (mode === 'needs-init') process.exit(fs.existsSync(path.join(process.argv[2], 'init-done')) ? 0 : 4);
else if (mode === 'succeed') process.exit(0);
else if (mode === 'fail') process.exit(1);
else setInterval(() => {}, 1000);
`;

let server: ApiServer;
let client: KubeClient;
let runner: PodRunner;
let dir: string;

const template = (mode: string, extra: Record<string, unknown> = {}): PodTemplate => ({
  metadata: { labels: { app: mode } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'example.com/test/app:1',
        args: ['/work'],
        env: [
          { name: 'MODE', value: mode },
          { name: 'CONFIG', value: '/etc/app/msg' },
          { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'SECRET_KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/app' },
          { name: 'work', mountPath: '/work' },
        ],
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'work', emptyDir: {} },
    ],
    ...extra,
  },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pod-runner-'));
  await writeFile(join(dir, 'app.cjs'), APP);
  server = await startApiServer({ name: 'c1' });
  client = KubeClient.fromKubeConfig(server.kubeConfig());
  await client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'default' },
    data: { msg: 'hello' },
  } as never);
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default' },
    data: { k: Buffer.from('sekret').toString('base64') },
  } as never);
  runner = new PodRunner({
    name: 'c1',
    client,
    rootDir: dir,
    restartBackoffMs: 100,
    serviceAccountKubeconfig: '/sa/kubeconfig',
    images: { 'test/app:1': { entrypoint: [process.execPath, join(dir, 'app.cjs')] } },
  });
  await runner.start();
});

afterAll(async () => {
  await runner.stop();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const podsOf = async (label: string): Promise<Pod[]> =>
  client.list<Pod>('v1', 'Pod', { namespace: 'default', labelSelector: label });

describe('pod runner', () => {
  it('runs a Deployment, restarts its crashed container, reports status, and stops it on delete', async () => {
    await client.create<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'crash-once' } },
        template: template('crash-once'),
      },
    });
    await waitFor('container restarted', async () => {
      const [p] = await podsOf('app=crash-once');
      return (
        (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 &&
        p?.status?.containerStatuses?.[0]?.state.running
      );
    });
    const d = await waitFor('deployment available', async () => {
      const x = await client.get<Deployment>('apps/v1', 'Deployment', 'web', 'default');
      return x?.status?.availableReplicas === 1 ? x : undefined;
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const [pod] = await podsOf('app=crash-once');
    expect(pod?.status?.phase).toBe('Running');
    expect(pod?.status?.podIP).toMatch(/^127\./);
    const cs = pod?.status?.containerStatuses?.[0];
    expect(cs?.restartCount).toBeGreaterThanOrEqual(1);
    expect(cs?.lastState.terminated?.exitCode).toBe(3);
    const log = await readFile(
      join(runner.podDir('default', pod?.metadata.name ?? ''), 'logs', 'main.log'),
      'utf8',
    );
    expect(log).toContain('config:hello');
    expect(log).toContain('ns:default key:sekret');
    expect(log).toContain('kubeconfig:/sa/kubeconfig');

    await client.delete('apps/v1', 'Deployment', 'web', 'default');
    await waitFor('pods gone', async () => (await podsOf('app=crash-once')).length === 0);
  });

  it('updates a mounted ConfigMap atomically through the ..data symlink', async () => {
    await client.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'default' },
      spec: { ...template('run').spec, automountServiceAccountToken: false },
    });
    await waitFor(
      'pod running',
      async () => (await client.get<Pod>('v1', 'Pod', 'p1', 'default'))?.status?.phase === 'Running',
    );
    const file = join(runner.podDir('default', 'p1'), 'root', 'etc', 'app', 'msg');
    expect(await readFile(file, 'utf8')).toBe('hello');
    const p1log = join(runner.podDir('default', 'p1'), 'logs', 'main.log');
    await waitFor('p1 logged', async () => (await readFile(p1log, 'utf8')).includes('pod-ip:'));
    expect(await readFile(p1log, 'utf8')).toContain('kubeconfig:none'); // no API credentials without the token mount
    const cm = await client.get<KubeObject>('v1', 'ConfigMap', 'cfg', 'default');
    if (!cm) throw new Error('configmap cfg missing');
    await client.update({ ...cm, data: { msg: 'again' } } as KubeObject);
    await waitFor('file updated', async () => (await readFile(file, 'utf8')) === 'again');
    await client.delete('v1', 'Pod', 'p1', 'default');
  });

  it('completes a Job whose container succeeds', async () => {
    await client.create<Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'ok', namespace: 'default' },
      spec: { template: template('succeed', { restartPolicy: 'Never' }) },
    });
    const j = await waitFor('job complete', async () => {
      const x = await client.get<Job>('batch/v1', 'Job', 'ok', 'default');
      return x?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? x : undefined;
    });
    expect(j.status?.succeeded).toBe(1);
    expect(j.status?.completionTime).toBeDefined();
  });

  it('fails a Job after backoffLimit failures', async () => {
    await client.create<Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'bad', namespace: 'default' },
      spec: { backoffLimit: 1, template: template('fail', { restartPolicy: 'Never' }) },
    });
    const j = await waitFor('job failed', async () => {
      const x = await client.get<Job>('batch/v1', 'Job', 'bad', 'default');
      return x?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True') ? x : undefined;
    });
    expect(j.status?.failed).toBe(2);
    expect(j.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });

  it('kills a Job past activeDeadlineSeconds and removes it after ttlSecondsAfterFinished', async () => {
    await client.create<Job>({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'slow', namespace: 'default' },
      spec: {
        activeDeadlineSeconds: 1,
        ttlSecondsAfterFinished: 1,
        template: template('run', { restartPolicy: 'Never' }),
      },
    });
    const j = await waitFor('job deadline', async () => {
      const x = await client.get<Job>('batch/v1', 'Job', 'slow', 'default');
      return x?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True') ? x : undefined;
    });
    expect(j.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    await waitFor('job pods gone', async () => (await podsOf('job-name=slow')).length === 0);
    await waitFor(
      'job deleted after ttl',
      async () => (await client.get('batch/v1', 'Job', 'slow', 'default')) === undefined,
    );
  });

  it('runs init containers to completion before the containers, and fails the pod when one fails', async () => {
    const initContainer = (mode: string) => ({
      ...template(mode).spec.containers[0]!,
      name: 'init',
      env: [{ name: 'MODE', value: mode }],
    });
    const job = (name: string, initMode: string): Job => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'default' },
      spec: {
        backoffLimit: 0,
        template: template('needs-init', {
          restartPolicy: 'Never',
          initContainers: [initContainer(initMode)],
        }),
      },
    });
    const finished = (name: string) =>
      waitFor(`job ${name} finished`, async () => {
        const x = await client.get<Job>('batch/v1', 'Job', name, 'default');
        return x?.status?.conditions?.find(
          (c) => c.status === 'True' && ['Complete', 'Failed'].includes(c.type),
        )
          ? x
          : undefined;
      });
    await client.create<Job>(job('with-init', 'init'));
    expect((await finished('with-init')).status?.succeeded).toBe(1);
    await client.create<Job>(job('bad-init', 'fail'));
    const bad = await finished('bad-init');
    expect(bad.status?.failed).toBe(1);
    expect(bad.status?.succeeded ?? 0).toBe(0);
    const [pod] = await podsOf('job-name=bad-init');
    expect(pod?.status?.reason).toBe('Init:Error');
    expect(pod?.status?.containerStatuses?.[0]?.started).toBe(false);
  });

  it('leaves a Pod with an unknown image Pending with ErrImagePull', async () => {
    await client.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nope', namespace: 'default' },
      spec: { containers: [{ name: 'x', image: 'quay.io/unknown/thing:2' }] },
    });
    const p = await waitFor('pod pending', async () => {
      const x = await client.get<Pod>('v1', 'Pod', 'nope', 'default');
      return x?.status?.containerStatuses?.[0]?.state.waiting?.reason === 'ErrImagePull' ? x : undefined;
    });
    expect(p.status?.phase).toBe('Pending');
  });
});
