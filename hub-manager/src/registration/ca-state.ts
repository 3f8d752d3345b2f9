import { X509Certificate } from 'node:crypto';
import { certParts, joinPems, splitPemBundle, type CaPair } from '@ocm-fl/common/pki/index.js';

/**
 * The addon CA and its rotation, as a pure state machine. Persisted in the CA Secret
 * (see ca-store.ts): `ca.crt`/`ca.key` are the signing CA, `ca-bundle.crt` is what agents and
 * aggregators trust (current + retired CAs still needed), annotations carry the rest.
 */
export interface RetiredCa {
  certPem: string;
  fingerprint: string;
  /** When it stopped signing: nothing it signed lives past retiredAt + maximum validity. */
  retiredAt: string;
  notBefore: string;
  notAfter: string;
}

export interface CaState {
  current: CaPair;
  currentFingerprint: string;
  retired: RetiredCa[];
}

/** One cluster's most recent agent certificate, as recorded by the signer. */
export interface IssuedRecord {
  serial: string;
  /** SHA-256 fingerprint of the issuing CA. */
  issuer: string;
  notAfter: string;
  issuedAt: string;
  /** The certificate it replaced: still in use until the agent installs the new one. */
  previous?: { issuer: string; notAfter: string };
}

export interface IssuedIndex {
  /** The index holds every certificate signed since this time (CAs older than it may have untracked certificates). */
  trackedSince: string;
  clusters: Record<string, IssuedRecord>;
}

export const fingerprintOf = (certPem: string): string => new X509Certificate(certPem).fingerprint256;

export function initialState(current: CaPair): CaState {
  return { current, currentFingerprint: fingerprintOf(current.certPem), retired: [] };
}

/** PEM bundle agents trust: the signing CA first, then retired CAs still needed. */
export function caBundle(state: CaState): string {
  return joinPems([state.current.certPem, ...state.retired.map((r) => r.certPem)]);
}

/** Start a rotation: `next` signs from now on; the old CA stays in the bundle. */
export function startRotation(state: CaState, next: CaPair, now: Date): CaState {
  const old = certParts(state.current.certPem);
  const retired: RetiredCa = {
    certPem: splitPemBundle(state.current.certPem)[0]!,
    fingerprint: state.currentFingerprint,
    retiredAt: now.toISOString(),
    notBefore: old.notBefore.toISOString(),
    notAfter: old.notAfter.toISOString(),
  };
  return {
    current: next,
    currentFingerprint: fingerprintOf(next.certPem),
    retired: [retired, ...state.retired],
  };
}

export interface SettleOptions {
  now: Date;
  /** The signer's maximum certificate lifetime: a hard bound on what a retired CA signed. */
  maxValiditySeconds: number;
  /** How long a replaced certificate is assumed still in use (the agent installs the new one). */
  replacementGraceSeconds: number;
}

export interface SettleDecision {
  state: CaState;
  dropped: { fingerprint: string; why: string }[];
  kept: { fingerprint: string; why: string }[];
}

function whyStillNeeded(ca: RetiredCa, index: IssuedIndex | undefined, o: SettleOptions): string | undefined {
  const now = o.now.getTime();
  if (Date.parse(ca.notAfter) <= now) return undefined; // nothing it signed can still be valid
  if (Date.parse(ca.retiredAt) + o.maxValiditySeconds * 1000 <= now) return undefined; // all it signed has expired
  if (!index || Date.parse(index.trackedSince) > Date.parse(ca.notBefore)) {
    return 'the issued-certificate index does not cover its whole life; waiting for its certificates to expire';
  }
  for (const [cluster, r] of Object.entries(index.clusters)) {
    if (r.issuer === ca.fingerprint && Date.parse(r.notAfter) > now)
      return `cluster ${cluster} still holds a certificate it issued`;
    const p = r.previous;
    if (
      p?.issuer === ca.fingerprint &&
      Date.parse(p.notAfter) > now &&
      Date.parse(r.issuedAt) + o.replacementGraceSeconds * 1000 > now
    ) {
      return `cluster ${cluster} was re-issued recently and may not have installed the new certificate yet`;
    }
  }
  return undefined;
}

/** Drop every retired CA no valid agent certificate depends on any more. */
export function settleRotation(
  state: CaState,
  index: IssuedIndex | undefined,
  o: SettleOptions,
): SettleDecision {
  const dropped: SettleDecision['dropped'] = [];
  const kept: SettleDecision['kept'] = [];
  const retired = state.retired.filter((ca) => {
    const why = whyStillNeeded(ca, index, o);
    if (why) kept.push({ fingerprint: ca.fingerprint, why });
    else dropped.push({ fingerprint: ca.fingerprint, why: 'no valid certificate issued by it remains' });
    return why !== undefined;
  });
  return { state: dropped.length ? { ...state, retired } : state, dropped, kept };
}

/** Record a newly signed certificate for a cluster; older (or equal) records never overwrite newer ones. */
export function recordIssued(
  index: IssuedIndex,
  cluster: string,
  cert: Omit<IssuedRecord, 'previous'>,
): IssuedIndex {
  const prev = index.clusters[cluster];
  if (prev && (prev.serial === cert.serial || Date.parse(prev.issuedAt) > Date.parse(cert.issuedAt)))
    return index;
  const record: IssuedRecord = prev
    ? { ...cert, previous: { issuer: prev.issuer, notAfter: prev.notAfter } }
    : { ...cert };
  return { ...index, clusters: { ...index.clusters, [cluster]: record } };
}

/** True while the signing CA should be replaced: less than `fraction` of its life is left. */
export function caNeedsRotation(state: CaState, now: Date, fraction = 0.2): boolean {
  const p = certParts(state.current.certPem);
  const life = p.notAfter.getTime() - p.notBefore.getTime();
  return p.notAfter.getTime() - now.getTime() < life * fraction;
}
