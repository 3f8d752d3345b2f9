import { describe, expect, it } from '@jest/globals';
import { loadBalancerStatus, type PodLike, type Service } from './ingress.js';

const svc = (type: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'agg', namespace: 'fl' },
  spec: { type, selector: { app: 'agg' }, ports: [{ port: 8080 }] },
});
const pod = (name: string, ip: string, readyStatus: string, ns = 'fl', app = 'agg'): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app } },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: readyStatus }] },
});

describe('loadBalancerStatus', () => {
  it('points a LoadBalancer Service at a ready pod of its selector', () => {
    const pods = [
      pod('b', '127.1.0.3', 'True'),
      pod('a', '127.1.0.2', 'False'),
      pod('c', '127.1.0.4', 'True', 'other'),
    ];
    expect(loadBalancerStatus(svc('LoadBalancer'), pods)).toEqual({
      loadBalancer: { ingress: [{ ip: '127.1.0.3' }] },
    });
  });
  it('keeps an assigned address while no pod is ready, as a cloud load balancer does', () => {
    const assigned = { ...svc('LoadBalancer'), status: { loadBalancer: { ingress: [{ ip: '127.1.0.3' }] } } };
    expect(loadBalancerStatus(assigned, [])).toEqual({ loadBalancer: { ingress: [{ ip: '127.1.0.3' }] } });
    expect(loadBalancerStatus(assigned, [pod('z', '127.1.0.9', 'True')])).toEqual({
      loadBalancer: { ingress: [{ ip: '127.1.0.9' }] },
    });
  });

  it('has no ingress while no pod is ready, and ignores other Service types', () => {
    expect(loadBalancerStatus(svc('LoadBalancer'), [pod('a', '127.1.0.2', 'False')])).toEqual({
      loadBalancer: {},
    });
    expect(loadBalancerStatus(svc('ClusterIP'), [pod('a', '127.1.0.2', 'True')])).toBeUndefined();
  });
});
