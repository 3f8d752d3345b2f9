import { describe, expect, it } from '@jest/globals';
import {
  agentCommonName,
  agentGroups,
  CLIENT_CERT_SECRET,
  clusterFromCommonName,
  DEPLOY_WORK_NAME,
} from './names.js';

describe('decided names', () => {
  it('match DESIGN.md', () => {
    expect(CLIENT_CERT_SECRET).toBe(
      'federated-learning-open-cluster-management.io-federated-learning-client-cert',
    );
    expect(DEPLOY_WORK_NAME).toBe('addon-federated-learning-deploy-0');
    expect(agentCommonName('cluster1')).toBe(
      'system:open-cluster-management:cluster:cluster1:addon:federated-learning:agent:fl-agent',
    );
    expect(agentCommonName('cluster1').length).toBeGreaterThan(64);
    expect(agentGroups('c1')).toEqual([
      'system:open-cluster-management:cluster:c1:addon:federated-learning',
      'system:open-cluster-management:addon:federated-learning',
    ]);
  });
  it('parses the cluster only from a well-formed agent CN', () => {
    expect(clusterFromCommonName(agentCommonName('edge-7'))).toBe('edge-7');
    expect(clusterFromCommonName(agentCommonName('c1') + 'x')).toBeUndefined();
    expect(
      clusterFromCommonName(
        'system:open-cluster-management:cluster:a:b:addon:federated-learning:agent:fl-agent',
      ),
    ).toBeUndefined();
  });
});
