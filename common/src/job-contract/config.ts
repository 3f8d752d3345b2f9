/**
 * The hub↔aggregator job contract, part 1: the aggregator's configuration file. The FL
 * controller renders it (hub-manager/src/fl/render/aggregator.ts) and the aggregator parses it
 * (hub-manager/src/aggregator/config.ts) with the one validator below, so the two cannot drift:
 * render.test.ts checks that parsing a rendered config gives it back unchanged.
 */

/** `spec.strategy` as handed to the aggregator (names and parameters are checked when it starts). */
export interface StrategySpec {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export type FailurePolicy =
  { readonly action: 'retryRound'; readonly maxRetries: number } | { readonly action: 'fail' };

export interface AggregatorConfig {
  readonly jobId: string;
  readonly jobName: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** PEM files: serving certificate and key, and the CA bundle client certificates must chain to. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  readonly storageDir: string;
  readonly rounds: number;
  /** Clusters placed in the job; reloaded when the file changes. */
  readonly admittedClusters: readonly string[];
  readonly minClients: number;
  readonly roundDeadlineSeconds: number;
  readonly failurePolicy: FailurePolicy;
  /** safetensors file of the starting global model. */
  readonly initialModelPath: string;
  /** Past round checkpoints kept besides `last` (and the final model). */
  readonly keepCheckpoints: number;
  /** Trainer parameters handed to clients in every task. */
  readonly taskConfig: Readonly<Record<string, string>>;
  readonly heartbeatIntervalSeconds: number;
  /** Largest update accepted, bytes; default: the global model size (updates must match it anyway). */
  readonly maxUpdateBytes?: number;
  /** Concurrent RPCs one cluster may hold open (HTTP/2 streams over all its connections). */
  readonly maxStreamsPerClient: number;
  /**
   * ConfigMap to publish the job state to (key state.json) through the Kubernetes API with the
   * pod's credentials; the FL controller reads it there. Unset: the state file only.
   */
  readonly stateConfigMap?: { readonly namespace: string; readonly name: string };
  /**
   * After the job ends, keep serving its final state this long at most (until every admitted
   * cluster was told, sooner), so agents see `finished` and can fetch the final model.
   */
  readonly finalGraceSeconds?: number;
  /** `spec.strategy` of the FederatedLearning resource; default FedAvg. */
  readonly strategy?: StrategySpec;
  /** Bytes of download chunks held in memory, per cluster and in total; default DEFAULT_SEND_BUFFER. */
  readonly sendBufferBytes?: { readonly perCluster: number; readonly total: number };
}

/** Long enough for agents polling every few seconds to be told the job ended. */
export const DEFAULT_FINAL_GRACE_SECONDS = 60;
/** Retries of a round that got too few updates (also the CRD's failurePolicy.maxRoundRetries default). */
export const DEFAULT_MAX_ROUND_RETRIES = 3;
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 30;
export const DEFAULT_MAX_STREAMS_PER_CLIENT = 8;
export const DEFAULT_KEEP_CHECKPOINTS = 3;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = Record<string, unknown>;

function obj(v: unknown, at: string): Raw {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ConfigError(`${at}: must be an object`);
  return v as Raw;
}
function str(r: Raw, k: string, at: string, dflt?: string): string {
  const v = r[k] ?? dflt;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${at}.${k}: must be a non-empty string`);
  return v;
}
function int(r: Raw, k: string, at: string, min: number, dflt?: number): number {
  const v = r[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new ConfigError(`${at}.${k}: must be an integer >= ${min}`);
  return v;
}

function failurePolicy(v: unknown): FailurePolicy {
  if (v === undefined) return { action: 'retryRound', maxRetries: DEFAULT_MAX_ROUND_RETRIES };
  const r = obj(v, 'failurePolicy');
  if (r.action === 'fail') return { action: 'fail' };
  if (r.action === 'retryRound')
    return {
      action: 'retryRound',
      maxRetries: int(r, 'maxRetries', 'failurePolicy', 0, DEFAULT_MAX_ROUND_RETRIES),
    };
  throw new ConfigError(`failurePolicy.action: must be "retryRound" or "fail"`);
}

function stateTarget(v: unknown): { namespace: string; name: string } {
  const r = obj(v, 'stateConfigMap');
  return { namespace: str(r, 'namespace', 'stateConfigMap'), name: str(r, 'name', 'stateConfigMap') };
}

/** Shape only: names and parameter values are checked by createStrategy when the job starts. */
function strategySpec(v: unknown): StrategySpec {
  const r = obj(v, 'strategy');
  const parameters = obj(r.parameters ?? {}, 'strategy.parameters');
  return { name: str(r, 'name', 'strategy'), parameters };
}

function sendBuffer(v: unknown): { perCluster: number; total: number } {
  const r = obj(v, 'sendBufferBytes');
  const perCluster = int(r, 'perCluster', 'sendBufferBytes', 1);
  const total = int(r, 'total', 'sendBufferBytes', perCluster);
  return { perCluster, total };
}

/** Validate a parsed config object; errors name the bad field. */
export function parseConfig(raw: unknown): AggregatorConfig {
  const r = obj(raw, 'config');
  const listen = obj(r.listen ?? {}, 'listen');
  const tls = obj(r.tls, 'tls');
  const admitted = r.admittedClusters ?? [];
  if (!Array.isArray(admitted) || !admitted.every((c) => typeof c === 'string'))
    throw new ConfigError('admittedClusters: must be a list of cluster names');
  const taskConfig = obj(r.taskConfig ?? {}, 'taskConfig');
  for (const [k, v] of Object.entries(taskConfig))
    if (typeof v !== 'string') throw new ConfigError(`taskConfig.${k}: must be a string`);
  const cfg: AggregatorConfig = {
    jobId: str(r, 'jobId', 'config'),
    jobName: str(r, 'jobName', 'config', str(r, 'jobId', 'config')),
    listen: { host: str(listen, 'host', 'listen', '0.0.0.0'), port: int(listen, 'port', 'listen', 0, 0) },
    tls: {
      certFile: str(tls, 'certFile', 'tls'),
      keyFile: str(tls, 'keyFile', 'tls'),
      caFile: str(tls, 'caFile', 'tls'),
    },
    storageDir: str(r, 'storageDir', 'config'),
    rounds: int(r, 'rounds', 'config', 1),
    admittedClusters: admitted as string[],
    minClients: int(r, 'minClients', 'config', 1, 1),
    roundDeadlineSeconds: int(r, 'roundDeadlineSeconds', 'config', 1, 3600),
    failurePolicy: failurePolicy(r.failurePolicy),
    initialModelPath: str(r, 'initialModelPath', 'config'),
    keepCheckpoints: int(r, 'keepCheckpoints', 'config', 0, DEFAULT_KEEP_CHECKPOINTS),
    taskConfig: taskConfig as Record<string, string>,
    heartbeatIntervalSeconds: int(
      r,
      'heartbeatIntervalSeconds',
      'config',
      1,
      DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
    ),
    maxStreamsPerClient: int(r, 'maxStreamsPerClient', 'config', 1, DEFAULT_MAX_STREAMS_PER_CLIENT),
    finalGraceSeconds: int(r, 'finalGraceSeconds', 'config', 0, DEFAULT_FINAL_GRACE_SECONDS),
    ...(r.strategy === undefined ? {} : { strategy: strategySpec(r.strategy) }),
    ...(r.sendBufferBytes === undefined ? {} : { sendBufferBytes: sendBuffer(r.sendBufferBytes) }),
    ...(r.maxUpdateBytes === undefined ? {} : { maxUpdateBytes: int(r, 'maxUpdateBytes', 'config', 1) }),
    ...(r.stateConfigMap === undefined ? {} : { stateConfigMap: stateTarget(r.stateConfigMap) }),
  };
  return cfg;
}
