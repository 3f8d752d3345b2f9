import { describe, it, expect } from '@jest/globals';
import { resourcesFor } from './resource-requirements.js';

const ref = { resource: 'deployments', name: 'fl-agent', container: 'agent' };
const dflt = { requests: { cpu: '1m' } };

describe('resourcesFor', () => {
  it('no entries → defaults (a copy)', () => {
    const got = resourcesFor(undefined, ref, dflt);
    expect(got).toEqual(dflt);
    expect(got).not.toBe(dflt);
  });
  it('exact containerID matches', () => {
    const got = resourcesFor(
      [{ containerID: 'deployments:fl-agent:agent', resources: { limits: { memory: '1Gi' } } }],
      ref,
      dflt,
    );
    expect(got).toEqual({ limits: { memory: '1Gi' } });
  });
  it('*:*:* matches everything', () => {
    expect(
      resourcesFor([{ containerID: '*:*:*', resources: { requests: { cpu: '2' } } }], ref, dflt),
    ).toEqual({
      requests: { cpu: '2' },
    });
  });
  it('the most specific entry wins regardless of order', () => {
    const list = [
      { containerID: 'deployments:fl-agent:agent', resources: { requests: { cpu: 'exact' } } },
      { containerID: '*:*:*', resources: { requests: { cpu: 'any' } } },
      { containerID: 'deployments:*:agent', resources: { requests: { cpu: 'one-wild' } } },
    ];
    expect(resourcesFor(list, ref, dflt).requests?.cpu).toBe('exact');
    expect(resourcesFor(list.slice(1), ref, dflt).requests?.cpu).toBe('one-wild');
  });
  it('entries for other containers do not match', () => {
    expect(resourcesFor([{ containerID: 'deployments:other:agent', resources: {} }], ref, dflt)).toEqual(
      dflt,
    );
  });
  it('a malformed containerID throws naming the entry', () => {
    expect(() => resourcesFor([{ containerID: 'deployments:fl-agent', resources: {} }], ref, dflt)).toThrow(
      'spec.resourceRequirements[0].containerID',
    );
  });
});
