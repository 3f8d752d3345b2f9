import { createHash } from 'node:crypto';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { CSR_API_VERSION, type CertificateSigningRequest } from '@ocm-fl/common/pki/index.js';

export const EVENT_COMPONENT = 'federated-learning-addon-manager';

export interface CoreEvent extends KubeObject {
  involvedObject: { apiVersion: string; kind: string; name?: string; uid?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string };
  reportingComponent: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/**
 * A Warning Event saying why a CSR was left unapproved. Its name is derived from the CSR uid and
 * the reason, so creating it twice (resync, restart) hits AlreadyExists: one Event per reason.
 */
export function refusalEvent(
  csr: CertificateSigningRequest,
  r: { code: string; reason: string; namespace: string; now: Date },
): CoreEvent {
  const { code, reason, namespace, now } = r;
  const h = createHash('sha256')
    .update(`${csr.metadata.uid ?? ''}\n${code}\n${reason}`)
    .digest('hex')
    .slice(0, 12);
  const at = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${(csr.metadata.name ?? 'csr').slice(0, 200)}.${h}`, namespace },
    involvedObject: {
      apiVersion: CSR_API_VERSION,
      kind: 'CertificateSigningRequest',
      name: csr.metadata.name,
      uid: csr.metadata.uid,
    },
    reason: `CSRNotApproved${code}`,
    message: reason,
    type: 'Warning',
    source: { component: EVENT_COMPONENT },
    reportingComponent: EVENT_COMPONENT,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}
