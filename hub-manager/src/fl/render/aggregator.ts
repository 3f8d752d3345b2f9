/**
 * The job's aggregator on the hub: config ConfigMap, model storage PVC, one Service per
 * listener and a Job running `hub-manager aggregate --config <file>`. Pure.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  DEFAULT_FINAL_GRACE_SECONDS,
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  DEFAULT_KEEP_CHECKPOINTS,
  DEFAULT_MAX_STREAMS_PER_CLIENT,
  type AggregatorConfig,
} from '@ocm-fl/common/job-contract/config.js';
import { flLabels, flNames, FL_COMPONENT_LABEL, FL_UID_LABEL } from '../names.js';
import type { ResolvedJob, ResolvedListener } from '../spec.js';
import { HUB_ENV } from './hub-env.js';
import { ownerRef } from './owner.js';
import { CONFIG_DIR, CONFIG_FILE, storageMount, storageVolume, TLS_DIR } from './volumes.js';

/** The config file the aggregator reads: the job contract's config (common/src/job-contract). */
export type AggregatorConfigFile = AggregatorConfig;

export interface AggregatorOptions {
  /** Interface the aggregator binds; 0.0.0.0 in a cluster, 127.0.0.1 for local processes. */
  listenHost: string;
  keepCheckpoints?: number;
}

export const AGGREGATOR_COMPONENT = 'aggregator';
export const jobIdOf = (job: Pick<ResolvedJob, 'namespace' | 'name'>): string =>
  `${job.namespace}/${job.name}`;

/** The port the aggregator listens on: the first listener's; every Service targets it. */
export const aggregatorPort = (job: ResolvedJob): number => (job.listeners[0] as ResolvedListener).port;
/** Prometheus /metrics of the aggregator pod (the chart's PodMonitor scrapes port "metrics"). */
export const aggregatorMetricsPort = (job: ResolvedJob): number =>
  aggregatorPort(job) === 9464 ? 9465 : 9464;

function meta(job: ResolvedJob, name: string, component = AGGREGATOR_COMPONENT): KubeObject['metadata'] {
  return {
    name,
    namespace: job.namespace,
    labels: flLabels(job, component),
    ownerReferences: [ownerRef(job)],
  };
}

export function renderAggregatorConfig(
  job: ResolvedJob,
  admittedClusters: readonly string[],
  opts: AggregatorOptions,
): AggregatorConfigFile {
  return {
    jobId: jobIdOf(job),
    jobName: job.name,
    listen: { host: opts.listenHost, port: aggregatorPort(job) },
    tls: { certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, caFile: `${TLS_DIR}/ca.crt` },
    storageDir: job.storage.jobDir,
    rounds: job.rounds,
    admittedClusters: [...admittedClusters].sort(),
    minClients: job.minClientsPerRound,
    roundDeadlineSeconds: job.roundTimeoutSeconds,
    failurePolicy: { action: 'retryRound', maxRetries: job.maxRoundRetries },
    initialModelPath: job.initialModelPath,
    keepCheckpoints: opts.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS,
    taskConfig: Object.fromEntries(Object.entries(job.parameters).map(([k, v]) => [k, String(v)])),
    heartbeatIntervalSeconds: DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
    maxStreamsPerClient: DEFAULT_MAX_STREAMS_PER_CLIENT,
    finalGraceSeconds: DEFAULT_FINAL_GRACE_SECONDS,
    strategy: job.strategy,
    stateConfigMap: { namespace: job.namespace, name: flNames.state(job) },
  };
}

/**
 * The ConfigMap the aggregator publishes its state to, created empty by the controller and
 * never overwritten by it (the aggregator owns `data`), so the aggregator's Role can name it.
 */
export function renderStateConfigMap(job: ResolvedJob): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(job, flNames.state(job)) } as KubeObject;
}

/**
 * The aggregator pod's identity: a ServiceAccount whose Role allows reading and updating the
 * state ConfigMap and nothing else; the hub-manager then needs no view of the job's storage.
 */
export function renderAggregatorAccess(job: ResolvedJob): KubeObject[] {
  const name = flNames.aggregatorAccount(job);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(job, name) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(job, name),
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: [flNames.state(job)],
          verbs: ['get', 'update', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(job, name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: job.namespace }],
    },
  ] as KubeObject[];
}

export function renderConfigMap(job: ResolvedJob, config: AggregatorConfigFile): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(job, flNames.config(job)),
    data: { 'config.json': `${JSON.stringify(config, null, 2)}\n` },
  } as KubeObject;
}

