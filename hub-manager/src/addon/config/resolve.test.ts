import { createHash } from 'node:crypto';
import { describe, it, expect } from '@jest/globals';
import { ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';
import { newAddon, newCma, newDeploymentConfig } from '../testing/fixtures.js';
import { configReferences, deploymentConfigRef, desiredConfigs, goJson, specHash } from './resolve.js';

const ADC = { group: ADDON_GROUP, resource: 'addondeploymentconfigs' };

describe('desiredConfigs', () => {
  it('no default and no per-cluster config → none', () => {
    expect(desiredConfigs(newCma(), newAddon('c1'))).toEqual([]);
  });
  it('the CMA default applies when the MCA names none', () => {
    const cma = newCma({ defaultConfig: { namespace: 'fl-system', name: 'default' } });
    expect(desiredConfigs(cma, newAddon('c1'))).toEqual([
      { ...ADC, namespace: 'fl-system', name: 'default' },
    ]);
  });
  it('the MCA spec.configs entry overrides the default', () => {
    const cma = newCma({ defaultConfig: { namespace: 'fl-system', name: 'default' } });
    const mca = newAddon('c1', { configs: [{ ...ADC, namespace: 'c1', name: 'mine' }] });
    expect(deploymentConfigRef(desiredConfigs(cma, mca))).toEqual({ ...ADC, namespace: 'c1', name: 'mine' });
  });
  it('configs of unsupported kinds are ignored', () => {
    const mca = newAddon('c1', { configs: [{ group: 'x.io', resource: 'things', name: 'n' }] });
    expect(desiredConfigs(newCma(), mca)).toEqual([]);
  });
  it('without a CMA nothing is supported', () => {
    expect(desiredConfigs(undefined, newAddon('c1', { configs: [{ ...ADC, name: 'n' }] }))).toEqual([]);
  });
});

describe('specHash', () => {
  it('hashes Go-style JSON: sorted keys, HTML escaped', () => {
    expect(goJson({ b: 1, a: '<&>', c: [{ z: 1, y: undefined }] })).toBe(
      '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[{"z":1}]}',
    );
    const adc = newDeploymentConfig('ns', 'n', {
      agentInstallNamespace: 'x',
      customizedVariables: [{ name: 'A', value: 'b' }],
    });
    const want = createHash('sha256')
      .update('{"agentInstallNamespace":"x","customizedVariables":[{"name":"A","value":"b"}]}')
      .digest('hex');
    expect(specHash(adc)).toBe(want);
  });
});

describe('configReferences', () => {
  it('records desiredConfig.specHash for configs found, none for missing', () => {
    const adc = newDeploymentConfig('fl-system', 'default', { agentInstallNamespace: 'x' });
    const refs = configReferences(
      [
        { ...ADC, namespace: 'fl-system', name: 'default' },
        { ...ADC, namespace: 'c1', name: 'missing' },
      ],
      new Map([['fl-system/default', adc]]),
    );
    expect(refs[0]).toEqual({
      ...ADC,
      namespace: 'fl-system',
      name: 'default',
      lastObservedGeneration: 1,
      desiredConfig: { namespace: 'fl-system', name: 'default', specHash: specHash(adc) },
    });
    expect(refs[1]).toEqual({ ...ADC, namespace: 'c1', name: 'missing' });
  });
});
