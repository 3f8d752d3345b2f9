import { describe, it, expect } from '@jest/globals';
import { agentConfigFromEnv, resolveAggregatorEndpoint } from './agent-config.js';

describe('agentConfigFromEnv', () => {
  it('reads the variables the hub renders, with defaults', () => {
    const cfg = agentConfigFromEnv({
      FL_CLUSTER_NAME: 'c1',
      FL_AGENT_NAMESPACE: 'ns',
      FL_IMAGE_REGISTRIES: '[{"mirror":"m"}]',
      FL_AGGREGATOR_HOST: 'hub',
    });
    expect(cfg).toEqual({
      clusterName: 'c1',
      namespace: 'ns',
      healthPort: 8080,
      handoffPort: 8081,
      logLevel: 'info',
      clientCertDir: '/etc/fl-agent/client-cert',
      caBundleFile: '/etc/fl-agent/ca/ca.crt',
      imageRegistries: [{ mirror: 'm' }],
      aggregatorHost: 'hub',
    });
  });
  it('names the variable at fault', () => {
    expect(() => agentConfigFromEnv({ FL_AGENT_NAMESPACE: 'ns' })).toThrow('FL_CLUSTER_NAME');
    expect(() =>
      agentConfigFromEnv({ FL_CLUSTER_NAME: 'c', FL_AGENT_NAMESPACE: 'n', FL_HANDOFF_PORT: 'x' }),
    ).toThrow('FL_HANDOFF_PORT');
    expect(() =>
      agentConfigFromEnv({ FL_CLUSTER_NAME: 'c', FL_AGENT_NAMESPACE: 'n', FL_IMAGE_REGISTRIES: '{' }),
    ).toThrow('FL_IMAGE_REGISTRIES');
  });
});

describe('resolveAggregatorEndpoint', () => {
  it('keeps a full endpoint', () =>
    expect(resolveAggregatorEndpoint('agg.hub.example:443', { aggregatorDnsSuffix: 'x' })).toBe(
      'agg.hub.example:443',
    ));
  it('fills an empty host', () =>
    expect(resolveAggregatorEndpoint(':9443', { aggregatorHost: 'hub.example' })).toBe('hub.example:9443'));
  it('suffixes a single-label host but not localhost', () => {
    expect(resolveAggregatorEndpoint('fl-mnist:443', { aggregatorDnsSuffix: 'hub.example' })).toBe(
      'fl-mnist.hub.example:443',
    );
    expect(resolveAggregatorEndpoint('localhost:443', { aggregatorDnsSuffix: 'hub.example' })).toBe(
      'localhost:443',
    );
  });
  it('errors without a port or host', () => {
    expect(() => resolveAggregatorEndpoint('hub', {})).toThrow('host:port');
    expect(() => resolveAggregatorEndpoint(':1', {})).toThrow('no default host');
  });
});
