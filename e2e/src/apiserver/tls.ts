/** A self-made CA and serving certificate: keys from node:crypto (fast), certificates built with node-forge. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface CertPair {
  certPem: string;
  keyPem: string;
}

export interface ServerTls {
  ca: CertPair;
  serving: CertPair;
}

function rsaKeyPair(): CertPair & { forgeKey: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const forgePub = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { certPem: '', keyPem: privateKey, forgeKey, forgePub };
}

function serial(): string {
  // Positive serial: clear the top bit.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 24 * 3600 * 1000);
}

/** Create a CA and a serving certificate for 127.0.0.1/localhost (plus extra hosts) signed by it. */
export function makeServerTls(commonName: string, extraHosts: string[] = []): ServerTls {
  const caKey = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKey.forgePub;
  ca.serialNumber = serial();
  validity(ca, 3650);
  const caSubject = [{ name: 'commonName', value: `${commonName}-ca` }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey.forgeKey, forge.md.sha256.create());

  const srvKey = rsaKeyPair();
  const srv = forge.pki.createCertificate();
  srv.publicKey = srvKey.forgePub;
  srv.serialNumber = serial();
  validity(srv, 3650);
  srv.setSubject([{ name: 'commonName', value: commonName }]);
  srv.setIssuer(caSubject);
  const hosts = ['127.0.0.1', 'localhost', '::1', ...extraHosts];
  const altNames = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  srv.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  srv.sign(caKey.forgeKey, forge.md.sha256.create());

  return {
    ca: { certPem: forge.pki.certificateToPem(ca), keyPem: caKey.keyPem },
    serving: { certPem: forge.pki.certificateToPem(srv), keyPem: srvKey.keyPem },
  };
}
