/**
 * TEST FIXTURE ONLY: a throwaway CA and certificates for data-plane tests and benchmarks.
 * The real addon CA lives in common/src/pki/. Keys come from node:crypto (RSA, which
 * node-forge can read); certificates are built with node-forge.
 */
import { generateKeyPairSync, randomBytes, sign as nodeSign, createPublicKey } from 'node:crypto';
import forge from 'node-forge';

export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TestCert {
  readonly cert: Buffer;
  readonly key: Buffer;
}

function rsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

function newCert(publicPem: forge.pki.rsa.PublicKey, cn: string, days: number): forge.pki.Certificate {
  const c = forge.pki.createCertificate();
  c.publicKey = publicPem;
  c.serialNumber = '01' + randomBytes(8).toString('hex');
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  c.setSubject([{ name: 'commonName', value: cn }]);
  return c;
}

function publicOf(keyPem: string): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(
    createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }) as string,
  );
}

/** Sign with node:crypto (forge's pure-JS RSA takes seconds): forge hands us the TBS bytes via `md`. */
function signWithNode(c: forge.pki.Certificate, keyPem: string): void {
  let tbs = '';
  const md = {
    algorithm: 'sha256',
    start: () => md,
    update: (bytes: string) => ((tbs += bytes), md),
  };
  const key = { sign: () => nodeSign('sha256', Buffer.from(tbs, 'binary'), keyPem).toString('binary') };
  c.sign(key as unknown as forge.pki.rsa.PrivateKey, md as unknown as forge.md.MessageDigest);
}

export function createTestCa(cn = 'test-ca'): TestCa {
  const keyPem = rsaKeyPem();
  const c = newCert(publicOf(keyPem), cn, 30);
  c.setIssuer(c.subject.attributes);
  c.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  signWithNode(c, keyPem);
  return { certPem: forge.pki.certificateToPem(c), keyPem };
}

/** A leaf certificate: `dnsNames` makes it a server cert (SANs), otherwise a client cert. */
export function issueTestCert(ca: TestCa, cn: string, dnsNames: readonly string[] = []): TestCert {
  const keyPem = rsaKeyPem();
  const c = newCert(publicOf(keyPem), cn, 7);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  c.setIssuer(caCert.subject.attributes);
  const server = dnsNames.length > 0;
  c.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
    ...(server ? [{ name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) }] : []),
  ]);
  signWithNode(c, ca.keyPem);
  return { cert: Buffer.from(forge.pki.certificateToPem(c)), key: Buffer.from(keyPem) };
}
