/**
 * The per-job Flower gateway's configuration file (written by the FL controller into the job's
 * config ConfigMap, re-read while running so admitted-cluster changes apply), validated in one
 * place with errors that name the field.
 */
export interface FlowerGatewayConfig {
  jobId: string;
  rounds: number;
  listen: { host: string; port: number };
  /** Listener certificate and key, and the addon CA bundle client certificates must chain to. */
  tls: { certFile: string; keyFile: string; caFile: string };
  /** The SuperLink on the pod's loopback and the CA file its certificate chains to. */
  superLink: { host: string; port: number; serverName: string; caFile: string };
  admittedClusters: string[];
  /** Shared with the SuperLink container: `events.jsonl` (status hook) and `run.json` (verdict). */
  runDir: string;
  stateConfigMap?: { namespace: string; name: string };
  maxKeysPerCluster?: number;
}

export class FlowerConfigError extends Error {
  override name = 'FlowerConfigError';
}

type Obj = Record<string, unknown>;
const obj = (v: unknown, at: string): Obj => {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new FlowerConfigError(`${at}: must be an object`);
  return v as Obj;
};
const str = (o: Obj, k: string, at: string): string => {
  const v = o[k];
  if (typeof v !== 'string' || !v) throw new FlowerConfigError(`${at}.${k}: must be a non-empty string`);
  return v;
};
const port = (o: Obj, k: string, at: string): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
    throw new FlowerConfigError(`${at}.${k}: must be a port number`);
  return v;
};

export function parseFlowerGatewayConfig(raw: unknown): FlowerGatewayConfig {
  const r = obj(raw, 'config');
  const rounds = r.rounds;
  if (typeof rounds !== 'number' || !Number.isInteger(rounds) || rounds < 1)
    throw new FlowerConfigError('config.rounds: must be a positive integer');
  const listen = obj(r.listen, 'config.listen');
  const tls = obj(r.tls, 'config.tls');
  const sl = obj(r.superLink, 'config.superLink');
  const admitted = r.admittedClusters ?? [];
  if (!Array.isArray(admitted) || !admitted.every((c) => typeof c === 'string'))
    throw new FlowerConfigError('config.admittedClusters: must be a list of cluster names');
  const cm = r.stateConfigMap === undefined ? undefined : obj(r.stateConfigMap, 'config.stateConfigMap');
  const maxKeys = r.maxKeysPerCluster;
  if (maxKeys !== undefined && (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 1))
    throw new FlowerConfigError('config.maxKeysPerCluster: must be a positive integer');
  return {
    jobId: str(r, 'jobId', 'config'),
    rounds,
    listen: { host: str(listen, 'host', 'config.listen'), port: port(listen, 'port', 'config.listen') },
    tls: {
      certFile: str(tls, 'certFile', 'config.tls'),
      keyFile: str(tls, 'keyFile', 'config.tls'),
      caFile: str(tls, 'caFile', 'config.tls'),
    },
    superLink: {
      host: str(sl, 'host', 'config.superLink'),
      port: port(sl, 'port', 'config.superLink'),
      serverName: str(sl, 'serverName', 'config.superLink'),
      caFile: str(sl, 'caFile', 'config.superLink'),
    },
    admittedClusters: admitted as string[],
    runDir: str(r, 'runDir', 'config'),
    ...(cm
      ? {
          stateConfigMap: {
            namespace: str(cm, 'namespace', 'config.stateConfigMap'),
            name: str(cm, 'name', 'config.stateConfigMap'),
          },
        }
      : {}),
    ...(maxKeys !== undefined ? { maxKeysPerCluster: maxKeys as number } : {}),
  };
}
