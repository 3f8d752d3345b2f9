/** AddOnDeploymentConfig `nodePlacement`: nodeSelector and tolerations for the agent pod. */
import type { AddOnDeploymentConfigSpec, Toleration } from '@ocm-fl/common/api/ocm.js';

export interface PodPlacement {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

/** The pod placement fields; absent config fields leave the pod unconstrained. */
export function nodePlacementFor(np: AddOnDeploymentConfigSpec['nodePlacement']): PodPlacement {
  const out: PodPlacement = {};
  if (np?.nodeSelector && Object.keys(np.nodeSelector).length > 0) out.nodeSelector = { ...np.nodeSelector };
  if (np?.tolerations && np.tolerations.length > 0) out.tolerations = np.tolerations.map((t) => ({ ...t }));
  return out;
}
