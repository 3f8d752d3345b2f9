import {
  issueCertificateDetailed,
  type CertificateSigningRequest,
  type LoadedCa,
} from '@ocm-fl/common/pki/index.js';
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
 * Sign an approved CSR: the certificate certifies the CSR's own key with the CSR's subject and
 * DNS SANs, ExtKeyUsage clientAuth+serverAuth as OCM's signer does. Pure apart from the random
 * serial; throws SignError for a request that must be marked Failed instead.
 */
export function signCsr(csr: CertificateSigningRequest, c: SignerConfig): Signed {
  const req = requestOf(csr);
  if ('approve' in req) throw new SignError(req.approve ? 'unexpected' : req.reason);
  if (!req.signatureValid) throw new SignError(req.signatureError ?? 'CSR self-signature is invalid');
  if (!req.subject.cn) throw new SignError('CSR subject has no single common name');
  const { notBefore, notAfter } = certificateValidity(csr.spec?.expirationSeconds, c);
  const issued = issueCertificateDetailed({
    ca: c.ca,
    csr: req,
    dnsNames: req.dnsNames,
    notBefore,
    notAfter,
    usages: ['client', 'server'],
  });
  return {
    certPem: issued.certPem,
    serial: issued.serial,
    notAfter: issued.notAfter,
    issuerFingerprint: c.ca.fingerprint,
  };
}
