import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { ADDON_NAME } from '../names.js';
import { splitPemBundle } from './bundle.js';
import { certParts } from './cert-info.js';
import { asn1ToDer, content, derToPem, readRoot } from './der.js';
import {
  authorityKeyId,
  basicConstraints,
  KEY_USAGE,
  keyIdentifier,
  keyUsage,
  subjectKeyId,
} from './extensions.js';
import { spkiDer } from './keys.js';
import { buildName, parseName } from './name.js';
import { OID } from './oids.js';
import { buildCertificate, randomSerial } from './tbs.js';

/** A CA as stored: certificate and PKCS#8 private key, both PEM. */
export interface CaPair {
  certPem: string;
  keyPem: string;
}

/** A CA ready to sign with. */
export interface LoadedCa extends CaPair {
  key: KeyObject;
  /** The CA certificate's subject Name, byte-exact: it becomes the issuer of what it signs. */
  subjectDer: Buffer;
  /** Its subject key identifier (from the extension, else computed), for AKI. */
  keyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  commonName: string;
}

export interface GenerateCaOptions {
  commonName?: string;
  keyType?: 'ec' | 'rsa';
  /** Default 5 years (OCM's signer CA lives 5 years too). */
  validityDays?: number;
  now?: Date;
}

export function generateKey(keyType: 'ec' | 'rsa' = 'ec'): KeyObject {
  const pair =
    keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return pair.privateKey;
}

export const privateKeyPem = (key: KeyObject): string =>
  key.export({ format: 'pem', type: 'pkcs8' }).toString();

/** A new self-signed CA: ECDSA P-256 by default, RSA-2048 on request. */
export function generateCa(opts: GenerateCaOptions = {}): CaPair {
  const now = opts.now ?? new Date();
  const key = generateKey(opts.keyType);
  const spki = spkiDer(key);
  const id = keyIdentifier(spki);
  const name = buildName({
    cn: opts.commonName ?? `${ADDON_NAME}-addon-ca@${Math.floor(now.getTime() / 1000)}`,
  });
  const der = buildCertificate({
    serial: randomSerial(),
    issuerDer: asn1ToDer(name),
    subject: name,
    spkiDer: spki,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + (opts.validityDays ?? 5 * 365) * 86_400_000),
    extensions: [
      basicConstraints(true),
      keyUsage([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
      subjectKeyId(id),
      authorityKeyId(id),
    ],
    signingKey: key,
  });
  return { certPem: derToPem(der, 'CERTIFICATE'), keyPem: privateKeyPem(key) };
}

/**
 * Load a CA pair. `certPem` may be a bundle (a user-provided Secret holding old and new CA);
 * the certificate whose public key matches `keyPem` is the signing one.
 */
export function loadCa(pair: CaPair): LoadedCa {
  let key: KeyObject;
  try {
    key = createPrivateKey(pair.keyPem);
  } catch (e) {
    throw new Error(`CA private key is unreadable: ${(e as Error).message}`, { cause: e });
  }
  const certs = splitPemBundle(pair.certPem);
  if (certs.length === 0) throw new Error('CA certificate PEM holds no CERTIFICATE block');
  const certPem = certs.find((c) => new X509Certificate(c).checkPrivateKey(key));
  if (!certPem) throw new Error('no CA certificate matches the CA private key');
  const x = new X509Certificate(certPem);
  if (!x.ca) throw new Error(`certificate ${x.subject} is not a CA (basicConstraints CA:false or missing)`);
  const parts = certParts(certPem);
  const ski = parts.extensions.find((e) => e.oid === OID.subjectKeyIdentifier)?.value;
  return {
    certPem,
    keyPem: pair.keyPem,
    key,
    subjectDer: parts.subjectDer,
    keyId: ski ? Buffer.from(content(ski, readRoot(ski))) : keyIdentifier(parts.spkiDer),
    notBefore: parts.notBefore,
    notAfter: parts.notAfter,
    fingerprint: x.fingerprint256,
    commonName: parseName(parts.subjectDer).cn ?? '',
  };
}
