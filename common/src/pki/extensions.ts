import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { asn1FromDer, children, content, readRoot, toBinary } from './der.js';
import { bytesToIp, ipToBytes } from './ip.js';
import { OID } from './oids.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;

type Node = forge.asn1.Asn1;

export const oidNode = (oid: string): Node =>
  asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes());
export const seq = (items: Node[]): Node => asn1.create(U, asn1.Type.SEQUENCE, true, items);
export const octets = (b: Buffer): Node => asn1.create(U, asn1.Type.OCTETSTRING, false, toBinary(b));

export function extension(oid: string, critical: boolean, value: Node): Node {
  const items = [oidNode(oid)];
  if (critical) items.push(asn1.create(U, asn1.Type.BOOLEAN, false, '\xff'));
  items.push(octets(Buffer.from(asn1.toDer(value).getBytes(), 'latin1')));
  return seq(items);
}

export interface AltNames {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emails: string[];
  /** GeneralName kinds other than the four above (otherName, directoryName, ...), by tag number. */
  otherTags: number[];
}

export const emptyAltNames = (): AltNames => ({
  dnsNames: [],
  ipAddresses: [],
  uris: [],
  emails: [],
  otherTags: [],
});

export function subjectAltName(names: Partial<AltNames>): Node | undefined {
  const gn: Node[] = [];
  for (const d of names.dnsNames ?? []) gn.push(asn1.create(CTX, 2, false, d));
  for (const ip of names.ipAddresses ?? []) gn.push(asn1.create(CTX, 7, false, toBinary(ipToBytes(ip))));
  for (const u of names.uris ?? []) gn.push(asn1.create(CTX, 6, false, u));
  for (const e of names.emails ?? []) gn.push(asn1.create(CTX, 1, false, e));
  return gn.length ? extension(OID.subjectAltName, false, seq(gn)) : undefined;
}

/** Parse the GeneralNames inside a subjectAltName extension value. */
export function parseGeneralNames(der: Buffer): AltNames {
  const out = emptyAltNames();
  for (const t of children(der, readRoot(der))) {
    const tagNo = t.tag & 0x1f;
    const v = content(der, t);
    if (tagNo === 2) out.dnsNames.push(v.toString('latin1'));
    else if (tagNo === 7) out.ipAddresses.push(bytesToIp(v));
    else if (tagNo === 6) out.uris.push(v.toString('latin1'));
    else if (tagNo === 1) out.emails.push(v.toString('latin1'));
    else out.otherTags.push(tagNo);
  }
  return out;
}

export function basicConstraints(ca: boolean): Node {
  const items: Node[] = ca ? [asn1.create(U, asn1.Type.BOOLEAN, false, '\xff')] : [];
  return extension(OID.basicConstraints, true, seq(items));
}

export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** keyUsage BIT STRING with the named bits set, trailing zero bits trimmed as DER requires. */
export function keyUsage(bits: readonly number[]): Node {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b; // all our bits fit in the first byte
  let unused = 0;
  while (unused < 7 && !(v & (1 << unused))) unused++;
  return extension(
    OID.keyUsage,
    true,
    asn1.create(U, asn1.Type.BITSTRING, false, String.fromCharCode(unused, v)),
  );
}

export function extKeyUsage(oids: readonly string[]): Node {
  return extension(OID.extKeyUsage, false, seq(oids.map(oidNode)));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spki: Buffer): Buffer {
  const parts = children(spki, readRoot(spki));
  const bits = parts[1];
  if (!bits) throw new Error('malformed SubjectPublicKeyInfo');
  return createHash('sha1').update(content(spki, bits).subarray(1)).digest();
}

export const subjectKeyId = (id: Buffer): Node => extension(OID.subjectKeyIdentifier, false, octets(id));

export const authorityKeyId = (id: Buffer): Node =>
  extension(OID.authorityKeyIdentifier, false, seq([asn1.create(CTX, 0, false, toBinary(id))]));

export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

/** Parse a SEQUENCE OF Extension. */
export function parseExtensions(der: Buffer): RawExtension[] {
  const root = asn1FromDer(der);
  return (root.value as Node[]).map((ext) => {
    const parts = ext.value as Node[];
    const oid = asn1.derToOid(parts[0]!.value as string);
    const critical = parts.length === 3 && parts[1]!.value === '\xff';
    const value = Buffer.from(parts[parts.length - 1]!.value as string, 'latin1');
    return { oid, critical, value };
  });
}

export function parseExtKeyUsage(der: Buffer): string[] {
  return (asn1FromDer(der).value as Node[]).map((n) => asn1.derToOid(n.value as string));
}
