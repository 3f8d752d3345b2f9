/** Names and labels of the objects the FL controller creates for one FederatedLearning. */
import { createHash } from 'node:crypto';
import { FL_GROUP } from '@ocm-fl/common/names.js';

/** Labels every created object carries; the uid label finds them across namespaces. */
export const FL_NAME_LABEL = `${FL_GROUP}/fl-name`;
export const FL_NAMESPACE_LABEL = `${FL_GROUP}/fl-namespace`;
export const FL_UID_LABEL = `${FL_GROUP}/fl-uid`;
export const FL_COMPONENT_LABEL = `${FL_GROUP}/component`;

const hash = (s: string, n = 8): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/**
 * `base` cut to `max` characters with a stable hash suffix when too long, so distinct long
 * inputs stay distinct. The result starts and ends alphanumeric.
 */
export function boundedName(base: string, max = 63): string {
  const clean = base.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (clean.length <= max && clean === base) return clean;
  const suffix = hash(base);
  const head = clean.slice(0, max - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/** Label values are ≤ 63 characters; long names are cut with a hash suffix. */
export const labelValue = (s: string): string => boundedName(s, 63);

export interface FlRef {
  namespace: string;
  name: string;
}

export const flNames = {
  placement: (fl: FlRef): string => fl.name,
  /** ManifestWork in each cluster namespace: `fl-<namespace>-<name>`. */
  work: (fl: FlRef): string => boundedName(`fl-${fl.namespace}-${fl.name}`),
  /** Task on the managed cluster (in the agent namespace). */
  task: (fl: FlRef): string => boundedName(`${fl.namespace}-${fl.name}`),
  aggregator: (fl: FlRef): string => boundedName(`${fl.name}-aggregator`),
  config: (fl: FlRef): string => boundedName(`${fl.name}-aggregator-config`),
  tlsSecret: (fl: FlRef): string => boundedName(`${fl.name}-aggregator-tls`),
  evaluation: (fl: FlRef): string => boundedName(`${fl.name}-evaluate`),
  /** Services are DNS-1035 labels: must start with a letter. */
  service: (fl: FlRef, listener: string): string => boundedName(`fl-${fl.name}-${listener}`),
  defaultPvc: (fl: FlRef): string => boundedName(`${fl.name}-models`),
  /** ConfigMap the aggregator publishes its job state to (key state.json). */
  state: (fl: FlRef): string => boundedName(`${fl.name}-aggregator-state`),
  /** ServiceAccount, Role and RoleBinding of the aggregator pod: update `state` only. */
  aggregatorAccount: (fl: FlRef): string => boundedName(`${fl.name}-aggregator`),
};

/** Labels of every object created for `fl`. */
export function flLabels(fl: FlRef & { uid?: string }, component: string): Record<string, string> {
  return {
    [FL_NAME_LABEL]: labelValue(fl.name),
    [FL_NAMESPACE_LABEL]: fl.namespace,
    ...(fl.uid ? { [FL_UID_LABEL]: fl.uid } : {}),
    [FL_COMPONENT_LABEL]: component,
  };
}
