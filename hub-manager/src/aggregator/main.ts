/**
 * Aggregator process for one FL job:
 *   npx tsx hub-manager/src/aggregator/main.ts --config <file.json>
 * or in-process: `const agg = await startAggregator(config, { configPath })`.
 * The admitted clusters are reloaded when the config file changes (or via setAdmitted).
 * The TLS files are polled and reloaded when their contents change (addon-CA rotation).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { inClusterAvailable, inClusterMergePatch } from '@ocm-fl/common/kube/in-cluster.js';
import { createLogger, type Logger } from '@ocm-fl/common/logger.js';
import { DEFAULT_FINAL_GRACE_SECONDS, readConfigFile, type AggregatorConfig } from './config.js';
import { AggregatorCore } from './aggregator.js';
import { startGrpcServer, type RunningServer, type ServerTls, type TransportStats } from './grpc-server.js';
import type { JobState } from './state-store.js';
import { AggregatorMetrics } from './metrics.js';
import { serveMetrics } from '@ocm-fl/common/metrics/http.js';
import { StatePublisher, type MergePatch, type StateTarget } from './state-publisher.js';

export type { AggregatorConfig } from './config.js';
export type { JobState, RoundRecord, ClientStatus } from './state-store.js';

export interface Aggregator {
  /** Port the gRPC server listens on (useful with port 0). */
  readonly port: number;
  readonly storageDir: string;
  /** Port of `/metrics` when `metricsListen` was given. */
  readonly metricsPort?: number;
  state(): JobState;
  /** Replace the admitted clusters (clusters re-selected by the placement). */
  setAdmitted(clusters: readonly string[]): void;
  /** Resolves when the job completed or failed. */
  whenDone(): Promise<JobState>;
  /** After the end: true once every admitted cluster was told (GetTask/Heartbeat), false after `ms`. */
  whenEndSeen(ms: number): Promise<boolean>;
  /** Open calls and send-buffer bytes per cluster (memory bounds, observable). */
  stats(): TransportStats;
  /** Stop: calls in flight get up to `graceMs` (default 2 s) to finish. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Watch this file and reload `admittedClusters` from it on change. */
  readonly configPath?: string;
  /** How often the TLS files are read to pick up a renewed certificate or CA bundle; 0: never. */
  readonly tlsReloadIntervalMs?: number;
  /**
   * API client for `config.stateConfigMap`; default: the pod's credentials (in-cluster
   * ServiceAccount, or KUBECONFIG where set).
   */
  readonly kube?: KubeClient;
  /** Serve Prometheus metrics on `GET /metrics` here (port 0: any free port); default: not served. */
  readonly metricsListen?: { readonly host: string; readonly port: number };
}

/**
 * How the state reaches its ConfigMap: the given client; else KUBECONFIG when set (loads
 * @kubernetes/client-node, only then); else the pod's ServiceAccount through the small
 * in-cluster client, so a production aggregator does not carry client-node's ~80 MiB.
 */
export function statePatcher(t: StateTarget, kube: KubeClient | undefined): MergePatch | undefined {
  if (kube) return async (p) => void (await kube.patch('v1', 'ConfigMap', t.name, t.namespace, p));
  const file = process.env.KUBECONFIG;
  if (file) {
    const client = import('@ocm-fl/common/kube/client.js').then((m) => m.KubeClient.fromFile(file));
    return async (p) => void (await (await client).patch('v1', 'ConfigMap', t.name, t.namespace, p));
  }
  if (inClusterAvailable()) {
    const apiPath = `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/configmaps/${encodeURIComponent(t.name)}`;
    return (p) => inClusterMergePatch(apiPath, p);
  }
  return undefined;
}

/** Kubelet refreshes mounted Secrets within about a minute; a few seconds more is fine. */
export const TLS_RELOAD_INTERVAL_MS = 5_000;

function readTls(files: AggregatorConfig['tls']): Promise<ServerTls> {
  return Promise.all([readFile(files.certFile), readFile(files.keyFile), readFile(files.caFile)]).then(
    ([cert, key, ca]) => ({ cert, key, ca }),
  );
}

const sameTls = (a: ServerTls, b: ServerTls): boolean =>
  a.cert.equals(b.cert) && a.key.equals(b.key) && a.ca.equals(b.ca);

/**
 * Polls the contents rather than watching: kubelet swaps a `..data` symlink, which inotify on
 * the file paths does not reliably report. A failed read or a refused pair keeps the material
 * in use and is logged once (not every tick); a half-written update is simply retried.
 */
