/**
 * A whole tier-1 fleet in one process: a hub API server with the OCM hub CRDs and the placement
 * scheduler (plus a pod runner and a load-balancer stand-in for hub workloads), and per managed cluster an API server with
 * the klusterlet CRDs, joined to the hub, running the work agent, lease checker, cluster lease
 * renewer, registration agent, claim syncer and a pod runner. The hub runs the cluster lease
 * controller, so a cluster that stops entirely turns Unknown (and its addons with it). `stop()` stops everything, processes included.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CustomResourceDefinition } from '@ocm-fl/common/api/crds/crd.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { ClaimSyncer } from '../standins/claim-syncer.js';
import { joinCluster, type JoinOptions } from '../standins/clusteradm.js';
import { ClusterLeaseController } from '../standins/lease/cluster-lease-controller.js';
import { ClusterLeaseRenewer } from '../standins/lease/cluster-lease-renewer.js';
import { LeaseChecker } from '../standins/lease/lease-checker.js';
import { LoadBalancerStandIn } from '../standins/loadbalancer/load-balancer.js';
import { HUB_CRDS, MANAGED_CLUSTER_CRDS } from '../standins/ocm-crds.js';
import { PlacementScheduler } from '../standins/placement/placement-scheduler.js';
import type { ImageRegistry } from '../standins/podrunner/images.js';
import { PodRunner } from '../standins/podrunner/pod-runner.js';
import { RegistrationAgent } from '../standins/registration/registration-agent.js';
import { WorkAgent } from '../standins/work/work-agent.js';

export interface FleetClusterSpec {
  name: string;
  labels?: Record<string, string>;
  claims?: Record<string, string>;
  /** e.g. { cpu: '8', memory: '16Gi' } → ManagedCluster.status.allocatable. */
  allocatable?: Record<string, string>;
}

export interface FleetOptions {
  clusters: FleetClusterSpec[];
  /**
   * Images the pod runners can start; without it no pod runner runs. A function gets a registry
   * per cluster ("hub" for the hub), e.g. to hand an agent image that cluster's API credentials
   * (the pod runner provides no in-cluster service account).
   */
  podRunnerImages?: ImageRegistry | ((cluster: PodRunnerCluster) => ImageRegistry | Promise<ImageRegistry>);
  /** Run a pod runner on the hub too (default: when podRunnerImages is given). */
  hubPods?: boolean;
  /** Root for kubeconfigs, pod directories and PVCs; default a fresh temp dir removed on stop. */
  workDir?: string;
  /** Extra CRDs for the hub (e.g. FederatedLearning) and for every managed cluster. */
  hubCrds?: readonly CustomResourceDefinition[];
  clusterCrds?: readonly CustomResourceDefinition[];
  leasePeriodMs?: number;
  leaseGraceMs?: number;
  /**
   * ManagedCluster spec.leaseDurationSeconds for every cluster (default 60, as OCM): the
   * klusterlet renews its cluster lease that often and the hub marks a cluster Unknown after 5×.
   */
  clusterLeaseSeconds?: number;
  workStatusSyncMs?: number;
  certCheckPeriodMs?: number;
  csrExpirationSeconds?: number;
  /** Re-request addon certificates when this ConfigMap in the install namespace changes. */
  caBundle?: { configMap: string; key: string };
  restartBackoffMs?: number;
  logger?: Logger;
}

/** What a per-cluster image registry function learns about the cluster it runs pods for. */
export interface PodRunnerCluster {
  name: string;
  server: ApiServer;
  /** Admin kubeconfig of that cluster. */
  kubeconfigPath: string;
  /** Where the fleet keeps that cluster's files (pod directories are below it). */
  dir: string;
}

async function imagesFor(o: FleetOptions, c: PodRunnerCluster): Promise<ImageRegistry> {
  const images = o.podRunnerImages ?? {};
  return typeof images === 'function' ? images(c) : images;
}

