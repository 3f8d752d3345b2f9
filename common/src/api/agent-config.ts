/**
 * The contract between the agent ManifestWork the hub renders and the spoke agent that reads
 * it: environment variable names (from ConfigMap `fl-agent-config` via envFrom, plus proxy
 * variables and the downward API) and the file paths of mounted volumes.
 */
import type { ImageMirror } from './ocm.js';

export const AGENT_ENV = {
  clusterName: 'FL_CLUSTER_NAME',
  namespace: 'FL_AGENT_NAMESPACE',
  podName: 'POD_NAME',
  /** Downward API status.podIP: the agent's default listen address. */
  podIp: 'POD_IP',
  healthPort: 'FL_HEALTH_PORT',
  handoffPort: 'FL_HANDOFF_PORT',
  /** host:port trainers use to reach the agent's handoff Service. */
  handoffAddress: 'FL_HANDOFF_ADDRESS',
  logLevel: 'LOG_LEVEL',
  clientCertDir: 'FL_CLIENT_CERT_DIR',
  caBundleFile: 'FL_CA_BUNDLE_FILE',
  /** JSON list of {source?, mirror}: mirrors the agent applies to trainer images. */
  imageRegistries: 'FL_IMAGE_REGISTRIES',
  /** Host used for a task whose aggregator endpoint is only `:port` (or empty host). */
  aggregatorHost: 'FL_AGGREGATOR_HOST',
  /** Suffix appended to a single-label aggregator host (e.g. `hub.example.com`). */
  aggregatorDnsSuffix: 'FL_AGGREGATOR_DNS_SUFFIX',
  /** Present only with an AddOnDeploymentConfig proxy CA bundle. */
  proxyCaFile: 'PROXY_CA_FILE',
} as const;

export const AGENT_PATHS = {
  clientCertDir: '/etc/fl-agent/client-cert',
  caBundleFile: '/etc/fl-agent/ca/ca.crt',
  proxyCaFile: '/etc/fl-agent/proxy-ca/ca.crt',
  tmp: '/tmp',
} as const;

export const AGENT_DEFAULT_PORTS = { health: 8080, handoff: 8081 } as const;

export interface AgentConfig {
  clusterName: string;
  namespace: string;
  podName?: string;
  healthPort: number;
  handoffPort: number;
  handoffAddress?: string;
  logLevel: string;
  clientCertDir: string;
  caBundleFile: string;
  imageRegistries: ImageMirror[];
  aggregatorHost?: string;
  aggregatorDnsSuffix?: string;
  proxyCaFile?: string;
}

function port(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: "${raw}" is not a port`);
  return n;
}

/** Parse the agent's environment; throws naming the variable that is missing or bad. */
export function agentConfigFromEnv(env: NodeJS.ProcessEnv): AgentConfig {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name}: required`);
    return v;
  };
  let imageRegistries: ImageMirror[] = [];
  const regs = env[AGENT_ENV.imageRegistries];
  if (regs) {
    try {
      imageRegistries = JSON.parse(regs) as ImageMirror[];
    } catch (e) {
      throw new Error(`${AGENT_ENV.imageRegistries}: not JSON`, { cause: e });
    }
    if (!Array.isArray(imageRegistries)) throw new Error(`${AGENT_ENV.imageRegistries}: not a list`);
  }
  const cfg: AgentConfig = {
    clusterName: need(AGENT_ENV.clusterName),
    namespace: need(AGENT_ENV.namespace),
    healthPort: port(env, AGENT_ENV.healthPort, AGENT_DEFAULT_PORTS.health),
    handoffPort: port(env, AGENT_ENV.handoffPort, AGENT_DEFAULT_PORTS.handoff),
    logLevel: env[AGENT_ENV.logLevel] || 'info',
    clientCertDir: env[AGENT_ENV.clientCertDir] || AGENT_PATHS.clientCertDir,
    caBundleFile: env[AGENT_ENV.caBundleFile] || AGENT_PATHS.caBundleFile,
    imageRegistries,
  };
  const optional: [keyof AgentConfig, string][] = [
    ['podName', AGENT_ENV.podName],
    ['handoffAddress', AGENT_ENV.handoffAddress],
    ['aggregatorHost', AGENT_ENV.aggregatorHost],
    ['aggregatorDnsSuffix', AGENT_ENV.aggregatorDnsSuffix],
    ['proxyCaFile', AGENT_ENV.proxyCaFile],
  ];
  for (const [k, name] of optional) if (env[name]) (cfg as unknown as Record<string, string>)[k] = env[name]!;
  return cfg;
}

/**
 * Resolve a task's aggregator endpoint with the agent's defaults: an empty host takes
 * `aggregatorHost`; a single-label host gets `.aggregatorDnsSuffix`. Pure.
 */
export function resolveAggregatorEndpoint(
  endpoint: string,
  cfg: Pick<AgentConfig, 'aggregatorHost' | 'aggregatorDnsSuffix'>,
): string {
  const i = endpoint.lastIndexOf(':');
  if (i < 0) throw new Error(`aggregator endpoint "${endpoint}": needs host:port`);
  let host = endpoint.slice(0, i);
  const p = endpoint.slice(i + 1);
  if (host === '') {
    if (!cfg.aggregatorHost)
      throw new Error(`aggregator endpoint "${endpoint}": no host and no default host`);
    host = cfg.aggregatorHost;
  }
  if (cfg.aggregatorDnsSuffix && host !== 'localhost' && !host.includes('.') && !host.startsWith('[')) {
    host = `${host}.${cfg.aggregatorDnsSuffix}`;
  }
  return `${host}:${p}`;
}
