import { createPublicKey, type KeyObject } from 'node:crypto';
import { OID } from './oids.js';

export type KeyType = 'ec' | 'rsa' | 'other';

export interface KeyDescription {
  keyType: KeyType;
  /** RSA modulus bits. */
  keySize?: number;
  /** EC curve as a NIST name when known (P-256, P-384, P-521, P-192), else OpenSSL's name. */
  curve?: string;
}

const CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  prime192v1: 'P-192',
  secp224r1: 'P-224',
};

export function describeKey(key: KeyObject): KeyDescription {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { keyType: 'rsa', keySize: d.modulusLength };
  if (key.asymmetricKeyType === 'ec') {
    const c = d.namedCurve ?? 'unknown';
    return { keyType: 'ec', curve: CURVES[c] ?? c };
  }
  return { keyType: 'other' };
}

export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' });
}

/** The digest and signature OID a CA key signs with: SHA-256 for P-256/RSA, larger for bigger curves. */
export function signatureAlgorithmFor(key: KeyObject): { hash: string; oid: string; rsa: boolean } {
  const d = describeKey(key);
  if (d.keyType === 'rsa') return { hash: 'sha256', oid: OID.sha256WithRSA, rsa: true };
  if (d.keyType === 'ec') {
    if (d.curve === 'P-384') return { hash: 'sha384', oid: OID.ecdsaWithSHA384, rsa: false };
    if (d.curve === 'P-521') return { hash: 'sha512', oid: OID.ecdsaWithSHA512, rsa: false };
    return { hash: 'sha256', oid: OID.ecdsaWithSHA256, rsa: false };
  }
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType ?? 'unknown'}`);
}
