/**
 * The spoke agent assembled: handoff server for trainers, Lease renewal, health endpoints and
 * task intake. `startAgent` is what main.ts and the integration tests call.
 */
import { mkdir } from 'node:fs/promises';
import type { TlsMaterial } from '@ocm-fl/common/dataplane/client.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { AGENT_NAME } from '@ocm-fl/common/names.js';
import type { RuntimeConfig } from './config.js';
import { HandoffServer } from './handoff/handoff-server.js';
import { HealthServer } from './health/health-server.js';
import { LeaseRenewer } from './health/lease.js';
import { leaseOwner } from './health/lease-owner.js';
import { AgentMetrics } from './metrics.js';
import { TaskController, type TaskControllerOptions } from './tasks/task-controller.js';

/** What the agent needs from the identity module (client certificate, key and CA bundle). */
export interface AgentIdentity {
  /** Current material; called for every new aggregator connection, so rotation applies. */
  tls(): TlsMaterial;
  /** NotAfter of the current client certificate. */
  expiry(): Date | undefined;
  /** Undefined when a usable certificate is loaded, else the reason. */
  notReady(): string | undefined;
}

export type AgentConfig = Pick<
  RuntimeConfig,
  | 'namespace'
  | 'clusterName'
  | 'podName'
  | 'workDir'
  | 'leasePeriodMs'
  | 'healthPort'
  | 'healthHost'
  | 'handoffPort'
  | 'handoffHost'
  | 'handoffUrl'
  | 'imageRegistries'
  | 'aggregatorHost'
  | 'aggregatorDnsSuffix'
>;

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly kube: KubeClient;
  readonly identity: AgentIdentity;
  readonly logger?: Logger;
  readonly timing?: TaskControllerOptions['timing'];
  readonly onStepDone?: TaskControllerOptions['onStepDone'];
  readonly connect?: TaskControllerOptions['connect'];
}

export interface Agent {
  readonly handoffUrl: string;
  readonly healthPort: number;
  readonly tasks: TaskController;
  readonly lease: LeaseRenewer;
  /** Stop intake and runners (trainer Jobs keep running), close the handoff server, stop renewing. */
  stop(): Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<Agent> {
  const cfg = o.config;
  const log = o.logger ?? silentLogger;
  await mkdir(cfg.workDir, { recursive: true, mode: 0o700 });
  const handoff = await HandoffServer.start({
    host: cfg.handoffHost,
    port: cfg.handoffPort,
    ...(cfg.handoffUrl ? { advertiseUrl: cfg.handoffUrl } : {}),
    logger: log.child({ component: 'handoff' }),
  });
  const metrics = new AgentMetrics(() => o.identity.expiry());
  const lease = new LeaseRenewer({
    onRenewal: metrics.leaseRenewed,
    client: o.kube,
    namespace: cfg.namespace,
    holder: cfg.podName ?? `${AGENT_NAME}-${cfg.clusterName}`,
    periodMs: cfg.leasePeriodMs,
    owner: leaseOwner(o.kube, cfg.namespace),
    logger: log.child({ component: 'lease' }),
  });
  const tasks = new TaskController({
    kube: o.kube,
    namespace: cfg.namespace,
    tls: () => o.identity.tls(),
    certificateExpiry: () => o.identity.expiry(),
    handoff,
    mirrors: cfg.imageRegistries,
    workDir: cfg.workDir,
    aggregatorDefaults: {
      ...(cfg.aggregatorHost ? { aggregatorHost: cfg.aggregatorHost } : {}),
      ...(cfg.aggregatorDnsSuffix ? { aggregatorDnsSuffix: cfg.aggregatorDnsSuffix } : {}),
    },
    logger: log.child({ component: 'tasks' }),
    ...(o.timing ? { timing: o.timing } : {}),
    onStepDone: (...a) => {
      metrics.stepDone(...a);
      o.onStepDone?.(...a);
    },
    ...(o.connect ? { connect: o.connect } : {}),
  });
  let tasksStarted = false;
  const health = await HealthServer.start({
    host: cfg.healthHost,
    port: cfg.healthPort,
    checks: [
      { name: 'certificate', check: () => o.identity.notReady() },
      { name: 'tasks', check: () => (tasksStarted ? undefined : 'task watch not started') },
      {
        name: 'lease',
        check: () => {
          const age = lease.sinceLastRenewal();
          if (age === undefined) return 'lease not renewed yet (API unreachable?)';
          return age > cfg.leasePeriodMs * 3
            ? `lease last renewed ${Math.round(age / 1000)} s ago (API unreachable?)`
            : undefined;
        },
      },
    ],
    details: () => ({ certificateNotAfter: o.identity.expiry()?.toISOString() }),
    metrics: metrics.registry,
  });
  lease.start();
  try {
    await tasks.start();
    tasksStarted = true;
  } catch (e) {
    await Promise.allSettled([lease.stop(), handoff.close(), health.close()]);
    throw new Error('cannot watch FederatedLearningTask objects', { cause: e });
  }
  log.info('agent started', {
    cluster: cfg.clusterName,
    namespace: cfg.namespace,
    handoff: handoff.baseUrl,
    healthPort: health.port,
  });
  let stopping: Promise<void> | undefined;
  return {
    handoffUrl: handoff.baseUrl,
    healthPort: health.port,
    tasks,
    lease,
    stop: () =>
      (stopping ??= (async () => {
        log.info('agent stopping');
        await tasks.stop();
        await handoff.close();
        await lease.stop();
        await health.close();
        log.info('agent stopped');
      })()),
  };
}
