import type { ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';

/** Where the klusterlet looks for an addon's agent: status.namespace, else spec.installNamespace, else the default. */
export function addonInstallNamespace(mca: ManagedClusterAddOn): string {
  return mca.status?.namespace || mca.spec?.installNamespace || DEFAULT_INSTALL_NAMESPACE;
}
