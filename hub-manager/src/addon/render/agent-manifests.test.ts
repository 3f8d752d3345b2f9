import { describe, it, expect } from '@jest/globals';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { AddOnDeploymentConfigSpec, ManifestWork } from '@ocm-fl/common/api/ocm.js';
import {
  ADDON_NAME_LABEL,
  CLIENT_CERT_SECRET,
  DEFAULT_INSTALL_NAMESPACE,
  DEPLOY_WORK_NAME,
  IMAGE_REGISTRIES_ANNOTATION,
} from '@ocm-fl/common/names.js';
import { FAKE_CA_PEM, newAddon, newManagedCluster, testSettings } from '../testing/fixtures.js';
import { renderAgentManifests } from './agent-manifests.js';
import { CONTENT_HASH_ANNOTATION, renderManifestWork } from './manifest-work.js';
import type { RenderInput } from './types.js';

// Loose views into rendered objects for assertions.
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function input(config?: AddOnDeploymentConfigSpec, over: Partial<RenderInput> = {}): RenderInput {
  return {
    cluster: newManagedCluster('cluster1'),
    addon: newAddon('cluster1'),
    config,
    settings: testSettings(),
    ...over,
  };
}

function work(i: RenderInput): ManifestWork {
  const r = renderAgentManifests(i);
  return renderManifestWork(i.addon, r.manifests, r.values.namespace);
}

function find(w: ManifestWork, kind: string, name?: string): Any {
  const o = w.spec!.workload.manifests.find(
    (m: KubeObject) => m.kind === kind && (!name || m.metadata.name === name),
  );
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o as Any;
}

const pod = (w: ManifestWork): Any => find(w, 'Deployment').spec.template.spec;
const agent = (w: ManifestWork): Any => pod(w).containers[0];
const agentEnv = (w: ManifestWork): Record<string, string> => find(w, 'ConfigMap', 'fl-agent-config').data;

