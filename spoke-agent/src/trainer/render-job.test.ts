import { describe, expect, it } from '@jest/globals';
import type { FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import { mirrorImage } from './image-mirror.js';
import {
  renderTokenSecret,
  renderTrainerJob,
  taskLabelValue,
  tokenFromSecret,
  trainerJobName,
  TASK_LABEL,
  ROUND_LABEL,
  type RenderJobInput,
} from './render-job.js';

function newTask(
  over: Partial<NonNullable<FederatedLearningTask['spec']>> = {},
  name = 'mnist',
): FederatedLearningTask {
  return {
    apiVersion: 'federation-ai.open-cluster-management.io/v1alpha1',
    kind: 'FederatedLearningTask',
    metadata: { name, namespace: 'open-cluster-management-agent-addon', uid: 'uid-1' },
    spec: {
      job: { namespace: 'default', name: 'mnist' },
      cluster: 'cluster1',
      aggregator: { endpoint: 'hub.example.com:9443' },
      trainer: { image: 'quay.io/example/mnist-trainer:v1', command: ['node'], args: ['train.js'] },
      data: { location: '/data/private/cluster1' },
      rounds: 3,
      roundTimeoutSeconds: 600,
      ...over,
    },
  };
}

function input(task = newTask(), over: Partial<RenderJobInput> = {}): RenderJobInput {
  return { task, round: 2, handoffUrl: 'http://127.0.0.1:8081/v1/rounds/mnist-r2', mirrors: [], ...over };
}

const container = (job: ReturnType<typeof renderTrainerJob>) => job.spec!.template.spec.containers[0]!;
const envOf = (job: ReturnType<typeof renderTrainerJob>) =>
  Object.fromEntries(container(job).env!.map((e) => [e.name, e]));

describe('trainerJobName', () => {
  it('is fl-<task>-r<round> for short names', () => {
    expect(trainerJobName('mnist', 3)).toBe('fl-mnist-r3');
  });

  it('stays a deterministic DNS label of at most 63 characters for long names', () => {
    const long = 'a'.repeat(60) + '-b.c-' + 'd'.repeat(100);
    const n = trainerJobName(long, 1234);
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(n).toBe(trainerJobName(long, 1234));
    expect(n.endsWith('-r1234')).toBe(true);
    expect(trainerJobName(long + 'x', 1234)).not.toBe(n);
  });

  it('shortens long task names in label values', () => {
    const v = taskLabelValue('x'.repeat(200));
    expect(v.length).toBeLessThanOrEqual(63);
    expect(taskLabelValue('mnist')).toBe('mnist');
  });
});

describe('mirrorImage', () => {
  it.each([
    [
      'prefix replaced',
      [{ source: 'quay.io/example', mirror: 'mirror.local:5000/ex' }],
      'quay.io/example/mnist:v1',
      'mirror.local:5000/ex/mnist:v1',
    ],
    [
      'empty source keeps the last segment',
      [{ mirror: 'mirror.local' }],
      'quay.io/example/mnist:v1',
      'mirror.local/mnist:v1',
    ],
    [
      'no match unchanged',
      [{ source: 'docker.io', mirror: 'm.local' }],
      'quay.io/example/mnist:v1',
      'quay.io/example/mnist:v1',
    ],
    [
      'only whole segments match',
      [{ source: 'quay.io/ex', mirror: 'm.local' }],
      'quay.io/example/mnist:v1',
      'quay.io/example/mnist:v1',
    ],
    [
      'last matching entry wins',
      [
        { source: 'quay.io', mirror: 'first.local' },
        { source: 'quay.io/example', mirror: 'second.local' },
      ],
      'quay.io/example/mnist:v1',
      'second.local/mnist:v1',
    ],
  ])('%s', (_name, mirrors, image, want) => {
    expect(mirrorImage(mirrors, image)).toBe(want);
  });
});

describe('renderTrainerJob', () => {
  it('renders a one-shot Job with the task command, mirrored image and handoff env', () => {
    const job = renderTrainerJob(
      input(newTask(), { mirrors: [{ source: 'quay.io/example', mirror: 'registry.local/fl' }] }),
    );
    expect(job.metadata.name).toBe('fl-mnist-r2');
    expect(job.metadata.namespace).toBe('open-cluster-management-agent-addon');
    expect(job.metadata.labels![TASK_LABEL]).toBe('mnist');
    expect(job.metadata.labels![ROUND_LABEL]).toBe('2');
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FederatedLearningTask', name: 'mnist', uid: 'uid-1' }),
    ]);
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.activeDeadlineSeconds).toBe(600);
    expect(job.spec!.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(job.spec!.template.spec.restartPolicy).toBe('Never');
    const c = container(job);
    expect(c.image).toBe('registry.local/fl/mnist-trainer:v1');
    expect(c.command).toEqual(['node']);
    expect(c.args).toEqual(['train.js']);
    const env = envOf(job);
    expect(env.FL_HANDOFF_URL!.value).toBe('http://127.0.0.1:8081/v1/rounds/mnist-r2');
    expect(env.FL_ROUND!.value).toBe('2');
    expect(env.FL_DATA_DIR!.value).toBe('/data');
    expect(env.FL_DATA_LOCATION!.value).toBe('/data/private/cluster1');
    expect(env.FL_HANDOFF_TOKEN!.value).toBeUndefined();
    expect(env.FL_HANDOFF_TOKEN!.valueFrom).toEqual({ secretKeyRef: { name: 'fl-mnist-r2', key: 'token' } });
  });

  it('is deterministic', () => {
    expect(renderTrainerJob(input())).toEqual(renderTrainerJob(input()));
  });

  it('mounts the data location read-only as a hostPath by default', () => {
    const job = renderTrainerJob(input());
    const pod = job.spec!.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'data', hostPath: { path: '/data/private/cluster1' } });
    expect(container(job).volumeMounts).toContainEqual({ name: 'data', mountPath: '/data', readOnly: true });
  });

  it('mounts a PVC read-only at the mount path the task names', () => {
    const task = newTask({
      data: { location: 'ignored', volume: { persistentVolumeClaim: 'digits', mountPath: '/mnt/digits' } },
    });
    const job = renderTrainerJob(input(task));
    expect(job.spec!.template.spec.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'digits', readOnly: true },
    });
    expect(container(job).volumeMounts).toContainEqual({
      name: 'data',
      mountPath: '/mnt/digits',
      readOnly: true,
    });
    expect(envOf(job).FL_DATA_DIR!.value).toBe('/mnt/digits');
  });

  it('mounts no data volume when the location is not a path', () => {
    const job = renderTrainerJob(input(newTask({ data: { location: 'digits:0-4' } })));
    expect(job.spec!.template.spec.volumes!.map((v) => v.name)).toEqual(['scratch', 'tmp']);
    expect(envOf(job).FL_DATA_LOCATION!.value).toBe('digits:0-4');
  });

  it('copies resources, nodeSelector and tolerations from the task', () => {
    const task = newTask({
      trainer: {
        image: 'trainer:1',
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { memory: '2Gi', 'nvidia.com/gpu': '1' },
        },
        nodeSelector: { 'node-role.kubernetes.io/gpu': 'true' },
        tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    const job = renderTrainerJob(input(task));
    expect(container(job).resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { memory: '2Gi', 'nvidia.com/gpu': '1' },
    });
    expect(job.spec!.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/gpu': 'true' });
    expect(job.spec!.template.spec.tolerations).toEqual([
      { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  it('keeps user env and refuses user env that shadows the handoff contract', () => {
    const ok = renderTrainerJob(
      input(newTask({ trainer: { image: 'x', env: [{ name: 'EPOCHS', value: '2' }] } })),
    );
    expect(envOf(ok).EPOCHS!.value).toBe('2');
    expect(() =>
      renderTrainerJob(
        input(newTask({ trainer: { image: 'x', env: [{ name: 'FL_HANDOFF_URL', value: 'http://evil' }] } })),
      ),
    ).toThrow('spec.trainer.env[0].name: FL_HANDOFF_URL is set by the agent');
  });

  it('hardens the pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    const job = renderTrainerJob(input());
    const pod = job.spec!.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(job).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('carries no key material: no Secret volume, no service-account token, no certificate env', () => {
    const job = renderTrainerJob(input());
    const pod = job.spec!.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const v of pod.volumes ?? []) expect(Object.keys(v).sort()).not.toContain('secret');
    const text = JSON.stringify(job);
    expect(text).not.toMatch(/BEGIN|tls\.crt|tls\.key|ca\.crt|client-cert|KUBECONFIG/i);
    const secretRefs = container(job).env!.filter((e) => e.valueFrom);
    expect(secretRefs).toEqual([
      { name: 'FL_HANDOFF_TOKEN', valueFrom: { secretKeyRef: { name: 'fl-mnist-r2', key: 'token' } } },
    ]);
  });

  it('takes the deadline from the caller when given', () => {
    expect(
      renderTrainerJob(input(newTask(), { activeDeadlineSeconds: 42 })).spec!.activeDeadlineSeconds,
    ).toBe(42);
  });

  it('names the bad field', () => {
    expect(() => renderTrainerJob(input(newTask({ trainer: { image: '' } })))).toThrow(
      'spec.trainer.image: required',
    );
    expect(() => renderTrainerJob(input(newTask(), { round: 0 }))).toThrow('round: 0');
    expect(() =>
      renderTrainerJob(input(newTask({ data: { location: '/d', volume: { mountPath: 'rel' } } }))),
    ).toThrow('spec.data.volume.mountPath');
  });
});

describe('renderTokenSecret', () => {
  it('stores the token under the Job name and reads it back', () => {
    const s = renderTokenSecret(newTask(), 2, 'tok-'.repeat(10));
    expect(s.metadata.name).toBe('fl-mnist-r2');
    expect(s.metadata.labels![ROUND_LABEL]).toBe('2');
    expect(tokenFromSecret(s)).toBe('tok-'.repeat(10));
    expect(tokenFromSecret(undefined)).toBeUndefined();
  });
});
