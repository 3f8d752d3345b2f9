/**
 * Certificates signed per second: forge-only RSA signing (the baseline, pure JS) vs a forge-built
 * certificate signed with node:crypto vs this project's path (forge.asn1 TBS + node:crypto), for
 * the OCM-style ECDSA CSR and for RSA. Writes bench-out/signing.json.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import forge from 'node-forge';
import {
  buildAddonCsr,
  generateCa,
  loadCa,
  type CertificateSigningRequest,
  newAddonCsrObject,
  type LoadedCa,
} from '@ocm-fl/common/pki/index.js';
import { signCsr, type SignerConfig } from '@ocm-fl/hub-manager/registration/csr-signer.js';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 2000);

interface Result {
  name: string;
  certsPerSecond: number;
  count: number;
  ms: number;
}

function measure(name: string, once: () => string, verifyWith: LoadedCa | forge.pki.Certificate): Result {
  const sample = once();
  const pub =
    'publicKey' in verifyWith && !('certPem' in verifyWith)
      ? new X509Certificate(forge.pki.certificateToPem(verifyWith)).publicKey
      : new X509Certificate((verifyWith as LoadedCa).certPem).publicKey;
  if (!new X509Certificate(sample).verify(pub))
    throw new Error(`${name}: produced a certificate that does not verify`);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < MIN_MS || count < 5) {
    once();
    count++;
  }
  const ms = performance.now() - start;
  return { name, certsPerSecond: Math.round((count / ms) * 1000 * 10) / 10, count, ms: Math.round(ms) };
}

function forgeCa(): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; keyPem: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const attrs = [{ name: 'commonName', value: 'bench-forge-ca' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, critical: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey, keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

function forgeLeaf(ca: forge.pki.Certificate, csrPem: string): forge.pki.Certificate {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.PublicKey;
  cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(16)).replace(/^[89a-f]/, '1');
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true, serverAuth: true },
  ]);
  return cert;
}

function main(): void {
  const rsaCsr = buildAddonCsr({ cluster: 'cluster1', keyType: 'rsa' }).csrPem;
  const ecCsr = buildAddonCsr({ cluster: 'cluster1' }).csrPem;
  const fca = forgeCa();
  const fcaKeyObject = createPrivateKey(fca.keyPem);
  const csrObj = (pem: string): CertificateSigningRequest =>
    newAddonCsrObject({ cluster: 'cluster1', csrPem: pem });
  const ecCa = loadCa(generateCa({ keyType: 'ec' }));
  const rsaCa = loadCa(generateCa({ keyType: 'rsa' }));
  const cfg = (ca: LoadedCa): SignerConfig => ({ ca, maxValiditySeconds: 3600, now: new Date() });

  const results: Result[] = [
    measure(
      'forge-only RSA-2048 CA, RSA CSR (pure-JS signing, baseline)',
      () => {
        const cert = forgeLeaf(fca.cert, rsaCsr);
        cert.sign(fca.key, forge.md.sha256.create());
        return forge.pki.certificateToPem(cert);
      },
      fca.cert,
    ),
    measure(
      'forge-built certificate, node:crypto RSA-2048 signature, RSA CSR',
      () => {
        const cert = forgeLeaf(fca.cert, rsaCsr);
        cert.siginfo.algorithmOid = cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
        const tbs = forge.asn1
          .toDer(
            (
              forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
            ).getTBSCertificate(cert),
          )
          .getBytes();
        cert.signature = sign('sha256', Buffer.from(tbs, 'latin1'), fcaKeyObject).toString('latin1');
        return forge.pki.certificateToPem(cert);
      },
      fca.cert,
    ),
    measure(
      'project signer (parse + checks + forge.asn1 TBS + node:crypto), RSA-2048 CA, RSA CSR',
      () => signCsr(csrObj(rsaCsr), cfg(rsaCa)).certPem,
      rsaCa,
    ),
    measure(
      'project signer, ECDSA P-256 CA, OCM-style ECDSA CSR (production path)',
      () => signCsr(csrObj(ecCsr), cfg(ecCa)).certPem,
      ecCa,
    ),
  ];
  const baseline = results[0]!.certsPerSecond;
  const out = {
    benchmark: 'signing',
    unit: 'certificates per second',
    node: process.version,
    minMsPerCase: MIN_MS,
    baseline: results[0]!.name,
    results: results.map((r) => ({
      ...r,
      speedupVsBaseline: Math.round((r.certsPerSecond / baseline) * 10) / 10,
    })),
    note: 'forge cannot read ECDSA keys, so the EC path has no forge-only baseline',
  };
  mkdirSync('bench-out', { recursive: true });
  writeFileSync('bench-out/signing.json', JSON.stringify(out, null, 2) + '\n');
  console.log(
    `signing: ${results.map((r) => `${r.certsPerSecond}/s`).join(' | ')} (forge-only RSA | forge+node:crypto RSA | project RSA | project EC)`,
  );
}

main();