function watchTls(w: {
  files: AggregatorConfig['tls'];
  loaded: ServerTls;
  server: RunningServer;
  intervalMs: number;
  log: Logger;
}): () => void {
  const { files, server, log } = w;
  let current = w.loaded;
  let refused: ServerTls | undefined;
  let unreadable = false;
  let busy = false;
  const tick = async (): Promise<void> => {
    let next: ServerTls;
    try {
      next = await readTls(files);
    } catch (e) {
      if (!unreadable)
        log.warn('cannot read the TLS files; keeping the current ones', { error: (e as Error).message });
      unreadable = true;
      return;
    }
    unreadable = false;
    if (sameTls(next, current) || (refused && sameTls(next, refused))) return;
    try {
      server.updateTls(next);
    } catch (e) {
      refused = next;
      log.error('new TLS files refused; keeping the current ones', { error: (e as Error).message });
      return;
    }
    current = next;
    refused = undefined;
    const cert = new X509Certificate(next.cert);
    log.info('TLS files reloaded', {
      subject: cert.subject,
      serial: cert.serialNumber,
      notAfter: cert.validTo,
      caCertificates: pemCount(next.ca),
    });
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void tick().finally(() => (busy = false));
  }, w.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

const pemCount = (pem: Buffer): number =>
  pem.toString('utf8').split('-----BEGIN CERTIFICATE-----').length - 1;

export async function startAggregator(
  config: AggregatorConfig,
  opts: StartOptions = {},
): Promise<Aggregator> {
  const log = opts.logger ?? createLogger('aggregator').child({ job: config.jobId });
  const tls = await readTls(config.tls).catch((e: unknown) => {
    throw new Error('cannot read the aggregator TLS files', { cause: e });
  });
  const target = config.stateConfigMap;
  const patch = target && statePatcher(target, opts.kube);
  if (target && !patch)
    log.warn('no Kubernetes API credentials; the job state is not published', { configMap: target.name });
  const publisher =
    target && patch
      ? new StatePublisher(patch, target, log.child({ component: 'state-publisher' }))
      : undefined;
  const metrics = new AggregatorMetrics();
  const core = new AggregatorCore(config, log, (s) => (metrics.observeState(s), publisher?.publish(s)));
  await core.start();
  metrics.observeState(core.state());
  publisher?.publish(core.state()); // a resumed job's state, before the next change
  const server = await startGrpcServer({
    host: config.listen.host,
    port: config.listen.port,
    tls,
    handlers: metrics.instrumentHandlers(core.handlers),
    logger: log,
    maxStreamsPerClient: config.maxStreamsPerClient,
    ...(config.sendBufferBytes ? { sendBuffer: config.sendBufferBytes } : {}),
  });
  const m = opts.metricsListen;
  const metricsHttp = m && (await serveMetrics(metrics.registry, m.host, m.port));
  log.info('aggregator listening', {
    port: server.port,
    metricsPort: metricsHttp?.port,
    phase: core.state().phase,
  });
  const reloadMs = opts.tlsReloadIntervalMs ?? TLS_RELOAD_INTERVAL_MS;
  const stopTls =
    reloadMs > 0
      ? watchTls({ files: config.tls, loaded: tls, server, intervalMs: reloadMs, log })
      : () => undefined;
  const watched = opts.configPath;
  if (watched) {
    watchFile(watched, { interval: 1000 }, () => {
      readConfigFile(watched).then(
        (c) => core.setAdmitted(c.admittedClusters),
        (e: unknown) =>
          log.error('config reload failed; keeping the admitted clusters', { error: (e as Error).message }),
      );
    });
  }
  return {
    port: server.port,
    storageDir: config.storageDir,
    ...(metricsHttp ? { metricsPort: metricsHttp.port } : {}),
    state: () => core.state(),
    setAdmitted: (c) => core.setAdmitted(c),
    whenDone: () => core.whenDone(),
    whenEndSeen: (ms) => core.whenEndSeen(ms),
    stats: () => server.stats(),
    close: async (graceMs) => {
      if (watched) unwatchFile(watched);
      stopTls();
      await server.close(graceMs);
      await metricsHttp?.close();
      await core.stop();
      // The final state must reach the controller before the process exits.
      if (publisher && !(await publisher.flush()))
        log.warn('the last job state may not have been published', { configMap: target?.name });
      publisher?.stop();
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : undefined;
  if (!file) throw new Error('usage: main.ts --config <file.json>');
  const config = await readConfigFile(file);
  const agg = await startAggregator(config, { configPath: file });
  // Tests and the hub controller read the port from this line when listening on port 0.
  process.stdout.write(JSON.stringify({ event: 'listening', port: agg.port }) + '\n');
  const stop = (): void => void agg.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const final = await agg.whenDone();
  await agg.whenEndSeen((config.finalGraceSeconds ?? DEFAULT_FINAL_GRACE_SECONDS) * 1000);
  await agg.close();
  process.stdout.write(JSON.stringify({ event: 'done', phase: final.phase }) + '\n');
  process.exit(final.phase === 'completed' ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    const err = e as Error;
    process.stderr.write(
      `aggregator: ${err.message}${err.cause ? `: ${(err.cause as Error).message}` : ''}\n`,
    );
    process.exit(1);
  });
}
