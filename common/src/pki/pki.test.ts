import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ADDON_DNS_SAN, agentCommonName, agentGroups } from '../names.js';
import {
  buildAddonCsr,
  certInfo,
  CsrParseError,
  generateCa,
  issueCertificate,
  issueServerCertificate,
  issuingCa,
  joinPems,
  loadCa,
  parseCsr,
  splitPemBundle,
} from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-test-'));
const file = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const hour = 3600_000;

describe('CA generation', () => {
  it.each(['ec', 'rsa'] as const)('makes a self-signed %s CA that openssl accepts as a CA', (keyType) => {
    const pair = generateCa({ keyType, commonName: `test-${keyType}-ca` });
    const ca = loadCa(pair);
    const path = file(`ca-${keyType}.pem`, pair.certPem);
    expect(openssl('verify', '-CAfile', path, path).trim()).toBe(`${path}: OK`);
    const text = openssl('x509', '-in', path, '-noout', '-text');
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
    expect(ca.commonName).toBe(`test-${keyType}-ca`);
    expect(ca.notAfter.getTime() - Date.now()).toBeGreaterThan(4 * 365 * 24 * hour);
  });

  it('refuses a key that does not match and a certificate that is not a CA', () => {
    const a = generateCa();
    const b = generateCa();
    expect(() => loadCa({ certPem: a.certPem, keyPem: b.keyPem })).toThrow(/no CA certificate matches/);
    const ca = loadCa(a);
    const leaf = issueServerCertificate({ ca, dnsNames: ['x.example'] });
    expect(() => loadCa(leaf)).toThrow(/is not a CA/);
  });

  it('picks the certificate matching the key out of a bundle', () => {
    const a = generateCa();
    const b = generateCa();
    const ca = loadCa({ certPem: joinPems([a.certPem, b.certPem]), keyPem: b.keyPem });
    expect(ca.fingerprint).toBe(new X509Certificate(b.certPem).fingerprint256);
  });
});

