/**
 * Set one status condition on a hub object the way OCM's controllers patch status: re-read,
 * change that condition only, write through the status subresource, retry on conflicts. Shared
 * by the cluster lease controller (hub side) and the renewer (klusterlet side).
 */
import { findCondition, setCondition, type Condition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isConflict, isNotFound } from '@ocm-fl/common/kube/errors.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

type WithConditions = KubeObject<unknown, { conditions?: Condition[] }>;

/**
 * Returns whether it wrote: false when the object is gone or already has the condition with the
 * same status, reason and message.
 */
export async function writeCondition(
  client: KubeClient,
  ref: ObjectRef,
  c: Omit<Condition, 'lastTransitionTime'>,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const obj = await client.get<WithConditions>(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!obj) return false;
    const prev = findCondition(obj.status?.conditions, c.type);
    if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message)
      return false;
    try {
      await client.updateStatus<WithConditions>({
        ...obj,
        status: { ...obj.status, conditions: setCondition(obj.status?.conditions, c as Condition) },
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      if (!isConflict(e) || attempt >= 5) throw e;
    }
  }
}
