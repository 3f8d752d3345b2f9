import { describe, expect, it } from '@jest/globals';
import { TASK_FEEDBACK_PATHS } from '@ocm-fl/common/api/task.js';
import { isSpecProblem, resolveSpec, type ResolvedJob } from '../spec.js';
import { newFl } from '../testing/fixtures.js';
import { boundedName, flNames } from '../names.js';
import {
  renderAggregatorAccess,
  renderAggregatorConfig,
  renderAggregatorJob,
  renderConfigMap,
  renderPvc,
  renderServices,
  renderStateConfigMap,
  serverCertificateSans,
} from './aggregator.js';
import { renderEvaluationJob } from './evaluation-job.js';
import { renderClusterSetBindings, renderPlacement } from './placement.js';
import { renderTaskWork } from './task-work.js';
import { parseConfig } from '@ocm-fl/common/job-contract/config.js';
import { withPaths } from '../../main.js';

function job(spec: Parameters<typeof newFl>[0] = {}): ResolvedJob {
  const r = resolveSpec(newFl(spec), { hubManagerImage: 'hub:dev' });
  if (isSpecProblem(r)) throw new Error(r.message);
  return r;
}

const taskInput = {
  cluster: 'cluster1',
  agentNamespace: 'open-cluster-management-agent-addon',
  dataLocation: '/data/private/cluster1',
  endpoint: '10.0.0.5:8080',
  serverName: 'fl-federated-learning-sample-server-listener.default.svc',
};

describe('placement', () => {
  it('copies the placement spec, owned by the CR, with one binding per cluster set', () => {
    const j = job();
    const p = renderPlacement(j);
    expect(p).toMatchSnapshot();
    expect(p.metadata).toMatchObject({ name: 'federated-learning-sample', namespace: 'default' });
    expect(p.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'FederatedLearning',
      uid: '1111-2222',
      controller: true,
    });
    expect(renderClusterSetBindings(j)).toEqual([
      expect.objectContaining({
        metadata: { name: 'global', namespace: 'default' },
        spec: { clusterSet: 'global' },
      }),
    ]);
  });

  it('binds global when the placement names no cluster sets (the upstream sample)', () => {
    const j = job();
    const unnamed = { ...j, placement: { ...j.placement, clusterSets: [] } };
    expect(renderClusterSetBindings(unnamed).map((b) => b.metadata.name)).toEqual(['global']);
    const named = { ...j, placement: { ...j.placement, clusterSets: ['edge', 'dc', 'edge'] } };
    expect(renderClusterSetBindings(named).map((b) => b.metadata.name)).toEqual(['dc', 'edge']);
  });
});

