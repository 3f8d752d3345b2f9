import { CSR_API_VERSION, type CertificateSigningRequest } from '@ocm-fl/common/pki/index.js';
import type { EventNote, InvolvedObject } from '../runtime/event-recorder.js';

export const EVENT_COMPONENT = 'federated-learning-addon-manager';

/**
 * The Warning Event saying why a CSR was left unapproved. Recorded through the EventRecorder,
 * so a refusal seen again (resync, requeue, restart) counts up on one Event per reason.
 */
export function refusalEvent(
  csr: CertificateSigningRequest,
  r: { code: string; reason: string },
): { involved: InvolvedObject; note: EventNote } {
  return {
    involved: {
      apiVersion: CSR_API_VERSION,
      kind: 'CertificateSigningRequest',
      name: csr.metadata.name,
      uid: csr.metadata.uid,
    },
    note: { type: 'Warning', reason: `CSRNotApproved${r.code}`, message: r.reason },
  };
}