describe('OCM-style addon CSR to certificate, checked by openssl', () => {
  const ca = loadCa(generateCa());
  const caPath = file('ca.pem', ca.certPem);

  it.each([
    ['ECDSA P-256', { keyType: 'ec' as const }, /id-ecPublicKey[\s\S]*P-256/],
    ['RSA-2048', { keyType: 'rsa' as const }, /rsaEncryption[\s\S]*2048 bit/],
  ])('%s: full 86-char CN, both organisations, clientAuth, verifies against the CA', (_n, opts, keyText) => {
    const { csrPem, keyPem } = buildAddonCsr({ cluster: 'cluster1', ...opts });
    // openssl itself accepts the request and its self-signature
    expect(openssl('req', '-in', file('req.pem', csrPem), '-noout', '-verify')).toBeDefined();
    const csr = parseCsr(csrPem);
    expect(csr.signatureValid).toBe(true);
    expect(csr.subject.cn).toBe(agentCommonName('cluster1'));
    expect(csr.subject.cn!.length).toBeGreaterThan(64); // 87 for cluster1: over RFC 5280's 64, kept whole
    expect([...csr.subject.o].sort()).toEqual([...agentGroups('cluster1')].sort());
    expect(csr.dnsNames).toEqual([ADDON_DNS_SAN]);
    const now = new Date();
    const certPem = issueCertificate({
      ca,
      csr,
      dnsNames: csr.dnsNames,
      notBefore: now,
      notAfter: new Date(now.getTime() + hour),
      usages: ['client', 'server'],
    });
    const certPath = file('cert.pem', certPem);
    expect(openssl('verify', '-CAfile', caPath, certPath).trim()).toBe(`${certPath}: OK`);
    expect(openssl('verify', '-CAfile', caPath, '-purpose', 'sslclient', certPath).trim()).toBe(
      `${certPath}: OK`,
    );
    const text = openssl('x509', '-in', certPath, '-noout', '-text');
    expect(text).toContain(`CN = ${agentCommonName('cluster1')}`);
    for (const g of agentGroups('cluster1')) expect(text).toContain(`O = ${g}`);
    expect(text).toMatch(/TLS Web Client Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(keyText);
    expect(text).toContain(`DNS:${ADDON_DNS_SAN}`);
    // the certificate certifies the CSR's key: the private key from the CSR builder matches it
    expect(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    const info = certInfo(certPem);
    expect(info.serial).toHaveLength(32);
    expect(info.authorityKeyId).toBeDefined();
    expect(info.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);
    expect(info.issuerCN).toBe(ca.commonName);
    expect(opts.keyType === 'rsa' ? /Key Encipherment/.test(text) : !/Key Encipherment/.test(text)).toBe(
      true,
    );
  });

  it('refuses to issue past the CA expiry or with an inverted window', () => {
    const csr = parseCsr(buildAddonCsr({ cluster: 'c' }).csrPem);
    const now = new Date();
    expect(() =>
      issueCertificate({
        ca,
        csr,
        notBefore: now,
        notAfter: new Date(ca.notAfter.getTime() + 1000),
        usages: ['client'],
      }),
    ).toThrow(/past the CA's expiry/);
    expect(() => issueCertificate({ ca, csr, notBefore: now, notAfter: now, usages: ['client'] })).toThrow(
      /not after notBefore/,
    );
  });

  it('issues server certificates with DNS and IP SANs that openssl accepts for TLS servers', () => {
    const { certPem, keyPem } = issueServerCertificate({
      ca,
      dnsNames: ['agg.fl.svc'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const certPath = file('server.pem', certPem);
    expect(openssl('verify', '-CAfile', caPath, '-purpose', 'sslserver', certPath).trim()).toBe(
      `${certPath}: OK`,
    );
    const x = new X509Certificate(certPem);
    expect(x.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBeDefined();
    expect(x.checkHost('agg.fl.svc')).toBe('agg.fl.svc');
    expect(certInfo(certPem).altNames.ipAddresses).toEqual(['127.0.0.1', '0:0:0:0:0:0:0:1']);
  });
});

describe('parseCsr', () => {
  it('reads an openssl-made request with every SAN kind', () => {
    const key = file('o.key', openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'));
    const csrPath = join(dir, 'o.csr');
    openssl(
      'req',
      '-new',
      '-key',
      key,
      '-subj',
      '/O=a/O=b/OU=u/CN=short',
      '-addext',
      'subjectAltName=DNS:one.example,IP:10.1.2.3,URI:spiffe://x/y,email:a@b.example',
      '-out',
      csrPath,
    );
    const csr = parseCsr(readFileSync(csrPath, 'utf8'));
    expect(csr).toMatchObject({
      keyType: 'ec',
      curve: 'P-384',
      signatureValid: true,
      dnsNames: ['one.example'],
      ipAddresses: ['10.1.2.3'],
      uris: ['spiffe://x/y'],
      emails: ['a@b.example'],
    });
    expect(csr.subject).toMatchObject({ cn: 'short', o: ['a', 'b'], ou: ['u'] });
  });

  it('throws CsrParseError for text that is no CSR and for garbage inside a PEM', () => {
    expect(() => parseCsr('hello')).toThrow(CsrParseError);
    expect(() =>
      parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
    ).toThrow(/unparsable certificate request/);
  });

  it('reports a self-signature that does not verify', () => {
    const { csrPem } = buildAddonCsr({ cluster: 'c' });
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[40] = der[40]! ^ 0x01; // a byte inside the signed subject
    const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const csr = parseCsr(bad);
    expect(csr.signatureValid).toBe(false);
    expect(csr.signatureError).toMatch(/does not verify/);
  });
});

describe('bundles', () => {
  it('splits, joins without duplicates and finds the issuing CA', () => {
    const a = loadCa(generateCa());
    const b = loadCa(generateCa());
    const bundle = joinPems([a.certPem, b.certPem, a.certPem]);
    expect(splitPemBundle(bundle)).toHaveLength(2);
    const leaf = issueServerCertificate({ ca: b, dnsNames: ['x'] });
    expect(issuingCa(leaf.certPem, bundle)?.fingerprint256).toBe(b.fingerprint);
    expect(issuingCa(leaf.certPem, a.certPem)).toBeUndefined();
  });
});
