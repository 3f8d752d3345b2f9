import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import {
  buildAddonCsr,
  generateCa,
  issueCertificate,
  issueServerCertificate,
  joinPems,
  loadCa,
  parseCsr,
  type LoadedCa,
} from '@ocm-fl/common/pki/index.js';
import { IdentityError } from './load-identity.js';
import { IdentityWatcher } from './identity-watcher.js';
import type { Identity } from './load-identity.js';

/** Writes a volume the way kubelet's AtomicWriter does: timestamped dir, `..data` symlink swapped by rename. */
class KubeletStyleVolume {
  private n = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  write(files: Record<string, string>): void {
    const ts = `..2024_${(this.n++).toString().padStart(4, '0')}`;
    mkdirSync(join(this.dir, ts));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(this.dir, ts, k), v);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(ts, tmp);
    const old = this.n > 1 ? `..2024_${(this.n - 2).toString().padStart(4, '0')}` : undefined;
    renameSync(tmp, join(this.dir, '..data'));
    for (const k of Object.keys(files)) {
      try {
        symlinkSync(join('..data', k), join(this.dir, k));
      } catch {
        // already linked through ..data
      }
    }
    if (old) rmSync(join(this.dir, old), { recursive: true, force: true });
  }
}

const issue = (ca: LoadedCa, cluster = 'cluster1', seconds = 3600): { certPem: string; keyPem: string } => {
  const { csrPem, keyPem } = buildAddonCsr({ cluster });
  const now = new Date();
  const certPem = issueCertificate({
    ca,
    csr: parseCsr(csrPem),
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + seconds * 1000),
    usages: ['client', 'server'],
  });
  return { certPem, keyPem };
};

function setup(): { root: string; certs: KubeletStyleVolume; cas: KubeletStyleVolume; caFile: string } {
  const root = mkdtempSync(join(tmpdir(), 'identity-'));
  const certs = new KubeletStyleVolume(join(root, 'client-cert'));
  const cas = new KubeletStyleVolume(join(root, 'ca'));
  return { root, certs, cas, caFile: join(root, 'ca', 'ca.crt') };
}

/** A started watcher on `s` that notices changes within a fraction of a second. */
const fastWatcher = (s: ReturnType<typeof setup>, extra: { waitForFiles?: boolean } = {}): IdentityWatcher =>
  new IdentityWatcher({
    certDir: join(s.root, 'client-cert'),
    caFile: s.caFile,
    pollIntervalMs: 200,
    debounceMs: 20,
    ...extra,
  }).start();

const nextRotation = (w: IdentityWatcher): Promise<Identity> =>
  new Promise((resolve) => {
    const off = w.onRotate((id) => {
      off();
      resolve(id);
    });
  });

