/**
 * Tier-1 stand-in for the klusterlet registration agent's addon part: for each
 * ManagedClusterAddOn of the cluster with custom-signer `status.registrations`, requests a
 * certificate with a certificates.k8s.io/v1 CSR on the hub exactly as upstream does (name
 * prefix, labels, usages, ECDSA P-256 key, subject, DNS SAN; the hub stamps spec.username
 * from this client's identity), waits for `status.certificate`, and writes Secret
 * `<addon>-<signer with / → ->-client-cert` (tls.crt, tls.key) in the addon's install
 * namespace on the managed cluster. Renews at a random 20–25 % of remaining lifetime, when the
 * subject changes or the certificate is gone, optionally when the CA bundle changes, and
 * stops creating CSRs while 10 or more are pending for the addon (upstream's threshold).
 * Two tier-1 shortcuts, not upstream (e2e/real/DIFFERENCES.md 6, 7): OCM v1.2.0's agent looks
 * at its certificate only on events and a 5-minute resync (here: every `checkPeriodMs`),
 * and never re-requests because the CA bundle changed (here: the `caBundle` option).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  type ManagedClusterAddOn,
  type RegistrationConfig,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME_LABEL, CLUSTER_NAME_LABEL } from '@ocm-fl/common/names.js';
import { buildCsr } from '@ocm-fl/common/pki/csr-build.js';
import {
  ADDON_CSR_USAGES,
  CSR_API_VERSION,
  csrCertificatePem,
  isDenied,
  isFailed,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/csr-object.js';
import { addonInstallNamespace } from '../addon-namespace.js';
import { checkCertificate, jitterThreshold } from './cert-check.js';

export const CSR_PENDING_THRESHOLD = 10;
export const CA_HASH_ANNOTATION = 'federated-learning.open-cluster-management.io/ca-bundle-sha256';
const KUBE_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

type Secret = KubeObject & { type?: string; data?: Record<string, string> };
type ConfigMap = KubeObject & { data?: Record<string, string> };

export interface RegistrationAgentOptions {
  clusterName: string;
  /** Hub client with the klusterlet's identity (`system:open-cluster-management:<cluster>:<agent>`). */
  hub: KubeClient;
  spoke: KubeClient;
  /** CSR `spec.expirationSeconds`; upstream leaves it unset unless configured. */
  expirationSeconds?: number;
  /** How often certificates are checked; upstream resyncs every 5 min. */
  checkPeriodMs?: number;
  /**
   * Re-request when this ConfigMap (in the install namespace) changes its `key`: off upstream,
   * wanted here so CA rotation re-issues agent certificates. Default off.
   */
  caBundle?: { configMap: string; key: string };
  logger?: Logger;
}

interface Pending {
  csrName: string;
  keyPem: string;
  caHash?: string;
}

export const clientCertSecretName = (addon: string, signer: string): string =>
  `${addon}-${signer.replace(/\//g, '-')}-client-cert`;
export const defaultCommonName = (cluster: string, addon: string): string =>
  `system:open-cluster-management:cluster:${cluster}:addon:${addon}:agent:${addon}`;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString();

export class RegistrationAgent {
  private readonly addons: Informer<ManagedClusterAddOn>;
  private readonly csrs: Informer<CertificateSigningRequest>;
  private readonly queue: KeyedQueue;
  private readonly pending = new Map<string, Pending>();
  /** Secrets written per addon (namespace/name), removed when the addon goes (upstream stopRegistration). */
  private readonly written = new Map<string, Set<string>>();
  private readonly log: Logger;

