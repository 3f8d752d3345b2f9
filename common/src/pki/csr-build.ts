import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { ADDON_DNS_SAN, agentCommonName, agentGroups } from '../names.js';
import { asn1FromDer, asn1ToDer, derToPem, toBinary } from './der.js';
import { oidNode, seq, subjectAltName } from './extensions.js';
import { spkiDer } from './keys.js';
import { buildName, type SubjectInput } from './name.js';
import { OID } from './oids.js';
import { algorithmIdentifier, wrapSequence } from './tbs.js';

const { asn1 } = forge;

export interface CsrBuildOptions {
  subject: SubjectInput;
  /** Existing private key (PEM or KeyObject); otherwise one is generated. */
  key?: KeyObject | string;
  keyType?: 'ec' | 'rsa';
  /** OpenSSL curve name, default prime256v1 (P-256), what OCM's registration agent uses. */
  curve?: string;
  rsaBits?: number;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  uris?: readonly string[];
  emails?: readonly string[];
  hash?: 'sha256' | 'sha384' | 'sha512';
  /** All O values in one RDN, as Go's pkix.Name marshals them. Default true. */
  multiValuedRdn?: boolean;
  /** More requested extensions (e.g. `basicConstraints(true)`): tests build hostile requests. */
  extraExtensions?: readonly forge.asn1.Asn1[];
}

const SIG_OIDS = {
  rsa: { sha256: OID.sha256WithRSA, sha384: OID.sha384WithRSA, sha512: OID.sha512WithRSA },
  ec: { sha256: OID.ecdsaWithSHA256, sha384: OID.ecdsaWithSHA384, sha512: OID.ecdsaWithSHA512 },
} as const;

function keyFor(opts: CsrBuildOptions): KeyObject {
  if (opts.key) return typeof opts.key === 'string' ? createPrivateKey(opts.key) : opts.key;
  if (opts.keyType === 'rsa')
    return generateKeyPairSync('rsa', { modulusLength: opts.rsaBits ?? 2048 }).privateKey;
  return generateKeyPairSync('ec', { namedCurve: opts.curve ?? 'prime256v1' }).privateKey;
}

/** A PKCS#10 request built with forge.asn1 and signed with node:crypto (works for EC keys too). */
export function buildCsr(opts: CsrBuildOptions): { csrPem: string; keyPem: string } {
  const key = keyFor(opts);
  const kt = key.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec';
  const hash = opts.hash ?? 'sha256';
  const san = subjectAltName({
    dnsNames: [...(opts.dnsNames ?? [])],
    ipAddresses: [...(opts.ipAddresses ?? [])],
    uris: [...(opts.uris ?? [])],
    emails: [...(opts.emails ?? [])],
  });
  const exts = [...(san ? [san] : []), ...(opts.extraExtensions ?? [])];
  const attributes = exts.length
    ? [
        seq([
          oidNode(OID.extensionRequest),
          asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [seq(exts)]),
        ]),
      ]
    : [];
  const info = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x00'),
    buildName(opts.subject, { multiValuedRdn: opts.multiValuedRdn ?? true }),
    asn1FromDer(spkiDer(key)),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, attributes),
  ]);
  const infoDer = asn1ToDer(info);
  const signature = sign(hash, infoDer, key);
  const alg = algorithmIdentifier(SIG_OIDS[kt][hash], kt === 'rsa');
  const bits = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + toBinary(signature));
  const der = wrapSequence([infoDer, asn1ToDer(alg), asn1ToDer(bits)]);
  return {
    csrPem: derToPem(der, 'CERTIFICATE REQUEST'),
    keyPem: key.export({ format: 'pem', type: kt === 'ec' ? 'sec1' : 'pkcs1' }).toString(),
  };
}

export interface AddonCsrOptions extends Partial<CsrBuildOptions> {
  cluster: string;
}

/**
 * The request OCM's klusterlet registration agent makes for this addon: ECDSA P-256 key, CN
 * `agentCommonName(cluster)` (86+ characters), O = `agentGroups(cluster)`, DNS SAN
 * `ADDON_DNS_SAN`. Any field can be overridden (tests build hostile variants this way).
 */
export function buildAddonCsr(opts: AddonCsrOptions): { csrPem: string; keyPem: string } {
  const { cluster, ...rest } = opts;
  return buildCsr({
    subject: { cn: agentCommonName(cluster), o: agentGroups(cluster) },
    dnsNames: [ADDON_DNS_SAN],
    ...rest,
  });
}
