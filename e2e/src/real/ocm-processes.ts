/**
 * The real OCM processes of stage 2 (built by e2e/real/prepare.sh from
 * open-cluster-management.io/ocm v1.2.0), started as local processes with the flags a pod
 * would get from OCM's cluster-manager and klusterlet operators; output in
 * `<run>/logs/<name>.log`. Also the bootstrap identity the cluster-manager creates.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { eventually, freePort, run, startProcess, type Proc, type RealEnv } from './real-env.js';

export const HUB_NS = 'open-cluster-management';
export const KLUSTERLET_NS = 'open-cluster-management-agent';
export const BOOTSTRAP_SA = 'agent-registration-bootstrap';

const bin = (env: RealEnv, name: string): string => path.join(env.bin, name);
/** library-go controllers listen on 0.0.0.0:8443 by default: a free loopback port instead. */
const listen = async (): Promise<string[]> => ['--listen', `127.0.0.1:${await freePort()}`];

/** The bootstrap identity OCM's cluster-manager creates (its chart's bootstrap_* templates). */
export function bootstrapRbac(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BOOTSTRAP_SA, namespace: HUB_NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'open-cluster-management:bootstrap' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['certificatesigningrequests'],
          verbs: ['create', 'get', 'list', 'watch'],
        },
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclusters'],
          verbs: ['get', 'create', 'list', 'watch'],
        },
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclustersets/join'],
          verbs: ['create'],
        },
      ],
    } as KubeObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'open-cluster-management:bootstrap:agent-registration' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'open-cluster-management:bootstrap',
      },
      subjects: [{ kind: 'ServiceAccount', name: BOOTSTRAP_SA, namespace: HUB_NS }],
    } as KubeObject,
  ];
}

/**
 * OCM serves the addon kinds as v1alpha1 (stored) and v1beta1, converted by `addon
 * webhook-server`; the addon manager of v1.2.0 reads and writes v1beta1. The API server
 * reaches the webhook by URL with the API server's own serving certificate (127.0.0.1).
 */
export async function startAddonConversionWebhook(hub: RealEnv, scratch: string): Promise<Proc> {
  const certDir = path.join(scratch, 'webhook-certs');
  await mkdir(certDir, { recursive: true });
  await copyFile(path.join(hub.pki, 'apiserver.crt'), path.join(certDir, 'tls.crt'));
  await copyFile(path.join(hub.pki, 'apiserver.key'), path.join(certDir, 'tls.key'));
  const port = await freePort();
  const proc = await startProcess(hub, 'ocm-addon-webhook', {
    file: bin(hub, 'addon'),
    env: { KUBECONFIG: hub.kubeconfig }, // controller-runtime reads it for the webhook's client
    args: [
      'webhook-server',
      '--port',
      String(port),
      '--certdir',
      certDir,
      '--metrics-port',
      '0',
      '--health-probe-port',
      '0',
    ],
  });
  const caBundle = (await readFile(path.join(hub.pki, 'ca.crt'))).toString('base64');
  const conversion = {
    spec: {
      conversion: {
        strategy: 'Webhook',
        webhook: {
          conversionReviewVersions: ['v1', 'v1beta1'],
          clientConfig: { url: `https://127.0.0.1:${port}/convert`, caBundle },
        },
      },
    },
  };
  for (const crd of ['clustermanagementaddons', 'managedclusteraddons', 'addondeploymentconfigs']) {
    await run('kubectl', [
      '--kubeconfig',
      hub.kubeconfig,
      'patch',
      'crd',
      `${crd}.addon.open-cluster-management.io`,
      '--type',
      'merge',
      '-p',
      JSON.stringify(conversion),
    ]);
  }
  await eventually('addon conversion webhook serving', async () => {
    await run('kubectl', [
      '--kubeconfig',
      hub.kubeconfig,
      'get',
      'managedclusteraddons.v1beta1.addon.open-cluster-management.io',
      '-A',
    ]);
    return true;
  });
  return proc;
}

/**
 * The hub controllers: registration and placement, and with `addonManager` OCM's addon manager
 * (a real cluster-manager always runs it; next to it the hub-manager must agree on the
 * ManagedClusterAddOn status fields both write, DIFFERENCES.md 8).
 */
export async function startHubControllers(hub: RealEnv, o: { addonManager: boolean }): Promise<Proc[]> {
  const common = ['--kubeconfig', hub.kubeconfig, '--disable-leader-election'];
  const procs = [
    await startProcess(hub, 'ocm-registration-hub', {
      file: bin(hub, 'registration'),
      args: ['controller', ...common, ...(await listen())],
    }),
    await startProcess(hub, 'ocm-placement', {
      file: bin(hub, 'placement'),
      args: ['controller', ...common, ...(await listen())],
    }),
  ];
  if (o.addonManager) {
    procs.push(
      await startProcess(hub, 'ocm-addon-manager', {
        file: bin(hub, 'addon'),
        args: ['manager', ...common, ...(await listen())],
      }),
    );
  }
  return procs;
}

export interface KlusterletOptions {
  cluster: string;
  agentId: string;
  /** Kubeconfig of the bootstrap ServiceAccount on the hub. */
  bootstrapKubeconfig: string;
  /** Where the registration agent writes the hub kubeconfig and client certificate. */
  hubKubeconfigDir: string;
}

/**
 * The klusterlet agent (`registration-operator agent`: registration + work in one process, as
 * the klusterlet operator runs it in Singleton mode) for the cluster whose API server is
 * `spoke` (the hub's own for a self-managed cluster), as the cluster's admin.
 */
export async function startKlusterlet(hub: RealEnv, spoke: RealEnv, o: KlusterletOptions): Promise<Proc> {
  await mkdir(o.hubKubeconfigDir, { recursive: true });
  const hubKubeconfig = path.join(o.hubKubeconfigDir, 'kubeconfig');
  return startProcess(spoke, `ocm-klusterlet-${o.cluster}`, {
    file: bin(hub, 'registration-operator'),
    args: [
      'agent',
      '--spoke-cluster-name',
      o.cluster,
      '--agent-id',
      o.agentId,
      '--bootstrap-kubeconfig',
      o.bootstrapKubeconfig,
      '--hub-kubeconfig-dir',
      o.hubKubeconfigDir,
      '--hub-kubeconfig',
      hubKubeconfig,
      // the work half reads the hub kubeconfig from its own flag (default /spoke/hub-kubeconfig/kubeconfig)
      '--workload-source-config',
      hubKubeconfig,
      '--kubeconfig',
      spoke.kubeconfig,
      '--disable-leader-election',
      ...(await listen()),
      '--cluster-healthcheck-period',
      '10s',
      '--status-sync-interval',
      '2s',
    ],
  });
}