  constructor(private readonly o: RegistrationAgentOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'registration-agent', cluster: o.clusterName });
    this.addons = new Informer(o.hub, ADDON_API_VERSION, 'ManagedClusterAddOn', {
      namespace: o.clusterName,
      logger: this.log,
    });
    this.csrs = new Informer(o.hub, CSR_API_VERSION, 'CertificateSigningRequest', {
      labelSelector: `${CLUSTER_NAME_LABEL}=${o.clusterName}`,
      logger: this.log,
    });
    this.queue = new KeyedQueue((k) => this.reconcile(k), { logger: this.log, maxBackoffMs: 10_000 });
    this.addons.onChange((_t, a) => this.queue.enqueue(a.metadata.name ?? ''));
    this.csrs.onChange((_t, c) => {
      const addon = c.metadata.labels?.[ADDON_NAME_LABEL];
      if (addon) this.queue.enqueue(addon);
    });
  }

  async start(): Promise<void> {
    await this.csrs.start();
    await this.addons.start();
  }

  async stop(): Promise<void> {
    this.addons.stop();
    this.csrs.stop();
    await this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Pending (unsigned, not denied or failed) CSRs for this cluster's addon. */
  pendingCsrCount(addon: string): number {
    return this.csrs
      .list()
      .filter(
        (c) =>
          c.metadata.labels?.[ADDON_NAME_LABEL] === addon &&
          !c.status?.certificate &&
          !isDenied(c) &&
          !isFailed(c),
      ).length;
  }

  private async reconcile(addonName: string): Promise<void | { requeueAfterMs: number }> {
    const addon = this.addons.get(addonName, this.o.clusterName);
    if (!addon || addon.metadata.deletionTimestamp) {
      for (const k of [...this.pending.keys()]) if (k.startsWith(`${addonName}/`)) this.pending.delete(k);
      await this.removeSecrets(addonName);
      return;
    }
    let next = this.o.checkPeriodMs ?? 300_000;
    for (const reg of addon.status?.registrations ?? []) {
      if (!reg.signerName || reg.signerName === KUBE_CLIENT_SIGNER) continue; // kube-client registrations: not needed here
      const wait = await this.syncRegistration(addon, reg);
      next = Math.min(next, wait);
    }
    return { requeueAfterMs: Math.max(next, 50) };
  }

  /** One custom-signer registration; returns ms until it needs another look. */
  private async syncRegistration(addon: ManagedClusterAddOn, reg: RegistrationConfig): Promise<number> {
    const addonName = addon.metadata.name ?? '';
    const ns = addonInstallNamespace(addon);
    const secretName = clientCertSecretName(addonName, reg.signerName);
    const key = `${addonName}/${reg.signerName}`;
    this.remember(addonName, `${ns}/${secretName}`);
    const period = this.o.checkPeriodMs ?? 300_000;
    const pending = this.pending.get(key);
    if (pending) return this.collect(key, pending, ns, secretName);

    const subject = {
      cn: reg.subject?.user || defaultCommonName(this.o.clusterName, addonName),
      groups: reg.subject?.groups ?? [],
    };
    const secret = await this.o.spoke.get<Secret>('v1', 'Secret', secretName, ns);
    const caHashNow = await this.caHash(ns);
    const check = checkCertificate({
      certPem: unb64(secret?.data?.['tls.crt']),
      keyPem: unb64(secret?.data?.['tls.key']),
      subject,
      now: new Date(),
      threshold: jitterThreshold(),
      caHashAtIssue: secret?.metadata.annotations?.[CA_HASH_ANNOTATION],
      ...(caHashNow !== undefined ? { caHashNow } : {}),
    });
    if (!check.reason)
      return check.renewAt ? Math.min(period, Math.max(check.renewAt.getTime() - Date.now(), 50)) : period;
    if (this.pendingCsrCount(addonName) >= CSR_PENDING_THRESHOLD) {
      this.log.warn('stop creating CSRs: too many pending on the hub', {
        addon: addonName,
        threshold: CSR_PENDING_THRESHOLD,
      });
      return period;
    }
    const { csrPem, keyPem } = buildCsr({
      subject: { cn: subject.cn, o: [...subject.groups] },
      dnsNames: [`${addonName}.addon.open-cluster-management.io`],
    });
    const csr = await this.o.hub.create<CertificateSigningRequest>({
      apiVersion: CSR_API_VERSION,
      kind: 'CertificateSigningRequest',
      metadata: {
        generateName: `addon-${this.o.clusterName}-${addonName}-`,
        labels: { [CLUSTER_NAME_LABEL]: this.o.clusterName, [ADDON_NAME_LABEL]: addonName },
      },
      spec: {
        request: b64(csrPem),
        signerName: reg.signerName,
        usages: [...ADDON_CSR_USAGES],
        ...(this.o.expirationSeconds ? { expirationSeconds: this.o.expirationSeconds } : {}),
      },
    });
    this.pending.set(key, {
      csrName: csr.metadata.name ?? '',
      keyPem,
      ...(caHashNow !== undefined ? { caHash: caHashNow } : {}),
    });
    this.log.info('requested addon certificate', {
      addon: addonName,
      csr: csr.metadata.name,
      reason: check.reason,
    });
    return period;
  }

  /** A CSR is out: store the certificate once issued; drop the request when denied, failed or gone. */
  private async collect(key: string, p: Pending, ns: string, secretName: string): Promise<number> {
    const csr =
      this.csrs.get(p.csrName) ??
      (await this.o.hub.get<CertificateSigningRequest>(
        CSR_API_VERSION,
        'CertificateSigningRequest',
        p.csrName,
      ));
    if (!csr || isDenied(csr) || isFailed(csr)) {
      this.log.warn('certificate request ended without a certificate', { csr: p.csrName, gone: !csr });
      this.pending.delete(key);
      return 1_000;
    }
    const certPem = csrCertificatePem(csr);
    if (!certPem) return this.o.checkPeriodMs ?? 300_000; // the CSR informer brings us back
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: secretName,
        namespace: ns,
        ...(p.caHash ? { annotations: { [CA_HASH_ANNOTATION]: p.caHash } } : {}),
      },
      data: { 'tls.crt': b64(certPem), 'tls.key': b64(p.keyPem) },
    };
    await this.o.spoke.apply(secret);
    this.pending.delete(key);
    this.log.info('addon certificate stored', { csr: p.csrName, secret: `${ns}/${secretName}` });
    return 50;
  }

  private remember(addonName: string, secretRef: string): void {
    const refs = this.written.get(addonName) ?? new Set<string>();
    this.written.set(addonName, refs.add(secretRef));
  }

  /** The addon is gone: delete its client-cert Secrets as the klusterlet does, so nothing is left behind. */
  private async removeSecrets(addonName: string): Promise<void> {
    for (const ref of this.written.get(addonName) ?? []) {
      const [ns = '', name = ''] = ref.split('/');
      await this.o.spoke.delete('v1', 'Secret', name, ns);
      this.log.info('addon removed: deleted its client certificate', { secret: ref });
    }
    this.written.delete(addonName);
  }

  private async caHash(ns: string): Promise<string | undefined> {
    if (!this.o.caBundle) return undefined;
    const cm = await this.o.spoke.get<ConfigMap>('v1', 'ConfigMap', this.o.caBundle.configMap, ns);
    const pem = cm?.data?.[this.o.caBundle.key];
    return pem ? sha256(pem) : undefined;
  }
}
