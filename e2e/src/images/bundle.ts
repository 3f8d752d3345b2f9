/**
 * `make bundle`: what an air-gapped site needs, in `out/bundle/` and `out/fl-bundle.tar.gz`:
 *   chart/            the Helm chart (charts/federated-learning)
 *   images/*.tar      every image of the catalog as an OCI archive (from `make images`)
 *   images.json       reference → digest
 *   mirror.sh         copies the archives into the site's registry with skopeo and prints the
 *                     AddOnDeploymentConfig `registries` entry that points the addon at it
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildahArgs, buildImages, type Paths } from './build.js';
import { discoverImages, IMAGE_REPO } from './catalog.js';

const run = promisify(execFile);

/** File name of an image's archive: its repository's last path segment. */
export const archiveName = (ref: string): string => `${(ref.split('/').pop() ?? ref).split(':')[0]}.tar`;

export function mirrorScript(refs: readonly string[]): string {
  const lines = refs.map((r) => {
    const path = r.split('/').slice(1).join('/');
    return `copy ${archiveName(r)} ${JSON.stringify(r)} "$mirror/${path}"`;
  });
  return `#!/usr/bin/env bash
# Mirror the addon's images into a site registry: mirror.sh REGISTRY_HOST [skopeo copy flags]
# e.g. mirror.sh registry.site.example:5000   or   mirror.sh 127.0.0.1:5000 --dest-tls-verify=false
set -euo pipefail
mirror=\${1:?usage: mirror.sh REGISTRY_HOST [skopeo copy flags]}
shift
here=$(cd "$(dirname "$0")" && pwd)
copy() { echo "$2 -> $3"; skopeo copy --quiet "\${@:4}" "oci-archive:$here/images/$1" "docker://$3"; }
${lines.map((l) => `${l} "$@"`).join('\n')}
cat <<YAML
# AddOnDeploymentConfig spec for the addon to pull from the mirror:
registries:
  - source: ${IMAGE_REPO}
    mirror: $mirror/${IMAGE_REPO.split('/').slice(1).join('/')}
YAML
`;
}

export async function makeBundle(
  p: Paths,
  log: (s: string) => void = (s) => console.log(s),
): Promise<string> {
  const { digests, failed } = await buildImages(p, log);
  if (failed.length)
    throw new Error(`cannot bundle: ${failed.map((e) => e.message.split('\n')[0]).join('; ')}`);
  const dir = join(p.repoRoot, 'out/bundle');
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'images'), { recursive: true });
  await cp(join(p.repoRoot, 'charts/federated-learning'), join(dir, 'chart/federated-learning'), {
    recursive: true,
  });
  const refs = discoverImages(p.repoRoot).map((i) => i.ref);
  for (const ref of refs) {
    await run('buildah', [
      ...buildahArgs(p.cacheDir),
      'push',
      '--quiet',
      ref,
      `oci-archive:${join(dir, 'images', archiveName(ref))}:${ref}`,
    ]);
    log(`bundled ${ref}`);
  }
  await writeFile(join(dir, 'images.json'), `${JSON.stringify(digests, null, 2)}\n`);
  await writeFile(join(dir, 'mirror.sh'), mirrorScript(refs));
  await chmod(join(dir, 'mirror.sh'), 0o755);
  const archive = join(p.repoRoot, 'out/fl-bundle.tar.gz');
  await run('tar', ['-C', join(p.repoRoot, 'out'), '-czf', archive, 'bundle']);
  return archive;
}