describe('agent ManifestWork', () => {
  it('matches the snapshot', () => {
    expect(work(input())).toMatchSnapshot();
  });

  it('has the decided name, label, owner and delete option', () => {
    const w = work(input());
    expect(w.metadata.name).toBe(DEPLOY_WORK_NAME);
    expect(w.metadata.namespace).toBe('cluster1');
    expect(w.metadata.labels?.[ADDON_NAME_LABEL]).toBe('federated-learning');
    expect(w.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ManagedClusterAddOn',
        uid: 'uid-cluster1',
        controller: true,
        blockOwnerDeletion: true,
      }),
    ]);
    // The shared default namespace survives addon disable; everything else is deleted.
    expect(w.spec?.deleteOption?.propagationPolicy).toBe('SelectivelyOrphan');
    const custom = work(input(undefined, { addon: newAddon('cluster1', { installNamespace: 'fl' }) }));
    expect(custom.spec?.deleteOption).toEqual({ propagationPolicy: 'Foreground' });
    expect(w.spec?.manifestConfigs?.[0]?.feedbackRules).toEqual([{ type: 'WellKnownStatus' }]);
  });

  it('content hash changes with the content only', () => {
    const a = work(input());
    expect(work(input()).metadata.annotations?.[CONTENT_HASH_ANNOTATION]).toBe(
      a.metadata.annotations?.[CONTENT_HASH_ANNOTATION],
    );
    const b = work(input({ nodePlacement: { nodeSelector: { a: 'b' } } }));
    expect(b.metadata.annotations?.[CONTENT_HASH_ANNOTATION]).not.toBe(
      a.metadata.annotations?.[CONTENT_HASH_ANNOTATION],
    );
  });

  it('renders the hardened agent Deployment', () => {
    const w = work(input());
    const c = agent(w);
    expect(c.image).toBe('quay.io/ocm-fl/spoke-agent:v0.1.0');
    expect(c.command).toEqual(['node', '/app/dist/spoke-agent.js']);
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod(w).securityContext.runAsNonRoot).toBe(true);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    // Prometheus reaches /metrics on the health port.
    expect(c.ports).toContainEqual({ name: 'health', containerPort: 8080, protocol: 'TCP' });
    expect(find(w, 'Deployment').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    // The agent listens on its pod address; the pod runner and kubelet both fill it in.
    expect(c.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(find(w, 'Deployment').metadata.namespace).toBe(DEFAULT_INSTALL_NAMESPACE);
    expect(pod(w).nodeSelector).toBeUndefined();
  });

  it('mounts the client-cert Secret as an optional directory and the CA bundle', () => {
    const w = work(input());
    const vol = pod(w).volumes.find((v: Any) => v.name === 'client-cert');
    expect(vol.secret).toEqual(expect.objectContaining({ secretName: CLIENT_CERT_SECRET, optional: true }));
    const mounts = agent(w).volumeMounts as Any[];
    expect(mounts).toContainEqual({
      name: 'client-cert',
      mountPath: '/etc/fl-agent/client-cert',
      readOnly: true,
    });
    expect(mounts).toContainEqual({ name: 'hub-ca', mountPath: '/etc/fl-agent/ca', readOnly: true });
    expect(mounts.every((m) => !String(m.mountPath).includes('..'))).toBe(true);
    expect(find(w, 'ConfigMap', 'fl-agent-ca').data).toEqual({ 'ca.crt': FAKE_CA_PEM });
  });

  it('gives the agent a writable work volume of its own and points FL_WORK_DIR at it', () => {
    const w = work(input());
    expect(pod(w).volumes).toContainEqual({ name: 'work', emptyDir: {} });
    expect(agent(w).volumeMounts).toContainEqual({ name: 'work', mountPath: '/var/lib/fl-agent' });
    expect(agent(w).env).toContainEqual({ name: 'FL_WORK_DIR', value: '/var/lib/fl-agent' });
  });

  it('agent config carries cluster, namespace, ports and log level', () => {
    const env = agentEnv(work(input()));
    expect(env).toEqual(
      expect.objectContaining({
        FL_CLUSTER_NAME: 'cluster1',
        FL_AGENT_NAMESPACE: DEFAULT_INSTALL_NAMESPACE,
        FL_HANDOFF_PORT: '8081',
        FL_HEALTH_PORT: '8080',
        LOG_LEVEL: 'info',
        FL_IMAGE_REGISTRIES: '[]',
      }),
    );
    const svc = find(work(input()), 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports[0].port).toBe(8081);
  });

  it('RBAC is namespaced except a name-restricted CRD read', () => {
    const w = work(input());
    const role = find(w, 'Role');
    const lease = role.rules.find((r: Any) => r.resources.includes('leases') && r.resourceNames);
    expect(lease).toEqual(expect.objectContaining({ resourceNames: ['federated-learning'] }));
    // Per-round token Secrets fl-<task>-r<round> (trainer-driver.ts): names unknown in advance.
    expect(role.rules.filter((r: Any) => r.resources.includes('secrets'))).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'delete'] },
    ]);
    expect(role.rules.find((r: Any) => r.resources.includes('jobs')).verbs).toEqual([
      'create',
      'get',
      'list',
      'delete',
    ]);
    expect(role.rules.find((r: Any) => r.resources.includes('federatedlearningtasks/status')).verbs).toEqual([
      'update',
    ]);
    // Nothing the agent never calls.
    const resources = role.rules.flatMap((r: Any) => r.resources);
    for (const unused of ['pods', 'pods/log', 'events']) expect(resources).not.toContain(unused);
    expect(role.rules.flatMap((r: Any) => r.verbs)).not.toContain('*');
    const cr = find(w, 'ClusterRole');
    expect(cr.rules).toEqual([
      expect.objectContaining({
        resources: ['customresourcedefinitions'],
        verbs: ['get'],
        resourceNames: [expect.any(String)],
      }),
    ]);
    expect(find(w, 'CustomResourceDefinition').spec.names.kind).toBe('FederatedLearningTask');
  });

  it('command and args are overridable (tier-1 pod runner)', () => {
    const c = agent(
      work(
        input(undefined, {
          settings: testSettings({ agentCommand: ['npx', 'tsx'], agentArgs: ['spoke-agent/src/main.ts'] }),
        }),
      ),
    );
    expect(c.command).toEqual(['npx', 'tsx']);
    expect(c.args).toEqual(['spoke-agent/src/main.ts']);
  });

  it('a CA bundle that is not ready is an error', () => {
    expect(() => work(input(undefined, { settings: testSettings({ caBundlePem: '' }) }))).toThrow(
      'caBundlePem',
    );
  });
});