describe('spoke identity', () => {
  const ca = loadCa(generateCa());

  it('loads the mounted pair and bundle and names the cluster', () => {
    const s = setup();
    const pair = issue(ca);
    s.certs.write({ 'tls.crt': pair.certPem, 'tls.key': pair.keyPem });
    s.cas.write({ 'ca.crt': ca.certPem });
    const w = new IdentityWatcher({ certDir: join(s.root, 'client-cert'), caFile: s.caFile });
    expect(w.current()).toMatchObject({ cluster: 'cluster1', issuerFingerprint: ca.fingerprint });
    expect(w.notReady()).toBeUndefined();
    expect(w.expiryReport().secondsLeft).toBeGreaterThan(3500);
    expect(w.tls().cert.toString()).toBe(pair.certPem);
  });

  it.each([
    [
      'missing files',
      (_s: ReturnType<typeof setup>) => undefined,
      /tls\.crt: cannot read the client certificate \(ENOENT\)/,
    ],
    [
      'key of another certificate',
      (s: ReturnType<typeof setup>) => {
        s.certs.write({ 'tls.crt': issue(ca).certPem, 'tls.key': issue(ca).keyPem });
        s.cas.write({ 'ca.crt': ca.certPem });
      },
      /tls\.key does not belong to the certificate/,
    ],
    [
      'certificate from a CA not in the bundle',
      (s: ReturnType<typeof setup>) => {
        const p = issue(loadCa(generateCa()));
        s.certs.write({ 'tls.crt': p.certPem, 'tls.key': p.keyPem });
        s.cas.write({ 'ca.crt': ca.certPem });
      },
      /was not issued by any CA in .*ca\.crt/,
    ],
    [
      'empty bundle',
      (s: ReturnType<typeof setup>) => {
        const p = issue(ca);
        s.certs.write({ 'tls.crt': p.certPem, 'tls.key': p.keyPem });
        s.cas.write({ 'ca.crt': '' });
      },
      /holds no CA certificate/,
    ],
  ])('refuses to start: %s', (_n, prepare, message) => {
    const s = setup();
    prepare(s);
    const start = (): IdentityWatcher =>
      new IdentityWatcher({ certDir: join(s.root, 'client-cert'), caFile: s.caFile });
    expect(start).toThrow(IdentityError);
    expect(start).toThrow(message);
  });

  it('with waitForFiles starts without a certificate, stays not ready, then adopts the first valid pair', async () => {
    const s = setup(); // empty volumes: the klusterlet has not written the Secret yet
    s.cas.write({ 'ca.crt': ca.certPem });
    const w = fastWatcher(s, { waitForFiles: true });
    try {
      expect(w.notReady()).toMatch(/^no usable client certificate yet: .*tls\.crt: cannot read/);
      expect(w.expiry()).toBeUndefined();
      expect(() => w.tls()).toThrow(expect.objectContaining({ status: 'UNAVAILABLE' }));
      expect(() => w.current()).toThrow(IdentityError);
      // a torn first write is not adopted either
      const stray = issue(ca);
      s.certs.write({ 'tls.crt': stray.certPem, 'tls.key': issue(ca).keyPem });
      expect(w.reload()).toBe(false);
      expect(w.notReady()).toMatch(/does not belong to the certificate/);

      const pair = issue(ca);
      const adopted = nextRotation(w);
      s.certs.write({ 'tls.crt': pair.certPem, 'tls.key': pair.keyPem });
      expect((await adopted).certPem).toBe(pair.certPem);
      expect(w.notReady()).toBeUndefined();
      expect(w.tls().cert.toString()).toBe(pair.certPem);
      expect(w.expiry()?.getTime()).toBeGreaterThan(Date.now());
    } finally {
      w.stop();
    }
  });

  it('hot-reloads after a kubelet-style symlink swap and ignores an inconsistent update', async () => {
    const s = setup();
    const first = issue(ca);
    s.certs.write({ 'tls.crt': first.certPem, 'tls.key': first.keyPem });
    s.cas.write({ 'ca.crt': ca.certPem });
    const w = fastWatcher(s);
    try {
      const second = issue(ca);
      const rotated = nextRotation(w);
      s.certs.write({ 'tls.crt': second.certPem, 'tls.key': second.keyPem });
      expect((await rotated).certPem).toBe(second.certPem);
      expect(w.current().certPem).toBe(second.certPem);

      // a torn update (new cert, old key) is not adopted
      s.certs.write({ 'tls.crt': issue(ca).certPem, 'tls.key': second.keyPem });
      expect(w.reload()).toBe(false);
      expect(w.current().certPem).toBe(second.certPem);
      expect(w.notReady()).toMatch(/does not belong/);
    } finally {
      w.stop();
    }
  });

  it('keeps an mTLS connection alive across several renewals and a CA rotation; new connections use the new certificate', async () => {
    const s = setup();
    const first = issue(ca);
    s.certs.write({ 'tls.crt': first.certPem, 'tls.key': first.keyPem });
    s.cas.write({ 'ca.crt': ca.certPem });
    const w = fastWatcher(s);
    let serverCa = ca.certPem;
    const serverCert = issueServerCertificate({ ca, ipAddresses: ['127.0.0.1'] });
    const seen: string[] = [];
    const server = tls.createServer(
      {
        ...serverCert,
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        requestCert: true,
        rejectUnauthorized: true,
        ca: serverCa,
      },
      (sock) => {
        seen.push(sock.getPeerX509Certificate()?.fingerprint256 ?? 'none');
        sock.on('data', (d) => sock.write(d));
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const connect = async (): Promise<tls.TLSSocket> => {
      const m = w.tls();
      const sock = tls.connect({ host: '127.0.0.1', port, cert: m.cert, key: m.key, ca: m.ca });
      await once(sock, 'secureConnect');
      return sock;
    };
    const echo = async (sock: tls.TLSSocket, msg: string): Promise<string> => {
      sock.write(msg);
      const [d] = (await once(sock, 'data')) as [Buffer];
      return d.toString();
    };
    try {
      const longLived = await connect();
      let signer = ca;
      for (let i = 0; i < 4; i++) {
        if (i === 2) {
          // CA rotation: bundle = old + new on both ends, the new CA signs from now on
          signer = loadCa(generateCa());
          serverCa = joinPems([ca.certPem, signer.certPem]);
          server.setSecureContext({
            cert: serverCert.certPem,
            key: serverCert.keyPem,
            ca: serverCa,
          });
          const bundleRotated = nextRotation(w);
          s.cas.write({ 'ca.crt': serverCa });
          await bundleRotated;
        }
        const renewed = issue(signer);
        const rotated = nextRotation(w);
        s.certs.write({ 'tls.crt': renewed.certPem, 'tls.key': renewed.keyPem });
        const id = await rotated;
        expect(id.issuerFingerprint).toBe(signer.fingerprint);
        const fresh = await connect();
        expect(await echo(fresh, `new-${i}`)).toBe(`new-${i}`);
        expect(seen[seen.length - 1]).toBe(id.fingerprint);
        fresh.destroy();
        expect(await echo(longLived, `old-${i}`)).toBe(`old-${i}`); // in-flight connection unaffected
      }
      longLived.destroy();
    } finally {
      w.stop();
      server.close();
    }
  });
});
