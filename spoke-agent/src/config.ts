/**
 * The agent's configuration, read once at start: command-line flags win over environment
 * variables, which win over the files of the mounted agent-config ConfigMap (one file per
 * variable, named as the variable), which win over defaults. Every error names its source.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  AGENT_ENV,
  AGENT_PATHS,
  agentConfigFromEnv,
  type AgentConfig,
} from '@ocm-fl/common/api/agent-config.js';

/** Variables only the agent process reads (not part of the hub-rendered ConfigMap contract). */
export const RUNTIME_ENV = {
  configDir: 'FL_AGENT_CONFIG_DIR',
  kubeconfig: 'KUBECONFIG',
  workDir: 'FL_WORK_DIR',
  leasePeriodSeconds: 'FL_LEASE_PERIOD_SECONDS',
  /** Longest wait between asks for the next round (polling backs off up to it). */
  roundPollMaxSeconds: 'FL_ROUND_POLL_MAX_SECONDS',
  handoffHost: 'FL_HANDOFF_HOST',
  /** Full base URL trainers use (overrides FL_HANDOFF_ADDRESS); tier 1: http://127.0.0.1:<port>. */
  handoffUrl: 'FL_HANDOFF_ADVERTISE_URL',
  healthHost: 'FL_HEALTH_HOST',
} as const;

export const DEFAULT_CONFIG_DIR = '/etc/fl-agent/config';
export const DEFAULT_WORK_DIR = path.join(AGENT_PATHS.tmp, 'fl-agent');
export const DEFAULT_LEASE_PERIOD_SECONDS = 60;
export const DEFAULT_ROUND_POLL_MAX_SECONDS = 10;

export interface RuntimeConfig extends AgentConfig {
  /** Kubeconfig file for the agent's own cluster; undefined = in-cluster service account. */
  kubeconfig?: string;
  workDir: string;
  leasePeriodMs: number;
  roundPollMaxMs: number;
  handoffHost: string;
  /** Base URL the trainer reaches the handoff server at; undefined = derive from the bound port. */
  handoffUrl?: string;
  healthHost: string;
}

/** Flag name (without `--`) → environment variable it overrides. */
const FLAGS: Record<string, string> = {
  'cluster-name': AGENT_ENV.clusterName,
  namespace: AGENT_ENV.namespace,
  kubeconfig: RUNTIME_ENV.kubeconfig,
  'config-dir': RUNTIME_ENV.configDir,
  'work-dir': RUNTIME_ENV.workDir,
  'health-port': AGENT_ENV.healthPort,
  'handoff-port': AGENT_ENV.handoffPort,
  'handoff-host': RUNTIME_ENV.handoffHost,
  'handoff-url': RUNTIME_ENV.handoffUrl,
  'lease-period-seconds': RUNTIME_ENV.leasePeriodSeconds,
  'round-poll-max-seconds': RUNTIME_ENV.roundPollMaxSeconds,
  'log-level': AGENT_ENV.logLevel,
  'cert-dir': AGENT_ENV.clientCertDir,
  'ca-file': AGENT_ENV.caBundleFile,
  'image-registries': AGENT_ENV.imageRegistries,
};

/** `--name value` and `--name=value` pairs → variables. Unknown flags are errors. */
export function parseFlags(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`argument "${arg}": expected --flag value`);
    const name = m[1]!;
    const variable = FLAGS[name];
    if (!variable)
      throw new Error(
        `flag --${name}: unknown (known: ${Object.keys(FLAGS)
          .map((f) => `--${f}`)
          .join(', ')})`,
      );
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`flag --${name}: needs a value`);
    }
    out[variable] = value;
  }
  return out;
}

/** The ConfigMap mount: each regular file is one variable; `..data` symlink entries are skipped. */
export function readConfigDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`config dir ${dir}: cannot read`, { cause: e });
  }
  for (const name of names) {
    if (name.startsWith('.') || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    const file = path.join(dir, name);
    if (!statSync(file).isFile()) continue;
    out[name] = readFileSync(file, 'utf8').trim();
  }
  return out;
}

