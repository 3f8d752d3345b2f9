/**
 * `hub-manager aggregate`: one FL job's aggregator. Kept apart from main.ts so the aggregator
 * process loads only what it uses (no addon manager, no @kubernetes/client-node: ~80 MiB less
 * resident memory per job).
 */
import { readConfigFile, type AggregatorConfig } from './aggregator/config.js';
import { startAggregator } from './aggregator/main.js';
import type { AggregatePaths } from './config.js';

/** Command-line paths over the config file's (see AggregatePaths). */
export function withPaths(config: AggregatorConfig, p: AggregatePaths): AggregatorConfig {
  const tls = p.tlsDir
    ? { certFile: `${p.tlsDir}/tls.crt`, keyFile: `${p.tlsDir}/tls.key`, caFile: `${p.tlsDir}/ca.crt` }
    : config.tls;
  return {
    ...config,
    tls,
    ...(p.storageDir ? { storageDir: p.storageDir } : {}),
    ...(p.initialModel ? { initialModelPath: p.initialModel } : {}),
  };
}

/** `hub-manager aggregate --config <file>`: exits 0 when the job completed, 1 when it failed. */
export async function runAggregate(configFile: string, paths: AggregatePaths = {}): Promise<number> {
  const config = withPaths(await readConfigFile(configFile), paths);
  // Bind the pod's own address when the downward API provides it (tier-1 pods share one host).
  const podIp = process.env.POD_IP;
  const agg = await startAggregator(
    podIp ? { ...config, listen: { ...config.listen, host: podIp } } : config,
    {
      configPath: configFile,
      // FL_METRICS_PORT (set in the aggregator pod): Prometheus /metrics beside the gRPC port.
      ...(process.env.FL_METRICS_PORT
        ? { metricsListen: { host: podIp ?? '0.0.0.0', port: Number(process.env.FL_METRICS_PORT) } }
        : {}),
    },
  );
  process.stdout.write(JSON.stringify({ event: 'listening', port: agg.port }) + '\n');
  const stop = (): void => void agg.close().then(() => process.exit(143));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const final = await agg.whenDone();
  await agg.close();
  process.stdout.write(JSON.stringify({ event: 'done', phase: final.phase }) + '\n');
  return final.phase === 'completed' ? 0 : 1;
}
