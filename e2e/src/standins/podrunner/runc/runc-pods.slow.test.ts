/**
 * Pods as real runc containers: images pulled by name from the local registry (built by
 * `make images`), a network namespace per pod reachable from the host, kubelet semantics for
 * command/env/user/volumes, Secret hot reload through the `..data` swap, read-only root,
 * memory limit, pull errors, the network cut, isolation from the host and other pods, and
 * nothing left on the host afterwards. Needs root and runc (CI runs as root); elsewhere the
 * suite is skipped with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { startApiServer, type ApiServer } from '../../../apiserver/index.js';
import { overrideImage } from '@ocm-fl/hub-manager/addon/config/registries.js';
import { buildahArgs, buildImages, defaultPaths } from '../../../images/build.js';
import { archiveName, mirrorScript } from '../../../images/bundle.js';
import { startRegistry, type Registry } from '../../../images/registry.js';
import { REPO_ROOT } from '../../../scenarios/images.js';
import { waitFor as waitWithin } from '../../testing/wait.js';
import { PodRunner } from '../pod-runner.js';
import type { Pod, PodSpec } from '../types.js';
import { cgroupParents } from './host-slot.js';
import { runcUnavailable, startRuncRuntime, type RuncRuntime } from './runtime.js';

const exec = promisify(execFile);
const IMAGE = 'quay.io/open-cluster-management/federated-learning-mnist-trainer:latest';
const unavailable = await runcUnavailable();
if (unavailable) console.warn(`runc pod tests skipped: ${unavailable}`);
const suite = unavailable ? describe.skip : describe;

let server: ApiServer;
let client: KubeClient;
let registry: Registry;
let runtime: RuncRuntime;
let runner: PodRunner;
let dir: string;

// Generous: the first pod of an image pulls and unpacks it, and the machine is shared.
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> =>
  waitWithin(what, fn, 180_000, 100);
const node = (script: string): string[] => ['node', '-e', script];

async function createPod(name: string, spec: PodSpec): Promise<void> {
  await client.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });
}
async function getPod(name: string): Promise<Pod> {
  const p = await client.get<Pod>('v1', 'Pod', name, 'default');
  if (!p) throw new Error(`pod ${name} not found`);
  return p;
}
const logOf = (name: string, container = 'main'): Promise<string> =>
  readFile(join(runner.podDir('default', name), 'logs', `${container}.log`), 'utf8');
async function finished(name: string): Promise<Pod> {
  return waitFor(`pod ${name} finished`, async () => {
    const p = await getPod(name);
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
  });
}

suite('runc pod runtime', () => {
  beforeAll(async () => {
    const paths = defaultPaths(REPO_ROOT);
    // A no-op when `make images` is up to date; this suite needs only the TypeScript trainer.
    const { digests } = await buildImages(paths, () => undefined, [IMAGE]);
    if (!digests[IMAGE]) throw new Error(`${IMAGE} could not be built (run make images)`);
    registry = await startRegistry(paths.registryDir, await mkdtemp(join(tmpdir(), 'registry-log-')));
    runtime = await startRuncRuntime({ cacheDir: paths.cacheDir, mirrors: { 'quay.io': registry.host } });
    dir = await mkdtemp(join(tmpdir(), 'runc-pods-'));
    await writeFile(join(dir, 'sa-kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    server = await startApiServer({ name: 'c1' });
    client = KubeClient.fromKubeConfig(server.kubeConfig());
    for (const [kind, data] of [
      ['ConfigMap', { greeting: 'hello' }],
      ['Secret', { 'tls.crt': Buffer.from('cert-v1').toString('base64') }],
    ] as const)
      await client.create({
        apiVersion: 'v1',
        kind,
        metadata: { name: 'x', namespace: 'default' },
        data,
      } as never);
    runner = new PodRunner({
      name: 'c1',
      client,
      rootDir: dir,
      images: {},
      launcher: runtime.launcher,
      restartBackoffMs: 200,
      serviceAccountKubeconfig: join(dir, 'sa-kubeconfig'),
    });
    await runner.start();
  }, 1_800_000); // a fresh clone builds the trainer image and its base here (minutes)

  afterAll(async () => {
    await runner?.stop();
    await runtime?.close();
    await registry?.stop();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the image with the pod spec over it: command, env, user, volumes, read-only root, exit code', async () => {
    await createPod('probe', {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true },
      containers: [
        {
          name: 'main',
          image: IMAGE,
          command: node(`
            const fs = require('fs');
            const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
            console.log('uid=' + process.getuid() + ' gid=' + process.getgid());
            console.log('env=' + process.env.GREETING + '/' + process.env.MY_NS + '/' + process.env.NODE_ENV + '/' + process.env.ARG);
            console.log('secret=' + fs.readFileSync('/etc/tls/tls.crt', 'utf8'));
            console.log('root=' + tryWrite('/app/x') + ' scratch=' + tryWrite('/scratch/x') + ' secretvol=' + tryWrite('/etc/tls/y'));
            console.log('sa=' + fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount'));
            console.log('host=' + fs.existsSync(${JSON.stringify(REPO_ROOT)}) + '/' + fs.existsSync(${JSON.stringify(dir)}));
            console.log('args=' + process.argv.slice(1).join(','));
            console.log('creds=' + Object.keys(process.env).filter((k) => /KEY|CERT|TOKEN|KUBECONFIG|PASSWORD/.test(k)).join(','));
            process.exit(3);
          `),
          args: ['$(GREETING)-arg'],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'x', key: 'greeting' } } },
            { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'ARG', value: '$(GREETING)!' },
          ],
          securityContext: { runAsUser: 1234, readOnlyRootFilesystem: true },
          volumeMounts: [
            { name: 'tls', mountPath: '/etc/tls' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
      volumes: [
        { name: 'tls', secret: { secretName: 'x' } },
        { name: 'scratch', emptyDir: {} },
      ],
    });
    const p = await finished('probe');
    expect(p.status?.phase).toBe('Failed');
    expect(p.status?.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(3);
    const log = await logOf('probe');
    expect(log).toContain('uid=1234 gid=0');
    // NODE_ENV comes from the image's ENV; the rest from the pod spec, $(VAR) expanded.
    expect(log).toContain('env=hello/default/production/hello!');
    expect(log).toContain('secret=cert-v1');
    expect(log).toContain('root=EROFS scratch=ok secretvol=EROFS');
    expect(log).toContain('sa=false');
    expect(log).toContain('host=false/false');
    expect(log).toContain('args=hello-arg');
    // Isolation: no credentials in the environment; `host=false/false` above: neither the repo
    // nor the runner's directory (every pod's volumes) is visible.
    expect(log).toContain('creds=\n');
  });

  it('gives each pod its own IP reachable from the host, hot-reloads a Secret, and cuts and restores its network', async () => {
    await createPod('web', {
      containers: [
        {
          name: 'main',
          image: IMAGE,
          command: node(`
            const fs = require('fs');
            console.log('sa=' + fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/kubeconfig') + ' ' + process.env.KUBECONFIG);
            require('http').createServer((q, r) => r.end(fs.readFileSync('/etc/tls/tls.crt'))).listen(8080);
          `),
          volumeMounts: [{ name: 'tls', mountPath: '/etc/tls' }],
        },
      ],
      volumes: [{ name: 'tls', secret: { secretName: 'x' } }],
    });
    const ip = await waitFor('web running', async () => {
      const p = await getPod('web');
      return p.status?.containerStatuses?.[0]?.state.running ? p.status.podIP : undefined;
    });
    expect(ip).toMatch(/^10\.213\.\d+\.\d+$/);
    // Without automountServiceAccountToken: false the (tier-1) service-account credential is mounted.
    await waitFor('web logged', async () =>
      (await logOf('web').catch(() => '')).includes(
        'sa=true /var/run/secrets/kubernetes.io/serviceaccount/kubeconfig',
      ),
    );
    const get = (): Promise<string> =>
      fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.text());
    await waitFor('served', async () => (await get().catch(() => '')) === 'cert-v1');
    const s = await client.get<{ data: Record<string, string> } & Pod>('v1', 'Secret', 'x', 'default');
    await client.update({ ...s, data: { 'tls.crt': Buffer.from('cert-v2').toString('base64') } } as never);
    await waitFor(
      'secret update seen inside the container',
      async () => (await get().catch(() => '')) === 'cert-v2',
    );

    await runner.setNetwork(false, 'default', 'web');
    await expect(get()).rejects.toThrow();
    await runner.setNetwork(true, 'default', 'web');
    await waitFor('reachable again', async () => (await get().catch(() => '')) === 'cert-v2');
  });

  it('enforces the memory limit (OOMKilled) and runAsNonRoot, and reports a missing image as a pull error', async () => {
    await createPod('hog', {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: IMAGE,
          command: node(`const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));`),
          resources: { limits: { memory: '64Mi' } },
        },
      ],
    });
    await createPod('root', {
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'main', image: IMAGE, securityContext: { runAsUser: 0 } }],
    });
    await createPod('nosuch', {
      containers: [{ name: 'main', image: 'quay.io/open-cluster-management/no-such-image:v9' }],
    });
    const hog = await finished('hog');
    expect(hog.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
    await waitFor('runAsNonRoot refused', async () => {
      const w = (await getPod('root')).status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerConfigError' && /runAsNonRoot/.test(w.message ?? '');
    });
    const pull = await waitFor('pull back-off', async () => {
      const w = (await getPod('nosuch')).status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'ImagePullBackOff' ? w : undefined;
    });
    expect(pull.message).toContain('quay.io/open-cluster-management/no-such-image:v9');
    expect(pull.message).toContain(registry.host);
  });

  it('air gap: the bundle mirrored into a site registry serves pods with the public registry stopped', async () => {
    // The site's side of `make bundle`: the archive and mirror.sh, for the trainer image only.
    const bundle = await mkdtemp(join(tmpdir(), 'bundle-'));
    const site = await startRegistry(join(bundle, 'site-registry'), bundle);
    const siteServer = await startApiServer({ name: 'site' });
    const siteClient = KubeClient.fromKubeConfig(siteServer.kubeConfig());
    let siteRuntime: RuncRuntime | undefined;
    let siteRunner: PodRunner | undefined;
    try {
      await exec('mkdir', ['-p', join(bundle, 'images')]);
      await exec('buildah', [
        ...buildahArgs(defaultPaths(REPO_ROOT).cacheDir),
        'push',
        '--quiet',
        IMAGE,
        `oci-archive:${join(bundle, 'images', archiveName(IMAGE))}:${IMAGE}`,
      ]);
      await writeFile(join(bundle, 'mirror.sh'), mirrorScript([IMAGE]));
      const { stdout } = await exec('bash', [
        join(bundle, 'mirror.sh'),
        site.host,
        '--dest-tls-verify=false',
      ]);
      const mirror = /mirror: (\S+)/.exec(stdout)?.[1] ?? '';
      expect(mirror).toBe(`${site.host}/open-cluster-management`);
      await registry.stop(); // the "public" registry is gone from here on
      // What the addon's AddOnDeploymentConfig `registries` rewrite makes of the image names.
      const registries = [{ source: 'quay.io/open-cluster-management', mirror }];
      siteRuntime = await startRuncRuntime({ cacheDir: defaultPaths(REPO_ROOT).cacheDir, mirrors: {} });
      siteRunner = new PodRunner({
        name: 'site',
        client: siteClient,
        rootDir: bundle,
        images: {},
        launcher: siteRuntime.launcher,
      });
      await siteRunner.start();
      const pod = (name: string, image: string): Pod => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image, command: node('console.log("from the mirror")') }],
        },
      });
      await siteClient.create(pod('trainer', overrideImage(registries, IMAGE)));
      await siteClient.create(
        pod(
          'missing',
          overrideImage(registries, 'quay.io/open-cluster-management/federated-learning-flower-x:latest'),
        ),
      );
      await waitWithin(
        'trainer ran from the mirror',
        async () =>
          (await siteClient.get<Pod>('v1', 'Pod', 'trainer', 'default'))?.status?.phase === 'Succeeded',
        180_000,
        100,
      );
      const w = await waitWithin(
        'missing image backs off',
        async () => {
          const st = (await siteClient.get<Pod>('v1', 'Pod', 'missing', 'default'))?.status
            ?.containerStatuses?.[0]?.state.waiting;
          return st?.reason === 'ImagePullBackOff' ? st : undefined;
        },
        180_000,
        100,
      );
      expect(w.message).toContain(`${site.host}/open-cluster-management/federated-learning-flower-x:latest`);
    } finally {
      await siteRunner?.stop();
      await siteRuntime?.close();
      await site.stop();
      await siteServer.close();
      await rm(bundle, { recursive: true, force: true });
    }
  });

  it('restarts a crashing container and, once stopped, leaves no container, mount or namespace behind', async () => {
    await createPod('crash', {
      restartPolicy: 'Always',
      containers: [{ name: 'main', image: IMAGE, command: node('process.exit(1)') }],
    });
    await waitFor(
      'restarted',
      async () => ((await getPod('crash')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    const n = runtime.slot.n;
    expect((await exec('ip', ['netns', 'list'])).stdout).toContain(`fl${n}-`);
    await runner.stop();
    await runtime.close();
    expect((await exec('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`\\bfl${n}-`));
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(runtime.slot.dir);
    expect((await exec('ip', ['-o', 'link'])).stdout).not.toContain(`flbr${n}`);
    expect(existsSync(runtime.slot.runcRoot)).toBe(false);
    expect(cgroupParents(n)).toEqual([]);
  });
});
