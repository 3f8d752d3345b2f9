import { describe, expect, it } from '@jest/globals';
import { containerLaunch, pathRewriter } from './container-env.js';
import type { Container, Pod } from './types.js';

const container: Container = {
  name: 'agent',
  image: 'x/agent:1',
  command: ['node', '/repo/agent/main.js', '--work=/tmp/work'],
  env: [
    { name: 'WORK', value: '/tmp/work' },
    { name: 'OTHER', value: '/etc/other' },
  ],
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
};
const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [container] },
};

describe('container paths in tier 1', () => {
  it('moves mounted paths into the pod root but leaves the image files and unmounted paths', () => {
    const rw = pathRewriter('/pods/p', container, '/tmp/checkout');
    expect(rw('/tmp/work')).toBe('/pods/p/tmp/work');
    expect(rw('--dir=/tmp/x')).toBe('--dir=/pods/p/tmp/x');
    expect(rw('/tmp/checkout/agent/main.ts')).toBe('/tmp/checkout/agent/main.ts');
    expect(rw('/etc/other')).toBe('/etc/other');
  });

  it('rewrites the manifest env but never the image ENV', () => {
    const launch = containerLaunch(pod, container, {
      podRoot: '/pods/p',
      podIP: '127.9.0.2',
      image: {
        entrypoint: ['node'],
        cwd: '/tmp/checkout',
        env: { TSX_TSCONFIG_PATH: '/tmp/checkout/tsconfig.json', WORK: 'image' },
      },
      configMap: () => undefined,
      secret: () => undefined,
    });
    expect(launch.env.WORK).toBe('/pods/p/tmp/work'); // the container's value wins and is rewritten
    expect(launch.env.TSX_TSCONFIG_PATH).toBe('/tmp/checkout/tsconfig.json');
    expect(launch.env.POD_IP).toBe('127.9.0.2');
    expect(launch.argv).toContain('--work=/pods/p/tmp/work');
  });
});
