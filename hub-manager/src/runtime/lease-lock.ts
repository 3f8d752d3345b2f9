/**
 * Leader election on a coordination.k8s.io/v1 Lease, so two hub-manager replicas are safe:
 * only the holder runs controllers. Optimistic concurrency (resourceVersion) decides races.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists, isConflict } from '@ocm-fl/common/kube/errors.js';
import type { Logger } from '@ocm-fl/common/logger.js';

export const LEADER_LEASE_NAME = 'federated-learning-hub-manager';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
export type Lease = KubeObject<LeaseSpec, never>;

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
export const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Pure: what to do with the observed lease. */
export function leaseDecision(
  lease: Lease | undefined,
  identity: string,
  now: Date,
): 'create' | 'renew' | 'takeover' | 'wait' {
  if (!lease) return 'create';
  const s = lease.spec ?? {};
  if (s.holderIdentity === identity) return 'renew';
  const renewed = s.renewTime ? Date.parse(s.renewTime) : 0;
  const expired = !s.holderIdentity || now.getTime() > renewed + (s.leaseDurationSeconds ?? 15) * 1000;
  return expired ? 'takeover' : 'wait';
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  identity: string;
  leaseDurationSeconds: number;
  renewPeriodSeconds: number;
  logger: Logger;
  onStartedLeading: () => Promise<void>;
  onStoppedLeading: () => Promise<void>;
  name?: string;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stop campaigning; gives the lease up if held. */
  stop(): Promise<void>;
}

export function startLeaderElection(o: LeaderElectionOptions): LeaderElector {
  const name = o.name ?? LEADER_LEASE_NAME;
  let leader = false;
  let lastRenew = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const desired = (prev: Lease | undefined, now: Date, takeover: boolean): Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...(prev?.metadata ?? {}), name, namespace: o.namespace },
    spec: {
      holderIdentity: o.identity,
      leaseDurationSeconds: o.leaseDurationSeconds,
      acquireTime: takeover || !prev ? microTime(now) : prev.spec?.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (prev?.spec?.leaseTransitions ?? 0) + (takeover && prev ? 1 : 0),
    },
  });

  async function tick(): Promise<void> {
    const now = new Date();
    try {
      const lease = await o.client.get<Lease>('coordination.k8s.io/v1', 'Lease', name, o.namespace);
      const d = leaseDecision(lease, o.identity, now);
      if (d === 'create') await o.client.create(desired(undefined, now, true));
      else if (d === 'renew' || d === 'takeover')
        await o.client.update(desired(lease, now, d === 'takeover'));
      if (d !== 'wait') lastRenew = now.getTime();
      if (d === 'wait' && leader) await lose('another replica holds the lease');
      if (d !== 'wait' && !leader) {
        leader = true;
        o.logger.info('became leader', { lease: name, identity: o.identity });
        await o.onStartedLeading();
      }
    } catch (e) {
      if (!isConflict(e) && !isAlreadyExists(e)) o.logger.warn('leader election round failed', { error: e });
      if (leader && Date.now() - lastRenew > o.leaseDurationSeconds * 1000)
        await lose('could not renew the lease in time');
    }
  }

  async function lose(why: string): Promise<void> {
    leader = false;
    o.logger.warn('lost leadership', { why });
    await o.onStoppedLeading();
  }

  const loop = (): void => {
    if (stopped) return;
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, o.renewPeriodSeconds * 1000);
    });
  };
  loop();

  return {
    isLeader: () => leader,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!leader) return;
      leader = false;
      await o.onStoppedLeading();
      // Release so a standby takes over at once instead of waiting for expiry.
      try {
        const lease = await o.client.get<Lease>('coordination.k8s.io/v1', 'Lease', name, o.namespace);
        if (lease?.spec?.holderIdentity === o.identity)
          await o.client.update({
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
          });
      } catch (e) {
        o.logger.warn('could not release the lease', { error: e });
      }
    },
  };
}
