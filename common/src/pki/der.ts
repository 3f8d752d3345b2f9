import forge from 'node-forge';

/**
 * Minimal DER reader that returns byte ranges instead of decoded values. Signatures cover the
 * exact bytes that were signed, so the signed part (a CSR's CertificationRequestInfo, a
 * certificate's TBSCertificate, an issuer Name) is sliced out raw rather than re-encoded.
 */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

export class DerError extends Error {
  override readonly name = 'DerError';
}

export function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated DER element at offset ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte DER tags are not supported (offset ${offset})`);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len === 0x80) throw new DerError(`indefinite length is not DER (offset ${offset})`);
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4 || p + n > limit) throw new DerError(`bad DER length at offset ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  const end = p + len;
  if (end > limit) throw new DerError(`DER element at offset ${offset} overruns its container`);
  return { tag, start: offset, contentStart: p, end };
}

/** The direct children of a constructed element. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

export function slice(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.start, t.end);
}

export function content(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.contentStart, t.end);
}

/** Read a whole DER blob as one element that must span it exactly. */
export function readRoot(buf: Buffer): Tlv {
  const root = readTlv(buf, 0);
  if (root.end !== buf.length)
    throw new DerError(`${buf.length - root.end} trailing bytes after DER element`);
  return root;
}

// forge.asn1 works on "binary strings" (one char per byte); these convert at the boundary.
export const toBinary = (b: Buffer): string => b.toString('latin1');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

export function asn1FromDer(b: Buffer): forge.asn1.Asn1 {
  // The typings only know the old boolean `strict` argument; forge also takes an options object.
  const fromDer = forge.asn1.fromDer as unknown as (bytes: string, opts: object) => forge.asn1.Asn1;
  return fromDer(toBinary(b), { strict: true, decodeBitStrings: false, parseAllBytes: true });
}

export function asn1ToDer(node: forge.asn1.Asn1): Buffer {
  return fromBinary(forge.asn1.toDer(node).getBytes());
}

export function pemBlocks(pem: string): { label: string; der: Buffer }[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out: { label: string; der: Buffer }[] = [];
  for (const m of pem.matchAll(re))
    out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  return out;
}

export function derToPem(der: Buffer, label: string): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
