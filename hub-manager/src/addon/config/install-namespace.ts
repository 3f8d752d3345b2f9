/** Where the agent is installed on the managed cluster (decided in DESIGN.md). */
import type { AddOnDeploymentConfigSpec, ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { DEFAULT_INSTALL_NAMESPACE, isDnsLabel } from '@ocm-fl/common/names.js';

/**
 * AddOnDeploymentConfig `agentInstallNamespace` when set; else `spec.installNamespace`; else
 * the ManagedClusterAddOn's `status.namespace`; else the default. The reconciler writes the
 * result to `status.namespace`, which is what every other reader uses first (DESIGN.md).
 * Reading `status.namespace` before `spec.installNamespace` here would make our own earlier
 * answer sticky: a changed `spec.installNamespace` could never take effect.
 */
export function installNamespaceFor(
  addon: ManagedClusterAddOn,
  config: AddOnDeploymentConfigSpec | undefined,
): string {
  const fromConfig = config?.agentInstallNamespace;
  if (fromConfig) {
    if (!isDnsLabel(fromConfig))
      throw new Error(`spec.agentInstallNamespace: "${fromConfig}" is not a DNS label`);
    return fromConfig;
  }
  return addon.spec?.installNamespace || addon.status?.namespace || DEFAULT_INSTALL_NAMESPACE;
}
