import type { ManagedCluster, ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION, CLUSTER_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME } from '@ocm-fl/common/names.js';
import {
  buildAddonCsr,
  newAddonCsrObject,
  type AddonCsrOptions,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/index.js';

/** Fixture builders for registration tests (not test doubles: real objects, real keys). */
export function newManagedCluster(name: string, deleting = false): ManagedCluster {
  return {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'ManagedCluster',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { hubAcceptsClient: true },
  } as ManagedCluster;
}

export function newAddon(cluster: string, deleting = false): ManagedClusterAddOn {
  return {
    apiVersion: ADDON_API_VERSION,
    kind: 'ManagedClusterAddOn',
    metadata: {
      name: ADDON_NAME,
      namespace: cluster,
      ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {},
  };
}

let seq = 0;
/** A CSR object as the klusterlet creates it, with a real request; `csr` tweaks the request. */
export function newCsr(
  cluster: string,
  csr: Partial<AddonCsrOptions> = {},
  expirationSeconds?: number,
): CertificateSigningRequest {
  const { csrPem } = buildAddonCsr({ cluster, ...csr });
  const obj = newAddonCsrObject({ cluster, csrPem, agentId: 'agent-id-1', expirationSeconds });
  obj.metadata.name = `${obj.metadata.generateName}${(seq++).toString(36).padStart(5, '0')}`;
  obj.metadata.uid = `uid-${seq}`;
  return obj;
}
