/** Which resources are served: the built-ins plus whatever established CRDs add. */
import { builtinResources } from './builtins.js';
import type { JsonSchema, KubeObject, PrinterColumn, ResourceInfo } from './types.js';
import { resourceKey } from './types.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: object; scale?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

/** Turn a CRD into the resource it serves (one entry; all served versions share storage). */
export function resourceFromCrd(crd: KubeObject): ResourceInfo {
  const spec = crd.spec as CrdSpec;
  const served = spec.versions.filter((v) => v.served !== false);
  const storage = spec.versions.find((v) => v.storage) ?? spec.versions[0];
  const schemas: Record<string, JsonSchema | undefined> = {};
  const printerColumns: Record<string, PrinterColumn[]> = {};
  for (const v of served) {
    schemas[v.name] = v.schema?.openAPIV3Schema;
    printerColumns[v.name] = v.additionalPrinterColumns ?? [];
  }
  return {
    group: spec.group,
    version: storage?.name ?? 'v1',
    versions: served.map((v) => v.name),
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    // Status subresource is per version in the CRD; we treat it as enabled if any version has it.
    statusSubresource: served.some((v) => v.subresources?.status !== undefined),
    extraSubresources: [],
    tracksGeneration: true,
    requireResourceVersionOnUpdate: true,
    orphanByDefault: false,
    schemas,
    printerColumns,
    crd: crd.metadata.name,
  };
}

export class Registry {
  private readonly byKey = new Map<string, ResourceInfo>();

  constructor() {
    for (const r of builtinResources()) this.byKey.set(resourceKey(r), r);
  }

  all(): ResourceInfo[] {
    return [...this.byKey.values()];
  }

  byGroupPlural(group: string, plural: string): ResourceInfo | undefined {
    return this.byKey.get(`${group}/${plural}`);
  }

  /** Resolve `/apis/{group}/{version}/{plural}`; undefined when that version is not served. */
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    const r = this.byKey.get(`${group}/${plural}`);
    return r && r.versions.includes(version) ? r : undefined;
  }

  byKind(group: string, kind: string): ResourceInfo | undefined {
    return this.all().find((r) => r.group === group && r.kind === kind);
  }

  /** Map of group → versions served, groups in a stable order (core first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.all()) {
      const vs = out.get(r.group) ?? [];
      for (const v of r.versions) if (!vs.includes(v)) vs.push(v);
      out.set(r.group, vs);
    }
    return out;
  }

  addCrd(crd: KubeObject): ResourceInfo {
    const r = resourceFromCrd(crd);
    this.byKey.set(resourceKey(r), r);
    return r;
  }

  removeCrd(crdName: string): ResourceInfo | undefined {
    for (const [k, r] of this.byKey) {
      if (r.crd === crdName) {
        this.byKey.delete(k);
        return r;
      }
    }
    return undefined;
  }
}
