/**
 * The agent Deployment and its handoff Service.
 *
 * Choices made on purpose:
 * - `strategy: Recreate`: two agents at once would both start trainer Jobs for the same task.
 * - The client-cert Secret is mounted `optional: true`: the klusterlet writes it only after the
 *   CSR is approved and signed, which happens after this work is applied. With a required
 *   Secret the pod would sit in ContainerCreating (no Lease, so the addon looks Unavailable for
 *   an unrelated reason); optional lets the agent start, renew its Lease and report "not ready"
 *   until the kubelet projects the Secret into the directory, which the agent watches.
 * - The pod template carries a hash of the agent config so a config change rolls the pod (env
 *   is read once at start); the CA bundle is a mounted file the agent re-reads, so a CA
 *   rotation does not restart agents.
 */
import { createHash } from 'node:crypto';
import { AGENT_ENV, AGENT_PATHS } from '@ocm-fl/common/api/agent-config.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { CLIENT_CERT_SECRET } from '@ocm-fl/common/names.js';
import { PROXY_CA_MOUNT } from '../config/proxy.js';
import type { AgentValues } from './agent-values.js';
import { agentEnvData } from './config-maps.js';
import { AGENT_OBJECTS } from './types.js';

export const CONFIG_HASH_ANNOTATION = 'federated-learning.open-cluster-management.io/config-hash';
export const AGENT_UID = 65532;
/** Where the agent looks for its config files (spoke-agent/src/config.ts DEFAULT_CONFIG_DIR). */
export const AGENT_CONFIG_DIR = '/etc/fl-agent/config';

type Obj = Record<string, unknown>;

export function selectorLabels(): Record<string, string> {
  return { 'app.kubernetes.io/name': AGENT_OBJECTS.deployment, 'app.kubernetes.io/component': 'agent' };
}

function configHash(v: AgentValues): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(agentEnvData(v)));
  h.update(JSON.stringify(v.proxy.env));
  return h.digest('hex').slice(0, 16);
}

/** The agent's round files (models, updates, handoff state): a volume of their own. */
export const AGENT_WORK_DIR = '/var/lib/fl-agent';

function volumes(v: AgentValues): { volumes: Obj[]; mounts: Obj[] } {
  const dir = (p: string): string => p.slice(0, p.lastIndexOf('/'));
  const vols: Obj[] = [
    { name: 'client-cert', secret: { secretName: CLIENT_CERT_SECRET, optional: true, defaultMode: 0o440 } },
    { name: 'hub-ca', configMap: { name: AGENT_OBJECTS.caConfigMap } },
    { name: 'agent-config', configMap: { name: AGENT_OBJECTS.configConfigMap } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    // Global models and updates of the running round: sized by the model, so no small limit.
    { name: 'work', emptyDir: {} },
  ];
  const mounts: Obj[] = [
    { name: 'client-cert', mountPath: AGENT_PATHS.clientCertDir, readOnly: true },
    { name: 'hub-ca', mountPath: dir(AGENT_PATHS.caBundleFile), readOnly: true },
    // Also as files: the agent reads this directory when a runtime does not support envFrom.
    { name: 'agent-config', mountPath: AGENT_CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: AGENT_PATHS.tmp },
    { name: 'work', mountPath: AGENT_WORK_DIR },
  ];
  if (v.proxy.caBundlePem) {
    vols.push({ name: 'proxy-ca', configMap: { name: AGENT_OBJECTS.proxyCaConfigMap } });
    mounts.push({ name: 'proxy-ca', mountPath: PROXY_CA_MOUNT, readOnly: true });
  }
  return { volumes: vols, mounts };
}

function container(v: AgentValues, mounts: Obj[]): Obj {
  const c: Obj = {
    name: AGENT_OBJECTS.container,
    image: v.image,
    imagePullPolicy: v.imagePullPolicy,
    command: v.command,
    envFrom: [{ configMapRef: { name: AGENT_OBJECTS.configConfigMap } }],
    env: [
      { name: AGENT_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      // The agent listens on its pod address (and args may say `$(POD_IP)`); see spoke-agent config.
      { name: AGENT_ENV.podIp, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'FL_WORK_DIR', value: AGENT_WORK_DIR },
      ...v.proxy.env,
      // Node trusts the proxy CA for HTTPS through the proxy; the hub CA is separate (mTLS).
      ...(v.proxy.caBundlePem ? [{ name: 'NODE_EXTRA_CA_CERTS', value: AGENT_PATHS.proxyCaFile }] : []),
    ],
    ports: [
      { name: 'health', containerPort: v.healthPort, protocol: 'TCP' },
      { name: 'handoff', containerPort: v.handoffPort, protocol: 'TCP' },
    ],
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'health' },
      initialDelaySeconds: 10,
      periodSeconds: 20,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'health' },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    resources: v.resources,
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: mounts,
  };
  if (v.args) c.args = v.args;
  return c;
}

export function renderDeployment(v: AgentValues, labels: Record<string, string>): KubeObject {
  const { volumes: vols, mounts } = volumes(v);
  const podSpec: Obj = {
    serviceAccountName: AGENT_OBJECTS.serviceAccount,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: AGENT_UID,
      runAsGroup: AGENT_UID,
      fsGroup: AGENT_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationGracePeriodSeconds: 30,
    containers: [container(v, mounts)],
    volumes: vols,
    ...v.placement,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: AGENT_OBJECTS.deployment, namespace: v.namespace, labels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels() },
      template: {
        metadata: {
          labels: { ...labels, ...selectorLabels() },
          annotations: {
            [CONFIG_HASH_ANNOTATION]: configHash(v),
            // /metrics is served on the health port; the annotations are what annotation-based
            // Prometheus scrape configs read (a PodMonitor selects port "health" instead).
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(v.healthPort),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: podSpec,
      },
    },
  };
}

export function renderHandoffService(v: AgentValues, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: AGENT_OBJECTS.handoffService, namespace: v.namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(),
      ports: [{ name: 'handoff', port: v.handoffPort, targetPort: 'handoff', protocol: 'TCP' }],
    },
  };
}
