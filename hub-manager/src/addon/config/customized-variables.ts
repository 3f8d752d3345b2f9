/**
 * AddOnDeploymentConfig `customizedVariables` this addon understands. Names are matched
 * exactly; unknown names are reported (Configured condition message) and otherwise ignored,
 * as upstream addons do; a known name with a bad value is an error naming the entry.
 *
 * | name                 | effect                                                        |
 * |----------------------|---------------------------------------------------------------|
 * | `LogLevel`           | agent log level: error, warn, info, debug                     |
 * | `AgentImage`         | agent image before registry mirroring (default: hub setting)  |
 * | `AggregatorHost`     | host the agent uses for aggregators whose task endpoint has no host |
 * | `AggregatorDnsSuffix`| suffix appended to single-label aggregator hosts             |
 * | `HandoffPort`        | port of the agent's trainer handoff Service (default 8081)    |
 * | `ImagePullPolicy`    | Always, IfNotPresent or Never for the agent container         |
 */
import type { AddOnDeploymentConfigSpec } from '@ocm-fl/common/api/ocm.js';

export interface CustomizedVariables {
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  agentImage?: string;
  aggregatorHost?: string;
  aggregatorDnsSuffix?: string;
  handoffPort?: number;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export const SUPPORTED_VARIABLES = [
  'LogLevel',
  'AgentImage',
  'AggregatorHost',
  'AggregatorDnsSuffix',
  'HandoffPort',
  'ImagePullPolicy',
] as const;

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;

function oneOf<T extends string>(allowed: readonly T[], value: string, path: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${path}: "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function host(value: string, path: string): string {
  if (!HOST.test(value)) throw new Error(`${path}: "${value}" is not a host name`);
  return value;
}

type Setter = (out: CustomizedVariables, value: string, path: string) => void;

const SETTERS: Record<(typeof SUPPORTED_VARIABLES)[number], Setter> = {
  LogLevel: (o, v, p) => (o.logLevel = oneOf(LOG_LEVELS, v, p)),
  AgentImage: (o, v, p) => {
    if (v.trim() === '' || /\s/.test(v)) throw new Error(`${p}: "${v}" is not an image reference`);
    o.agentImage = v;
  },
  AggregatorHost: (o, v, p) => (o.aggregatorHost = host(v, p)),
  AggregatorDnsSuffix: (o, v, p) => (o.aggregatorDnsSuffix = host(v.replace(/^\./, ''), p)),
  HandoffPort: (o, v, p) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${p}: "${v}" is not a port`);
    o.handoffPort = n;
  },
  ImagePullPolicy: (o, v, p) => (o.imagePullPolicy = oneOf(PULL_POLICIES, v, p)),
};

export function parseCustomizedVariables(list: AddOnDeploymentConfigSpec['customizedVariables']): {
  values: CustomizedVariables;
  unknown: string[];
} {
  const values: CustomizedVariables = {};
  const unknown: string[] = [];
  (list ?? []).forEach(({ name, value }, i) => {
    const set = SETTERS[name as keyof typeof SETTERS];
    if (set) set(values, value ?? '', `spec.customizedVariables[${i}] (${name})`);
    else unknown.push(name);
  });
  return { values, unknown };
}
