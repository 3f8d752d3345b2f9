/**
 * Minimal X.509 v3 certificate builder: DER via node-forge's asn1 module, keys and signatures via
 * node:crypto, so EC (P-256) keys work (node-forge's pki handles RSA only, and RSA key generation
 * takes seconds on a slow machine).
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
type Node = forge.asn1.Asn1;

const seq = (...items: Node[]): Node => asn1.create(U, T.SEQUENCE, true, items);
const set = (...items: Node[]): Node => asn1.create(U, T.SET, true, items);
const oid = (o: string): Node => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string): Node => asn1.create(U, T.OCTETSTRING, false, bytes);
const bool = (v: boolean): Node => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
const der = (n: Node): string => asn1.toDer(n).getBytes();
const bin = (b: Buffer): string => b.toString('binary');

const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  sha256Rsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  san: '2.5.29.17',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

export interface Subject {
  commonName: string;
  organizations?: string[];
}

export interface CertRequest {
  subject: Subject;
  /** DER SubjectPublicKeyInfo of the certified key (e.g. from `KeyObject.export({type:'spki',format:'der'})`). */
  spkiDer: Buffer;
  isCA?: boolean;
  /** DNS names and IP addresses. */
  hosts?: string[];
  usages?: ('serverAuth' | 'clientAuth')[];
  days?: number;
}

export interface Issuer {
  subject: Subject;
  keyPem: string;
  spkiDer: Buffer;
}

function name(s: Subject): Node {
  const rdns = (s.organizations ?? []).map((o) =>
    set(seq(oid(OID.o), asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(o)))),
  );
  rdns.push(set(seq(oid(OID.cn), asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(s.commonName)))));
  return seq(...rdns);
}

function keyId(spki: Buffer): string {
  return bin(createHash('sha1').update(spki).digest());
}

function bitString(bits: number[]): Node {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && (v & (1 << unused)) === 0) unused++;
  return asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused) + String.fromCharCode(v));
}

function ipBytes(ip: string): string {
  if (isIP(ip) === 4) return String.fromCharCode(...ip.split('.').map(Number));
  const full = ip.includes('::') ? expandV6(ip) : ip.split(':');
  return full.map((h) => String.fromCharCode(parseInt(h, 16) >> 8, parseInt(h, 16) & 0xff)).join('');
}

function expandV6(ip: string): string[] {
  const [a = '', b = ''] = ip.split('::');
  const left = a ? a.split(':') : [];
  const right = b ? b.split(':') : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

function ext(id: string, critical: boolean, value: Node): Node {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(der(value)));
}

function extensions(req: CertRequest, issuerSpki: Buffer): Node {
  const list = [ext(OID.basicConstraints, true, seq(...(req.isCA ? [bool(true)] : [])))];
  list.push(ext(OID.keyUsage, true, bitString(req.isCA ? [0, 5, 6] : [0, 2])));
  if (req.usages?.length) list.push(ext(OID.extKeyUsage, false, seq(...req.usages.map((u) => oid(OID[u])))));
  if (req.hosts?.length) {
    const names = req.hosts.map((h) =>
      isIP(h)
        ? asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, ipBytes(h))
        : asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, h),
    );
    list.push(ext(OID.san, false, seq(...names)));
  }
  list.push(ext(OID.ski, false, octets(keyId(req.spkiDer))));
  list.push(ext(OID.aki, false, seq(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId(issuerSpki)))));
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(...list)]);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40; // positive and minimally encoded
  return bin(b);
}

function toPem(derBytes: string): string {
  const b64 = Buffer.from(derBytes, 'binary')
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Issue a certificate for `req`, signed by `issuer` (self-signed when the issuer is the request's own key). */
export function issueCertificate(req: CertRequest, issuer: Issuer): string {
  const key: KeyObject = createPrivateKey(issuer.keyPem);
  const alg = key.asymmetricKeyType === 'ec' ? OID.ecdsaSha256 : OID.sha256Rsa;
  const algId = alg === OID.ecdsaSha256 ? seq(oid(alg)) : seq(oid(alg), asn1.create(U, T.NULL, false, ''));
  const days = req.days ?? 3650;
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const tbs = seq(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, serial()),
    algId,
    name(issuer.subject),
    seq(
      asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(notBefore)),
      asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(notAfter)),
    ),
    name(req.subject),
    asn1.fromDer(forge.util.createBuffer(bin(req.spkiDer))),
    extensions(req, issuer.spkiDer),
  );
  const tbsDer = der(tbs);
  const sig = sign('sha256', Buffer.from(tbsDer, 'binary'), key);
  const cert = seq(tbs, algId, asn1.create(U, T.BITSTRING, false, `\x00${bin(sig)}`));
  return toPem(der(cert));
}

/** SubjectPublicKeyInfo DER of a PEM private or public key. */
export function spkiOf(pem: string): Buffer {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' });
}
