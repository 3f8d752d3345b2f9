/**
 * Files a SuperNode pod needs before its containers start, generated on the cluster (an init
 * container of the agent image): the SuperNode's ECDSA P-256 key in the OpenSSH format flwr
 * loads (`--auth-supernode-private-key`; the private key never leaves the pod), and a
 * throwaway local CA plus serving certificate for the forwarder on the pod's loopback, which
 * the SuperNode trusts via `--root-certificates` (Flower insists on TLS when node
 * authentication is on).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCa, issueServerCertificate, loadCa } from '@ocm-fl/common/pki/index.js';

const sshString = (b: Buffer | string): Buffer => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** An SSH mpint: big-endian, a leading zero when the top bit is set. */
const mpint = (b: Buffer): Buffer => {
  let v = b;
  while (v.length > 1 && v[0] === 0 && ((v[1] ?? 0) & 0x80) === 0) v = v.subarray(1);
  return sshString((v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
};

/** An unencrypted `openssh-key-v1` private key for a P-256 key (PROTOCOL.key in OpenSSH). */
export function opensshPrivateKey(key: KeyObject, comment = ''): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) throw new Error('need a P-256 private key');
  const q = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  const type = 'ecdsa-sha2-nistp256';
  const pub = Buffer.concat([sshString(type), sshString('nistp256'), sshString(q)]);
  const check = randomBytes(4).readUInt32BE();
  let priv = Buffer.concat([
    u32(check),
    u32(check),
    sshString(type),
    sshString('nistp256'),
    sshString(q),
    mpint(Buffer.from(jwk.d, 'base64url')),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(pub),
    sshString(priv),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export interface NodeFiles {
  nodeKey: string;
  nodePublicKeyPem: string;
  localCa: string;
  localCert: string;
  localKey: string;
}

/** The files for a SuperNode whose forwarder listens on `host` (an IP or a DNS name). */
export function nodeFiles(host: string): NodeFiles {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ca = loadCa(generateCa({ commonName: 'flower-forwarder-local-ca', validityDays: 3650 }));
  const isIp = /^[0-9.]+$|:/.test(host);
  const serving = issueServerCertificate({
    ca,
    dnsNames: isIp ? ['localhost'] : [host, 'localhost'],
    ipAddresses: isIp ? [host] : ['127.0.0.1'],
    notAfter: ca.notAfter,
  });
  return {
    nodeKey: opensshPrivateKey(privateKey),
    nodePublicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    localCa: ca.certPem,
    localCert: serving.certPem,
    localKey: serving.keyPem,
  };
}

export const NODE_FILE_NAMES = {
  nodeKey: 'node.key',
  nodePublicKeyPem: 'node.pub.pem',
  localCa: 'local-ca.crt',
  localCert: 'local.crt',
  localKey: 'local.key',
} as const;

/** Write the files (each atomically); an existing set is replaced, a new key means a new node. */
export async function writeNodeFiles(dir: string, files: NodeFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [k, name] of Object.entries(NODE_FILE_NAMES)) {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, files[k as keyof NodeFiles], { mode: 0o600 });
    await rename(tmp, join(dir, name));
  }
}
