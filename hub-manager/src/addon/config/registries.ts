/**
 * Image mirroring: AddOnDeploymentConfig `registries` and the ManagedCluster annotation
 * `open-cluster-management.io/image-registries`, with addon-framework's semantics: a
 * `source` prefix is replaced by `mirror`; an empty `source` maps any image to
 * `mirror/<last path segment>`; later entries win; the config wins over the annotation.
 */
import type { ImageMirror, ManagedCluster } from '@ocm-fl/common/api/ocm.js';
import { IMAGE_REGISTRIES_ANNOTATION } from '@ocm-fl/common/names.js';

function overrideOne(m: ImageMirror, image: string): string {
  const source = (m.source ?? '').replace(/\/+$/, '');
  const mirror = m.mirror.replace(/\/+$/, '');
  if (source === '') {
    const last = image.split('/').pop() ?? image;
    return mirror === '' ? last : `${mirror}/${last}`;
  }
  return image.startsWith(source) ? `${mirror}${image.slice(source.length)}` : image;
}

/** The image after mirroring; the last matching entry wins (as upstream). */
export function overrideImage(registries: readonly ImageMirror[] | undefined, image: string): string {
  const list = registries ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const out = overrideOne(list[i]!, image);
    if (out !== image) return out;
  }
  return image;
}

/**
 * Mirrors from the ManagedCluster annotation. A malformed annotation is an error naming the
 * annotation, so the Configured condition can say what is wrong.
 */
export function registriesFromAnnotation(cluster: ManagedCluster): ImageMirror[] {
  const raw = cluster.metadata.annotations?.[IMAGE_REGISTRIES_ANNOTATION];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`metadata.annotations["${IMAGE_REGISTRIES_ANNOTATION}"]: not JSON`, { cause: e });
  }
  const regs = (parsed as { registries?: unknown })?.registries;
  if (regs === undefined) return [];
  if (!Array.isArray(regs)) {
    throw new Error(`metadata.annotations["${IMAGE_REGISTRIES_ANNOTATION}"].registries: not a list`);
  }
  return regs.map((r: unknown, i): ImageMirror => {
    const { mirror, source } = (r ?? {}) as { mirror?: unknown; source?: unknown };
    if (typeof mirror !== 'string' || (source !== undefined && typeof source !== 'string')) {
      throw new Error(
        `metadata.annotations["${IMAGE_REGISTRIES_ANNOTATION}"].registries[${i}]: needs string mirror`,
      );
    }
    return source === undefined ? { mirror } : { mirror, source };
  });
}

/** Mirrors in effect for a cluster: the config's when it has any, else the annotation's. */
export function effectiveRegistries(
  configRegistries: readonly ImageMirror[] | undefined,
  cluster: ManagedCluster,
): ImageMirror[] {
  if (configRegistries && configRegistries.length > 0) return [...configRegistries];
  return registriesFromAnnotation(cluster);
}
