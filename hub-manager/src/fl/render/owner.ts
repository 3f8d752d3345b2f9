import type { OwnerReference } from '@ocm-fl/common/api/meta.js';
import { FL_KIND } from '@ocm-fl/common/api/federated-learning.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import type { ResolvedJob } from '../spec.js';

/** Controller owner reference to the FederatedLearning; same-namespace objects only. */
export function ownerRef(job: Pick<ResolvedJob, 'name' | 'uid'>): OwnerReference {
  return {
    apiVersion: FL_API_VERSION,
    kind: FL_KIND,
    name: job.name,
    uid: job.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