export interface FleetCluster {
  name: string;
  server: ApiServer;
  /** Admin client of the managed cluster's API server. */
  client: KubeClient;
  /** Hub client with this cluster's klusterlet identity. */
  hubAsKlusterlet: KubeClient;
  kubeconfigPath: string;
  podRunner?: PodRunner;
  workAgent: WorkAgent;
  leaseChecker: LeaseChecker;
  clusterLease: ClusterLeaseRenewer;
  registration: RegistrationAgent;
  claims: ClaimSyncer;
}

/** The klusterlet's hub identity for `cluster` (what CSR spec.username carries). */
export const klusterletUser = (cluster: string): string =>
  `system:open-cluster-management:${cluster}:klusterlet-agent`;

async function installCrds(client: KubeClient, crds: readonly CustomResourceDefinition[]): Promise<void> {
  for (const crd of crds) await client.apply(crd);
  // Discovery must serve every kind before informers start.
  for (const crd of crds) {
    const v = crd.spec?.versions[0]?.name ?? 'v1';
    for (let i = 0; i < 100; i++) {
      try {
        await client.resource(`${crd.spec?.group}/${v}`, crd.spec?.names.kind ?? '');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

function joinOptions(spec: FleetClusterSpec, o: FleetOptions, spoke: KubeClient): JoinOptions {
  return {
    ...(spec.labels ? { labels: spec.labels } : {}),
    ...(spec.claims ? { claims: spec.claims } : {}),
    ...(spec.allocatable ? { allocatable: spec.allocatable } : {}),
    ...(o.clusterLeaseSeconds ? { leaseDurationSeconds: o.clusterLeaseSeconds } : {}),
    spoke,
  };
}

export class Fleet {
  readonly clusters = new Map<string, FleetCluster>();
  hubPodRunner?: PodRunner;
  private scheduler?: PlacementScheduler;
  private clusterLeases?: ClusterLeaseController;
  private loadBalancer?: LoadBalancerStandIn;
  private ownsWorkDir = false;

  private constructor(
    readonly hub: ApiServer,
    readonly hubClient: KubeClient,
    readonly workDir: string,
    readonly hubKubeconfigPath: string,
    private readonly o: FleetOptions,
  ) {}

  static async start(o: FleetOptions): Promise<Fleet> {
    const workDir = o.workDir ?? (await mkdtemp(join(tmpdir(), 'fl-fleet-')));
    const hub = await startApiServer({ name: 'hub', ...(o.logger ? { logger: o.logger } : {}) });
    const hubClient = KubeClient.fromKubeConfig(hub.kubeConfig());
    const kc = join(workDir, 'hub.kubeconfig');
    await hub.writeKubeconfig(kc);
    const fleet = new Fleet(hub, hubClient, workDir, kc, o);
    fleet.ownsWorkDir = !o.workDir;
    try {
      await installCrds(hubClient, [...HUB_CRDS, ...(o.hubCrds ?? [])]);
      fleet.scheduler = new PlacementScheduler({ hub: hubClient, logger: fleet.log });
      await fleet.scheduler.start();
      fleet.clusterLeases = new ClusterLeaseController({ hub: hubClient, logger: fleet.log });
      await fleet.clusterLeases.start();
      if (o.podRunnerImages && o.hubPods !== false) {
        fleet.hubPodRunner = new PodRunner({
          name: 'hub',
          client: hubClient,
          images: await imagesFor(o, {
            name: 'hub',
            server: hub,
            kubeconfigPath: kc,
            dir: join(workDir, 'hub'),
          }),
          rootDir: join(workDir, 'hub'),
          serviceAccountKubeconfig: kc,
          logger: fleet.log,
          ...(o.restartBackoffMs ? { restartBackoffMs: o.restartBackoffMs } : {}),
        });
        await fleet.hubPodRunner.start();
        fleet.loadBalancer = new LoadBalancerStandIn({ client: hubClient, logger: fleet.log });
        await fleet.loadBalancer.start();
      }
      for (const c of o.clusters) await fleet.addCluster(c);
    } catch (e) {
      await fleet.stop();
      throw new Error('starting the tier-1 fleet failed', { cause: e });
    }
    return fleet;
  }

  private get log(): Logger {
    return this.o.logger ?? silentLogger;
  }

  /** Start a managed cluster's API server and stand-ins and join it to the hub. */
  async addCluster(spec: FleetClusterSpec): Promise<FleetCluster> {
    const o = this.o;
    const server = await startApiServer({ name: spec.name, ...(o.logger ? { logger: o.logger } : {}) });
    const client = KubeClient.fromKubeConfig(server.kubeConfig());
    const kubeconfigPath = join(this.workDir, `${spec.name}.kubeconfig`);
    await server.writeKubeconfig(kubeconfigPath);
    await installCrds(client, [...MANAGED_CLUSTER_CRDS, ...(o.clusterCrds ?? [])]);
    const user = klusterletUser(spec.name);
    this.hub.addUser(user, [
      `system:open-cluster-management:${spec.name}`,
      'system:open-cluster-management:managed-clusters',
    ]);
    const hubAsKlusterlet = KubeClient.fromKubeConfig(this.hub.kubeConfig(user));
    await joinCluster(this.hubClient, spec.name, joinOptions(spec, o, client));
    const base = { clusterName: spec.name, hub: hubAsKlusterlet, spoke: client, logger: this.log };
    const cluster: FleetCluster = {
      name: spec.name,
      server,
      client,
      hubAsKlusterlet,
      kubeconfigPath,
      workAgent: new WorkAgent({
        ...base,
        ...(o.workStatusSyncMs ? { statusSyncMs: o.workStatusSyncMs } : {}),
      }),
      leaseChecker: new LeaseChecker({
        ...base,
        ...(o.leasePeriodMs ? { periodMs: o.leasePeriodMs } : {}),
        ...(o.leaseGraceMs ? { graceMs: o.leaseGraceMs } : {}),
      }),
      clusterLease: new ClusterLeaseRenewer(base),
      registration: new RegistrationAgent({
        ...base,
        ...(o.certCheckPeriodMs ? { checkPeriodMs: o.certCheckPeriodMs } : {}),
        ...(o.csrExpirationSeconds ? { expirationSeconds: o.csrExpirationSeconds } : {}),
        ...(o.caBundle ? { caBundle: o.caBundle } : {}),
      }),
      claims: new ClaimSyncer(base),
    };
    if (o.podRunnerImages) {
      cluster.podRunner = new PodRunner({
        name: spec.name,
        client,
        images: await imagesFor(o, {
          name: spec.name,
          server,
          kubeconfigPath,
          dir: join(this.workDir, spec.name),
        }),
        rootDir: join(this.workDir, spec.name),
        serviceAccountKubeconfig: kubeconfigPath,
        logger: this.log,
        ...(o.restartBackoffMs ? { restartBackoffMs: o.restartBackoffMs } : {}),
      });
    }
    this.clusters.set(spec.name, cluster);
    await cluster.claims.start();
    await cluster.workAgent.start();
    await cluster.leaseChecker.start();
    await cluster.clusterLease.start();
    await cluster.registration.start();
    await cluster.podRunner?.start();
    return cluster;
  }

  cluster(name: string): FleetCluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name} in this fleet`);
    return c;
  }

  /** Stop a managed cluster entirely (its agents and API server), e.g. to simulate losing it. */
  async removeCluster(name: string): Promise<void> {
    const c = this.clusters.get(name);
    if (!c) return;
    this.clusters.delete(name);
    await Promise.allSettled([
      c.podRunner?.stop(),
      c.workAgent.stop(),
      c.leaseChecker.stop(),
      c.clusterLease.stop(),
      c.registration.stop(),
      c.claims.stop(),
    ]);
    await c.server.close();
  }

  async stop(): Promise<void> {
    for (const name of [...this.clusters.keys()]) await this.removeCluster(name);
    await Promise.allSettled([
      this.scheduler?.stop(),
      this.clusterLeases?.stop(),
      this.hubPodRunner?.stop(),
      this.loadBalancer?.stop(),
    ]);
    await this.hub.close();
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }
}

export const startFleet = (o: FleetOptions): Promise<Fleet> => Fleet.start(o);
