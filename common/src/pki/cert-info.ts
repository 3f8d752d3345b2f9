import { X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { asn1FromDer, children, content, pemBlocks, readRoot, slice } from './der.js';
import {
  emptyAltNames,
  parseExtensions,
  parseExtKeyUsage,
  parseGeneralNames,
  type AltNames,
} from './extensions.js';
import { describeKey, type KeyType } from './keys.js';
import { parseName, type Subject } from './name.js';
import { OID } from './oids.js';

/** Raw pieces of a certificate that issuing and chain checks need byte-exact. */
export interface CertParts {
  der: Buffer;
  serialHex: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  spkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: { oid: string; critical: boolean; value: Buffer }[];
}

function parseTime(der: Buffer): Date {
  const node = asn1FromDer(der);
  const v = node.value as string;
  return node.type === forge.asn1.Type.UTCTIME
    ? forge.asn1.utcTimeToDate(v)
    : forge.asn1.generalizedTimeToDate(v);
}

export function firstCertDer(pem: string | Buffer): Buffer {
  const block = pemBlocks(pem.toString()).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error('no PEM block of type CERTIFICATE found');
  return block.der;
}

export function certParts(pemOrDer: string | Buffer): CertParts {
  const der = typeof pemOrDer === 'string' ? firstCertDer(pemOrDer) : pemOrDer;
  const [tbsT] = children(der, readRoot(der));
  if (!tbsT) throw new Error('malformed certificate');
  const f = children(der, tbsT);
  const off = f[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
  const [serialT, , issuerT, validityT, subjectT, spkiT] = f.slice(off);
  if (!serialT || !issuerT || !validityT || !subjectT || !spkiT) throw new Error('malformed TBSCertificate');
  const [nbT, naT] = children(der, validityT);
  const extT = f.slice(off + 6).find((t) => t.tag === 0xa3);
  const extensions = extT ? parseExtensions(content(der, extT)) : [];
  return {
    der,
    serialHex: content(der, serialT)
      .toString('hex')
      .replace(/^(00)+(?=.)/, ''),
    issuerDer: Buffer.from(slice(der, issuerT)),
    subjectDer: Buffer.from(slice(der, subjectT)),
    spkiDer: Buffer.from(slice(der, spkiT)),
    notBefore: parseTime(slice(der, nbT!)),
    notAfter: parseTime(slice(der, naT!)),
    extensions,
  };
}

export interface CertInfo {
  subject: Subject;
  subjectCN?: string;
  organizations: string[];
  organizationalUnits: string[];
  issuer: Subject;
  issuerCN?: string;
  /** Lowercase hex, no leading zeros. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint as node:crypto prints it (colon-separated uppercase hex). */
  fingerprint: string;
  isCa: boolean;
  keyType: KeyType;
  keySize?: number;
  curve?: string;
  publicKey: KeyObject;
  altNames: AltNames;
  extKeyUsage: string[];
  subjectKeyId?: string;
  authorityKeyId?: string;
}

export function certInfo(pem: string | Buffer): CertInfo {
  const parts = certParts(pem);
  const x = new X509Certificate(parts.der);
  const subject = parseName(parts.subjectDer);
  const issuer = parseName(parts.issuerDer);
  const ext = (oid: string): Buffer | undefined => parts.extensions.find((e) => e.oid === oid)?.value;
  const san = ext(OID.subjectAltName);
  const eku = ext(OID.extKeyUsage);
  const ski = ext(OID.subjectKeyIdentifier);
  const aki = ext(OID.authorityKeyIdentifier);
  const akiId = aki ? children(aki, readRoot(aki)).find((t) => t.tag === 0x80) : undefined;
  return {
    subject,
    subjectCN: subject.cn,
    organizations: subject.o,
    organizationalUnits: subject.ou,
    issuer,
    issuerCN: issuer.cn,
    serial: parts.serialHex,
    notBefore: parts.notBefore,
    notAfter: parts.notAfter,
    fingerprint: x.fingerprint256,
    isCa: x.ca,
    ...describeKey(x.publicKey),
    publicKey: x.publicKey,
    altNames: san ? parseGeneralNames(san) : emptyAltNames(),
    extKeyUsage: eku ? parseExtKeyUsage(eku) : [],
    subjectKeyId: ski ? content(ski, readRoot(ski)).toString('hex') : undefined,
    authorityKeyId: akiId && aki ? content(aki, akiId).toString('hex') : undefined,
  };
}
