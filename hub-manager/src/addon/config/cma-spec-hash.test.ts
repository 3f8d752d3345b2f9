import { describe, expect, it } from '@jest/globals';
import type { AddOnDeploymentConfig } from '@ocm-fl/common/api/ocm.js';
import { configSpecHashValue } from '../render/manifest-work.js';
import { cmaStatusWithSpecHashes } from './cma-spec-hash.js';
import { specHash } from './resolve.js';

const adc: AddOnDeploymentConfig = {
  apiVersion: 'addon.open-cluster-management.io/v1alpha1',
  kind: 'AddOnDeploymentConfig',
  metadata: { name: 'fl-default', namespace: 'ocm' },
  spec: { nodePlacement: { nodeSelector: { a: 'b' } } },
};
const lookup = (ns: string, name: string): AddOnDeploymentConfig | undefined =>
  ns === 'ocm' && name === 'fl-default' ? adc : undefined;
const ref = (name: string, hash = '') => ({
  group: 'addon.open-cluster-management.io',
  resource: 'addondeploymentconfigs',
  desiredConfig: { name, namespace: 'ocm', specHash: hash },
});

describe('ClusterManagementAddOn config spec hashes', () => {
  it('fills the hash of the AddOnDeploymentConfigs OCM lists, default and per install progression', () => {
    const out = cmaStatusWithSpecHashes(
      {
        defaultconfigReferences: [ref('fl-default')],
        installProgressions: [{ name: 'p', namespace: 'ocm', configReferences: [ref('fl-default')] }],
      },
      lookup,
    );
    const want = specHash(adc);
    expect(want).toMatch(/^[0-9a-f]{64}$/);
    expect(out.defaultconfigReferences).toEqual([ref('fl-default', want)]);
    expect(out.installProgressions).toEqual([
      { name: 'p', namespace: 'ocm', configReferences: [ref('fl-default', want)] },
    ]);
  });

  it('leaves missing configs, other kinds and an empty status as they are', () => {
    const other = { group: 'x.io', resource: 'things', desiredConfig: { name: 'fl-default', specHash: '' } };
    const out = cmaStatusWithSpecHashes({ defaultconfigReferences: [ref('missing'), other] }, lookup);
    expect(out.defaultconfigReferences).toEqual([ref('missing'), other]);
    expect(cmaStatusWithSpecHashes(undefined, lookup)).toEqual({});
  });

  it('renders the ManifestWork config-spec-hash annotation as addon-framework does', () => {
    expect(configSpecHashValue([{ ...ref('fl-default', 'h'), name: 'fl-default', namespace: 'ocm' }])).toBe(
      '{"addondeploymentconfigs.addon.open-cluster-management.io/ocm/fl-default":"h"}',
    );
    expect(configSpecHashValue([{ group: '', resource: 'things', name: 'x' }])).toBe('{}');
  });
});
