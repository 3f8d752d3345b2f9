import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clusterFromCommonName } from '@ocm-fl/common/names.js';
import { certInfo, issuingCa, splitPemBundle } from '@ocm-fl/common/pki/index.js';

/** Where the mounted Secret (tls.crt, tls.key) and ConfigMap (CA bundle) are. */
export interface IdentityPaths {
  /** Directory of the client-cert Secret volume. */
  certDir: string;
  /** The CA bundle file inside the mounted ConfigMap (its directory is what gets watched). */
  caFile: string;
  certFileName?: string;
  keyFileName?: string;
}

export interface Identity {
  certPem: string;
  keyPem: string;
  caPem: string;
  notBefore: Date;
  notAfter: Date;
  /** Cluster named by the certificate's CN, when it is an agent CN. */
  cluster?: string;
  commonName?: string;
  fingerprint: string;
  issuerFingerprint: string;
}

/** Why the identity cannot be used; the message names the file at fault and what to check. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new IdentityError(
      `${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? 'error'}); is it mounted and has the hub signed the certificate yet?`,
      { cause: e },
    );
  }
}

/**
 * Read and check the identity: key matches certificate, certificate chains to a CA in the
 * bundle and is within its validity. Throws IdentityError otherwise.
 */
export function loadIdentity(p: IdentityPaths, now = new Date()): Identity {
  const certFile = path.join(p.certDir, p.certFileName ?? 'tls.crt');
  const keyFile = path.join(p.certDir, p.keyFileName ?? 'tls.key');
  const certPem = read(certFile, 'client certificate');
  const keyPem = read(keyFile, 'client key');
  const caPem = read(p.caFile, 'CA bundle');
  let x: X509Certificate;
  try {
    x = new X509Certificate(certPem);
  } catch (e) {
    throw new IdentityError(`${certFile}: not a PEM certificate`, { cause: e });
  }
  let matches: boolean;
  try {
    matches = x.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    throw new IdentityError(`${keyFile}: not a PEM private key`, { cause: e });
  }
  if (!matches) throw new IdentityError(`${keyFile} does not belong to the certificate in ${certFile}`);
  if (splitPemBundle(caPem).length === 0) throw new IdentityError(`${p.caFile}: holds no CA certificate`);
  const ca = issuingCa(certPem, caPem);
  if (!ca)
    throw new IdentityError(
      `${certFile} was not issued by any CA in ${p.caFile} (CA rotated and the bundle not updated yet?)`,
    );
  const info = certInfo(certPem);
  if (info.notAfter <= now) throw new IdentityError(`${certFile} expired at ${info.notAfter.toISOString()}`);
  return {
    certPem,
    keyPem,
    caPem,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    cluster: clusterFromCommonName(info.subjectCN ?? ''),
    commonName: info.subjectCN,
    fingerprint: info.fingerprint,
    issuerFingerprint: ca.fingerprint256,
  };
}
