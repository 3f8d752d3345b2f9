import forge from 'node-forge';
import { asn1FromDer, fromBinary } from './der.js';
import { OID } from './oids.js';

const { asn1 } = forge;

/** A certificate or CSR subject, with every attribute kept (nothing truncated). */
export interface Subject {
  /** The common name when exactly one is present. */
  cn?: string;
  commonNames: string[];
  o: string[];
  ou: string[];
  /** Attributes other than CN, O, OU, as OID → values. */
  other: { oid: string; value: string }[];
}

/** What a caller asks to put in a subject. */
export interface SubjectInput {
  cn: string;
  o?: readonly string[];
  ou?: readonly string[];
}

function decodeString(node: forge.asn1.Asn1): string {
  const raw = fromBinary(node.value as string);
  switch (node.type) {
    case asn1.Type.UTF8:
      return raw.toString('utf8');
    case asn1.Type.BMPSTRING:
      return raw.swap16().toString('utf16le');
    default:
      return raw.toString('latin1');
  }
}

/** Parse a DER-encoded Name, accepting multi-valued RDNs (Go puts all O values in one SET). */
export function parseName(der: Buffer): Subject {
  const root = asn1FromDer(der);
  const out: Subject = { commonNames: [], o: [], ou: [], other: [] };
  for (const rdn of root.value as forge.asn1.Asn1[]) {
    for (const atv of rdn.value as forge.asn1.Asn1[]) {
      const [oidNode, valueNode] = atv.value as forge.asn1.Asn1[];
      if (!oidNode || !valueNode) throw new Error('malformed AttributeTypeAndValue in Name');
      const oid = asn1.derToOid(oidNode.value as string);
      const value = decodeString(valueNode);
      if (oid === OID.commonName) out.commonNames.push(value);
      else if (oid === OID.organization) out.o.push(value);
      else if (oid === OID.organizationalUnit) out.ou.push(value);
      else out.other.push({ oid, value });
    }
  }
  if (out.commonNames.length === 1) out.cn = out.commonNames[0];
  return out;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function stringNode(value: string): forge.asn1.Asn1 {
  // Go encodes PrintableString when it can and UTF8String otherwise; do the same.
  if (PRINTABLE.test(value))
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.PRINTABLESTRING, false, value);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(value));
}

function atv(oid: string, value: string): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    stringNode(value),
  ]);
}

function set(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  // DER orders SET OF by encoding.
  const sorted = items
    .map((n) => ({ n, der: asn1.toDer(n).getBytes() }))
    .sort((a, b) => (a.der < b.der ? -1 : a.der > b.der ? 1 : 0))
    .map((x) => x.n);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, sorted);
}

/**
 * Build a Name: O values, then OU values, then CN last (Go's order). `multiValuedRdn` puts all
 * O (and all OU) values into one RDN, as Go's pkix.Name does; otherwise one RDN per value.
 */
export function buildName(s: SubjectInput, opts: { multiValuedRdn?: boolean } = {}): forge.asn1.Asn1 {
  const rdns: forge.asn1.Asn1[] = [];
  for (const [oid, values] of [
    [OID.organization, s.o ?? []],
    [OID.organizationalUnit, s.ou ?? []],
  ] as const) {
    if (values.length === 0) continue;
    if (opts.multiValuedRdn) rdns.push(set(values.map((v) => atv(oid, v))));
    else for (const v of values) rdns.push(set([atv(oid, v)]));
  }
  rdns.push(set([atv(OID.commonName, s.cn)]));
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, rdns);
}
