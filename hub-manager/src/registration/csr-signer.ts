import {
  issueCertificateDetailed,
  type CertificateSigningRequest,
  type LoadedCa,
} from '@ocm-fl/common/pki/index.js';
import type { CertUsage } from '@ocm-fl/common/pki/issue.js';
import { requestOf } from './csr-approver.js';

/** Kubernetes refuses `expirationSeconds` below 600; anything lower is raised to it. */
export const MIN_EXPIRATION_SECONDS = 600;

export interface SignerConfig {
  ca: LoadedCa;
  /** Configured maximum lifetime of an agent certificate. */
  maxValiditySeconds: number;
  /** notBefore is set this far in the past for clock skew between hub and spoke (default 60 s). */
  backdateSeconds?: number;
  now: Date;
}

export class SignError extends Error {
  override readonly name = 'SignError';
}

/** Validity window: min(expirationSeconds, configured maximum, CA expiry). */
export function certificateValidity(
  expirationSeconds: number | undefined,
  c: SignerConfig,
): { notBefore: Date; notAfter: Date } {
  const requested =
    expirationSeconds === undefined ? Infinity : Math.max(expirationSeconds, MIN_EXPIRATION_SECONDS);
  const seconds = Math.min(requested, c.maxValiditySeconds);
  const notAfterMs = Math.min(c.now.getTime() + seconds * 1000, c.ca.notAfter.getTime());
  const notBefore = new Date(
    Math.max(c.now.getTime() - (c.backdateSeconds ?? 60) * 1000, c.ca.notBefore.getTime()),
  );
  if (notAfterMs <= c.now.getTime())
    throw new SignError(`the signing CA expired at ${c.ca.notAfter.toISOString()}`);
  return { notBefore, notAfter: new Date(notAfterMs) };
}

export interface Signed {
  certPem: string;
  serial: string;
  notAfter: Date;
  issuerFingerprint: string;
}

/**
 * Extended key usages from the approved `spec.usages`: the certificate grants what was asked
 * and approved, nothing more (the approver admits "client auth" only, see README).
 */
export function certUsages(usages: readonly string[] | undefined): CertUsage[] {
  const out: CertUsage[] = [];
  if (usages?.includes('client auth')) out.push('client');
  if (usages?.includes('server auth')) out.push('server');
  if (out.length === 0)
    throw new SignError(`usages [${(usages ?? []).join(', ')}] name neither client nor server auth`);
  return out;
}

/**
 * Sign an approved CSR: the certificate certifies the CSR's own key with the CSR's subject and
 * DNS SANs, and the extended key usages the CSR's approved `spec.usages` name. Pure apart from
 * the random serial; throws SignError for a request that must be marked Failed instead.
 */
export function signCsr(csr: CertificateSigningRequest, c: SignerConfig): Signed {
  const req = requestOf(csr);
  if ('approve' in req) throw new SignError(req.approve ? 'unexpected' : req.reason);
  if (!req.signatureValid) throw new SignError(req.signatureError ?? 'CSR self-signature is invalid');
  if (!req.subject.cn) throw new SignError('CSR subject has no single common name');
  const usages = certUsages(csr.spec?.usages);
  const { notBefore, notAfter } = certificateValidity(csr.spec?.expirationSeconds, c);
  const issued = issueCertificateDetailed({
    ca: c.ca,
    csr: req,
    dnsNames: req.dnsNames,
    notBefore,
    notAfter,
    usages,
  });
  return {
    certPem: issued.certPem,
    serial: issued.serial,
    notAfter: issued.notAfter,
    issuerFingerprint: c.ca.fingerprint,
  };
}
