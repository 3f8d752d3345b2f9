import { randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { asn1FromDer, asn1ToDer, toBinary } from './der.js';
import { oidNode, seq } from './extensions.js';
import { signatureAlgorithmFor } from './keys.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
type Node = forge.asn1.Asn1;

export interface TbsInput {
  serial: Buffer;
  issuerDer: Buffer;
  subject: Node;
  spkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Node[];
  signingKey: KeyObject;
}

/** A positive 128-bit serial whose first byte is non-zero, so it encodes in exactly 16 bytes. */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

function time(d: Date): Node {
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  const y = d.getUTCFullYear();
  const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return y < 2050 && y >= 1950
    ? asn1.create(U, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(t))
    : asn1.create(U, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(t));
}

export function algorithmIdentifier(oid: string, rsa: boolean): Node {
  return seq(rsa ? [oidNode(oid), asn1.create(U, asn1.Type.NULL, false, '')] : [oidNode(oid)]);
}

/**
 * Build a TBSCertificate with forge.asn1 and sign it with node:crypto (native, about 20×
 * faster than forge's pure-JS RSA, and the only way to sign with an ECDSA CA key).
 */
export function buildCertificate(input: TbsInput): Buffer {
  const alg = signatureAlgorithmFor(input.signingKey);
  const algId = algorithmIdentifier(alg.oid, alg.rsa);
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, asn1.Type.INTEGER, false, '\x02')]),
    asn1.create(U, asn1.Type.INTEGER, false, toBinary(input.serial)),
    algId,
    asn1FromDer(input.issuerDer),
    seq([time(input.notBefore), time(input.notAfter)]),
    input.subject,
    asn1FromDer(input.spkiDer),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(input.extensions)]),
  ]);
  const tbsDer = asn1ToDer(tbs);
  const signature = sign(alg.hash, tbsDer, input.signingKey);
  const sigBits = asn1.create(U, asn1.Type.BITSTRING, false, '\x00' + toBinary(signature));
  return wrapSequence([tbsDer, asn1ToDer(algId), asn1ToDer(sigBits)]);
}

/** Wrap already-encoded DER elements in a SEQUENCE without re-parsing them. */
export function wrapSequence(parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([0x30, n]);
  else if (n < 0x100) header = Buffer.from([0x30, 0x81, n]);
  else if (n < 0x10000) header = Buffer.from([0x30, 0x82, n >> 8, n & 0xff]);
  else header = Buffer.from([0x30, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([header, body]);
}
