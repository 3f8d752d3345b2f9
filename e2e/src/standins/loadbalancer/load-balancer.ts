/** Tier-1 stand-in for a cloud load-balancer controller (see ingress.ts). */
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import { objectKey, parseKey } from '@ocm-fl/common/kube/paths.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { sameJson } from '../same-json.js';
import { loadBalancerStatus, type PodLike, type Service } from './ingress.js';

export class LoadBalancerStandIn {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<PodLike>;
  private readonly queue: KeyedQueue;

  constructor(private readonly o: { client: KubeClient; logger?: Logger }) {
    const log = (o.logger ?? silentLogger).child({ component: 'load-balancer' });
    this.services = new Informer(o.client, 'v1', 'Service', { logger: log });
    this.pods = new Informer(o.client, 'v1', 'Pod', { logger: log });
    this.queue = new KeyedQueue((k) => this.sync(k), { logger: log });
    this.services.onChange((_t, s) => this.queue.enqueue(objectKey(s)));
    this.pods.onChange((_t, p) => {
      for (const s of this.services.list())
        if (s.metadata.namespace === p.metadata.namespace && s.spec?.type === 'LoadBalancer')
          this.queue.enqueue(objectKey(s));
    });
  }

  async start(): Promise<void> {
    await this.pods.start();
    await this.services.start();
  }

  async stop(): Promise<void> {
    this.services.stop();
    this.pods.stop();
    await this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = parseKey(key);
    const svc = this.services.get(name, namespace);
    if (!svc || svc.metadata.deletionTimestamp) return;
    const status = loadBalancerStatus(svc, this.pods.list());
    if (!status || sameJson(status, svc.status ?? {})) return;
    await this.o.client.updateStatus<Service>({ ...svc, status });
  }
}