function positiveNumber(vars: Record<string, string | undefined>, name: string, dflt: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: "${raw}" is not a positive number`);
  return n;
}

function handoffUrl(vars: Record<string, string | undefined>, cfg: AgentConfig): string | undefined {
  const explicit = vars[RUNTIME_ENV.handoffUrl];
  const raw = explicit || (cfg.handoffAddress ? `http://${cfg.handoffAddress}` : undefined);
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    throw new Error(
      `${explicit ? RUNTIME_ENV.handoffUrl : AGENT_ENV.handoffAddress}: "${raw}" is not a URL`,
      { cause: e },
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`${RUNTIME_ENV.handoffUrl}: "${raw}" must be http(s)`);
  return raw.replace(/\/+$/, '');
}

function validateMirrors(cfg: AgentConfig): void {
  cfg.imageRegistries.forEach((m, i) => {
    if (typeof m?.mirror !== 'string' || m.mirror === '')
      throw new Error(`${AGENT_ENV.imageRegistries}[${i}].mirror: required string`);
    if (m.source !== undefined && typeof m.source !== 'string')
      throw new Error(`${AGENT_ENV.imageRegistries}[${i}].source: must be a string`);
  });
}

/**
 * Listen on the pod's own address when known: tier-1 pods share one network namespace (each
 * with its own loopback IP), so 0.0.0.0 would make agents on the same machine collide.
 */
function listenHosts(vars: Record<string, string | undefined>): { handoffHost: string; healthHost: string } {
  const dflt = vars[AGENT_ENV.podIp] || '0.0.0.0';
  return {
    handoffHost: vars[RUNTIME_ENV.handoffHost] || dflt,
    healthHost: vars[RUNTIME_ENV.healthHost] || dflt,
  };
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/**
 * Build the configuration from flags, environment and the ConfigMap directory. Throws an Error
 * whose message names the flag or variable at fault.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): RuntimeConfig {
  const flags = parseFlags(argv);
  const dirFromEnv = flags[RUNTIME_ENV.configDir] ?? env[RUNTIME_ENV.configDir];
  const dir = dirFromEnv ?? (existsSync(DEFAULT_CONFIG_DIR) ? DEFAULT_CONFIG_DIR : undefined);
  const fromDir = dir ? readConfigDir(dir) : {};
  const vars: Record<string, string | undefined> = { ...fromDir, ...env, ...flags };
  const base = agentConfigFromEnv(vars);
  validateMirrors(base);
  if (!LOG_LEVELS.includes(base.logLevel))
    throw new Error(`${AGENT_ENV.logLevel}: "${base.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const kubeconfig = vars[RUNTIME_ENV.kubeconfig] || undefined;
  if (kubeconfig && !existsSync(kubeconfig))
    throw new Error(`${RUNTIME_ENV.kubeconfig}: file ${kubeconfig} does not exist`);
  if (!kubeconfig && !env.KUBERNETES_SERVICE_HOST) {
    throw new Error(`${RUNTIME_ENV.kubeconfig} (or --kubeconfig) is required outside a cluster`);
  }
  const url = handoffUrl(vars, base);
  return {
    ...base,
    ...(kubeconfig ? { kubeconfig } : {}),
    workDir: path.resolve(vars[RUNTIME_ENV.workDir] || DEFAULT_WORK_DIR),
    leasePeriodMs: Math.round(
      positiveNumber(vars, RUNTIME_ENV.leasePeriodSeconds, DEFAULT_LEASE_PERIOD_SECONDS) * 1000,
    ),
    roundPollMaxMs: Math.round(
      positiveNumber(vars, RUNTIME_ENV.roundPollMaxSeconds, DEFAULT_ROUND_POLL_MAX_SECONDS) * 1000,
    ),
    ...listenHosts(vars),
    ...(url ? { handoffUrl: url } : {}),
  };
}
