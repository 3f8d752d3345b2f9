import type { ManagedCluster, ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION, CLUSTER_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue, type ReconcileResult } from '@ocm-fl/common/kube/keyed-queue.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import {
  ADDON_NAME,
  CLUSTER_NAME_LABEL,
  clusterFromCommonName,
  isDnsLabel,
  SIGNER_NAME,
} from '@ocm-fl/common/names.js';
import {
  certInfo,
  CSR_API_VERSION,
  csrCertificatePem,
  isApproved,
  isDenied,
  isFailed,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/index.js';
import type { CaStore } from './ca-store.js';
import { evaluateCsr, type ApproveContext } from './csr-approver.js';
import { EVENT_COMPONENT, refusalEvent } from './csr-event.js';
import { EventRecorder } from '../runtime/event-recorder.js';
import type { HubMetrics } from '../runtime/metrics.js';
import { SignError, signCsr } from './csr-signer.js';

const TRANSIENT = new Set(['UnknownCluster', 'AddonNotEnabled']);
const RECHECK_MS = 30_000;

export const APPROVED_REASON = 'AutoApprovedByFederatedLearningAddonManager';

export interface CsrControllerDeps {
  client: KubeClient;
  ca: CaStore;
  maxValiditySeconds: number;
  allowAuthenticatedGroup?: boolean;
  logger?: Logger;
  now?: () => Date;
  /**
   * CSRs reconciled at once (default 16): each is a few API round trips and a sub-millisecond
   * signature, so throughput is latency-bound; 1,000 clusters enabled together wait on this.
   */
  concurrency?: number;
  metrics?: HubMetrics;
}

/**
 * Approves and signs this addon's CSRs. Level-triggered on the CSR name: every reconcile
 * re-reads the CSR and does the next missing step (approve, then sign, then record), so it is
 * safe to run again after a crash at any point. CSRs of other signers are filtered out by the
 * field selector and, defensively, again before anything is written.
 */
export class CsrController {
  private readonly informer: Informer<CertificateSigningRequest>;
  readonly queue: KeyedQueue;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly refusalsLogged = new Set<string>();
  private readonly events: EventRecorder;

  constructor(private readonly deps: CsrControllerDeps) {
    this.log = deps.logger ?? silentLogger;
    this.now = deps.now ?? (() => new Date());
    this.events = new EventRecorder(deps.client, EVENT_COMPONENT, this.now);
    this.informer = new Informer(deps.client, CSR_API_VERSION, 'CertificateSigningRequest', {
      fieldSelector: `spec.signerName=${SIGNER_NAME}`,
      logger: this.log,
    });
    this.queue = new KeyedQueue((key) => this.reconcile(key), {
      logger: this.log,
      name: 'csr',
      concurrency: deps.concurrency ?? 16,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    this.informer.onChange((type, csr) => {
      if (type !== 'DELETED' && csr.spec?.signerName === SIGNER_NAME && csr.metadata.name)
        this.queue.enqueue(csr.metadata.name);
    });
  }

  async start(): Promise<void> {
    await this.deps.ca.load();
    await this.informer.start();
  }

  async stop(): Promise<void> {
    this.informer.stop();
    await this.queue.stop();
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    // A signed CSR in the watch cache needs only its record checked; anything earlier is read
    // fresh, so approve/sign never act on a copy older than our own last write.
    const cached = this.informer.get(name);
    const csr =
      cached && csrCertificatePem(cached)
        ? cached
        : await this.deps.client.get<CertificateSigningRequest>(
            CSR_API_VERSION,
            'CertificateSigningRequest',
            name,
          );
    if (!csr || csr.spec?.signerName !== SIGNER_NAME || isDenied(csr) || isFailed(csr)) return;
    if (!isApproved(csr)) return this.approveOrExplain(csr);
    const certPem = csrCertificatePem(csr);
    if (!certPem) return this.sign(csr);
    await this.record(csr, certPem);
  }

  private async context(cluster: string | undefined): Promise<ApproveContext> {
    const { client } = this.deps;
    if (!cluster || !isDnsLabel(cluster)) return { managedClusters: [], managedClusterAddOns: [] };
    const [mc, mca] = await Promise.all([
      client.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', cluster),
      client.get<ManagedClusterAddOn>(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, cluster),
    ]);
    return {
      managedClusters: mc ? [mc] : [],
      managedClusterAddOns: mca ? [mca] : [],
      allowAuthenticatedGroup: this.deps.allowAuthenticatedGroup,
    };
  }

  private async approveOrExplain(csr: CertificateSigningRequest): Promise<ReconcileResult> {
    const cluster = csr.metadata.labels?.[CLUSTER_NAME_LABEL];
    const ctx = await this.context(cluster);
    const verdict = evaluateCsr(csr, ctx);
    const name = csr.metadata.name;
    if (verdict.approve) {
      const at = this.now().toISOString();
      const condition = {
        type: 'Approved',
        status: 'True' as const,
        reason: APPROVED_REASON,
        message: `Auto approving ${ADDON_NAME} agent certificate for cluster ${cluster}`,
        lastUpdateTime: at,
        lastTransitionTime: at,
      };
      const approved = await this.deps.client.putSubresource(
        { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] } },
        'approval',
      );
      this.log.info('approved addon CSR', { csr: name, cluster });
      this.deps.metrics?.csrApproved.inc();
      return this.sign(approved);
    }
    const once = `${csr.metadata.uid}/${verdict.code}`;
    if (!this.refusalsLogged.has(once)) {
      this.refusalsLogged.add(once);
      this.deps.metrics?.csrRefused.inc({ reason: verdict.code });
      this.log.warn('left addon CSR unapproved', {
        csr: name,
        cluster,
        code: verdict.code,
        reason: verdict.reason,
      });
    }
    // A CSR is cluster-scoped: the API server accepts Events about it only in "default"
    // (legacy Event validation; client-go's recorder does the same).
    const ev = refusalEvent(csr, verdict);
    await this.events.record(ev.involved, ev.note, 'default').catch((e: unknown) => {
      throw new Error(`recording the refusal of CSR ${name} failed`, { cause: e });
    });
    // The cluster or its addon may appear later (CSR created first): look again then.
    return TRANSIENT.has(verdict.code) ? { requeueAfterMs: RECHECK_MS } : undefined;
  }

  private async sign(csr: CertificateSigningRequest): Promise<void> {
    const ca = this.deps.ca.signingCa();
    let signed;
    try {
      signed = signCsr(csr, { ca, maxValiditySeconds: this.deps.maxValiditySeconds, now: this.now() });
    } catch (e) {
      if (!(e instanceof SignError)) throw e;
      const at = this.now().toISOString();
      const failed = {
        type: 'Failed',
        status: 'True' as const,
        reason: 'SignerValidationFailure',
        message: e.message,
        lastUpdateTime: at,
        lastTransitionTime: at,
      };
      await this.deps.client.updateStatus({
        ...csr,
        status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), failed] },
      });
      this.log.warn('could not sign approved CSR', { csr: csr.metadata.name, reason: e.message });
      return;
    }
    // Status first, index second: a crash in between leaves the old record, which only keeps a retired CA longer.
    await this.deps.client.updateStatus({
      ...csr,
      status: { ...csr.status, certificate: Buffer.from(signed.certPem).toString('base64') },
    });
    this.deps.metrics?.certificatesSigned.inc();
    this.log.info('signed addon CSR', {
      csr: csr.metadata.name,
      serial: signed.serial,
      notAfter: signed.notAfter.toISOString(),
    });
    await this.record(csr, signed.certPem);
  }

  private async record(csr: CertificateSigningRequest, certPem: string): Promise<void> {
    const info = certInfo(certPem);
    const issuer = this.deps.ca.issuerFingerprint(certPem);
    if (!issuer) return; // not from any CA we hold (e.g. a CA already dropped): nothing depends on us
    const cluster =
      clusterFromCommonName(info.subjectCN ?? '') ??
      csr.metadata.labels?.[CLUSTER_NAME_LABEL] ??
      `csr.${csr.metadata.name}`;
    this.deps.metrics?.clientCertificateIssued(cluster, info.notAfter);
    await this.deps.ca.recordIssued(cluster, {
      serial: info.serial,
      issuer,
      notAfter: info.notAfter.toISOString(),
      issuedAt: info.notBefore.toISOString(),
    });
  }

  /** For tests: resolves when no CSR is being reconciled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
