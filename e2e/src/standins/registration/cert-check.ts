/**
 * When the klusterlet's registration agent asks for a new addon certificate (upstream
 * shouldCreateCSR): no valid certificate, a subject that no longer matches the registration,
 * less than a random 20–25 % of its lifetime left, or (this project's addition, off upstream)
 * a changed CA bundle. Pure apart from the random jitter, which is a parameter.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { certInfo } from '@ocm-fl/common/pki/cert-info.js';

export interface CertCheckInput {
  certPem?: string;
  keyPem?: string;
  subject: { cn: string; groups: readonly string[] };
  now: Date;
  /** Fraction in [0.2, 0.25]; upstream draws it per check. */
  threshold: number;
  /** Hash of the CA bundle when the certificate was written, and now (both undefined when not tracked). */
  caHashAtIssue?: string;
  caHashNow?: string;
}

export interface CertCheck {
  /** Why a new certificate is needed; undefined when the current one is fine. */
  reason?: string;
  /** When the current certificate reaches the earliest renewal point (20–25 % left ⇒ 25 %). */
  renewAt?: Date;
}

export const jitterThreshold = (random = Math.random()): number => 0.2 + 0.05 * random;

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export function checkCertificate(i: CertCheckInput): CertCheck {
  if (!i.certPem || !i.keyPem) return { reason: 'no client certificate' };
  let info;
  try {
    info = certInfo(i.certPem);
    if (!new X509Certificate(i.certPem).checkPrivateKey(createPrivateKey(i.keyPem)))
      return { reason: 'key does not match the certificate' };
  } catch (e) {
    return { reason: `unreadable certificate: ${(e as Error).message}` };
  }
  const now = i.now.getTime();
  if (now < info.notBefore.getTime() || now >= info.notAfter.getTime())
    return { reason: 'certificate is not valid now' };
  if (info.subjectCN !== i.subject.cn || !sameSet(info.organizations, i.subject.groups))
    return { reason: 'certificate subject differs from the registration' };
  if (i.caHashNow !== undefined && i.caHashNow !== i.caHashAtIssue) return { reason: 'CA bundle changed' };
  const total = info.notAfter.getTime() - info.notBefore.getTime();
  const remaining = info.notAfter.getTime() - now;
  if (remaining / total <= i.threshold)
    return { reason: `less than ${Math.round(i.threshold * 100)}% of its lifetime left` };
  return { renewAt: new Date(info.notAfter.getTime() - 0.25 * total) };
}
