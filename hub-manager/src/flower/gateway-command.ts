/**
 * `hub-manager flower-gateway --config <file>`: one Flower job's gateway, beside the SuperLink
 * in the job's pod. Serves the clusters (gateway.ts), follows the run from the shared run
 * directory (run-state.ts) and publishes it as the job state the FL controller reads; exits 0
 * when the run completed, 1 when it failed (the SuperLink container then stops too).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@ocm-fl/common/logger.js';
import { statePatcher } from '../aggregator/main.js';
import { StatePublisher } from '../aggregator/state-publisher.js';
import type { JobState } from '../aggregator/state-store.js';
import { FlowerGateway } from './gateway.js';
import { parseFlowerGatewayConfig, type FlowerGatewayConfig } from './gateway-config.js';
import { flowerJobState, parseHookEvents, parseRunOutcome } from './run-state.js';

const readConfig = async (file: string): Promise<FlowerGatewayConfig> =>
  parseFlowerGatewayConfig(JSON.parse(await readFile(file, 'utf8')) as unknown);

/** The run as the shared run directory and the gateway's key registry show it now. */
async function readRunState(config: FlowerGatewayConfig, gateway: FlowerGateway): Promise<JobState> {
  const events = parseHookEvents(await readFile(join(config.runDir, 'events.jsonl'), 'utf8').catch(() => ''));
  const run = parseRunOutcome(await readFile(join(config.runDir, 'run.json'), 'utf8').catch(() => ''));
  return flowerJobState({
    jobId: config.jobId,
    rounds: config.rounds,
    events: events.events,
    nodes: gateway.keys.nodes(),
    ...(run ? { run } : {}),
    now: new Date(),
  });
}

export async function runFlowerGateway(configFile: string, pollMs = 1_000): Promise<number> {
  let config = await readConfig(configFile);
  const log = createLogger('flower-gateway').child({ job: config.jobId });
  // Tier-1 pods share one host: bind the pod's own address when the downward API gives one.
  const host = process.env.POD_IP ?? config.listen.host;
  const gateway = new FlowerGateway({
    host,
    port: config.listen.port,
    tls: config.tls,
    superLink: { ...config.superLink, ca: await readFile(config.superLink.caFile, 'utf8') },
    admitted: config.admittedClusters,
    ...(config.maxKeysPerCluster ? { maxKeysPerCluster: config.maxKeysPerCluster } : {}),
    logger: log,
  });
  const port = await gateway.start();
  process.stdout.write(`${JSON.stringify({ event: 'listening', host, port })}\n`);
  const target = config.stateConfigMap;
  const patch = target && statePatcher(target, undefined);
  const publisher = target && patch ? new StatePublisher(patch, target, log) : undefined;
  let last = '';
  for (;;) {
    try {
      const next = await readConfig(configFile);
      if (next.admittedClusters.join() !== config.admittedClusters.join())
        gateway.setAdmitted(next.admittedClusters);
      config = next;
    } catch (e) {
      log.warn('config not re-read; keeping the current one', { error: (e as Error).message });
    }
    const state = await readRunState(config, gateway);
    const key = JSON.stringify({ ...state, updatedAt: '' });
    if (key !== last) {
      last = key;
      publisher?.publish(state);
      log.info('run state', {
        phase: state.phase,
        completedRounds: state.completedRounds,
        message: state.message,
      });
    }
    if (state.phase !== 'running') {
      await publisher?.flush();
      await gateway.stop();
      return state.phase === 'completed' ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
