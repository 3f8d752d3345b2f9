import { isAlreadyExists, isNotFound } from '@ocm-fl/common/kube/errors.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { generateCa, issuingCa, loadCa, type LoadedCa } from '@ocm-fl/common/pki/index.js';
import {
  caSecret,
  caStateFromSecret,
  DEFAULT_CA_SECRET,
  emptyIssuedIndex,
  issuedIndexFromConfigMap,
  issuedIndexName,
  type ConfigMap,
  type Secret,
} from './ca-secret.js';
import {
  caBundle,
  initialState,
  recordIssued,
  settleRotation,
  startRotation,
  type CaState,
  type IssuedIndex,
  type IssuedRecord,
  type SettleDecision,
} from './ca-state.js';

export interface CaStoreOptions {
  namespace: string;
  /** A user-provided Secret (`ca.crt`, `ca.key`): used as is, never written. */
  userSecretName?: string;
  /** Name of the Secret we create and rotate; default `federated-learning-addon-ca`. */
  secretName?: string;
  keyType?: 'ec' | 'rsa';
  caValidityDays?: number;
  logger?: Logger;
}

/**
 * The thin I/O around ca-state.ts: load or create the CA Secret, rotate, settle, and keep the
 * issued-certificate index (one ConfigMap key per cluster, merge-patched so writers never conflict).
 */
