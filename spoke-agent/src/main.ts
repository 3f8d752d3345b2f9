/**
 * Spoke agent entry point: `npx tsx spoke-agent/src/main.ts [--flags]` in tier 1, bundled
 * `dist/spoke-agent.js` in the image. Exits non-zero with one clear line when the
 * configuration is unusable; missing or unusable certificate files keep it not ready (with the
 * reason on /readyz and in the log) until a valid pair appears. SIGTERM/SIGINT stop it cleanly.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { createLogger } from '@ocm-fl/common/logger.js';
import { startAgent } from './agent.js';
import { loadConfig, type RuntimeConfig } from './config.js';
import { IdentityWatcher } from './identity/identity-watcher.js';

function kubeClient(cfg: RuntimeConfig): KubeClient {
  if (cfg.kubeconfig) return KubeClient.fromFile(cfg.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return KubeClient.fromKubeConfig(kc);
}

async function main(): Promise<void> {
  let cfg: RuntimeConfig;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`fl-agent: configuration error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const log = createLogger('spoke-agent', cfg.logLevel).child({ cluster: cfg.clusterName });
  // Waits for the certificate instead of exiting: the client-cert Secret is mounted optional and
  // appears only after the hub signed the CSR; until then /readyz says why and the Lease renews.
  const identity = new IdentityWatcher({
    certDir: cfg.clientCertDir,
    caFile: cfg.caBundleFile,
    logger: log.child({ component: 'identity' }),
    waitForFiles: true,
  }).start();
  const poll = { minMs: Math.min(1000, cfg.roundPollMaxMs), maxMs: cfg.roundPollMaxMs };
  const agent = await startAgent({
    config: cfg,
    kube: kubeClient(cfg),
    identity,
    logger: log,
    timing: { poll },
  });
  let exiting = false;
  const shutdown = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    log.info('signal received; shutting down', { signal });
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    agent
      .stop()
      .finally(() => identity.stop())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error('shutdown failed', { error: e });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const flowerCommand = process.argv[2]?.startsWith('flower-');
(flowerCommand
  ? import('./flower/cli.js').then(async (m) => {
      process.exitCode = await m.runFlowerCommand(process.argv.slice(2));
    })
  : main()
).catch((e: unknown) => {
  process.stderr.write(`fl-agent: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
