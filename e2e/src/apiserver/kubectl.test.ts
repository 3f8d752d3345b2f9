import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { startApiServer } from './index.js';
import type { ApiServer } from './index.js';

const run = promisify(execFile);
let server: ApiServer;
let dir: string;
let kubeconfig: string;

/** Run the real kubectl against the embedded server (async: the server lives in this process). */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'kubectl',
    ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
    { timeout: 20_000 },
  );
  return stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
  throw new Error(`kubectl ${args.join(' ')} unexpectedly succeeded`);
}

async function file(name: string, doc: unknown): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return p;
}

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', maximum: 10 } },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubectl-test-'));
  server = await startApiServer({ name: 'kubectl' });
  kubeconfig = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the embedded API server', () => {
  it('lists api-resources including short names', async () => {
    const out = await kubectl('api-resources');
    expect(out).toMatch(/^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    expect(out).toMatch(
      /^certificatesigningrequests\s+csr\s+certificates\.k8s\.io\/v1\s+false\s+CertificateSigningRequest$/m,
    );
    expect(out).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
  });

  it('creates from a file, gets as a table and as YAML, patches, and deletes', async () => {
    const f = await file('cm.yaml', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'one', namespace: 'default' },
      data: { a: '1' },
    });
    expect(await kubectl('create', '-f', f)).toBe('configmap/one created\n');
    expect(await kubectlFails('create', '-f', f)).toContain('AlreadyExists');
    const table = await kubectl('get', 'configmaps', '-n', 'default');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(table).toMatch(/^one\s+1\s+\d+s$/m);
    const y = YAML.parse(await kubectl('get', 'cm', 'one', '-n', 'default', '-o', 'yaml')) as {
      data: object;
      metadata: { uid: string };
    };
    expect(y.data).toEqual({ a: '1' });
    expect(y.metadata.uid).toBeTruthy();
    expect(
      await kubectl('patch', 'cm', 'one', '-n', 'default', '--type', 'merge', '-p', '{"data":{"b":"2"}}'),
    ).toBe('configmap/one patched\n');
    expect(await kubectl('get', 'cm', 'one', '-n', 'default', '-o', 'jsonpath={.data.b}')).toBe('2');
    expect(await kubectl('delete', 'cm', 'one', '-n', 'default')).toBe('configmap "one" deleted\n');
    expect(await kubectlFails('get', 'cm', 'one', '-n', 'default')).toContain('configmaps "one" not found');
  });

  it('applies a ConfigMap twice: created, then configured with the change', async () => {
    const doc = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'default' },
      data: { k: 'v1' },
    };
    expect(await kubectl('apply', '-f', await file('a1.yaml', doc))).toBe('configmap/applied created\n');
    expect(await kubectl('apply', '-f', await file('a1.yaml', doc))).toBe('configmap/applied unchanged\n');
    expect(await kubectl('apply', '-f', await file('a2.yaml', { ...doc, data: { k: 'v2' } }))).toBe(
      'configmap/applied configured\n',
    );
    expect(await kubectl('get', 'cm', 'applied', '-o', 'jsonpath={.data.k}')).toBe('v2');
  });

  it('applies a CRD and a custom resource twice, prints its columns, validates, and patches status', async () => {
    expect(await kubectl('apply', '-f', await file('crd.yaml', CRD))).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n',
    );
    const w = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
      spec: { size: 3 },
    };
    expect(await kubectl('apply', '-f', await file('w1.yaml', w))).toBe('widget.example.com/w1 created\n');
    expect(await kubectl('apply', '-f', await file('w2.yaml', { ...w, spec: { size: 4 } }))).toBe(
      'widget.example.com/w1 configured\n',
    );
    await kubectl(
      'patch',
      'wd',
      'w1',
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      '{"status":{"phase":"Ready"}}',
    );
    const table = await kubectl('get', 'wd');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+PHASE$/);
    expect(table).toMatch(/^w1\s+4\s+Ready$/m);
    expect(await kubectlFails('apply', '-f', await file('w3.yaml', { ...w, spec: { size: 11 } }))).toContain(
      'spec.size: Invalid value: 11',
    );
    expect(
      await kubectlFails('apply', '-f', await file('w4.yaml', { ...w, spec: { size: 1, bogus: true } })),
    ).toContain('unknown field "spec.bogus"');
    await kubectl('delete', 'crd', 'widgets.example.com');
    expect(await kubectl('api-resources', '--api-group', 'example.com')).not.toContain('widgets');
  });

  it('watches with get -w and prints a line when an object changes', async () => {
    await kubectl(
      'create',
      '-f',
      await file('wcm.yaml', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: 'default' },
      }),
    );
    const child = spawn('kubectl', [
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      join(dir, 'cache'),
      'get',
      'cm',
      'watched',
      '-w',
      '--output-watch-events',
    ]);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const until = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`no ${re} in kubectl output: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(/ADDED\s+watched/);
      await kubectl('patch', 'cm', 'watched', '--type', 'merge', '-p', '{"data":{"x":"y"}}');
      await until(/MODIFIED\s+watched\s+1/);
    } finally {
      child.kill();
    }
    expect(out.split('\n')[0]).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/);
  });

  it('runs the imperative commands whose bodies kubectl sends in protobuf', async () => {
    await kubectl('create', 'ns', 'imperative');
    expect(await kubectl('get', 'ns', 'imperative', '-o', 'jsonpath={.metadata.name}')).toBe('imperative');
    await kubectl(
      'create',
      'configmap',
      'settings',
      '-n',
      'imperative',
      '--from-literal=rounds=3',
      '--from-literal=mode=fast',
    );
    expect(
      await kubectl(
        'get',
        'cm',
        'settings',
        '-n',
        'imperative',
        '-o',
        'jsonpath={.data.rounds},{.data.mode}',
      ),
    ).toBe('3,fast');
    await kubectl('create', 'secret', 'generic', 'token', '-n', 'imperative', '--from-literal=key=s3cr3t');
    const data = await kubectl('get', 'secret', 'token', '-n', 'imperative', '-o', 'jsonpath={.data.key}');
    expect(Buffer.from(data, 'base64').toString()).toBe('s3cr3t');
    expect(await kubectl('get', 'secret', 'token', '-n', 'imperative', '-o', 'jsonpath={.type}')).toBe(
      'Opaque',
    );
    await kubectl('label', 'cm', 'settings', '-n', 'imperative', 'team=fl');
    await kubectl('annotate', 'cm', 'settings', '-n', 'imperative', 'note=from kubectl');
    const meta = JSON.parse(await kubectl('get', 'cm', 'settings', '-n', 'imperative', '-o', 'json')) as {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
    expect(meta.metadata.labels).toMatchObject({ team: 'fl' });
    expect(meta.metadata.annotations).toMatchObject({ note: 'from kubectl' });
    await kubectl(
      'create',
      '-f',
      await file('deploy.yaml', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'imperative' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      }),
    );
    expect(await kubectl('scale', 'deployment', 'web', '-n', 'imperative', '--replicas=3')).toMatch(/scaled/);
    expect(
      await kubectl(
        'get',
        'deploy',
        'web',
        '-n',
        'imperative',
        '-o',
        'jsonpath={.spec.replicas},{.metadata.generation}',
      ),
    ).toBe('3,2');
    await kubectl('delete', 'secret', 'token', '-n', 'imperative');
    expect(await kubectlFails('get', 'secret', 'token', '-n', 'imperative')).toMatch(/NotFound|not found/);
  });
});
