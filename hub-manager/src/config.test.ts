import { describe, expect, it } from '@jest/globals';
import { certValidityWarning, MIN_LAPSE_FREE_CERT_VALIDITY_SECONDS, parseCommand } from './config.js';

describe('parseCommand', () => {
  it('reads env, then flags over it', () => {
    const c = parseCommand(['--http-port=0', '--namespace', 'hub-ns'], {
      POD_NAMESPACE: 'env-ns',
      LEADER_ELECT: 'false',
      HUB_MANAGER_IMAGE: 'img:1',
    });
    expect(c).toMatchObject({
      command: 'run',
      config: { namespace: 'hub-ns', httpPort: 0, leaderElect: false, image: 'img:1' },
    });
  });
  it('recognises the aggregate subcommand', () => {
    expect(parseCommand(['aggregate', '--config', '/etc/c.json'], {})).toEqual({
      command: 'aggregate',
      configFile: '/etc/c.json',
      paths: {},
    });
    expect(() => parseCommand(['aggregate'], {})).toThrow(/--config/);
    expect(
      parseCommand(['aggregate', '--config', '/c.json', '--tls-dir', '/tls', '--storage-dir', '/data/j'], {}),
    ).toEqual({
      command: 'aggregate',
      configFile: '/c.json',
      paths: { tlsDir: '/tls', storageDir: '/data/j' },
    });
    expect(() => parseCommand(['aggregate', '--config', '/c.json', '--tls-dir'], {})).toThrow(
      /needs a value/,
    );
    expect(() => parseCommand(['aggregate', '--config', '/c.json', '--bogus', 'x'], {})).toThrow(
      /unknown argument/,
    );
  });
  it('reads the CA rotation settings from flags or env, with defaults', () => {
    expect(parseCommand([], {})).toMatchObject({
      config: { caSettleIntervalSeconds: 60, caBundlePropagationSeconds: 120 },
    });
    const c = parseCommand(['--ca-settle-interval-seconds=5'], { CA_BUNDLE_PROPAGATION_SECONDS: '30' });
    expect(c).toMatchObject({ config: { caSettleIntervalSeconds: 5, caBundlePropagationSeconds: 30 } });
  });
  it('rejects unknown flags and bad values, naming them', () => {
    expect(() => parseCommand(['--nope', 'x'], {})).toThrow(/--nope/);
    expect(() => parseCommand(['--http-port', 'abc'], {})).toThrow(/--http-port/);
  });
  it('warns when certificates are too short-lived for the klusterlet to renew in time', () => {
    expect(MIN_LAPSE_FREE_CERT_VALIDITY_SECONDS).toBe(1440);
    expect(certValidityWarning({ maxCertValiditySeconds: 30 * 86_400 })).toBeUndefined();
    expect(certValidityWarning({ maxCertValiditySeconds: 1440 })).toBeUndefined();
    expect(certValidityWarning({ maxCertValiditySeconds: 360 })).toMatch(/360 is below 1440/);
  });
});
