import type { Condition, KubeObject } from '../api/meta.js';
import {
  ADDON_NAME,
  ADDON_NAME_LABEL,
  CLUSTER_NAME_LABEL,
  klusterletUsernamePrefix,
  SIGNER_NAME,
} from '../names.js';

export const CSR_API_VERSION = 'certificates.k8s.io/v1';

/** certificates.k8s.io/v1 CertificateSigningRequest, the fields this project reads and writes. */
export interface CsrSpec {
  /** Base64 of the PEM request. */
  request: string;
  signerName: string;
  expirationSeconds?: number;
  usages?: string[];
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface CsrStatus {
  conditions?: (Omit<Condition, 'lastTransitionTime'> & {
    lastTransitionTime?: string;
    lastUpdateTime?: string;
  })[];
  /** Base64 of the PEM certificate. */
  certificate?: string;
}

export type CertificateSigningRequest = KubeObject<CsrSpec, CsrStatus>;

/** Usages OCM's registration agent requests. */
export const ADDON_CSR_USAGES = ['digital signature', 'key encipherment', 'client auth'];

export interface AddonCsrObjectOptions {
  cluster: string;
  csrPem: string;
  /** Agent id of the klusterlet (the part after the username prefix). */
  agentId?: string;
  expirationSeconds?: number;
}

/** The CSR object OCM's registration agent creates for this addon on the hub. */
export function newAddonCsrObject(o: AddonCsrObjectOptions): CertificateSigningRequest {
  return {
    apiVersion: CSR_API_VERSION,
    kind: 'CertificateSigningRequest',
    metadata: {
      generateName: `addon-${o.cluster}-${ADDON_NAME}-`,
      labels: { [CLUSTER_NAME_LABEL]: o.cluster, [ADDON_NAME_LABEL]: ADDON_NAME },
    },
    spec: {
      request: Buffer.from(o.csrPem).toString('base64'),
      signerName: SIGNER_NAME,
      usages: [...ADDON_CSR_USAGES],
      username: `${klusterletUsernamePrefix(o.cluster)}${o.agentId ?? 'agent'}`,
      ...(o.expirationSeconds !== undefined ? { expirationSeconds: o.expirationSeconds } : {}),
    },
  };
}

export const csrCondition = (csr: CertificateSigningRequest, type: string): boolean =>
  (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export const isApproved = (csr: CertificateSigningRequest): boolean => csrCondition(csr, 'Approved');
export const isDenied = (csr: CertificateSigningRequest): boolean => csrCondition(csr, 'Denied');
export const isFailed = (csr: CertificateSigningRequest): boolean => csrCondition(csr, 'Failed');

/** The PEM certificate in status, when signed. */
export function csrCertificatePem(csr: CertificateSigningRequest): string | undefined {
  const b = csr.status?.certificate;
  return b ? Buffer.from(b, 'base64').toString() : undefined;
}
