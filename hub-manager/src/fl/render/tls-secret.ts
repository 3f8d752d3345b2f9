/** The aggregator's serving certificate Secret. Pure. */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { flLabels, flNames } from '../names.js';
import type { ResolvedJob } from '../spec.js';
import { ownerRef } from './owner.js';

export const SANS_ANNOTATION = 'federation-ai.open-cluster-management.io/sans';

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** Bundle the aggregator trusts for client certificates: the addon CA(s). */
  caBundlePem: string;
}

export type TlsSecret = KubeObject & { type?: string; data?: Record<string, string> };

/** Canonical string of a SAN set, stored on the Secret to detect when it must be re-issued. */
export function sansKey(sans: { dnsNames: readonly string[]; ipAddresses: readonly string[] }): string {
  return [...[...sans.dnsNames].sort(), ...[...sans.ipAddresses].sort()].join(',');
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function renderTlsSecret(job: ResolvedJob, cert: IssuedCertificate, sans: string): TlsSecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: flNames.tlsSecret(job),
      namespace: job.namespace,
      labels: flLabels(job, 'aggregator'),
      annotations: { [SANS_ANNOTATION]: sans },
      ownerReferences: [ownerRef(job)],
    },
    data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem), 'ca.crt': b64(cert.caBundlePem) },
  };
}

/** True when the Secret exists and was issued for exactly these SANs. */
export function tlsSecretCurrent(secret: TlsSecret | undefined, sans: string): boolean {
  return (
    !!secret?.data?.['tls.crt'] &&
    !!secret.data['tls.key'] &&
    secret.metadata.annotations?.[SANS_ANNOTATION] === sans
  );
}

const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** The PEM fields of an existing Secret. */
export function tlsSecretPems(secret: TlsSecret): { certPem: string; bundlePem: string } {
  return { certPem: unb64(secret.data?.['tls.crt']), bundlePem: unb64(secret.data?.['ca.crt']) };
}

/** The same Secret trusting `bundlePem` (serving certificate and key unchanged). */
export function withTrustBundle(secret: TlsSecret, bundlePem: string): TlsSecret {
  return { ...secret, data: { ...secret.data, 'ca.crt': b64(bundlePem) } };
}
