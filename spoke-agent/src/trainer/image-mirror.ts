/**
 * Registry mirrors for trainer images, with AddOnDeploymentConfig `registries` semantics: a
 * `source` prefix is replaced by `mirror`; an empty `source` maps any image to
 * `mirror/<last path segment>`; the last matching entry wins. Pure.
 */
import type { ImageMirror } from '@ocm-fl/common/api/ocm.js';

function applyOne(m: ImageMirror, image: string): string {
  const source = (m.source ?? '').replace(/\/+$/, '');
  const mirror = m.mirror.replace(/\/+$/, '');
  if (source === '') {
    const last = image.split('/').pop() ?? image;
    return mirror === '' ? last : `${mirror}/${last}`;
  }
  // Only whole path segments match: `quay.io/org` must not rewrite `quay.io/organisation/x`.
  if (
    image === source ||
    image.startsWith(`${source}/`) ||
    image.startsWith(`${source}:`) ||
    image.startsWith(`${source}@`)
  ) {
    return `${mirror}${image.slice(source.length)}`;
  }
  return image;
}

export function mirrorImage(mirrors: readonly ImageMirror[], image: string): string {
  for (let i = mirrors.length - 1; i >= 0; i--) {
    const out = applyOne(mirrors[i]!, image);
    if (out !== image) return out;
  }
  return image;
}
