import { X509Certificate } from 'node:crypto';
import { derToPem, pemBlocks } from './der.js';

/** Every CERTIFICATE block of a PEM bundle, each normalised to one PEM string. */
export function splitPemBundle(pem: string | Buffer): string[] {
  return pemBlocks(pem.toString())
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => derToPem(b.der, 'CERTIFICATE'));
}

/** Concatenate certificates (strings that may themselves be bundles), dropping duplicates, order kept. */
export function joinPems(pems: readonly (string | undefined)[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of pems) {
    for (const c of p ? splitPemBundle(p) : []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
    }
  }
  return out.join('');
}

/**
 * Whether `certPem` was signed by one of the CAs in `bundlePem` (issuer name and signature
 * checked; validity dates are checked separately, by the caller's clock).
 */
export function issuingCa(certPem: string, bundlePem: string): X509Certificate | undefined {
  const cert = new X509Certificate(certPem);
  for (const c of splitPemBundle(bundlePem)) {
    const ca = new X509Certificate(c);
    if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) return ca;
  }
  return undefined;
}
