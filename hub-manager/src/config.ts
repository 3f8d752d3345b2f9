/** hub-manager configuration, read once from flags and environment (flags win). */
import { hostname } from 'node:os';

export interface HubManagerConfig {
  /** Kubeconfig file; undefined: in-cluster service account or KUBECONFIG. */
  kubeconfig?: string;
  /** Namespace of the hub-manager (CA Secret, leader Lease). */
  namespace: string;
  /** Holder identity in the leader Lease. */
  identity: string;
  /** The hub-manager's own image: default aggregator image. */
  image: string;
  agentImage: string;
  /** Agent container command override (tier 1 runs the agent with tsx). */
  agentCommand?: string[];
  /** Agent container args (kubelet expands `$(VAR)`, e.g. `--handoff-url=http://$(POD_IP):8081` in tier 1). */
  agentArgs?: string[];
  logLevel: string;
  leaderElect: boolean;
  leaseDurationSeconds: number;
  renewPeriodSeconds: number;
  /** Health (/healthz, /readyz) and metrics (/metrics) listener. */
  httpHost: string;
  httpPort: number;
  /** User-provided addon CA Secret (ca.crt, ca.key) instead of a generated one. */
  caSecret?: string;
  /** Longest client certificate the signer issues. */
  maxCertValiditySeconds: number;
  /** CA maintenance period: rotation requests (rotate-ca annotation), expiry check, dropping retired CAs. Default 60. */
  caSettleIntervalSeconds?: number;
  /** After a CA rotation, aggregator certificates wait this long for agents to get the new bundle. Default 120. */
  caBundlePropagationSeconds?: number;
  /** Where this process sees the job storage (see fl/deps.ts storageRootLayout). */
  storageRoot?: string;
  aggregatorListenHost: string;
  nodeAddress?: string;
  pollIntervalMs: number;
}

/**
 * Paths given on the aggregate command line win over those in the config file: the pod spec
 * then shows them, and a runtime that relocates mounts (tier 1) can rewrite them.
 */
export interface AggregatePaths {
  tlsDir?: string;
  storageDir?: string;
  initialModel?: string;
}

export type Command =
  | { command: 'run'; config: HubManagerConfig }
  | { command: 'aggregate'; configFile: string; paths: AggregatePaths };

const AGGREGATE_FLAGS: Record<string, keyof AggregatePaths> = {
  '--tls-dir': 'tlsDir',
  '--storage-dir': 'storageDir',
  '--initial-model': 'initialModel',
};

function parseAggregate(argv: readonly string[]): Command {
  let configFile: string | undefined;
  const paths: AggregatePaths = {};
  for (let i = 1; i < argv.length; i += 2) {
    const [flag, value] = [argv[i] as string, argv[i + 1]];
    if (value === undefined || value.startsWith('--')) throw new Error(`aggregate: ${flag} needs a value`);
    if (flag === '--config') configFile = value;
    else if (AGGREGATE_FLAGS[flag]) paths[AGGREGATE_FLAGS[flag]] = value;
    else throw new Error(`aggregate: unknown argument ${flag}`);
  }
  if (!configFile)
    throw new Error(
      'usage: hub-manager aggregate --config <file.json> [--tls-dir D] [--storage-dir D] [--initial-model F]',
    );
  return { command: 'aggregate', configFile, paths };
}

const FLAGS: Record<
  string,
  { env: string; key: keyof HubManagerConfig; kind: 'str' | 'int' | 'bool' | 'list' }
