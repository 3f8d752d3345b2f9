/**
 * Lease-mode health (OCM addon contract): the agent renews Lease `federated-learning` in its
 * namespace about every period, with jitter; the klusterlet marks the addon unavailable when
 * renewals stop. The Lease is owned by an object of the agent ManifestWork (its config
 * ConfigMap), so garbage collection removes it when the addon is disabled: nothing else does
 * (the shared install namespace is orphaned, and OCM leaves the Lease, DIFFERENCES.md 13).
 */
import type { KubeObject, OwnerReference } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists, isConflict } from '@ocm-fl/common/kube/errors.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { LEASE_NAME } from '@ocm-fl/common/names.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}
export type Lease = KubeObject<LeaseSpec>;

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Renewal delay: the period scaled by a uniform factor in [0.9, 1.1). */
export function jitteredPeriod(periodMs: number, random: () => number = Math.random): number {
  return Math.round(periodMs * (0.9 + 0.2 * random()));
}

/**
 * The Lease to write: created if absent, else renewed (acquireTime set when the holder changes);
 * `owner` is added to its ownerReferences when missing. Pure.
 */
export function renewedLease(
  current: Lease | undefined,
  o: { namespace: string; holder: string; periodMs: number; now: Date; owner?: OwnerReference },
): Lease {
  const renewTime = microTime(o.now);
  const spec: LeaseSpec = {
    ...(current?.spec ?? {}),
    holderIdentity: o.holder,
    leaseDurationSeconds: Math.max(1, Math.ceil((o.periodMs * 5) / 1000)),
    renewTime,
  };
  if (!current?.spec?.acquireTime || current.spec.holderIdentity !== o.holder) spec.acquireTime = renewTime;
  const metadata = current ? { ...current.metadata } : { name: LEASE_NAME, namespace: o.namespace };
  const owners = metadata.ownerReferences ?? [];
  if (o.owner && !owners.some((r) => r.uid === o.owner?.uid)) metadata.ownerReferences = [...owners, o.owner];
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec };
}

export interface LeaseRenewerOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly holder: string;
  readonly periodMs: number;
  /** The Lease's owner, looked up before each write (undefined: none, e.g. not found yet). */
  readonly owner?: () => Promise<OwnerReference | undefined>;
  readonly logger?: Logger;
  /** Told of each renewal attempt (metrics). */
  readonly onRenewal?: (ok: boolean) => void;
}

export class LeaseRenewer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastOk: number | undefined;
  private readonly log: Logger;

  constructor(private readonly o: LeaseRenewerOptions) {
    this.log = o.logger ?? silentLogger;
  }

  /** Renew now, then keep renewing until stop(). */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Stop renewing; waits for a renewal in flight so nothing is written after it resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Milliseconds since the last successful renewal, or undefined before the first. */
  sinceLastRenewal(now = Date.now()): number | undefined {
    return this.lastOk === undefined ? undefined : now - this.lastOk;
  }

  /** Create or renew the Lease once; retried once on a write conflict. */
  async renewOnce(): Promise<Lease> {
    const { client, namespace, holder, periodMs } = this.o;
    for (let attempt = 0; ; attempt++) {
      const current = await client.get<Lease>('coordination.k8s.io/v1', 'Lease', LEASE_NAME, namespace);
      const owner = await this.o.owner?.();
      const next = renewedLease(current, {
        namespace,
        holder,
        periodMs,
        now: new Date(),
        ...(owner ? { owner } : {}),
      });
      try {
        const out = current ? await client.update(next) : await client.create(next);
        this.lastOk = Date.now();
        return out;
      } catch (e) {
        if (attempt < 1 && (isConflict(e) || isAlreadyExists(e))) continue;
        throw e;
      }
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.renewOnce()
      .then(() => {
        this.o.onRenewal?.(true);
        this.log.debug('lease renewed', { namespace: this.o.namespace });
      })
      .catch((e: unknown) => {
        this.o.onRenewal?.(false);
        this.log.warn('lease renewal failed', { namespace: this.o.namespace, error: e });
      })
      .finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tick(), jitteredPeriod(this.o.periodMs));
        this.timer.unref();
      });
  }
}
