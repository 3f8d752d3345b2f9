/**
 * testssl.sh scan of a running aggregator with production-shaped TLS material (the addon PKI's
 * own CA and serving certificate, ECDSA by default, RSA on request). Fails on any finding of
 * severity MEDIUM, HIGH, CRITICAL or FATAL except those listed below as not applicable.
 * Reports: out/tls-scan/testssl-<key>.json (and .txt). Needs the Debian package testssl.sh
 * (e2e/scripts/system-deps.sh); also run alone by e2e/scripts/tls-scan.sh.
 *
 * testssl 3.0.8 cannot present a client certificate, so the scan stops where the server asks
 * for one; protocol, cipher and certificate checks need no more. What it cannot reach is
 * asserted by tls.test.ts (no client certificate, renegotiation with one).
 */
import { describe, it, expect, beforeAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { generateCa, loadCa } from '@ocm-fl/common/pki/ca.js';
import { issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import { createHarness, makeTensors, MIXED_SPEC } from './test-harness.js';
import { startAggregator } from './main.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/tls-scan');

/** Findings at or above MEDIUM that do not apply, and why. Anything else fails the scan. */
const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  cert_revocation:
    'the addon CA is private: the addon distributes its bundle and it has no CRL or OCSP service ' +
    '(nor do agents consult one); trust is withdrawn by rotating the CA out of the bundle, which ' +
    'the aggregator reloads',
};

/** testssl's "could not test" (WARN) that are expected with mTLS, and where they are covered. */
const UNTESTABLE: Readonly<Record<string, string>> = {
  secure_client_renego:
    'needs a client certificate; tls.test.ts checks that renegotiation closes the connection',
  BREACH:
    'HTTP compression of HTML responses; gRPC only, and testssl skips HTTP checks without a client cert',
};

const FAILING = new Set(['MEDIUM', 'HIGH', 'CRITICAL', 'FATAL']);

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

/**
 * Async on purpose: the aggregator under test answers on this process's event loop. The exit
 * status is not used: testssl 3.0 returns non-zero for reasons other than findings (8 on a
 * clean scan here); the JSON decides.
 */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) =>
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (_err, stdout) => resolve(stdout)),
  );
}

async function scan(keyType: 'ec' | 'rsa'): Promise<Finding[]> {
  const h = createHarness();
  h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
  const ca = loadCa(generateCa({ keyType }));
  const server = issueServerCertificate({ ca, dnsNames: ['localhost'], keyType });
  const config = h.config({});
  writeFileSync(config.tls.certFile, server.certPem);
  writeFileSync(config.tls.keyFile, server.keyPem);
  writeFileSync(config.tls.caFile, ca.certPem);
  const agg = await startAggregator(config, { logger: silentLogger });
  const json = path.join(OUT, `testssl-${keyType}.json`);
  rmSync(json, { force: true }); // testssl refuses to overwrite
  try {
    const stdout = await run('testssl', [
      ...['--quiet', '--color', '0', '--warnings', 'off', '--nodns', 'none'],
      ...['--connect-timeout', '10', '--openssl-timeout', '10'],
      // The certificate names localhost; --ip avoids a DNS lookup; --add-ca makes its chain verifiable.
      ...['--ip', '127.0.0.1', '--add-ca', config.tls.caFile],
      ...['-p', '-s', '-f', '-P', '-S', '-U', '-E'],
      ...['--jsonfile', json, `localhost:${agg.port}`],
    ]);
    writeFileSync(json.replace(/\.json$/, '.txt'), stdout);
  } finally {
    await agg.close();
  }
  return JSON.parse(readFileSync(json, 'utf8')) as Finding[];
}

const byId = (f: Finding[], id: string): string | undefined => f.find((x) => x.id === id)?.finding;

/** Cipher names testssl found accepted for one protocol (ids cipher-tls1_2_xc02f etc.). */
const ciphersOf = (f: Finding[], proto: string): string[] =>
  f
    .filter((x) => x.id.startsWith(`cipher-${proto}_`))
    .map((x) => x.finding.trim().split(/\s+/)[3] ?? '')
    .sort();

describe('testssl scan of the aggregator', () => {
  beforeAll(() => {
    mkdirSync(OUT, { recursive: true });
    if (!(process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, 'testssl'))))
      throw new Error('testssl is not installed: run e2e/scripts/system-deps.sh (Debian package testssl.sh)');
  });

  it.each([
    ['ec', 'ECDSA'],
    ['rsa', 'RSA'],
  ] as const)(
    'a %s serving certificate: TLS 1.2/1.3, ECDHE+AEAD only, no finding of MEDIUM or above',
    async (keyType, auth) => {
      const f = await scan(keyType);
      expect(byId(f, 'scanTime')).toBeDefined(); // the scan ran to the end
      const failing = f.filter((x) => FAILING.has(x.severity) && !(x.id in NOT_APPLICABLE));
      expect(failing).toEqual([]);
      const unexpectedWarn = f.filter((x) => x.severity === 'WARN' && !(x.id in UNTESTABLE));
      expect(unexpectedWarn).toEqual([]);
      for (const p of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) expect(byId(f, p)).toBe('not offered');
      expect(byId(f, 'TLS1_2')).toBe('offered');
      expect(byId(f, 'TLS1_3')).toMatch(/^offered/);
      expect(ciphersOf(f, 'tls1_2')).toEqual(
        [
          `ECDHE-${auth}-AES128-GCM-SHA256`,
          `ECDHE-${auth}-AES256-GCM-SHA384`,
          `ECDHE-${auth}-CHACHA20-POLY1305`,
        ].sort(),
      );
      expect(ciphersOf(f, 'tls1_3')).toEqual(
        ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'].sort(),
      );
    },
  );
});
