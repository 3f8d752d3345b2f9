/**
 * SuperNode keys and the clusters they belong to. A key is generated on the cluster (next to
 * its SuperNode) and first seen by the gateway on that cluster's mTLS connection; the gateway
 * then registers it with the SuperLink (Control API `register-node`, which only the gateway
 * can reach) and binds it to that cluster for the rest of the job. Node IDs come back from the
 * registration, so the run's node IDs map to clusters without trusting anything a node says.
 */
export interface KeyOwner {
  cluster: string;
  nodeId: string;
}

export class KeyRegistry {
  private readonly byKey = new Map<string, KeyOwner>();
  private readonly pending = new Map<string, Promise<KeyOwner>>();

  owner(publicKey: string): KeyOwner | undefined {
    return this.byKey.get(publicKey);
  }

  keysOf(cluster: string): number {
    let n = 0;
    for (const o of this.byKey.values()) if (o.cluster === cluster) n++;
    return n;
  }

  clusterOfNode(nodeId: string): string | undefined {
    for (const o of this.byKey.values()) if (o.nodeId === nodeId) return o.cluster;
    return undefined;
  }

  /** Register once per key even when a SuperNode's requests race (one registration in flight). */
  async bind(publicKey: string, cluster: string, register: () => Promise<string>): Promise<KeyOwner> {
    const known = this.byKey.get(publicKey);
    if (known) return known;
    let p = this.pending.get(publicKey);
    if (!p) {
      p = register().then((nodeId) => {
        const owner = { cluster, nodeId };
        this.byKey.set(publicKey, owner);
        return owner;
      });
      this.pending.set(publicKey, p);
      void p.finally(() => this.pending.delete(publicKey)).catch(() => undefined);
    }
    const owner = await p;
    if (owner.cluster !== cluster) throw new Error(`SuperNode key is bound to cluster ${owner.cluster}`);
    return owner;
  }

  nodes(): Record<string, string> {
    return Object.fromEntries([...this.byKey.values()].map((o) => [o.nodeId, o.cluster]));
  }
}
