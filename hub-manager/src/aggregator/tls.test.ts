import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createPublicKey } from 'node:crypto';
import type { TestCert } from '@ocm-fl/common/dataplane/test-pki.js';
import { generateCa, generateKey, loadCa, privateKeyPem, type LoadedCa } from '@ocm-fl/common/pki/ca.js';
import { issueCertificate, issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { agentCommonName } from '@ocm-fl/common/names.js';
import {
  createHarness,
  makeTensors,
  MIXED_SPEC,
  type Harness,
  statusOf,
  startHarnessAggregator,
} from './test-harness.js';
import { startAggregator, type Aggregator } from './main.js';

type Outcome = { accepted: true; protocol: string; cipher: string } | { accepted: false; code: string };

/**
 * One raw TLS handshake. Accepted means the server sent its HTTP/2 SETTINGS: with TLS 1.3 the
 * client finishes before the server has checked the client certificate, so `secureConnect`
 * alone does not prove the server took the connection.
 */
function handshake(port: number, o: ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], ...o });
    const timer = setTimeout(() => finish({ accepted: false, code: 'TIMEOUT' }), 5_000);
    function finish(r: Outcome): void {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    }
    s.once('data', () =>
      finish({ accepted: true, protocol: s.getProtocol() ?? '', cipher: s.getCipher().name }),
    );
    s.once('error', (e: NodeJS.ErrnoException) => finish({ accepted: false, code: e.code ?? e.message }));
    s.once('close', () => finish({ accepted: false, code: 'CLOSED' }));
  });
}

/** Client-side settings that allow what the server must refuse, so any refusal is the server's. */
const LEGACY = 'DEFAULT:@SECLEVEL=0';
const PROTOCOL_ALERT = 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION';
const HANDSHAKE_ALERT = 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';