describe('AddOnDeploymentConfig options change the rendered agent', () => {
  it('registries mirror the agent image and reach the agent for trainer images', () => {
    const w = work(input({ registries: [{ source: 'quay.io/ocm-fl', mirror: 'mirror.local:5000/fl' }] }));
    expect(agent(w).image).toBe('mirror.local:5000/fl/spoke-agent:v0.1.0');
    expect(JSON.parse(agentEnv(w).FL_IMAGE_REGISTRIES!)).toEqual([
      { source: 'quay.io/ocm-fl', mirror: 'mirror.local:5000/fl' },
    ]);
  });

  it('the ManagedCluster image-registries annotation mirrors when the config has none; config wins', () => {
    const cluster = newManagedCluster('cluster1', {
      [IMAGE_REGISTRIES_ANNOTATION]: JSON.stringify({
        registries: [{ mirror: 'annotated.local', source: 'quay.io' }],
      }),
    });
    expect(agent(work(input(undefined, { cluster }))).image).toBe(
      'annotated.local/ocm-fl/spoke-agent:v0.1.0',
    );
    const both = work(input({ registries: [{ mirror: 'config.local', source: 'quay.io' }] }, { cluster }));
    expect(agent(both).image).toBe('config.local/ocm-fl/spoke-agent:v0.1.0');
  });

  it('nodePlacement sets nodeSelector and tolerations', () => {
    const tol = { key: 'dedicated', operator: 'Equal' as const, value: 'fl', effect: 'NoSchedule' as const };
    const p = pod(
      work(input({ nodePlacement: { nodeSelector: { 'node-role/fl': 'true' }, tolerations: [tol] } })),
    );
    expect(p.nodeSelector).toEqual({ 'node-role/fl': 'true' });
    expect(p.tolerations).toEqual([tol]);
  });

  it('proxyConfig sets proxy env and mounts and trusts the proxy CA', () => {
    const w = work(
      input({
        proxyConfig: {
          httpsProxy: 'http://proxy:3128',
          noProxy: '.svc',
          caBundle: Buffer.from(FAKE_CA_PEM).toString('base64'),
        },
      }),
    );
    const env = agent(w).env as { name: string; value?: string }[];
    expect(env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy:3128' });
    expect(env).toContainEqual({ name: 'NO_PROXY', value: '.svc' });
    expect(env).toContainEqual({ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/fl-agent/proxy-ca/ca.crt' });
    expect(find(w, 'ConfigMap', 'fl-agent-proxy-ca').data['ca.crt']).toBe(FAKE_CA_PEM);
    expect(agent(w).volumeMounts).toContainEqual({
      name: 'proxy-ca',
      mountPath: '/etc/fl-agent/proxy-ca',
      readOnly: true,
    });
    expect(agent(work(input())).env.some((e: Any) => e.name === 'HTTPS_PROXY')).toBe(false);
  });

  it('resourceRequirements for deployments:fl-agent:agent replace the defaults', () => {
    const resources = { requests: { cpu: '200m', memory: '128Mi' }, limits: { memory: '1Gi' } };
    expect(
      agent(work(input({ resourceRequirements: [{ containerID: 'deployments:fl-agent:agent', resources }] })))
        .resources,
    ).toEqual(resources);
    expect(
      agent(work(input({ resourceRequirements: [{ containerID: '*:*:*', resources }] }))).resources,
    ).toEqual(resources);
  });

  it('customizedVariables change log level, image, aggregator defaults, handoff port and pull policy', () => {
    const w = work(
      input({
        registries: [{ source: 'quay.io', mirror: 'm.local' }],
        customizedVariables: [
          { name: 'LogLevel', value: 'debug' },
          { name: 'AgentImage', value: 'quay.io/other/agent:v9' },
          { name: 'AggregatorHost', value: 'hub.example.com' },
          { name: 'AggregatorDnsSuffix', value: 'fl.example.com' },
          { name: 'HandoffPort', value: '9000' },
          { name: 'ImagePullPolicy', value: 'Always' },
        ],
      }),
    );
    const env = agentEnv(w);
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.FL_AGGREGATOR_HOST).toBe('hub.example.com');
    expect(env.FL_AGGREGATOR_DNS_SUFFIX).toBe('fl.example.com');
    expect(env.FL_HANDOFF_PORT).toBe('9000');
    // AgentImage is mirrored like the default image.
    expect(agent(w).image).toBe('m.local/other/agent:v9');
    expect(agent(w).imagePullPolicy).toBe('Always');
    expect(find(w, 'Service').spec.ports[0].port).toBe(9000);
  });

  it('a config change rolls the agent pod (template hash)', () => {
    const hash = (w: ManifestWork): string =>
      find(w, 'Deployment').spec.template.metadata.annotations[
        'federated-learning.open-cluster-management.io/config-hash'
      ];
    expect(hash(work(input({ customizedVariables: [{ name: 'LogLevel', value: 'debug' }] })))).not.toBe(
      hash(work(input())),
    );
  });

  it('agentInstallNamespace moves every namespaced object and the RBAC subjects', () => {
    const w = work(input({ agentInstallNamespace: 'fl-agents' }));
    for (const m of w.spec!.workload.manifests) {
      if (['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(m.kind)) continue;
      if (m.kind === 'Namespace') expect(m.metadata.name).toBe('fl-agents');
      else expect(m.metadata.namespace).toBe('fl-agents');
    }
    expect(find(w, 'ClusterRoleBinding').subjects[0].namespace).toBe('fl-agents');
    expect(agentEnv(w).FL_HANDOFF_ADDRESS).toBe('fl-agent-handoff.fl-agents.svc:8081');
    expect(w.spec?.manifestConfigs?.[0]?.resourceIdentifier.namespace).toBe('fl-agents');
  });
});
