/**
 * Bytes the server holds for outgoing messages that have not yet left the process, bounded per
 * cluster and in total. A cluster's connections all carry its certificate, so the per-cluster
 * bound is also the per-connection bound. A stream waits for room (HTTP/2-style backpressure)
 * instead of queueing: a client that stops reading holds at most its own share, never more.
 */
export interface BudgetLimits {
  readonly perCluster: number;
  readonly total: number;
}

export interface BudgetStats {
  readonly total: number;
  readonly byCluster: Readonly<Record<string, number>>;
}

interface Waiter {
  readonly cluster: string;
  readonly bytes: number;
  readonly grant: () => void;
}

export class ByteBudget {
  private used = 0;
  private readonly byCluster = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(readonly limits: BudgetLimits) {
    if (!(limits.perCluster > 0 && limits.total >= limits.perCluster))
      throw new Error(`byte budget: need 0 < perCluster <= total, got ${JSON.stringify(limits)}`);
  }

  stats(): BudgetStats {
    return { total: this.used, byCluster: Object.fromEntries(this.byCluster) };
  }

  private fits(cluster: string, bytes: number): boolean {
    // One message larger than a limit still goes alone, or it could never be sent.
    const c = this.byCluster.get(cluster) ?? 0;
    return (
      (c === 0 || c + bytes <= this.limits.perCluster) &&
      (this.used === 0 || this.used + bytes <= this.limits.total)
    );
  }

  private take(cluster: string, bytes: number): void {
    this.used += bytes;
    this.byCluster.set(cluster, (this.byCluster.get(cluster) ?? 0) + bytes);
  }

  /**
   * Reserve `bytes` for `cluster`, waiting in arrival order for room; rejects with the signal's
   * reason if it aborts first. The returned function gives the bytes back (idempotent).
   */
  async acquire(cluster: string, bytes: number, signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (!this.waiters.some((w) => w.cluster === cluster) && this.fits(cluster, bytes)) {
      this.take(cluster, bytes);
      return this.releaser(cluster, bytes);
    }
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        cluster,
        bytes,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason as Error);
        this.drain();
      };
      this.waiters.push(w);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser(cluster, bytes);
  }

  private releaser(cluster: string, bytes: number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= bytes;
      const c = (this.byCluster.get(cluster) ?? bytes) - bytes;
      if (c === 0) this.byCluster.delete(cluster);
      else this.byCluster.set(cluster, c);
      this.drain();
    };
  }

  /** Grant waiters that fit now; a waiter whose cluster is at its cap does not block others. */
  private drain(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      if (this.fits(w.cluster, w.bytes)) {
        this.waiters.splice(i, 1);
        this.take(w.cluster, w.bytes);
        w.grant();
      } else i++;
    }
  }
}
