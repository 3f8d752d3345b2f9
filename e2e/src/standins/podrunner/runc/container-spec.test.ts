import { describe, expect, it } from '@jest/globals';
import { ContainerConfigError } from '../container-env.js';
import type { Container, Pod } from '../types.js';
import { imageUser, memoryBytes, parsePasswd, processSpec, runtimeSpec } from './container-spec.js';

const image = {
  Entrypoint: ['node', '/app/main.js'],
  Cmd: ['--default'],
  Env: ['PATH=/usr/bin:/bin', 'NODE_ENV=production', 'MODE=image'],
  User: '65532:65532',
  WorkingDir: '/app',
};
const passwd = parsePasswd('root:x:0:0::/root:/bin/sh\nnonroot:x:65532:65533::/home:/bin/sh\n');
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [], ...spec },
});
const c = (over: Partial<Container> = {}): Container => ({ name: 'main', image: 'x', ...over });

describe('processSpec (kubelet rules over the image config)', () => {
  it('uses ENTRYPOINT + CMD, image env, user and workdir when the pod sets nothing', () => {
    expect(processSpec(pod(), c(), image, {}, passwd)).toEqual({
      args: ['node', '/app/main.js', '--default'],
      env: { PATH: '/usr/bin:/bin', NODE_ENV: 'production', MODE: 'image', HOSTNAME: 'p' },
      cwd: '/app',
      uid: 65532,
      gid: 65532,
    });
  });

  it('args replace CMD only; command replaces both; $(VAR) expands from the env', () => {
    const env = { NAME: 'x' };
    expect(processSpec(pod(), c({ args: ['--n=$(NAME)'] }), image, env, passwd).args).toEqual([
      'node',
      '/app/main.js',
      '--n=x',
    ]);
    expect(
      processSpec(pod(), c({ command: ['sh', '-c'], args: ['echo $(NAME) $$(NAME)'] }), image, env, passwd)
        .args,
    ).toEqual(['sh', '-c', 'echo x $(NAME)']);
  });

  it('pod env overrides image env; container runAsUser beats the pod and the image', () => {
    const s = processSpec(
      pod({ securityContext: { runAsUser: 2000 } }),
      c({ securityContext: { runAsUser: 65532 }, workingDir: '/w' }),
      { ...image, User: 'root' },
      { MODE: 'pod' },
      passwd,
    );
    expect(s.env.MODE).toBe('pod');
    // The group of a runAsUser without runAsGroup comes from the image's passwd.
    expect([s.uid, s.gid, s.cwd]).toEqual([65532, 65533, '/w']);
    expect(processSpec(pod({ securityContext: { runAsUser: 2000 } }), c(), image, {}, passwd).uid).toBe(2000);
  });

  it('refuses runAsNonRoot with uid 0, and an image user it cannot resolve', () => {
    expect(() =>
      processSpec(
        pod({ securityContext: { runAsNonRoot: true } }),
        c({ securityContext: { runAsUser: 0 } }),
        image,
        {},
        passwd,
      ),
    ).toThrow(ContainerConfigError);
    expect(() => processSpec(pod(), c(), { ...image, User: 'nobody' }, {}, passwd)).toThrow(/nobody/);
    expect(imageUser('nonroot', passwd)).toEqual([65532, 65533]);
    expect(imageUser(undefined, passwd)).toEqual([0, 0]);
  });
});

describe('runtimeSpec', () => {
  const base = {
    process: { args: ['node'], env: { A: '1' }, cwd: '/', uid: 1000, gid: 1000 },
    hostname: 'p',
    rootfs: '/r',
    netnsPath: '/var/run/netns/x',
    mounts: [{ destination: '/etc/tls', source: '/v/tls', readOnly: true }],
    cgroupsPath: '/ocm-fl/1/x',
  };

  it('maps readOnlyRootFilesystem, the memory limit, the pod netns and read-only volume mounts', () => {
    const s = runtimeSpec({
      ...base,
      container: c({
        securityContext: { readOnlyRootFilesystem: true },
        resources: { limits: { memory: '64Mi' } },
      }),
    }) as {
      root: { readonly: boolean };
      linux: { resources: { memory?: { limit: number } }; namespaces: { type: string; path?: string }[] };
      mounts: { destination: string; options?: string[] }[];
      process: { capabilities: { effective: string[] }; noNewPrivileges: boolean };
    };
    expect(s.root.readonly).toBe(true);
    expect(s.linux.resources.memory?.limit).toBe(64 * 1024 * 1024);
    expect(s.linux.namespaces).toContainEqual({ type: 'network', path: '/var/run/netns/x' });
    expect(s.mounts.find((m) => m.destination === '/etc/tls')?.options).toContain('ro');
    // A non-root process gets no effective capabilities.
    expect(s.process.capabilities.effective).toEqual([]);
    expect(s.process.noNewPrivileges).toBe(true);
  });

  it('parses memory quantities and rejects bad ones', () => {
    expect(memoryBytes('1Gi')).toBe(1024 ** 3);
    expect(memoryBytes('500M')).toBe(5e8);
    expect(memoryBytes('1000')).toBe(1000);
    expect(() => memoryBytes('lots')).toThrow(/invalid memory quantity/);
  });
});