export class CaStore {
  private state?: CaState;
  private loaded?: LoadedCa;
  /** Our copy of the issued-certificate index (see recordIssued). */
  private index?: IssuedIndex;
  private annotations?: Record<string, string>;
  private readonly log: Logger;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: CaStoreOptions,
  ) {
    this.log = opts.logger ?? silentLogger;
  }

  get secretName(): string {
    return this.opts.userSecretName ?? this.opts.secretName ?? DEFAULT_CA_SECRET;
  }
  get userProvided(): boolean {
    return this.opts.userSecretName !== undefined;
  }
  private get indexName(): string {
    return issuedIndexName(this.opts.secretName ?? DEFAULT_CA_SECRET);
  }

  /** Read the CA Secret, creating it (and the index) on first start; idempotent. */
  async load(): Promise<CaState> {
    const { namespace } = this.opts;
    let secret = await this.client.get<Secret>('v1', 'Secret', this.secretName, namespace);
    if (!secret && this.userProvided)
      throw new Error(`CA Secret ${namespace}/${this.secretName} given by the user does not exist`);
    if (!secret) {
      const state = initialState(
        generateCa({ keyType: this.opts.keyType, validityDays: this.opts.caValidityDays }),
      );
      const ca = loadCa(state.current);
      await this.ensureIndex(ca.notBefore);
      try {
        secret = await this.client.create(caSecret(this.secretName, namespace, state));
        this.log.info('created addon CA', { secret: this.secretName, fingerprint: state.currentFingerprint });
      } catch (e) {
        if (!isAlreadyExists(e)) throw new Error('creating the CA Secret failed', { cause: e });
        secret = await this.client.get<Secret>('v1', 'Secret', this.secretName, namespace); // another replica won
      }
    }
    if (!secret) throw new Error(`CA Secret ${namespace}/${this.secretName} vanished while loading`);
    this.annotations = secret.metadata.annotations;
    return this.adopt(caStateFromSecret(secret));
  }

  private adopt(state: CaState): CaState {
    if (this.state?.currentFingerprint !== state.currentFingerprint || !this.loaded)
      this.loaded = loadCa(state.current);
    this.state = state;
    return state;
  }

  /** The CA that signs now (after load()). */
  signingCa(): LoadedCa {
    if (!this.loaded) throw new Error('CaStore.load() has not run');
    return this.loaded;
  }

  /** Fingerprint of the CA in the bundle that issued `certPem`, if any. */
  issuerFingerprint(certPem: string): string | undefined {
    const ca = issuingCa(certPem, this.bundle());
    return ca?.fingerprint256;
  }

  /** The state as last loaded or written. */
  current(): CaState {
    if (!this.state) throw new Error('CaStore.load() has not run');
    return this.state;
  }

  /** The CA Secret's annotations as last loaded (operator requests such as rotate-ca). */
  secretAnnotations(): Record<string, string> | undefined {
    return this.annotations;
  }

  /** PEM bundle agents must trust. */
  bundle(): string {
    if (!this.state) throw new Error('CaStore.load() has not run');
    return caBundle(this.state);
  }

  /**
   * Start a CA rotation: new CA signs from now on, old one stays in the bundle. `annotations`
   * are written in the same Secret update (e.g. the handled rotation request).
   */
  async rotate(now = new Date(), annotations: Record<string, string> = {}): Promise<CaState> {
    if (this.userProvided) throw new Error('the CA comes from a user-provided Secret: rotate it there');
    const current = await this.load();
    const next = startRotation(
      current,
      generateCa({ keyType: this.opts.keyType, validityDays: this.opts.caValidityDays, now }),
      now,
    );
    await this.write(next, annotations);
    this.log.info('rotated addon CA', { from: current.currentFingerprint, to: next.currentFingerprint });
    return this.adopt(next);
  }

  /** Drop retired CAs nothing depends on; writes the Secret only when something is dropped. */
  async settle(opts: {
    now?: Date;
    maxValiditySeconds: number;
    replacementGraceSeconds: number;
  }): Promise<SettleDecision> {
    const state = await this.load();
    if (this.userProvided || state.retired.length === 0) return { state, dropped: [], kept: [] };
    const decision = settleRotation(state, await this.issuedIndex(), {
      now: opts.now ?? new Date(),
      ...opts,
    });
    if (decision.dropped.length) {
      await this.write(decision.state);
      this.adopt(decision.state);
      this.log.info('dropped retired addon CA from the bundle', { dropped: decision.dropped });
    }
    return decision;
  }

  private async write(state: CaState, extra: Record<string, string> = {}): Promise<void> {
    const desired = caSecret(this.secretName, this.opts.namespace, state);
    const current = await this.client.get<Secret>('v1', 'Secret', this.secretName, this.opts.namespace);
    if (!current) throw new Error(`CA Secret ${this.opts.namespace}/${this.secretName} disappeared`);
    // update with resourceVersion: a concurrent writer makes this fail with 409 instead of losing a CA
    const annotations = { ...current.metadata.annotations, ...desired.metadata.annotations, ...extra };
    await this.client.update<Secret>({
      ...current,
      metadata: { ...current.metadata, annotations },
      data: desired.data,
    });
    this.annotations = annotations;
  }

  private async ensureIndex(trackedSince: Date): Promise<void> {
    try {
      await this.client.create(emptyIssuedIndex(this.indexName, this.opts.namespace, trackedSince));
    } catch (e) {
      if (!isAlreadyExists(e)) throw new Error('creating the issued-certificate index failed', { cause: e });
    }
  }

  async issuedIndex(): Promise<IssuedIndex | undefined> {
    this.index = issuedIndexFromConfigMap(
      await this.client.get<ConfigMap>('v1', 'ConfigMap', this.indexName, this.opts.namespace),
    );
    return this.index;
  }

  /**
   * Record a signed certificate (merge patch of one key). A missing index is recreated as
   * tracking from now. The index is read once and then kept from our own patches (only the
   * leader signs): re-reading the whole ConfigMap per certificate made signing O(clusters²) in
   * bytes, ~200 KB a CSR at 1,000 clusters. A failed patch drops the copy so the next call reads.
   */
  async recordIssued(cluster: string, cert: Omit<IssuedRecord, 'previous'>): Promise<boolean> {
    let index = this.index ?? (await this.issuedIndex());
    if (!index) {
      await this.ensureIndex(new Date());
      index = (await this.issuedIndex()) ?? { trackedSince: new Date().toISOString(), clusters: {} };
    }
    const next = recordIssued(index, cluster, cert);
    if (next === index) return false;
    try {
      await this.client.patch(
        'v1',
        'ConfigMap',
        this.indexName,
        this.opts.namespace,
        { data: { [cluster]: JSON.stringify(next.clusters[cluster]) } },
        'merge',
      );
    } catch (e) {
      this.index = undefined;
      if (isNotFound(e)) return this.recordIssued(cluster, cert);
      throw new Error(`recording the certificate issued to ${cluster} failed`, { cause: e });
    }
    // Another record may have landed while the patch was in flight: fold this one into the
    // current copy rather than replacing it with `next`.
    this.index = this.index ? recordIssued(this.index, cluster, cert) : next;
    return true;
  }
}
