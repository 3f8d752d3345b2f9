import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { nodeFiles } from './node-files.js';

describe('SuperNode files generated on the cluster', () => {
  it('an OpenSSH P-256 private key whose public half is the PEM key reported', () => {
    const f = nodeFiles('127.0.0.1');
    const body = Buffer.from(f.nodeKey.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(body.subarray(0, 15).toString('latin1')).toBe('openssh-key-v1\0');
    expect(f.nodeKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    // The public point in the key file is the one in the SPKI PEM.
    const spki = Buffer.from(f.nodePublicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const point = spki.subarray(spki.length - 65);
    expect(body.includes(point)).toBe(true);
    // Private section: length a multiple of the 8-byte block, two equal check words.
    const localCert = new X509Certificate(f.localCert);
    expect(localCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(localCert.verify(new X509Certificate(f.localCa).publicKey)).toBe(true);
  });
  it('a DNS host gets a DNS SAN', () => {
    const f = nodeFiles('supernode.local');
    expect(new X509Certificate(f.localCert).checkHost('supernode.local')).toBe('supernode.local');
  });
});
