import { describe, it, expect } from '@jest/globals';
import { FAKE_CA_PEM } from '../testing/fixtures.js';
import { proxySettingsFor } from './proxy.js';

describe('proxySettingsFor', () => {
  it('no proxy config → no env, no CA', () => {
    expect(proxySettingsFor(undefined)).toEqual({ env: [] });
  });
  it('sets upper- and lower-case proxy variables', () => {
    const { env } = proxySettingsFor({
      httpProxy: 'http://p:3128',
      httpsProxy: 'http://p:3129',
      noProxy: '.svc,10.0.0.0/8',
    });
    expect(env).toEqual([
      { name: 'HTTP_PROXY', value: 'http://p:3128' },
      { name: 'http_proxy', value: 'http://p:3128' },
      { name: 'HTTPS_PROXY', value: 'http://p:3129' },
      { name: 'https_proxy', value: 'http://p:3129' },
      { name: 'NO_PROXY', value: '.svc,10.0.0.0/8' },
      { name: 'no_proxy', value: '.svc,10.0.0.0/8' },
    ]);
  });
  it('decodes the base64 caBundle and names the mounted file', () => {
    const s = proxySettingsFor({
      httpsProxy: 'http://p',
      caBundle: Buffer.from(FAKE_CA_PEM).toString('base64'),
    });
    expect(s.caBundlePem).toBe(FAKE_CA_PEM);
    expect(s.env).toContainEqual({ name: 'PROXY_CA_FILE', value: '/etc/fl-agent/proxy-ca/ca.crt' });
  });
  it('a caBundle that is not PEM is an error naming the field', () => {
    expect(() => proxySettingsFor({ caBundle: Buffer.from('hello').toString('base64') })).toThrow(
      'spec.proxyConfig.caBundle',
    );
  });
});
