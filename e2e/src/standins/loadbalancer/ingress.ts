/**
 * What a tier-1 load balancer gives a Service of type LoadBalancer: the IP of a ready pod its
 * selector matches. Each tier-1 pod has its own loopback address and listens on the Service's
 * port there, so `ingress.ip:port` reaches it, as an external address would on a cloud.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';

export type Service = KubeObject<
  {
    type?: string;
    selector?: Record<string, string>;
    ports?: { port: number; targetPort?: number | string }[];
  },
  { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }
>;
export type PodLike = KubeObject<
  unknown,
  { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] }
>;

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const ready = (p: PodLike): boolean =>
  p.status?.phase === 'Running' &&
  Boolean(p.status.podIP) &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The Service's desired `status.loadBalancer`, or undefined when it is not a LoadBalancer.
 * Like a cloud load balancer, an assigned address stays while no pod is ready (the Service
 * keeps its external IP when its backends stop); it moves only to another ready pod.
 */
export function loadBalancerStatus(svc: Service, pods: readonly PodLike[]): Service['status'] | undefined {
  if (svc.spec?.type !== 'LoadBalancer') return undefined;
  const selector = svc.spec.selector ?? {};
  if (Object.keys(selector).length === 0) return { loadBalancer: {} };
  const pod = pods
    .filter((p) => p.metadata.namespace === svc.metadata.namespace && !p.metadata.deletionTimestamp)
    .filter((p) => matches(selector, p.metadata.labels) && ready(p))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
  if (pod) return { loadBalancer: { ingress: [{ ip: pod.status?.podIP as string }] } };
  return { loadBalancer: svc.status?.loadBalancer ?? {} };
}
