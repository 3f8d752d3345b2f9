import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { asn1FromDer, children, content, pemBlocks, readRoot, slice } from './der.js';
import { emptyAltNames, parseExtensions, parseGeneralNames, type AltNames } from './extensions.js';
import { describeKey, type KeyType } from './keys.js';
import { parseName, type Subject } from './name.js';
import { OID, SIGNATURE_HASH } from './oids.js';

/** A CSR that cannot be read at all; `message` says what is wrong, for an Event or a log. */
export class CsrParseError extends Error {
  override readonly name = 'CsrParseError';
}

export interface ParsedCsr {
  subject: Subject;
  /** SubjectPublicKeyInfo DER, exactly as in the request: what the certificate will certify. */
  publicKeyDer: Buffer;
  publicKey: KeyObject;
  keyType: KeyType;
  keySize?: number;
  curve?: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emails: string[];
  /** SAN kinds other than DNS/IP/URI/email (by GeneralName tag number). */
  otherSanTags: number[];
  /** OIDs of all extensions requested through extensionRequest. */
  requestedExtensions: string[];
  signatureAlgorithm: string;
  /** The CSR's self-signature verifies with its own key, using an accepted algorithm. */
  signatureValid: boolean;
  /** Why signatureValid is false. */
  signatureError?: string;
}

const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

/** The first CERTIFICATE REQUEST block of a PEM string (Kubernetes' spec.request, decoded). */
export function csrDerFromPem(pem: string | Buffer): Buffer {
  const block = pemBlocks(pem.toString()).find((b) => CSR_LABELS.has(b.label));
  if (!block) throw new CsrParseError('no PEM block of type CERTIFICATE REQUEST found');
  return block.der;
}

export function parseCsr(pem: string | Buffer): ParsedCsr {
  const der = csrDerFromPem(pem);
  try {
    return parseCsrDer(der);
  } catch (e) {
    if (e instanceof CsrParseError) throw e;
    throw new CsrParseError(`unparsable certificate request: ${(e as Error).message}`, { cause: e });
  }
}

function readAltNames(attributes: Buffer | undefined): { names: AltNames; requested: string[] } {
  const names = emptyAltNames();
  const requested: string[] = [];
  if (!attributes) return { names, requested };
  for (const attr of children(attributes, readRoot(attributes))) {
    const [oidT, valuesT] = children(attributes, attr);
    if (!oidT || !valuesT) throw new CsrParseError('malformed CSR attribute');
    const oid = forge.asn1.derToOid(content(attributes, oidT).toString('latin1'));
    if (oid !== OID.extensionRequest) continue;
    for (const extsT of children(attributes, valuesT)) {
      for (const ext of parseExtensions(slice(attributes, extsT))) {
        requested.push(ext.oid);
        if (ext.oid !== OID.subjectAltName) continue;
        const g = parseGeneralNames(ext.value);
        names.dnsNames.push(...g.dnsNames);
        names.ipAddresses.push(...g.ipAddresses);
        names.uris.push(...g.uris);
        names.emails.push(...g.emails);
        names.otherTags.push(...g.otherTags);
      }
    }
  }
  return { names, requested };
}

function checkSignature(
  der: Buffer,
  parts: { info: Buffer; alg: Buffer; sig: Buffer },
  key: KeyObject,
): {
  signatureAlgorithm: string;
  signatureValid: boolean;
  signatureError?: string;
} {
  const algOid = forge.asn1.derToOid((asn1FromDer(parts.alg).value as forge.asn1.Asn1[])[0]!.value as string);
  const alg = SIGNATURE_HASH[algOid];
  if (!alg)
    return {
      signatureAlgorithm: algOid,
      signatureValid: false,
      signatureError: `unsupported signature algorithm ${algOid}`,
    };
  if (alg.key !== key.asymmetricKeyType) {
    return {
      signatureAlgorithm: algOid,
      signatureValid: false,
      signatureError: `signature algorithm ${algOid} does not match the ${key.asymmetricKeyType} key`,
    };
  }
  if (parts.sig[0] !== 0)
    return {
      signatureAlgorithm: algOid,
      signatureValid: false,
      signatureError: 'signature BIT STRING has unused bits',
    };
  let ok: boolean;
  try {
    ok = verify(alg.hash, parts.info, key, parts.sig.subarray(1));
  } catch {
    ok = false;
  }
  return ok
    ? { signatureAlgorithm: algOid, signatureValid: true }
    : {
        signatureAlgorithm: algOid,
        signatureValid: false,
        signatureError: 'CSR self-signature does not verify with its public key',
      };
}

function parseCsrDer(der: Buffer): ParsedCsr {
  const root = readRoot(der);
  const [infoT, algT, sigT] = children(der, root);
  if (!infoT || !algT || !sigT || sigT.tag !== 0x03)
    throw new CsrParseError('not a PKCS#10 CertificationRequest');
  const [versionT, subjectT, spkiT, attrsT] = children(der, infoT);
  if (!versionT || versionT.tag !== 0x02 || !subjectT || !spkiT)
    throw new CsrParseError('malformed CertificationRequestInfo');
  if (attrsT && attrsT.tag !== 0xa0) throw new CsrParseError('malformed CSR attributes');
  const publicKeyDer = Buffer.from(slice(der, spkiT));
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  } catch (e) {
    throw new CsrParseError(`unreadable public key in CSR: ${(e as Error).message}`, { cause: e });
  }
  const { names, requested } = readAltNames(attrsT ? Buffer.from(slice(der, attrsT)) : undefined);
  const sig = checkSignature(
    der,
    { info: slice(der, infoT), alg: slice(der, algT), sig: content(der, sigT) },
    publicKey,
  );
  return {
    subject: parseName(Buffer.from(slice(der, subjectT))),
    publicKeyDer,
    publicKey,
    ...describeKey(publicKey),
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses,
    uris: names.uris,
    emails: names.emails,
    otherSanTags: names.otherTags,
    requestedExtensions: requested,
    ...sig,
  };
}
