import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { agentCommonName } from '@ocm-fl/common/names.js';
import { certInfo, generateCa, loadCa } from '@ocm-fl/common/pki/index.js';
import {
  caBundle,
  initialState,
  recordIssued,
  settleRotation,
  startRotation,
  type IssuedIndex,
} from './ca-state.js';
import { certificateValidity, SignError, signCsr } from './csr-signer.js';
import { newCsr } from './fixtures.test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'signer-test-'));
const verify = (caPem: string, certPem: string, attime?: Date, purpose?: string): string => {
  writeFileSync(join(dir, 'b.pem'), caPem);
  writeFileSync(join(dir, 'c.pem'), certPem);
  try {
    const at = [
      ...(attime === undefined ? [] : ['-attime', String(Math.floor(attime.getTime() / 1000))]),
      ...(purpose ? ['-purpose', purpose] : []),
    ];
    return execFileSync('openssl', ['verify', ...at, '-CAfile', join(dir, 'b.pem'), join(dir, 'c.pem')], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch (e) {
    return `FAILED: ${(e as { stdout?: string }).stdout ?? ''}`;
  }
};

const now = new Date('2030-01-01T00:00:00Z');
const caPair = generateCa({ now: new Date('2029-12-01T00:00:00Z'), validityDays: 365 });
const ca = loadCa(caPair);

describe('certificate validity', () => {
  const c = { ca, maxValiditySeconds: 86_400, now, backdateSeconds: 60 };
  it.each([
    ['expirationSeconds below the maximum', 7200, 7200],
    ['no expirationSeconds: the configured maximum', undefined, 86_400],
    ['expirationSeconds above the maximum', 10 * 86_400, 86_400],
    ['expirationSeconds below the Kubernetes minimum of 600', 60, 600],
  ])('%s', (_n, exp, seconds) => {
    const v = certificateValidity(exp, c);
    expect((v.notAfter.getTime() - now.getTime()) / 1000).toBe(seconds);
    expect(v.notBefore.getTime()).toBe(now.getTime() - 60_000);
  });

  it('a short configured maximum wins over the 600 s floor (scaled-down tests)', () => {
    expect(
      (certificateValidity(3600, { ...c, maxValiditySeconds: 120 }).notAfter.getTime() - now.getTime()) /
        1000,
    ).toBe(120);
  });

  it('capped by the CA expiry', () => {
    const late = new Date(ca.notAfter.getTime() - 3600_000);
    expect(certificateValidity(86_400, { ...c, now: late }).notAfter).toEqual(ca.notAfter);
    expect(() => certificateValidity(86_400, { ...c, now: new Date(ca.notAfter.getTime() + 1) })).toThrow(
      SignError,
    );
  });
});

describe('signCsr', () => {
  it('certifies the request key with its subject and the approved usages only (client auth), verifiable by openssl', () => {
    const csr = newCsr('cluster1', {}, 3600);
    const signed = signCsr(csr, { ca, maxValiditySeconds: 86_400, now });
    expect(verify(ca.certPem, signed.certPem, now)).toMatch(/: OK$/);
    const info = certInfo(signed.certPem);
    expect(info.subjectCN).toBe(agentCommonName('cluster1'));
    expect(info.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth, no serverAuth
    expect(verify(ca.certPem, signed.certPem, now, 'sslclient')).toMatch(/: OK$/);
    expect(verify(ca.certPem, signed.certPem, now, 'sslserver')).not.toMatch(/: OK$/);
    expect(signed.issuerFingerprint).toBe(ca.fingerprint);
  });

  it('refuses (SignError) a request whose usages name neither client nor server auth', () => {
    const csr = newCsr('cluster1');
    csr.spec!.usages = ['digital signature'];
    expect(() => signCsr(csr, { ca, maxValiditySeconds: 3600, now })).toThrow(/neither client nor server/);
  });

  it('refuses (SignError) an unparsable request even when approved', () => {
    const csr = newCsr('cluster1');
    csr.spec!.request = Buffer.from('junk').toString('base64');
    expect(() => signCsr(csr, { ca, maxValiditySeconds: 3600, now: new Date() })).toThrow(SignError);
  });
});

describe('CA rotation', () => {
  const opts = (t: Date) => ({ now: t, maxValiditySeconds: 86_400, replacementGraceSeconds: 600 });
  const t0 = new Date(Date.now() - 2 * 3600_000);
  const s0 = initialState(generateCa({ now: t0 }));
  const old = loadCa(s0.current);
  const index0: IssuedIndex = {
    trackedSince: new Date(old.notBefore.getTime() - 1000).toISOString(),
    clusters: {},
  };
  const sign = (signer: ReturnType<typeof loadCa>, cluster: string, at: Date) =>
    signCsr(newCsr(cluster), { ca: signer, maxValiditySeconds: 86_400, now: at });
  const rec = (idx: IssuedIndex, cluster: string, s: ReturnType<typeof sign>, at: Date): IssuedIndex =>
    recordIssued(idx, cluster, {
      serial: certInfo(s.certPem).serial,
      issuer: s.issuerFingerprint,
      notAfter: s.notAfter.toISOString(),
      issuedAt: at.toISOString(),
    });

  it('keeps both CAs in the bundle, signs with the new one, drops the old only when no old certificate remains', () => {
    let index = index0;
    const a0 = sign(old, 'a', t0);
    const b0 = sign(old, 'b', t0);
    index = rec(rec(index, 'a', a0, t0), 'b', b0, t0);

    const t1 = new Date(t0.getTime() + 3600_000);
    const s1 = startRotation(s0, generateCa({ now: t1 }), t1);
    const next = loadCa(s1.current);
    const bundle = caBundle(s1);
    expect(bundle).toContain(old.certPem.trim().split('\n')[1]);
    expect(bundle).toContain(next.certPem.trim().split('\n')[1]);
    // old certificates still verify against the bundle, and new ones too
    expect(verify(bundle, a0.certPem)).toMatch(/: OK$/);
    const a1 = sign(next, 'a', new Date());
    expect(verify(bundle, a1.certPem)).toMatch(/: OK$/);
    expect(verify(next.certPem, a0.certPem)).toMatch(/FAILED/);

    // b still holds an old certificate: the old CA stays
    index = rec(index, 'a', a1, t1);
    const later = new Date(t1.getTime() + 3600_000);
    let d = settleRotation(s1, index, opts(later));
    expect(d.dropped).toEqual([]);
    expect(d.kept[0]!.why).toMatch(/cluster b still holds/);

    // b renews from the new CA; within the grace period b may not have installed it yet
    const t2 = new Date(later.getTime() + 1000);
    index = rec(index, 'b', sign(next, 'b', new Date()), t2);
    d = settleRotation(s1, index, opts(new Date(t2.getTime() + 60_000)));
    expect(d.kept[0]!.why).toMatch(/re-issued recently/);

    // after the grace period nothing depends on the old CA: dropped
    d = settleRotation(s1, index, opts(new Date(t2.getTime() + 601_000)));
    expect(d.dropped.map((x) => x.fingerprint)).toEqual([old.fingerprint]);
    expect(caBundle(d.state)).not.toContain(old.certPem.trim().split('\n')[1]);
  });

  it('an old certificate that simply expires releases the old CA', () => {
    const s1 = startRotation(s0, generateCa(), t0);
    const a0 = sign(old, 'a', t0);
    const index = rec(index0, 'a', a0, t0);
    expect(settleRotation(s1, index, opts(new Date(a0.notAfter.getTime() - 1000))).dropped).toEqual([]);
    expect(settleRotation(s1, index, opts(new Date(a0.notAfter.getTime() + 1000))).dropped).toHaveLength(1);
  });

  it('without a complete index the old CA is kept until everything it could have signed has expired', () => {
    const s1 = startRotation(s0, generateCa(), t0);
    const late: IssuedIndex = { trackedSince: new Date(t0.getTime() + 1000).toISOString(), clusters: {} };
    expect(settleRotation(s1, late, opts(new Date(t0.getTime() + 3600_000))).kept[0]!.why).toMatch(
      /does not cover/,
    );
    expect(settleRotation(s1, undefined, opts(new Date(t0.getTime() + 86_401_000))).dropped).toHaveLength(1);
  });

  it('recordIssued never lets an older certificate overwrite a newer one', () => {
    const r = {
      serial: '1',
      issuer: 'X',
      notAfter: '2031-01-01T00:00:00Z',
      issuedAt: '2030-01-02T00:00:00Z',
    };
    const idx = recordIssued(index0, 'a', r);
    expect(recordIssued(idx, 'a', { ...r, serial: '0', issuedAt: '2030-01-01T00:00:00Z' })).toBe(idx);
    expect(
      recordIssued(idx, 'a', { ...r, serial: '2', issuer: 'Y', issuedAt: '2030-01-03T00:00:00Z' }).clusters.a,
    ).toMatchObject({ serial: '2', previous: { issuer: 'X' } });
  });
});
