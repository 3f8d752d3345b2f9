/**
 * `make demo`: a federated training of MNIST across three managed clusters on the embedded
 * control plane. Starts the hub and clusters (each with ClusterClaims pointing at a non-IID
 * partition), the real hub-manager, enables the addon, applies a FederatedLearning resource
 * in the upstream sample's shape, shows progress (bar and ETA), and writes
 * `demo-out/summary.json` and `demo-out/rounds.svg` (accuracy/loss per round, per-digit recall).
 * `--keep` leaves the hub running with a kubeconfig in `demo-out/` for `kubectl get fl -w`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { createLogger } from '@ocm-fl/common/logger.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import { startFlEnvironment } from '../scenarios/fl-environment.js';
import { REPO_ROOT } from '../scenarios/images.js';
import { progressBar, roundsSvg } from './plot.js';
import { formatProgress, formatSummary, summarize } from './report.js';
import { DATA_CLAIM, sampleFederatedLearning } from './sample.js';

const CLUSTERS = ['cluster1', 'cluster2', 'cluster3'];
const OUT = join(REPO_ROOT, 'demo-out');
const keep = process.argv.includes('--keep');
const say = (s: string): void => void process.stdout.write(`${s}\n`);
/**
 * The demo's pods run as local processes: its hub-manager, agents and trainers reach the
 * embedded API servers and each other on 127.0.0.1, which a runc pod's own network namespace
 * does not see (the runc runtime itself: standins/podrunner/runc/, tested by runc-pods.slow.test.ts).
 */
const POD_RUNTIME = {
  podRuntime: 'process',
  podRuntimeReason:
    'the embedded control plane listens on 127.0.0.1 only, which runc pods (own network namespace) cannot reach',
} as const;

async function main(): Promise<number> {
  const t0 = Date.now();
  await rm(join(OUT, 'fleet'), { recursive: true, force: true }); // pods of an earlier run
  await mkdir(OUT, { recursive: true });
  // Component logs go to a file; the terminal shows the story.
  const logger = createLogger('demo', process.env.LOG_LEVEL ?? 'info');
  logger
    .clear()
    .add(new (await import('winston')).default.transports.File({ filename: join(OUT, 'demo.log') }));
  say('Starting the embedded hub and 3 managed clusters (API servers, OCM stand-ins, pod runners)...');
  say(`pod runtime: ${POD_RUNTIME.podRuntime} (${POD_RUNTIME.podRuntimeReason})`);
  const env = await startFlEnvironment({
    logger,
    workDir: join(OUT, 'fleet'),
    clusters: CLUSTERS.map((name) => ({
      name,
      labels: { 'cluster.open-cluster-management.io/clusterset': 'default' },
      claims: { [DATA_CLAIM]: `/data/private/${name}` },
    })),
  });
  const stop = async (): Promise<void> => {
    await env.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    say(
      `hub-manager running; clusteradm addon enable --names federated-learning --clusters ${CLUSTERS.join(',')}`,
    );
    await env.enable(CLUSTERS, 90_000);
    say(
      `addon Available on ${CLUSTERS.length} clusters after ${((Date.now() - t0) / 1000).toFixed(1)}s (agents hold hub-signed certificates)`,
    );
    const fl = sampleFederatedLearning({ rounds: 10, minAvailableClients: 3 });
    await env.fleet.hubClient.create(fl);
    say(
      `FederatedLearning ${fl.metadata.namespace}/${fl.metadata.name}: FedAvg, ${fl.spec?.server?.rounds} rounds, trainer ${fl.spec?.client?.image}`,
    );
    const final = await follow(env.fleet.hubClient, fl, 600_000);
    const summary = { ...summarize(final, CLUSTERS, (Date.now() - t0) / 1000), ...POD_RUNTIME };
    say(formatSummary(summary));
    await writeFile(join(OUT, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    await writeFile(join(OUT, 'rounds.svg'), roundsSvg(summary));
    say(
      `wrote ${join('demo-out', 'summary.json')} and demo-out/rounds.svg (component logs: demo-out/demo.log)`,
    );
    if (keep) {
      const kc = join(OUT, 'hub.kubeconfig');
      await env.fleet.hub.writeKubeconfig(kc);
      say(
        `\nThe hub keeps running. Try:\n  kubectl --kubeconfig ${kc} get fl -A -w\n  kubectl --kubeconfig ${kc} get events -A\nCtrl-C stops it.`,
      );
      await new Promise(() => undefined);
    }
    return summary.phase === 'Completed' ? 0 : 1;
  } finally {
    if (!keep) await stop();
  }
}

/** Print progress as rounds complete; resolve with the resource once it is terminal. */
async function follow(
  client: import('@ocm-fl/common/kube/client.js').KubeClient,
  fl: FederatedLearning,
  timeoutMs: number,
): Promise<FederatedLearning> {
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  let last = '';
  for (;;) {
    const cur = await client.get<FederatedLearning>(
      FL_API_VERSION,
      'FederatedLearning',
      fl.metadata.name ?? '',
      fl.metadata.namespace,
    );
    if (cur) {
      const [done, total] = (cur.status?.roundProgress ?? '0/0').split('/').map(Number);
      const bar = progressBar(
        done ?? 0,
        total || (cur.spec?.server?.rounds ?? 1),
        (Date.now() - started) / 1000,
      );
      const line = `${bar}${formatProgress(cur)}`;
      // The ETA changes every poll; print when the status itself changed.
      const key = formatProgress(cur);
      if (key !== last) say(line);
      last = key;
      const phase = cur.status?.phase;
      if ((phase === 'Completed' && cur.status?.evaluation) || phase === 'Failed') return cur;
      if (
        phase === 'Completed' &&
        cur.status?.conditions?.some((c) => c.type === 'Evaluated' && c.status === 'False')
      )
        return cur;
    }
    if (Date.now() > deadline)
      throw new Error(`the job did not finish within ${timeoutMs / 1000}s; last: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `demo failed: ${e instanceof Error ? `${e.message}${e.cause ? ` (${String((e.cause as Error).message ?? e.cause)})` : ''}` : String(e)}\n`,
    );
    process.exit(1);
  },
);