/** CBC, or a key exchange without forward secrecy: what TLS 1.2 must refuse, per server key type. */
const WEAK_TLS12 = {
  RSA: ['AES128-SHA256', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES256-SHA'],
  ECDSA: ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA'],
} as const;

/** Protocol and cipher policy, checked against a running server whose key is of type `auth`. */
async function expectPolicy(port: number, cert: TestCert, ca: Buffer, auth: 'RSA' | 'ECDSA'): Promise<void> {
  const id = { cert: cert.cert, key: cert.key, ca };
  const tls12 = { ...id, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
  for (const v of ['TLSv1', 'TLSv1.1'] as const)
    expect(await handshake(port, { ...id, minVersion: v, maxVersion: v, ciphers: LEGACY })).toEqual({
      accepted: false,
      code: PROTOCOL_ALERT,
    });
  for (const cipher of WEAK_TLS12[auth])
    expect(await handshake(port, { ...tls12, ciphers: `${cipher}:@SECLEVEL=0` })).toEqual({
      accepted: false,
      code: HANDSHAKE_ALERT,
    });
  const strong = `ECDHE-${auth}-AES128-GCM-SHA256`;
  expect(await handshake(port, { ...tls12, ciphers: strong })).toEqual({
    accepted: true,
    protocol: 'TLSv1.2',
    cipher: strong,
  });
  expect(await handshake(port, { ...id, minVersion: 'TLSv1.3' })).toMatchObject({
    accepted: true,
    protocol: 'TLSv1.3',
  });
}

describe('TLS policy of the aggregator', () => {
  let h: Harness;
  let agg: Aggregator;
  beforeAll(async () => {
    ({ h, agg } = await startHarnessAggregator({}, { tlsReloadIntervalMs: 0 }));
  });
  afterAll(async () => {
    await agg.close();
  });

  it('offers TLS 1.2 ECDHE+AEAD and TLS 1.3 only', async () => {
    await expectPolicy(agg.port, h.clientCert('c1'), Buffer.from(h.ca.certPem), 'RSA');
  });

  it('refuses a handshake without a client certificate, on TLS 1.2 and TLS 1.3', async () => {
    const ca = Buffer.from(h.ca.certPem);
    expect(await handshake(agg.port, { ca, maxVersion: 'TLSv1.2' })).toEqual({
      accepted: false,
      code: HANDSHAKE_ALERT,
    });
    expect(await handshake(agg.port, { ca, minVersion: 'TLSv1.3' })).toEqual({
      accepted: false,
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
  });

  it('refuses a client that does not offer h2 in ALPN', async () => {
    const c = h.clientCert('c1');
    expect(
      await handshake(agg.port, {
        cert: c.cert,
        key: c.key,
        ca: Buffer.from(h.ca.certPem),
        ALPNProtocols: ['http/1.1'],
      }),
    ).toEqual({ accepted: false, code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
  });

  it('closes a TLS 1.2 connection that tries to renegotiate', async () => {
    const c = h.clientCert('c1');
    const s = tlsConnect({
      host: '127.0.0.1',
      port: agg.port,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      maxVersion: 'TLSv1.2',
      cert: c.cert,
      key: c.key,
      ca: Buffer.from(h.ca.certPem),
    });
    s.on('error', () => undefined);
    await new Promise((r) => s.once('data', r)); // the server's SETTINGS: connection accepted
    let renegotiated = false;
    const closed = new Promise((r) => s.once('close', r));
    s.renegotiate({}, (err) => (renegotiated = !err));
    await closed;
    expect(renegotiated).toBe(false);
  });
});

function recordingLogger(lines: string[]): Logger {
  const log: Record<string, unknown> = {};
  for (const level of ['error', 'warn', 'info', 'debug'])
    log[level] = (message: string) => void lines.push(`${level} ${message}`);
  log.child = () => log;
  return log as unknown as Logger;
}

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function clientCertFrom(ca: LoadedCa, cluster: string): TestCert {
  const key = generateKey('ec');
  const now = Date.now();
  const cert = issueCertificate({
    ca,
    publicKey: createPublicKey(key),
    subject: { cn: agentCommonName(cluster) },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    usages: ['client'],
  });
  return { cert: Buffer.from(cert), key: Buffer.from(privateKeyPem(key)) };
}

describe('TLS reload after an addon-CA rotation', () => {
  let h: Harness;
  let agg: Aggregator;
  const lines: string[] = [];
  beforeAll(async () => {
    h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    agg = await startAggregator(h.config({ admittedClusters: ['c1', 'c2'] }), {
      logger: recordingLogger(lines),
      tlsReloadIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await agg.close();
  });

  it('serves new connections with the new certificate and CA bundle, keeps open ones, refuses a mismatched key', async () => {
    const files = h.config({}).tls;
    // The rotated CA and the new serving certificate come from the addon's own PKI (ECDSA).
    const ca2 = loadCa(generateCa());
    const bundle = Buffer.from(h.ca.certPem + ca2.certPem);
    const c2 = clientCertFrom(ca2, 'c2');
    const issued = issueServerCertificate({ ca: ca2, dnsNames: ['localhost'] });
    const server2 = { cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem) };

    const open = h.client(agg.port, 'c1'); // trusts CA1 only: it would fail to reconnect later
    expect(await open.join()).toMatchObject({ cluster: 'c1' });
    const early = h.client(agg.port, 'c2', { cert: c2, ca: bundle, retries: 0 });
    expect(await statusOf(early.join())).toBe('UNAVAILABLE');
    early.close();

    // The new certificate with the old key: refused as a whole, the old material stays.
    writeFileSync(files.caFile, bundle);
    writeFileSync(files.certFile, server2.cert);
    await until('the refusal', () => lines.some((l) => l.startsWith('error new TLS files refused')));
    const stillOld = h.client(agg.port, 'c1', { retries: 0 });
    expect(await statusOf(stillOld.join())).toBe('OK');
    stillOld.close();

    writeFileSync(files.keyFile, server2.key);
    await until('the reload', () => lines.includes('info TLS files reloaded'));
    // Trusting CA2 only proves the serving certificate changed too.
    const rotated = h.client(agg.port, 'c2', { cert: c2, ca: Buffer.from(ca2.certPem), retries: 0 });
    expect(await rotated.join()).toMatchObject({ cluster: 'c2' });
    rotated.close();
    expect(await open.getTask()).toMatchObject({ round: 1 });
    open.close();
    // A CA1 client certificate still verifies against the bundle; the policy survived the reload.
    await expectPolicy(agg.port, h.clientCert('c1'), Buffer.from(ca2.certPem), 'ECDSA');
    expect(lines.filter((l) => l.includes('TLS files')).length).toBe(2); // logged once each
  });
});
