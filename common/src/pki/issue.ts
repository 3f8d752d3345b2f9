import { createPublicKey, type KeyObject } from 'node:crypto';
import type { LoadedCa } from './ca.js';
import { generateKey, privateKeyPem } from './ca.js';
import type { ParsedCsr } from './csr-parse.js';
import { derToPem } from './der.js';
import {
  authorityKeyId,
  basicConstraints,
  extKeyUsage,
  KEY_USAGE,
  keyIdentifier,
  keyUsage,
  subjectAltName,
  subjectKeyId,
} from './extensions.js';
import { describeKey, spkiDer } from './keys.js';
import { buildName, type SubjectInput } from './name.js';
import { OID } from './oids.js';
import { buildCertificate, randomSerial } from './tbs.js';

export type CertUsage = 'client' | 'server';

export interface IssueOptions {
  ca: LoadedCa;
  /** The request: its own public key is what gets certified. */
  csr?: ParsedCsr;
  /** Alternatively a public key (for server certificates we generate ourselves). */
  publicKey?: KeyObject;
  /** Defaults to the CSR's CN, O and OU, every value kept as is (no length limit). */
  subject?: SubjectInput;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  notBefore: Date;
  notAfter: Date;
  usages: readonly CertUsage[];
}

function subjectOf(opts: IssueOptions): SubjectInput {
  if (opts.subject) return opts.subject;
  const s = opts.csr?.subject;
  if (!s?.cn) throw new Error('a subject is required: the CSR has no single common name');
  return { cn: s.cn, o: s.o, ou: s.ou };
}

function publicKeyOf(opts: IssueOptions): Buffer {
  if (opts.csr && opts.publicKey && !spkiDer(opts.publicKey).equals(opts.csr.publicKeyDer)) {
    throw new Error('publicKey differs from the CSR key: a certificate only ever certifies the CSR key');
  }
  if (opts.csr) return opts.csr.publicKeyDer;
  if (opts.publicKey) return spkiDer(opts.publicKey);
  throw new Error('either csr or publicKey is required');
}

/** Issue a leaf certificate signed by `ca`; returns its PEM. */
export function issueCertificate(opts: IssueOptions): string {
  return issueCertificateDetailed(opts).certPem;
}

/** issueCertificate, also returning the serial (lowercase hex) so callers need not re-parse. */
export function issueCertificateDetailed(opts: IssueOptions): {
  certPem: string;
  serial: string;
  notAfter: Date;
} {
  const spki = publicKeyOf(opts);
  const { ca, notBefore, notAfter } = opts;
  if (!(notAfter > notBefore))
    throw new Error(`notAfter ${notAfter.toISOString()} is not after notBefore ${notBefore.toISOString()}`);
  if (notAfter > ca.notAfter)
    throw new Error(
      `notAfter ${notAfter.toISOString()} is past the CA's expiry ${ca.notAfter.toISOString()}`,
    );
  if (opts.usages.length === 0) throw new Error('at least one usage (client, server) is required');
  const rsa = describeKey(createPublicKey({ key: spki, format: 'der', type: 'spki' })).keyType === 'rsa';
  const ekus = [
    ...(opts.usages.includes('client') ? [OID.clientAuth] : []),
    ...(opts.usages.includes('server') ? [OID.serverAuth] : []),
  ];
  const san = subjectAltName({
    dnsNames: [...(opts.dnsNames ?? [])],
    ipAddresses: [...(opts.ipAddresses ?? [])],
  });
  const serial = randomSerial();
  const der = buildCertificate({
    serial,
    issuerDer: ca.subjectDer,
    subject: buildName(subjectOf(opts)),
    spkiDer: spki,
    notBefore,
    notAfter,
    extensions: [
      keyUsage(rsa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature]),
      extKeyUsage(ekus),
      basicConstraints(false),
      subjectKeyId(keyIdentifier(spki)),
      authorityKeyId(ca.keyId),
      ...(san ? [san] : []),
    ],
    signingKey: ca.key,
  });
  return {
    certPem: derToPem(der, 'CERTIFICATE'),
    serial: serial.toString('hex'),
    notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
  };
}

export interface ServerCertOptions {
  ca: LoadedCa;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Defaults to the first DNS name, else the first IP. */
  commonName?: string;
  notBefore?: Date;
  /** Default: one year, capped at the CA's expiry. */
  notAfter?: Date;
  keyType?: 'ec' | 'rsa';
  /** Add clientAuth too (a server that also dials out with the same identity). */
  alsoClient?: boolean;
}

/** A fresh key pair and a serverAuth certificate for it, e.g. for an aggregator endpoint. */
export function issueServerCertificate(opts: ServerCertOptions): { certPem: string; keyPem: string } {
  const dnsNames = opts.dnsNames ?? [];
  const ipAddresses = opts.ipAddresses ?? [];
  const cn = opts.commonName ?? dnsNames[0] ?? ipAddresses[0];
  if (!cn) throw new Error('a server certificate needs at least one DNS name or IP address');
  const now = new Date();
  const notBefore = opts.notBefore ?? new Date(now.getTime() - 5 * 60_000);
  const wanted = opts.notAfter ?? new Date(now.getTime() + 365 * 86_400_000);
  const notAfter = wanted > opts.ca.notAfter ? opts.ca.notAfter : wanted;
  const key = generateKey(opts.keyType ?? 'ec');
  const certPem = issueCertificate({
    ca: opts.ca,
    publicKey: createPublicKey(key),
    subject: { cn },
    dnsNames,
    ipAddresses,
    notBefore,
    notAfter,
    usages: opts.alsoClient ? ['server', 'client'] : ['server'],
  });
  return { certPem, keyPem: privateKeyPem(key) };
}