/** PVC for PersistentVolumeClaim storage; undefined for HostPath. Created once, never updated (immutable spec). */
export function renderPvc(job: ResolvedJob): KubeObject | undefined {
  const s = job.storage;
  if (s.type !== 'PersistentVolumeClaim') return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(job, s.name, 'storage'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: s.size } },
      ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    },
  };
}

export const aggregatorSelector = (job: ResolvedJob): Record<string, string> => ({
  [FL_UID_LABEL]: job.uid,
  [FL_COMPONENT_LABEL]: AGGREGATOR_COMPONENT,
});

const NODE_PORT_RANGE = { min: 30000, max: 32767 };

export function renderServices(job: ResolvedJob): KubeObject[] {
  return job.listeners.map((l) => {
    const fixedNodePort =
      l.type === 'NodePort' && l.port >= NODE_PORT_RANGE.min && l.port <= NODE_PORT_RANGE.max;
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        ...meta(job, flNames.service(job, l.name)),
        annotations: { 'federation-ai.open-cluster-management.io/listener': l.name },
      },
      spec: {
        type: l.type,
        selector: aggregatorSelector(job),
        ports: [
          {
            name: 'grpc',
            port: l.port,
            targetPort: 'grpc',
            protocol: 'TCP',
            ...(fixedNodePort ? { nodePort: l.port } : {}),
          },
        ],
      },
    };
  });
}

/** DNS names of every listener's Service; the server certificate covers all of them. */
export function serviceDnsNames(job: ResolvedJob): string[] {
  const out: string[] = [];
  for (const l of job.listeners) {
    const svc = flNames.service(job, l.name);
    out.push(
      svc,
      `${svc}.${job.namespace}`,
      `${svc}.${job.namespace}.svc`,
      `${svc}.${job.namespace}.svc.cluster.local`,
    );
  }
  return out;
}

/** SANs of the server certificate: Service DNS names plus fixed listener IPs. */
export function serverCertificateSans(job: ResolvedJob): { dnsNames: string[]; ipAddresses: string[] } {
  const ips = [...new Set(job.listeners.flatMap((l) => (l.ip ? [l.ip] : [])))].sort();
  return { dnsNames: serviceDnsNames(job), ipAddresses: ips };
}

function initContainer(job: ResolvedJob): Record<string, unknown> {
  return {
    name: 'init-model',
    image: job.clientImage,
    ...(job.clientCommand ? { command: job.clientCommand } : {}),
    env: [
      { name: HUB_ENV.mode, value: 'init-model' },
      { name: HUB_ENV.modelOut, value: job.initialModelPath },
      { name: HUB_ENV.parameters, value: JSON.stringify(job.parameters) },
      { name: HUB_ENV.job, value: jobIdOf(job) },
    ],
    volumeMounts: [storageMount(job)],
  };
}

/**
 * The aggregator Job. A Job (not a Deployment) because the aggregator exits when the last
 * round is stored; restarts resume from its checkpoint, so a generous backoffLimit is safe.
 * No ttlSecondsAfterFinished: the finished Job stays for its logs and is removed with the CR.
 * Job templates are immutable, so the controller only creates it; membership changes reach
 * the running aggregator through the config file, which it reloads.
 */
export function renderAggregatorJob(job: ResolvedJob): KubeObject {
  const labels = { ...flLabels(job, AGGREGATOR_COMPONENT), ...aggregatorSelector(job) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(job, flNames.aggregator(job)),
    spec: {
      backoffLimit: 6,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: flNames.aggregatorAccount(job),
          ...(job.initialModelGiven ? {} : { initContainers: [initContainer(job)] }),
          containers: [
            {
              name: 'aggregator',
              image: job.serverImage,
              // Paths as arguments too: visible in the pod spec, and relocatable by the runtime.
              args: [
                'aggregate',
                '--config',
                CONFIG_FILE,
                '--tls-dir',
                TLS_DIR,
                '--storage-dir',
                job.storage.jobDir,
                '--initial-model',
                job.initialModelPath,
              ],
              // The aggregator binds its pod IP when given one (see runAggregate).
              env: [
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'FL_METRICS_PORT', value: String(aggregatorMetricsPort(job)) },
              ],
              ports: [
                { name: 'grpc', containerPort: aggregatorPort(job), protocol: 'TCP' },
                { name: 'metrics', containerPort: aggregatorMetricsPort(job), protocol: 'TCP' },
              ],
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                storageMount(job),
              ],
              ...(job.serverResources ? { resources: job.serverResources } : {}),
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: flNames.config(job) } },
            { name: 'tls', secret: { secretName: flNames.tlsSecret(job) } },
            storageVolume(job),
          ],
        },
      },
    },
  };
}