describe('aggregator', () => {
  it('renders a config the aggregator accepts', () => {
    const j = job({ training: { parameters: { epochs: 2, lr: 0.05 } }, minClientsPerRound: 1 });
    const cfg = renderAggregatorConfig(j, ['cluster2', 'cluster1'], { listenHost: '127.0.0.1' });
    const parsed = parseConfig(JSON.parse(JSON.stringify(cfg)));
    expect(parsed).toMatchObject({
      jobId: 'default/federated-learning-sample',
      admittedClusters: ['cluster1', 'cluster2'],
      rounds: 3,
      minClients: 1,
      roundDeadlineSeconds: 600,
      storageDir: '/data/models/default-federated-learning-sample',
      initialModelPath: '/data/models/default-federated-learning-sample/initial-model.safetensors',
      taskConfig: { epochs: '2', lr: '0.05' },
      listen: { host: '127.0.0.1', port: 8080 },
    });
    // One contract: every rendered field is parsed and kept, nothing is left to a default.
    expect(parsed).toEqual(cfg);
    expect(renderConfigMap(j, cfg)).toMatchSnapshot();
  });

  it('lets the aggregator pod update its state ConfigMap and nothing else', () => {
    const j = job({});
    const cfg = renderAggregatorConfig(j, ['cluster1'], { listenHost: '0.0.0.0' });
    const cm = renderStateConfigMap(j);
    expect(cfg.stateConfigMap).toEqual({ namespace: j.namespace, name: cm.metadata.name });
    expect(cm).not.toHaveProperty('data'); // the aggregator's to write; applying never resets it
    const [sa, role, binding] = renderAggregatorAccess(j) as unknown as [
      { kind: string; metadata: { name: string } },
      { kind: string; rules: unknown[] },
      { kind: string; roleRef: { name: string }; subjects: { name: string; namespace: string }[] },
    ];
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [cm.metadata.name],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    expect(binding.roleRef.name).toBe(sa.metadata.name);
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: j.namespace },
    ]);
    const pod = (
      renderAggregatorJob(j) as unknown as { spec: { template: { spec: { serviceAccountName: string } } } }
    ).spec.template.spec;
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
  });

  it('runs `aggregate --config` in a Job with the server image, TLS, config and storage mounted', () => {
    const j = job({ server: { ...newFl().spec?.server, image: 'my/aggregator:1' } });
    const k = renderAggregatorJob(j) as unknown as { spec: { template: { spec: unknown } } };
    expect(k).toMatchSnapshot();
    const pod = k.spec.template.spec as {
      containers: { image: string; args: string[] }[];
      initContainers: { image: string }[];
      volumes: unknown[];
      restartPolicy: string;
    };
    expect(pod.containers[0]?.image).toBe('my/aggregator:1');
    expect(pod.containers[0]?.args).toEqual([
      'aggregate',
      '--config',
      '/etc/fl-aggregator/config/config.json',
      '--tls-dir',
      '/etc/fl-aggregator/tls',
      '--storage-dir',
      '/data/models/default-federated-learning-sample',
      '--initial-model',
      '/data/models/default-federated-learning-sample/initial-model.safetensors',
    ]);
    // The command-line paths match the config file's, so both routes agree.
    const cfg = parseConfig(renderAggregatorConfig(j, ['c1'], { listenHost: '0.0.0.0' }));
    const args = pod.containers[0]?.args ?? [];
    const flag = (f: string): string => args[args.indexOf(f) + 1] as string;
    const paths = {
      tlsDir: flag('--tls-dir'),
      storageDir: flag('--storage-dir'),
      initialModel: flag('--initial-model'),
    };
    expect(withPaths(cfg, paths)).toEqual(cfg);
    expect(pod.initContainers[0]?.image).toBe('ocm-fl/mnist-trainer:dev');
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.volumes).toContainEqual({
      name: 'storage',
      persistentVolumeClaim: { claimName: 'model-pvc' },
    });
  });

  it('has no init container when an initial model is given', () => {
    const j = job({ server: { ...newFl().spec?.server, initialModel: 'init.safetensors' } });
    expect(j.initialModelPath).toBe('/data/models/default-federated-learning-sample/init.safetensors');
    expect(JSON.stringify(renderAggregatorJob(j))).not.toContain('initContainers');
  });

  it('renders the PVC per storage spec and one Service per listener', () => {
    const j = job({
      server: {
        ...newFl().spec?.server,
        listeners: [
          { name: 'lb', port: 8080, type: 'LoadBalancer' },
          { name: 'np', port: 30080, type: 'NodePort', ip: '192.168.1.10' },
        ],
      },
    });
    expect(renderPvc(j)).toMatchObject({
      metadata: { name: 'model-pvc' },
      spec: { resources: { requests: { storage: '2Gi' } } },
    });
    const svcs = renderServices(j) as unknown as {
      metadata: { name: string };
      spec: { type: string; ports: { nodePort?: number }[] };
    }[];
    expect(svcs.map((s) => [s.metadata.name, s.spec.type])).toEqual([
      ['fl-federated-learning-sample-lb', 'LoadBalancer'],
      ['fl-federated-learning-sample-np', 'NodePort'],
    ]);
    expect(svcs[1]?.spec.ports[0]?.nodePort).toBe(30080);
    const sans = serverCertificateSans(j);
    expect(sans.dnsNames).toContain('fl-federated-learning-sample-lb.default.svc');
    expect(sans.ipAddresses).toEqual(['192.168.1.10']);
  });

  it('renders no PVC for HostPath storage', () => {
    const j = job({
      server: { ...newFl().spec?.server, storage: { type: 'HostPath', name: '/srv/models' } },
    });
    expect(renderPvc(j)).toBeUndefined();
  });
});

describe('task work', () => {
  it('carries the task with the data location and the decided feedback rules', () => {
    const j = job({
      training: { parameters: { epochs: 2 } },
      client: { ...newFl().spec?.client, resources: { limits: { cpu: 2 } } },
    });
    const w = renderTaskWork(j, taskInput);
    expect(w).toMatchSnapshot();
    expect(w.metadata).toMatchObject({ name: 'fl-default-federated-learning-sample', namespace: 'cluster1' });
    const task = w.spec?.workload.manifests[0] as {
      spec: Record<string, unknown>;
      metadata: { namespace: string };
    };
    expect(task.metadata.namespace).toBe('open-cluster-management-agent-addon');
    expect(task.spec).toMatchObject({
      cluster: 'cluster1',
      data: { location: '/data/private/cluster1', claim: 'federated-learning-sample.client-data' },
      aggregator: { endpoint: '10.0.0.5:8080' },
      trainer: { image: 'ocm-fl/mnist-trainer:dev', resources: { limits: { cpu: '2' } } },
      parameters: { epochs: 2 },
      rounds: 3,
    });
    expect(w.spec?.manifestConfigs?.[0]?.feedbackRules?.[0]?.jsonPaths?.map((p) => p.name)).toEqual(
      Object.keys(TASK_FEEDBACK_PATHS),
    );
  });

  it('keeps work names within 63 characters, distinct for long names', () => {
    const a = flNames.work({ namespace: 'a'.repeat(40), name: 'b'.repeat(40) });
    const b = flNames.work({ namespace: 'a'.repeat(40), name: `${'b'.repeat(39)}c` });
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(boundedName('short-name')).toBe('short-name');
  });
});

describe('evaluation job', () => {
  it('only exists with spec.evaluation, and tells the container where the model and output are', () => {
    expect(renderEvaluationJob(job(), '/m')).toBeUndefined();
    const e = renderEvaluationJob(
      job({ evaluation: { args: ['evaluate'] } }),
      '/data/models/x/final.safetensors',
    );
    const c = (
      e as unknown as {
        spec: {
          template: { spec: { containers: { image: string; env: { name: string; value: string }[] }[] } };
        };
      }
    ).spec.template.spec.containers[0];
    expect(c?.image).toBe('ocm-fl/mnist-trainer:dev');
    expect(c?.env).toContainEqual({ name: 'FL_MODEL_PATH', value: '/data/models/x/final.safetensors' });
    expect(c?.env).toContainEqual({
      name: 'FL_EVALUATION_OUT',
      value: '/data/models/default-federated-learning-sample/evaluation.json',
    });
  });
});
