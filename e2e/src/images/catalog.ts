/**
 * The project's container images, in one place: every `Dockerfile` at `<dir>/Dockerfile` or
 * `e2e/trainers/<name>/Dockerfile` is an image, named
 * `quay.io/open-cluster-management/federated-learning-<name>:latest` unless `NAMES` gives the
 * name the manifests already use. A new trainer directory with a Dockerfile is picked up
 * without touching this file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGE_REPO = 'quay.io/open-cluster-management';
export const IMAGE_TAG = 'latest';

/** Directory (relative to the repo root) → image name, where it differs from the directory's name. */
const NAMES: Readonly<Record<string, string>> = {
  'spoke-agent': 'federated-learning-agent',
  'hub-manager': 'federated-learning-hub-manager',
  'e2e/trainers/mnist-ts': 'federated-learning-mnist-trainer',
  'e2e/trainers/mnist-py': 'federated-learning-mnist-trainer-py',
};

export interface ImageEntry {
  /** Directory of the Dockerfile, relative to the repo root (the build context is the repo root). */
  dir: string;
  dockerfile: string;
  /** Full reference as the manifests use it. */
  ref: string;
  /** The `FROM` images that are not earlier stages of the same file. */
  bases: string[];
}

/** `FROM` references of a Dockerfile that name images (not `AS` stages of the same file). */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m) continue;
    const [, image = '', stage] = m;
    if (!stages.has(image.toLowerCase()) && !out.includes(image)) out.push(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return out;
}

/** Docker Hub's normalisation: `node:20` → `docker.io/library/node:20`. */
export function normalizeRef(ref: string): string {
  const first = ref.split('/')[0] ?? '';
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const named = hasHost ? ref : `docker.io/${ref.includes('/') ? ref : `library/${ref}`}`;
  const last = named.split('/').pop() ?? '';
  return last.includes(':') || last.includes('@') ? named : `${named}:latest`;
}

export function discoverImages(repoRoot: string): ImageEntry[] {
  const dirs = [
    ...readdirSync(repoRoot, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
      .map((d) => d.name),
    ...(existsSync(join(repoRoot, 'e2e/trainers'))
      ? readdirSync(join(repoRoot, 'e2e/trainers'), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `e2e/trainers/${d.name}`)
      : []),
  ];
  return dirs
    .filter((d) => existsSync(join(repoRoot, d, 'Dockerfile')))
    .sort()
    .map((dir) => {
      const dockerfile = `${dir}/Dockerfile`;
      const name = NAMES[dir] ?? `federated-learning-${dir.split('/').pop() ?? dir}`;
      return {
        dir,
        dockerfile,
        ref: `${IMAGE_REPO}/${name}:${IMAGE_TAG}`,
        bases: baseImages(readFileSync(join(repoRoot, dockerfile), 'utf8')).map(normalizeRef),
      };
    });
}
