/** The write side of the FL controller: small helpers over KubeClient. */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists } from '@ocm-fl/common/kube/errors.js';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import { EventRecorder } from '../runtime/event-recorder.js';
import type { FlEvent } from './plan.js';

/** Create when absent; never update (immutable specs: Job, PVC; shared objects: bindings). */
export async function createIfAbsent(client: KubeClient, obj: KubeObject): Promise<boolean> {
  const cur = await client.get(obj.apiVersion, obj.kind, obj.metadata.name ?? '', obj.metadata.namespace);
  if (cur) return false;
  try {
    await client.create(obj);
    return true;
  } catch (e) {
    if (isAlreadyExists(e)) return false;
    throw e;
  }
}

/**
 * Record a core/v1 Event on the FederatedLearning, deduplicated (count/lastTimestamp) by
 * reason and message; best effort, failures are only logged by the caller.
 */
export async function recordEvent(
  client: KubeClient,
  fl: FederatedLearning,
  ev: FlEvent,
  now = new Date(),
): Promise<void> {
  const involved = {
    apiVersion: FL_API_VERSION,
    kind: fl.kind,
    name: fl.metadata.name,
    namespace: fl.metadata.namespace,
    uid: fl.metadata.uid,
  };
  await new EventRecorder(client, 'federated-learning-controller', () => now).record(involved, ev);
}
