/**
 * The images the pod runner can run and how: a registry maps an image reference to a local
 * command. Lookup is exact, then without the tag/digest, then by repository base name (so a
 * registry mirror rewriting `quay.io/x/agent:v1` to `mirror.local/agent:v1` still resolves).
 */
export interface ImageSpec {
  /** Local argv replacing the image ENTRYPOINT, e.g. [process.execPath, '--import', 'tsx', 'main.ts']. */
  entrypoint: string[];
  /** Default arguments (the image CMD), used when the container sets neither command nor args. */
  cmd?: string[];
  /**
   * Map a container `command` (an in-image path) to a local argv. Default: `node` → this Node,
   * anything else → `entrypoint` followed by the command's own arguments.
   */
  mapCommand?: (command: readonly string[]) => string[];
  /** Working directory when the container sets none; default the pod root. */
  cwd?: string;
  /** Extra environment (the image's ENV), overridden by the container's env. */
  env?: Record<string, string>;
}

export type ImageRegistry = Readonly<Record<string, ImageSpec>>;

const withoutTag = (ref: string): string => {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
};
const baseName = (ref: string): string => withoutTag(ref).split('/').pop() ?? ref;

export function resolveImage(registry: ImageRegistry, image: string): ImageSpec | undefined {
  if (registry[image]) return registry[image];
  const repo = withoutTag(image);
  for (const [k, v] of Object.entries(registry)) if (withoutTag(k) === repo) return v;
  const base = baseName(image);
  for (const [k, v] of Object.entries(registry)) if (baseName(k) === base) return v;
  return undefined;
}

/** The local argv for a container, following Kubernetes' command/args over ENTRYPOINT/CMD rules. */
export function containerArgv(
  spec: ImageSpec,
  command: readonly string[] | undefined,
  args: readonly string[] | undefined,
): string[] {
  if (command && command.length > 0) {
    const mapped = spec.mapCommand
      ? spec.mapCommand(command)
      : command[0] === 'node'
        ? [process.execPath, ...command.slice(1)]
        : [...spec.entrypoint, ...command.slice(1)];
    return [...mapped, ...(args ?? [])];
  }
  return [...spec.entrypoint, ...(args ?? spec.cmd ?? [])];
}
