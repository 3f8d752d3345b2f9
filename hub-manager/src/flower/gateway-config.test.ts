import { describe, expect, it } from '@jest/globals';
import { parseFlowerGatewayConfig } from './gateway-config.js';

const good = {
  jobId: 'ns/job',
  rounds: 3,
  listen: { host: '0.0.0.0', port: 8080 },
  tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', caFile: '/tls/ca.crt' },
  superLink: { host: '127.0.0.1', port: 9093, serverName: 'superlink.local', caFile: '/tls/ca.crt' },
  admittedClusters: ['c1'],
  runDir: '/flower',
};

describe('parseFlowerGatewayConfig', () => {
  it('accepts a complete config', () => {
    expect(parseFlowerGatewayConfig(good)).toEqual(good);
  });
  it.each([
    [{ ...good, rounds: 0 }, /config.rounds/],
    [{ ...good, listen: { host: 'x', port: 70000 } }, /config.listen.port/],
    [{ ...good, superLink: { ...good.superLink, serverName: '' } }, /config.superLink.serverName/],
    [{ ...good, admittedClusters: [1] }, /admittedClusters/],
    [{ ...good, tls: 'x' }, /config.tls: must be an object/],
    [{ ...good, maxKeysPerCluster: 0 }, /maxKeysPerCluster/],
  ])('names the bad field (%#)', (raw, msg) => {
    expect(() => parseFlowerGatewayConfig(raw)).toThrow(msg);
  });
});
