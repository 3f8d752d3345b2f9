/** Pure readers of observed objects: decisions, addon health, task feedback, listener addresses. */
import { DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';
import { findCondition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import type { ListenerStatus } from '@ocm-fl/common/api/federated-learning.js';
import type {
  ManagedCluster,
  ManagedClusterAddOn,
  ManifestWork,
  PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import type { ResolvedListener } from './spec.js';

/** Clusters decided for `placement` across its PlacementDecisions, sorted, unique. */
export function decidedClusters(decisions: readonly PlacementDecision[], placement: string): string[] {
  const out = new Set<string>();
  for (const d of decisions)
    if (d.metadata.labels?.[PLACEMENT_LABEL] === placement)
      for (const x of d.status?.decisions ?? []) if (x.clusterName) out.add(x.clusterName);
  return [...out].sort();
}

export const addonAvailable = (a: ManagedClusterAddOn | undefined): boolean =>
  findCondition(a?.status?.conditions, 'Available')?.status === 'True';

export const agentNamespace = (a: ManagedClusterAddOn | undefined): string =>
  a?.status?.namespace || a?.spec?.installNamespace || DEFAULT_INSTALL_NAMESPACE;

export function claimValue(cluster: ManagedCluster | undefined, claim: string | undefined): string {
  if (!claim) return '';
  return cluster?.status?.clusterClaims?.find((c) => c.name === claim)?.value ?? '';
}

export interface TaskFeedback {
  phase?: string;
  round?: number;
  message?: string;
  lastError?: string;
  examples?: number;
  digest?: string;
  metrics?: Record<string, number>;
}

/** The task's status as carried back by ManifestWork status feedback. */
export function taskFeedback(work: ManifestWork | undefined): TaskFeedback {
  const values = work?.status?.resourceStatus?.manifests?.[0]?.statusFeedback?.values ?? [];
  const out: Record<string, unknown> = {};
  for (const { name, fieldValue: v } of values) {
    if (v.type === 'Integer') out[name] = v.integer;
    else if (v.type === 'String') out[name] = v.string;
    else if (v.type === 'Boolean') out[name] = v.boolean;
    else if (v.type === 'JsonRaw' && v.jsonRaw) {
      try {
        out[name] = JSON.parse(v.jsonRaw);
      } catch {
        // A malformed raw value is ignored; the rest of the feedback still counts.
      }
    }
  }
  return out as TaskFeedback;
}

export type Service = KubeObject<
  { type?: string; ports?: { port: number; nodePort?: number }[]; clusterIP?: string },
  { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }
>;

/**
 * Where managed clusters reach a listener. ClusterIP: the Service DNS name; LoadBalancer:
 * its ingress address once assigned; NodePort: the listener's ip (or the configured node
 * address) and the allocated node port. Address undefined while pending.
 */
export function listenerStatus(
  l: ResolvedListener,
  service: Service | undefined,
  dnsName: string,
  nodeAddress?: string,
): ListenerStatus {
  const base: ListenerStatus = { name: l.name, type: l.type, port: l.port };
  if (!service) return base;
  if (l.type === 'ClusterIP') return { ...base, address: dnsName };
  if (l.type === 'LoadBalancer') {
    const ing = service.status?.loadBalancer?.ingress?.[0];
    const address = ing?.ip || ing?.hostname;
    return address ? { ...base, address } : base;
  }
  const nodePort = service.spec?.ports?.[0]?.nodePort;
  const address = l.ip || nodeAddress;
  return nodePort && address ? { ...base, address, port: nodePort } : base;
}

export type JobOutcome = 'Active' | 'Succeeded' | 'Failed' | 'Absent';

/** State of a batch/v1 Job from its conditions. */
export function jobOutcome(job: KubeObject | undefined): JobOutcome {
  if (!job) return 'Absent';
  const conds =
    (job.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  if (conds.some((c) => c.type === 'Failed' && c.status === 'True')) return 'Failed';
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return 'Succeeded';
  return 'Active';
}