> = {
  kubeconfig: { env: 'KUBECONFIG', key: 'kubeconfig', kind: 'str' },
  namespace: { env: 'POD_NAMESPACE', key: 'namespace', kind: 'str' },
  identity: { env: 'POD_NAME', key: 'identity', kind: 'str' },
  image: { env: 'HUB_MANAGER_IMAGE', key: 'image', kind: 'str' },
  'agent-image': { env: 'AGENT_IMAGE', key: 'agentImage', kind: 'str' },
  'agent-command': { env: 'AGENT_COMMAND', key: 'agentCommand', kind: 'list' },
  'agent-args': { env: 'AGENT_ARGS', key: 'agentArgs', kind: 'list' },
  'log-level': { env: 'LOG_LEVEL', key: 'logLevel', kind: 'str' },
  'leader-elect': { env: 'LEADER_ELECT', key: 'leaderElect', kind: 'bool' },
  'lease-duration-seconds': { env: 'LEASE_DURATION_SECONDS', key: 'leaseDurationSeconds', kind: 'int' },
  'renew-period-seconds': { env: 'RENEW_PERIOD_SECONDS', key: 'renewPeriodSeconds', kind: 'int' },
  'http-host': { env: 'HTTP_HOST', key: 'httpHost', kind: 'str' },
  'http-port': { env: 'HTTP_PORT', key: 'httpPort', kind: 'int' },
  'ca-secret': { env: 'CA_SECRET', key: 'caSecret', kind: 'str' },
  'max-cert-validity-seconds': {
    env: 'MAX_CERT_VALIDITY_SECONDS',
    key: 'maxCertValiditySeconds',
    kind: 'int',
  },
  'ca-settle-interval-seconds': {
    env: 'CA_SETTLE_INTERVAL_SECONDS',
    key: 'caSettleIntervalSeconds',
    kind: 'int',
  },
  'ca-bundle-propagation-seconds': {
    env: 'CA_BUNDLE_PROPAGATION_SECONDS',
    key: 'caBundlePropagationSeconds',
    kind: 'int',
  },
  'storage-root': { env: 'FL_STORAGE_ROOT', key: 'storageRoot', kind: 'str' },
  'aggregator-listen-host': { env: 'AGGREGATOR_LISTEN_HOST', key: 'aggregatorListenHost', kind: 'str' },
  'node-address': { env: 'NODE_ADDRESS', key: 'nodeAddress', kind: 'str' },
  'poll-interval-ms': { env: 'POLL_INTERVAL_MS', key: 'pollIntervalMs', kind: 'int' },
};

export const DEFAULT_IMAGE = 'quay.io/open-cluster-management/federated-learning-hub-manager:latest';

export function defaultConfig(): HubManagerConfig {
  return {
    namespace: 'open-cluster-management',
    identity: `${hostname()}-${process.pid}`,
    image: DEFAULT_IMAGE,
    agentImage: 'quay.io/open-cluster-management/federated-learning-agent:latest',
    logLevel: 'info',
    leaderElect: true,
    leaseDurationSeconds: 15,
    renewPeriodSeconds: 5,
    httpHost: '0.0.0.0',
    httpPort: 8081,
    maxCertValiditySeconds: 30 * 86_400,
    caSettleIntervalSeconds: 60,
    caBundlePropagationSeconds: 120,
    aggregatorListenHost: '0.0.0.0',
    pollIntervalMs: 2000,
  };
}

function convert(flag: string, kind: 'str' | 'int' | 'bool' | 'list', v: string): unknown {
  if (kind === 'int') {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${flag}: "${v}" is not a non-negative integer`);
    return n;
  }
  if (kind === 'bool') {
    if (!['true', 'false'].includes(v)) throw new Error(`--${flag}: "${v}" is not true or false`);
    return v === 'true';
  }
  if (kind === 'list') return v.split(' ').filter((x) => x !== '');
  return v;
}

/** Parse `[aggregate --config <file>] | [--flag value|--flag=value ...]` over env and defaults. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  if (argv[0] === 'aggregate') return parseAggregate(argv);
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  for (const [flag, f] of Object.entries(FLAGS)) {
    const v = env[f.env];
    if (v !== undefined && v !== '') cfg[f.key] = convert(flag, f.kind, v);
  }
  const args = argv[0] === 'run' ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    const f = m ? FLAGS[m[1] as string] : undefined;
    if (!m || !f) throw new Error(`unknown argument ${a}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    cfg[f.key] = convert(m[1] as string, f.kind, value);
  }
  return { command: 'run', config: cfg as unknown as HubManagerConfig };
}

/**
 * OCM's klusterlet registration agent (v1.2.0) looks at an addon's client certificate only on
 * Secret/CSR events and on a 5-minute resync, and renews it once 20–25 % of its whole life is
 * left (the signer backdates notBefore by 60 s, so the life is validity + 60 s). Below this
 * validity the certificate can expire between two resyncs before the agent renews it.
 */
export const KLUSTERLET_CERT_RESYNC_SECONDS = 300;
export const MIN_LAPSE_FREE_CERT_VALIDITY_SECONDS = KLUSTERLET_CERT_RESYNC_SECONDS / 0.2 - 60;

/** A warning when `maxCertValiditySeconds` is too short for the real agent to renew in time. */
export function certValidityWarning(
  config: Pick<HubManagerConfig, 'maxCertValiditySeconds'>,
): string | undefined {
  const s = config.maxCertValiditySeconds;
  if (s >= MIN_LAPSE_FREE_CERT_VALIDITY_SECONDS) return undefined;
  return (
    `--max-cert-validity-seconds ${s} is below ${MIN_LAPSE_FREE_CERT_VALIDITY_SECONDS}: the klusterlet ` +
    `registration agent checks its addon certificate every ${KLUSTERLET_CERT_RESYNC_SECONDS} s and renews it ` +
    'with 20-25% of its life left, so agent certificates may expire before they are renewed'
  );
}
