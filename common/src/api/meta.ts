/** Minimal Kubernetes object shapes shared by every component; kinds add typed spec/status. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/**
 * Set a condition on a list, keeping lastTransitionTime when the status did not change.
 * Returns a new list; pure apart from `now`.
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  c: Condition,
  now = new Date(),
): Condition[] {
  const prev = (list ?? []).find((x) => x.type === c.type);
  const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString();
  const next: Condition = { ...c, lastTransitionTime };
  const rest = (list ?? []).filter((x) => x.type !== c.type);
  return [...rest, next].sort((a, b) => a.type.localeCompare(b.type));
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return (list ?? []).find((c) => c.type === type);
}
