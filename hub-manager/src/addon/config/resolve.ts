/**
 * Config resolution: the ClusterManagementAddOn's `supportedConfigs[].defaultConfig`,
 * overridden per cluster by the ManagedClusterAddOn's `spec.configs` (same group/resource).
 * Also the spec hash OCM records in `status.configReferences[].desiredConfig.specHash`.
 */
import { createHash } from 'node:crypto';
import type {
  AddOnConfig,
  AddOnDeploymentConfig,
  ClusterManagementAddOn,
  ConfigReference,
  ManagedClusterAddOn,
} from '@ocm-fl/common/api/ocm.js';
import { ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';

export const DEPLOYMENT_CONFIG_RESOURCE = 'addondeploymentconfigs';

const key = (c: { group: string; resource: string }): string => `${c.group}/${c.resource}`;

/**
 * The configs in effect, one per supported group/resource: the MCA's first entry for a
 * group/resource wins over the default; configs the CMA does not support are ignored.
 */
export function desiredConfigs(
  cma: ClusterManagementAddOn | undefined,
  mca: ManagedClusterAddOn,
): AddOnConfig[] {
  const supported = cma?.spec?.supportedConfigs ?? [];
  const out: AddOnConfig[] = [];
  for (const s of supported) {
    const own = (mca.spec?.configs ?? []).find((c) => key(c) === key(s));
    const chosen =
      own ?? (s.defaultConfig ? { group: s.group, resource: s.resource, ...s.defaultConfig } : undefined);
    if (!chosen) continue;
    const c: AddOnConfig = { group: s.group, resource: s.resource, name: chosen.name };
    if (chosen.namespace) c.namespace = chosen.namespace;
    out.push(c);
  }
  return out;
}

/** The AddOnDeploymentConfig reference in effect, if any. */
export function deploymentConfigRef(configs: readonly AddOnConfig[]): AddOnConfig | undefined {
  return configs.find((c) => c.group === ADDON_GROUP && c.resource === DEPLOYMENT_CONFIG_RESOURCE);
}

/** JSON with sorted keys and Go's HTML escaping, i.e. what Go's json.Marshal prints for a map. */
export function goJson(v: unknown): string {
  const canon = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canon);
    if (x && typeof x === 'object') {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, canon((x as Record<string, unknown>)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(canon(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** sha256 hex of the object's spec as OCM's GetSpecHash computes it (unstructured → json.Marshal). */
export function specHash(obj: { spec?: unknown }): string {
  return createHash('sha256')
    .update(goJson(obj.spec ?? {}))
    .digest('hex');
}

/**
 * `status.configReferences` for the configs in effect. `found` maps `namespace/name` of each
 * AddOnDeploymentConfig the reconciler could read; a missing one gets no desiredConfig.
 */
export function configReferences(
  configs: readonly AddOnConfig[],
  found: ReadonlyMap<string, AddOnDeploymentConfig>,
): ConfigReference[] {
  return configs.map((c) => {
    const ref: ConfigReference = { group: c.group, resource: c.resource, name: c.name };
    if (c.namespace) ref.namespace = c.namespace;
    const obj = found.get(`${c.namespace ?? ''}/${c.name}`);
    if (obj) {
      ref.desiredConfig = { name: c.name, specHash: specHash(obj) };
      if (c.namespace) ref.desiredConfig.namespace = c.namespace;
      if (obj.metadata.generation !== undefined) ref.lastObservedGeneration = obj.metadata.generation;
    }
    return ref;
  });
}
