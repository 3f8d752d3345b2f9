/**
 * hub-manager entry point.
 *   hub-manager [--flag value ...]          addon manager, registration, FL controller (leader only)
 *   hub-manager aggregate --config <file>   one FL job's aggregator
 * In-process: `startHubManager(config)`; flags and env are described in config.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { createLogger, type Logger } from '@ocm-fl/common/logger.js';
import { startAddonManager, type AddonManager } from './addon/manager.js';
import { runAggregate } from './aggregate-command.js';
import { certValidityWarning, parseCommand, type HubManagerConfig } from './config.js';
import { caStoreIssuer } from './fl/ca-issuer.js';
import { startFederatedLearningController, type FlController } from './fl/controller.js';
import { localJobFiles, storageRootLayout } from './fl/deps.js';
import { startCaRotation, type CaRotation } from './registration/ca-rotation.js';
import { CaStore } from './registration/ca-store.js';
import { CsrController } from './registration/csr-controller.js';
import { EVENT_COMPONENT } from './registration/csr-event.js';
import { EventRecorder } from './runtime/event-recorder.js';
import { startHttpEndpoint } from './runtime/http-server.js';
import { HubMetrics } from './runtime/metrics.js';
import { startLeaderElection, type LeaderElector } from './runtime/lease-lock.js';

export { startFederatedLearningController } from './fl/controller.js';
export { runAggregate, withPaths } from './aggregate-command.js';

export interface HubManager {
  /** Port of the health/metrics endpoint. */
  httpPort: number;
  isLeader(): boolean;
  /** Resolves once this replica leads and every component has started (tests). */
  started(): Promise<void>;
  stop(): Promise<void>;
}

interface Components {
  addon: AddonManager;
  csr: CsrController;
  fl: FlController;
  rotation: CaRotation;
}

function clientFor(config: HubManagerConfig): KubeClient {
  if (config.kubeconfig) return KubeClient.fromFile(config.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return KubeClient.fromKubeConfig(kc);
}

async function startComponents(
  config: HubManagerConfig,
  client: KubeClient,
  log: Logger,
  metrics: HubMetrics,
): Promise<Components> {
  const ca = new CaStore(client, {
    namespace: config.namespace,
    userSecretName: config.caSecret,
    logger: log.child({ component: 'ca' }),
  });
  await ca.load();
  const csr = new CsrController({
    client,
    ca,
    maxValiditySeconds: config.maxCertValiditySeconds,
    logger: log.child({ component: 'registration' }),
    metrics,
  });
  await csr.start();
  const addon = await startAddonManager({
    client,
    logger: log.child({ component: 'addon-manager' }),
    metrics,
    settings: {
      agent: {
        agentImage: config.agentImage,
        logLevel: config.logLevel,
        ...(config.agentCommand ? { agentCommand: config.agentCommand } : {}),
        ...(config.agentArgs ? { agentArgs: config.agentArgs } : {}),
      },
      caBundle: () => ca.bundle(),
    },
  });
  const fl = await startFederatedLearningController({
    client,
    logger: log.child({ component: 'fl-controller' }),
    metrics,
    settings: {
      hubManagerImage: config.image,
      aggregatorListenHost: config.aggregatorListenHost,
      ...(config.nodeAddress ? { nodeAddress: config.nodeAddress } : {}),
      pollIntervalMs: config.pollIntervalMs,
      files: localJobFiles(storageRootLayout(config.storageRoot)),
      certificates: caStoreIssuer(ca, { propagationSeconds: config.caBundlePropagationSeconds ?? 120 }),
    },
  });
  const events = new EventRecorder(client, EVENT_COMPONENT);
  // Last: a bundle change needs the addon manager running to republish it.
  const rotation = startCaRotation({
    ca,
    intervalMs: (config.caSettleIntervalSeconds ?? 60) * 1000,
    maxValiditySeconds: config.maxCertValiditySeconds,
    onBundleChange: () => addon.resync(),
    onStep: (note) => {
      const secret = { apiVersion: 'v1', kind: 'Secret', name: ca.secretName, namespace: config.namespace };
      events
        .record(secret, note)
        .catch((e: unknown) => log.warn('CA rotation event not recorded', { error: e }));
    },
    logger: log.child({ component: 'ca-rotation' }),
  });
  metrics.bind({ caNotAfter: () => ca.signingCa().notAfter, jobs: fl.jobs, addons: addon.addons });
  return { addon, csr, fl, rotation };
}

async function stopComponents(c: Components | undefined): Promise<void> {
  if (!c) return;
  await c.rotation.stop();
  await c.fl.stop();
  await c.addon.stop();
  await c.csr.stop();
}

export async function startHubManager(
  config: HubManagerConfig,
  opts: { client?: KubeClient; logger?: Logger } = {},
): Promise<HubManager> {
  const log = opts.logger ?? createLogger('hub-manager', config.logLevel);
  const client = opts.client ?? clientFor(config);
  const validityWarning = certValidityWarning(config);
  if (validityWarning) log.warn(validityWarning);
  let components: Components | undefined;
  let starting: Promise<void> | undefined;
  let startedResolve: () => void = () => undefined;
  const startedP = new Promise<void>((r) => (startedResolve = r));
  const metrics = new HubMetrics();
  let leading = false;

  const lead = async (): Promise<void> => {
    leading = true;
    metrics.leader.set(1);
    metrics.leaderTransitions.inc();
    starting = (async (): Promise<void> => {
      for (;;) {
        try {
          components = await startComponents(config, client, log, metrics);
          startedResolve();
          return;
        } catch (e) {
          metrics.startFailures.inc();
          log.error('starting components failed; retrying', { error: e });
          await new Promise((r) => setTimeout(r, 2000));
          if (!leading) return;
        }
      }
    })();
    await starting;
  };
  const follow = async (): Promise<void> => {
    leading = false;
    metrics.leader.set(0);
    await starting;
    metrics.bind(undefined);
    await stopComponents(components);
    components = undefined;
  };

  let elector: LeaderElector | undefined;
  if (config.leaderElect)
    elector = startLeaderElection({
      client,
      namespace: config.namespace,
      identity: config.identity,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewPeriodSeconds: config.renewPeriodSeconds,
      logger: log.child({ component: 'leader-election' }),
      onStartedLeading: lead,
      onStoppedLeading: follow,
    });
  else void lead();

  const http = await startHttpEndpoint(config.httpHost, config.httpPort, {
    ready: () => !elector || !elector.isLeader() || components !== undefined,
    metrics: metrics.registry,
  });
  log.info('hub-manager running', {
    namespace: config.namespace,
    identity: config.identity,
    httpPort: http.port,
  });
  return {
    httpPort: http.port,
    isLeader: () => (elector ? elector.isLeader() : true),
    started: () => startedP,
    async stop(): Promise<void> {
      if (elector) await elector.stop();
      else await follow();
      await http.close();
    },
  };
}

/** The `hub-manager` command line (cli.ts is the entry that keeps `aggregate` light). */
export async function runHubManagerCli(argv: string[]): Promise<void> {
  const cmd = parseCommand(argv);
  if (cmd.command === 'aggregate') {
    process.exitCode = await runAggregate(cmd.configFile, cmd.paths);
    return;
  }
  const hm = await startHubManager(cmd.config);
  const stop = (): void => void hm.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runHubManagerCli(process.argv.slice(2)).catch((e: unknown) => {
    const err = e as Error;
    process.stderr.write(
      `hub-manager: ${err.message}${err.cause ? `: ${(err.cause as Error).message}` : ''}\n`,
    );
    process.exit(1);
  });
}
