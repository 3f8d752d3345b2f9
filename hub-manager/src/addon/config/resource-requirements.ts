/**
 * AddOnDeploymentConfig `resourceRequirements`: entries keyed by containerID
 * `<resource>:<name>:<container>` (e.g. `deployments:fl-agent:agent`), each segment may be `*`.
 * The most specific match wins (fewest wildcards); among equals the last entry wins.
 */
import type { AddOnDeploymentConfigSpec, ResourceRequirements } from '@ocm-fl/common/api/ocm.js';

export interface ContainerRef {
  resource: string;
  name: string;
  container: string;
}

function parseId(id: string, index: number): string[] {
  const parts = id.split(':');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new Error(
      `spec.resourceRequirements[${index}].containerID: "${id}" is not <resource>:<name>:<container>`,
    );
  }
  return parts;
}

/** The requirements for one container, or `defaults` when no entry matches. */
export function resourcesFor(
  list: AddOnDeploymentConfigSpec['resourceRequirements'],
  ref: ContainerRef,
  defaults: ResourceRequirements,
): ResourceRequirements {
  let best: { wildcards: number; res: ResourceRequirements } | undefined;
  const want = [ref.resource, ref.name, ref.container];
  (list ?? []).forEach((entry, i) => {
    const parts = parseId(entry.containerID, i);
    if (!parts.every((p, j) => p === '*' || p === want[j])) return;
    const wildcards = parts.filter((p) => p === '*').length;
    if (!best || wildcards <= best.wildcards) best = { wildcards, res: entry.resources };
  });
  if (!best) return structuredClone(defaults);
  const out: ResourceRequirements = {};
  if (best.res.requests) out.requests = { ...best.res.requests };
  if (best.res.limits) out.limits = { ...best.res.limits };
  return out;
}
