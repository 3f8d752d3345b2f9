/** Server-side printing: the meta.k8s.io/v1 Table kubectl asks for with `Accept: ...;as=Table`. */
import { evalJsonPath } from './jsonpath.js';
import type { KubeObject, PrinterColumn, ResourceInfo } from './types.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

/** kubectl's HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(ts: unknown): string {
  return typeof ts === 'string' ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>';
}

type Printer = { cols: [string, string][]; cells: (o: KubeObject) => Cell[] };

const anyOf = (o: KubeObject, p: string): unknown => evalJsonPath(o, p)[0];
const count = (v: unknown): number => (v && typeof v === 'object' ? Object.keys(v).length : 0);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const BUILTIN: Record<string, Printer> = {
  '/ConfigMap': { cols: [['Data', 'integer']], cells: (o) => [count(o.data) + count(o.binaryData)] },
  '/Secret': {
    cols: [
      ['Type', 'string'],
      ['Data', 'integer'],
    ],
    cells: (o) => [str(o.type), count(o.data)],
  },
  '/Namespace': { cols: [['Status', 'string']], cells: (o) => [str(anyOf(o, '.status.phase'))] },
  '/Pod': {
    cols: [
      ['Ready', 'string'],
      ['Status', 'string'],
      ['Restarts', 'string'],
    ],
    cells: (o) => {
      const cs =
        (anyOf(o, '.status.containerStatuses') as { ready?: boolean; restartCount?: number }[] | undefined) ??
        [];
      const total = (anyOf(o, '.spec.containers') as unknown[] | undefined)?.length ?? 0;
      const status = o.metadata.deletionTimestamp ? 'Terminating' : str(anyOf(o, '.status.phase'));
      return [
        `${cs.filter((c) => c.ready).length}/${total}`,
        status,
        String(cs.reduce((a, c) => a + (c.restartCount ?? 0), 0)),
      ];
    },
  },
  'apps/Deployment': {
    cols: [
      ['Ready', 'string'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
    ],
    cells: (o) => [
      `${Number(anyOf(o, '.status.readyReplicas') ?? 0)}/${Number(anyOf(o, '.spec.replicas') ?? 0)}`,
      Number(anyOf(o, '.status.updatedReplicas') ?? 0),
      Number(anyOf(o, '.status.availableReplicas') ?? 0),
    ],
  },
  'batch/Job': {
    cols: [
      ['Status', 'string'],
      ['Completions', 'string'],
    ],
    cells: (o) => {
      const conds =
        (anyOf(o, '.status.conditions') as { type?: string; status?: string }[] | undefined) ?? [];
      const done = conds.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      return [
        done?.type ?? 'Running',
        `${Number(anyOf(o, '.status.succeeded') ?? 0)}/${Number(anyOf(o, '.spec.completions') ?? 1)}`,
      ];
    },
  },
  '/Service': {
    cols: [
      ['Type', 'string'],
      ['Cluster-IP', 'string'],
      ['Ports', 'string'],
    ],
    cells: (o) => {
      const ports = (anyOf(o, '.spec.ports') as { port?: number; protocol?: string }[] | undefined) ?? [];
      return [
        str(anyOf(o, '.spec.type')),
        str(anyOf(o, '.spec.clusterIP')) || '<none>',
        ports.map((p) => `${p.port ?? ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>',
      ];
    },
  },
  'coordination.k8s.io/Lease': {
    cols: [['Holder', 'string']],
    cells: (o) => [str(anyOf(o, '.spec.holderIdentity'))],
  },
  'certificates.k8s.io/CertificateSigningRequest': {
    cols: [
      ['SignerName', 'string'],
      ['Requestor', 'string'],
      ['Condition', 'string'],
    ],
    cells: (o) => {
      const conds = ((anyOf(o, '.status.conditions') as { type?: string }[] | undefined) ?? []).map(
        (c) => c.type ?? '',
      );
      if (anyOf(o, '.status.certificate')) conds.push('Issued');
      return [
        str(anyOf(o, '.spec.signerName')),
        str(anyOf(o, '.spec.username')),
        conds.join(',') || 'Pending',
      ];
    },
  },
};

function column(name: string, type: string, priority = 0, description = ''): Column {
  return { name, type, format: name === 'Name' ? 'name' : '', description, priority };
}

function crColumns(r: ResourceInfo, version: string): PrinterColumn[] {
  const cols = r.printerColumns[version] ?? [];
  return cols.length ? cols : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
}

function crCell(o: KubeObject, c: PrinterColumn): Cell {
  const v = evalJsonPath(o, c.jsonPath);
  if (v.length === 0) return null;
  const first = v[0];
  if (c.type === 'date') return age(first);
  if (typeof first === 'object') return JSON.stringify(first);
  if (c.type === 'integer' || c.type === 'number') return typeof first === 'number' ? first : Number(first);
  if (c.type === 'boolean') return Boolean(first);
  return String(first);
}

export interface TableOpts {
  includeObject: 'None' | 'Object' | 'Metadata';
  noHeaders?: boolean;
}

/** A Table for one object or a list of objects. */
export function toTable(
  r: ResourceInfo,
  version: string,
  objs: KubeObject[],
  listMeta: Record<string, unknown>,
  opts: TableOpts,
): Record<string, unknown> {
  let columns: Column[];
  let cells: (o: KubeObject) => Cell[];
  if (r.crd) {
    const pcs = crColumns(r, version);
    columns = [
      column('Name', 'string', 0, 'Name must be unique within a namespace.'),
      ...pcs.map((c) => column(c.name, c.type, c.priority ?? 0, c.description ?? '')),
    ];
    cells = (o) => [o.metadata.name ?? '', ...pcs.map((c) => crCell(o, c))];
  } else {
    const p = BUILTIN[`${r.group}/${r.kind}`];
    columns = [
      column('Name', 'string', 0, 'Name must be unique within a namespace.'),
      ...(p?.cols ?? []).map(([n, ty]) => column(n, ty)),
      column('Age', 'string', 0, 'CreationTimestamp'),
    ];
    cells = (o) => [o.metadata.name ?? '', ...(p ? p.cells(o) : []), age(o.metadata.creationTimestamp)];
  }
  const rows = objs.map((o) => ({
    cells: cells(o),
    object:
      opts.includeObject === 'Object'
        ? o
        : opts.includeObject === 'None'
          ? null
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
  }));
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(opts.noHeaders ? {} : { columnDefinitions: columns }),
    rows,
  };
}
