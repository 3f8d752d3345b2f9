/**
 * A local OCI registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1, standing in
 * for quay.io or a site's mirror. Storage is a plain directory, so images pushed once by
 * `make images` are served again by every later registry started on the same directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Registry {
  /** `127.0.0.1:PORT`, the host part of image references served by this registry. */
  host: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export function registryConfig(storageDir: string, addr: string): string {
  // Our own config: the packaged /etc/docker/registry/config.yml turns on htpasswd auth.
  return [
    'version: 0.1',
    'log: { level: warn, accesslog: { disabled: true } }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(storageDir)} }`,
    '  delete: { enabled: true }',
    `http: { addr: ${JSON.stringify(addr)} }`,
    '',
  ].join('\n');
}

/** Start a registry serving `storageDir`; resolves once `/v2/` answers. */
export async function startRegistry(storageDir: string, logDir = storageDir): Promise<Registry> {
  mkdirSync(storageDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(logDir, `registry-${host.replace(':', '-')}.yml`);
  writeFileSync(config, registryConfig(storageDir, host));
  const log = openSync(join(logDir, 'registry.log'), 'a');
  let child: ChildProcess | undefined;
  try {
    child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start docker-registry: ${e.message}`, { cause: e }))),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      ),
      spawnError,
    ]);
    if (ok) return { host, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry on ${host} did not start (see ${join(logDir, 'registry.log')})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
