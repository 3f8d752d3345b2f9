import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, parseFlags } from './config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fl-cfg-'));
const kubeconfig = path.join(dir, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\n');
const base = {
  FL_CLUSTER_NAME: 'cluster1',
  FL_AGENT_NAMESPACE: 'agent-ns',
  KUBECONFIG: kubeconfig,
  FL_AGENT_CONFIG_DIR: '',
};

describe('loadConfig', () => {
  it('reads env with defaults', () => {
    const cfg = loadConfig([], { ...base, FL_AGENT_CONFIG_DIR: '' } as NodeJS.ProcessEnv);
    expect(cfg).toMatchObject({
      clusterName: 'cluster1',
      namespace: 'agent-ns',
      healthPort: 8080,
      handoffPort: 8081,
      leasePeriodMs: 60_000,
      roundPollMaxMs: 10_000,
      kubeconfig,
    });
    expect(cfg.handoffUrl).toBeUndefined();
    expect(cfg.healthHost).toBe('0.0.0.0');
    expect(cfg.handoffHost).toBe('0.0.0.0');
  });

  it('listens on POD_IP when set, unless a host is configured', () => {
    const env = { ...base, POD_IP: '127.1.0.7' } as NodeJS.ProcessEnv;
    expect(loadConfig([], env)).toMatchObject({ healthHost: '127.1.0.7', handoffHost: '127.1.0.7' });
    const own = loadConfig(['--handoff-host', '0.0.0.0'], { ...env, FL_HEALTH_HOST: '::' });
    expect(own).toMatchObject({ healthHost: '::', handoffHost: '0.0.0.0' });
  });

  it('lets flags win over env, and env over the ConfigMap directory', () => {
    const cm = mkdtempSync(path.join(tmpdir(), 'fl-cm-'));
    writeFileSync(path.join(cm, 'FL_CLUSTER_NAME'), 'from-configmap\n');
    writeFileSync(path.join(cm, 'FL_HANDOFF_ADDRESS'), 'fl-agent.agent-ns.svc:8081');
    writeFileSync(
      path.join(cm, 'FL_IMAGE_REGISTRIES'),
      JSON.stringify([{ source: 'quay.io', mirror: 'mirror.local' }]),
    );
    const env = { FL_AGENT_NAMESPACE: 'agent-ns', KUBECONFIG: kubeconfig, FL_AGENT_CONFIG_DIR: cm };
    const cfg = loadConfig(['--lease-period-seconds', '0.5', '--work-dir=/tmp/w'], env);
    expect(cfg.clusterName).toBe('from-configmap');
    expect(cfg.handoffUrl).toBe('http://fl-agent.agent-ns.svc:8081');
    expect(cfg.imageRegistries).toEqual([{ source: 'quay.io', mirror: 'mirror.local' }]);
    expect(cfg.leasePeriodMs).toBe(500);
    expect(cfg.workDir).toBe('/tmp/w');
    expect(loadConfig(['--round-poll-max-seconds', '0.5'], env).roundPollMaxMs).toBe(500);
    expect(() => loadConfig([], { ...env, FL_ROUND_POLL_MAX_SECONDS: 'soon' })).toThrow(
      /FL_ROUND_POLL_MAX_SECONDS/,
    );
    expect(loadConfig(['--cluster-name', 'flag'], { ...env, FL_CLUSTER_NAME: 'env' }).clusterName).toBe(
      'flag',
    );
    expect(loadConfig([], { ...env, FL_CLUSTER_NAME: 'env' }).clusterName).toBe('env');
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ['missing cluster', [], { FL_CLUSTER_NAME: '' }, 'FL_CLUSTER_NAME: required'],
    ['bad port', [], { FL_HEALTH_PORT: 'x' }, 'FL_HEALTH_PORT: "x" is not a port'],
    [
      'bad lease period',
      ['--lease-period-seconds', '-1'],
      {},
      'FL_LEASE_PERIOD_SECONDS: "-1" is not a positive number',
    ],
    [
      'mirror without mirror',
      [],
      { FL_IMAGE_REGISTRIES: '[{"source":"a"}]' },
      'FL_IMAGE_REGISTRIES[0].mirror: required string',
    ],
    ['bad handoff url', [], { FL_HANDOFF_ADVERTISE_URL: 'ftp://x' }, 'must be http(s)'],
    ['bad log level', [], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL: "loud"'],
    ['kubeconfig missing', [], { KUBECONFIG: '/nope' }, 'KUBECONFIG: file /nope does not exist'],
    ['unknown flag', ['--bogus', '1'], {}, 'flag --bogus: unknown'],
  ])('names the culprit: %s', (_n, argv, env, msg) => {
    expect(() => loadConfig(argv, { ...base, ...env } as NodeJS.ProcessEnv)).toThrow(msg);
  });

  it('parses flags in both forms', () => {
    expect(parseFlags(['--namespace', 'a', '--health-port=9'])).toEqual({
      FL_AGENT_NAMESPACE: 'a',
      FL_HEALTH_PORT: '9',
    });
    expect(() => parseFlags(['--namespace'])).toThrow('needs a value');
  });
});
