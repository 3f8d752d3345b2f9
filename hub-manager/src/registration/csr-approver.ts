import type { ManagedCluster, ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import {
  ADDON_DNS_SAN,
  ADDON_NAME,
  ADDON_NAME_LABEL,
  agentCommonName,
  agentGroups,
  CLUSTER_NAME_LABEL,
  isDnsLabel,
  klusterletUsernamePrefix,
  SIGNER_NAME,
} from '@ocm-fl/common/names.js';
import {
  CsrParseError,
  parseCsr,
  type CertificateSigningRequest,
  type ParsedCsr,
} from '@ocm-fl/common/pki/index.js';
import { OID } from '@ocm-fl/common/pki/oids.js';

/** Why a CSR is refused, as a stable code (for tests and metrics) with a human message. */
export type RefusalCode =
  | 'ForeignSigner'
  | 'BadName'
  | 'BadAddonLabel'
  | 'BadClusterLabel'
  | 'UnknownCluster'
  | 'ClusterDeleting'
  | 'AddonNotEnabled'
  | 'AddonDeleting'
  | 'BadRequester'
  | 'BadUsages'
  | 'UnparsableRequest'
  | 'BadSignature'
  | 'BadSubject'
  | 'WeakKey'
  | 'BadSubjectAltNames'
  | 'UnsupportedExtension'
  | 'IdentityChanged';

export type Verdict = { approve: true } | { approve: false; code: RefusalCode; reason: string };

export interface ApproveContext {
  /** ManagedClusters the approver may see (the one named by the CSR label is enough). */
  managedClusters: readonly ManagedCluster[];
  /** ManagedClusterAddOns named `federated-learning` (at least the one in the CSR's cluster namespace). */
  managedClusterAddOns: readonly ManagedClusterAddOn[];
  /** Subject of the certificate this cluster holds now; a renewal must ask for the same identity. */
  previousIdentity?: { cluster: string; commonName: string; organizations: readonly string[] };
  /**
   * Accept an extra `system:authenticated` organisation, which older addon-framework defaults
   * added. Off by default: this hub-manager writes the registration subject itself and the
   * klusterlet copies it verbatim, so only a foreign or forged request would carry it.
   */
  allowAuthenticatedGroup?: boolean;
}

export const ALLOWED_USAGES: ReadonlySet<string> = new Set([
  'client auth',
  'digital signature',
  'key encipherment',
]);
const ALLOWED_CURVES = new Set(['P-256', 'P-384']);
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192; // larger keys only cost the hub CPU on every verification

const no = (code: RefusalCode, reason: string): Verdict => ({ approve: false, code, reason });

function checkMetadata(csr: CertificateSigningRequest): Verdict | string {
  const name = csr.metadata.name ?? '';
  if (!name.startsWith('addon'))
    return no('BadName', `name ${JSON.stringify(name)} does not start with "addon"`);
  const labels = csr.metadata.labels ?? {};
  if (labels[ADDON_NAME_LABEL] !== ADDON_NAME)
    return no(
      'BadAddonLabel',
      `label ${ADDON_NAME_LABEL} is ${JSON.stringify(labels[ADDON_NAME_LABEL])}, expected ${ADDON_NAME}`,
    );
  const cluster = labels[CLUSTER_NAME_LABEL];
  if (!cluster || !isDnsLabel(cluster))
    return no(
      'BadClusterLabel',
      `label ${CLUSTER_NAME_LABEL} is ${JSON.stringify(cluster)}, not a cluster name`,
    );
  return cluster;
}

function checkCluster(cluster: string, ctx: ApproveContext): Verdict | undefined {
  const mc = ctx.managedClusters.find((c) => c.metadata.name === cluster);
  if (!mc) return no('UnknownCluster', `ManagedCluster ${cluster} does not exist`);
  if (mc.metadata.deletionTimestamp)
    return no('ClusterDeleting', `ManagedCluster ${cluster} is being deleted`);
  const mca = ctx.managedClusterAddOns.find(
    (a) => a.metadata.name === ADDON_NAME && a.metadata.namespace === cluster,
  );
  if (!mca) return no('AddonNotEnabled', `ManagedClusterAddOn ${cluster}/${ADDON_NAME} does not exist`);
  if (mca.metadata.deletionTimestamp)
    return no('AddonDeleting', `ManagedClusterAddOn ${cluster}/${ADDON_NAME} is being deleted`);
  return undefined;
}

function checkSpec(cluster: string, csr: CertificateSigningRequest): Verdict | undefined {
  const user = csr.spec?.username ?? '';
  const prefix = klusterletUsernamePrefix(cluster);
  const agentId = user.slice(prefix.length);
  if (!user.startsWith(prefix) || agentId === '' || agentId.includes(':')) {
    return no(
      'BadRequester',
      `requester ${JSON.stringify(user)} is not the klusterlet of cluster ${cluster} (${prefix}<agent-id>)`,
    );
  }
  const usages = csr.spec?.usages ?? [];
  const extra = usages.filter((u) => !ALLOWED_USAGES.has(u));
  if (extra.length || !usages.includes('client auth')) {
    return no(
      'BadUsages',
      `usages [${usages.join(', ')}] must include "client auth" and only add "digital signature"/"key encipherment"`,
    );
  }
  return undefined;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && new Set(a).size === a.length && b.every((x) => a.includes(x));

function checkSubject(cluster: string, req: ParsedCsr, ctx: ApproveContext): Verdict | undefined {
  const s = req.subject;
  const cn = agentCommonName(cluster);
  if (s.commonNames.length !== 1 || s.cn !== cn)
    return no('BadSubject', `subject CN [${s.commonNames.join(', ')}] is not ${cn}`);
  const groups = agentGroups(cluster);
  const orgs = ctx.allowAuthenticatedGroup ? s.o.filter((o) => o !== 'system:authenticated') : s.o;
  if (!sameSet(orgs, groups))
    return no(
      'BadSubject',
      `subject organisations [${s.o.join(', ')}] are not exactly [${groups.join(', ')}]`,
    );
  if (s.ou.length || s.other.length)
    return no('BadSubject', 'subject carries attributes other than CN and O');
  return undefined;
}

function checkKey(req: ParsedCsr): Verdict | undefined {
  if (req.keyType === 'ec' && !ALLOWED_CURVES.has(req.curve ?? ''))
    return no('WeakKey', `ECDSA curve ${req.curve} is not P-256 or P-384`);
  if (req.keyType === 'rsa' && !((req.keySize ?? 0) >= MIN_RSA_BITS && (req.keySize ?? 0) <= MAX_RSA_BITS)) {
    return no('WeakKey', `RSA key of ${req.keySize} bits is outside ${MIN_RSA_BITS}..${MAX_RSA_BITS}`);
  }
  if (req.keyType === 'other') return no('WeakKey', 'key is neither ECDSA nor RSA');
  return undefined;
}

function checkSans(req: ParsedCsr): Verdict | undefined {
  if (req.ipAddresses.length)
    return no('BadSubjectAltNames', `IP SANs are not allowed: ${req.ipAddresses.join(', ')}`);
  if (req.uris.length) return no('BadSubjectAltNames', `URI SANs are not allowed: ${req.uris.join(', ')}`);
  if (req.emails.length)
    return no('BadSubjectAltNames', `email SANs are not allowed: ${req.emails.join(', ')}`);
  if (req.otherSanTags.length)
    return no('BadSubjectAltNames', `SAN kinds [${req.otherSanTags.join(', ')}] are not allowed`);
  const badDns = req.dnsNames.filter((d) => d !== ADDON_DNS_SAN);
  if (badDns.length || req.dnsNames.length > 1)
    return no(
      'BadSubjectAltNames',
      `DNS SANs must be none or only ${ADDON_DNS_SAN}, got [${req.dnsNames.join(', ')}]`,
    );
  return undefined;
}

/**
 * Requested extensions the signer honours: only subjectAltName (its DNS name is copied). The
 * signer sets key usage, extended key usage and basicConstraints itself from the approved
 * `spec.usages`, so a request for any other extension (basicConstraints CA:TRUE, an EKU, a name
 * constraint…) would be silently not honoured: refuse it instead, as OCM's klusterlet never asks.
 */
const HONOURED_EXTENSIONS: ReadonlyMap<string, string> = new Map([[OID.subjectAltName, 'subjectAltName']]);
const EXTENSION_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(OID).map(([name, oid]) => [oid, name]),
);

function checkExtensions(req: ParsedCsr): Verdict | undefined {
  const extra = req.requestedExtensions.filter((oid) => !HONOURED_EXTENSIONS.has(oid));
  if (extra.length === 0) return undefined;
  const names = extra.map((oid) => EXTENSION_NAMES[oid] ?? oid);
  return no(
    'UnsupportedExtension',
    `requested extensions [${names.join(', ')}] are not honoured by the signer (only subjectAltName is)`,
  );
}

function checkRenewal(cluster: string, req: ParsedCsr, ctx: ApproveContext): Verdict | undefined {
  const prev = ctx.previousIdentity;
  if (
    prev &&
    (prev.cluster !== cluster ||
      prev.commonName !== req.subject.cn ||
      !sameSet([...prev.organizations], req.subject.o))
  ) {
    return no(
      'IdentityChanged',
      `renewal asks for a different identity than the certificate cluster ${prev.cluster} holds`,
    );
  }
  return undefined;
}

/** Decode `spec.request` (base64 of a PEM) and parse it; a refusal when it cannot be read. */
export function requestOf(csr: CertificateSigningRequest): ParsedCsr | Verdict {
  try {
    return parseCsr(Buffer.from(csr.spec?.request ?? '', 'base64'));
  } catch (e) {
    if (e instanceof CsrParseError) return no('UnparsableRequest', e.message);
    return no('UnparsableRequest', `unreadable request: ${(e as Error).message}`);
  }
}

/**
 * Decide whether to approve an addon CSR. Pure: every input is passed in. Checks are ordered
 * cheapest first; the first failure is the reason given.
 */
export function evaluateCsr(csr: CertificateSigningRequest, ctx: ApproveContext): Verdict {
  if (csr.spec?.signerName !== SIGNER_NAME)
    return no('ForeignSigner', `signer ${csr.spec?.signerName} is not ${SIGNER_NAME}`);
  const cluster = checkMetadata(csr);
  if (typeof cluster !== 'string') return cluster;
  const early = checkCluster(cluster, ctx) ?? checkSpec(cluster, csr);
  if (early) return early;
  const req = requestOf(csr);
  if ('approve' in req) return req;
  if (!req.signatureValid) return no('BadSignature', req.signatureError ?? 'CSR self-signature is invalid');
  const late =
    checkSubject(cluster, req, ctx) ??
    checkKey(req) ??
    checkSans(req) ??
    checkExtensions(req) ??
    checkRenewal(cluster, req, ctx);
  return late ?? { approve: true };
}
