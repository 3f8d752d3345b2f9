/** Label and field selectors as the API server parses them (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`). */
import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';

export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Split on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(s: string | undefined | null): Requirement[] {
  if (!s) return [];
  return splitTerms(s).map((term) => {
    let m = /^([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = (m[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: m[1] ?? '', op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^\s!=,()]+)\s*(==|=|!=)\s*([^\s,()]*)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: m[2] === '!=' ? 'notin' : 'in', values: [m[3] ?? ''] };
    m = /^!\s*([^\s!=,()]+)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: '!exists' };
    m = /^([^\s!=,()]+)$/.exec(term);
    if (m) return { key: m[1] ?? '', op: 'exists' };
    throw badRequest(`unable to parse requirement: invalid label selector term "${term}"`);
  });
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key] ?? '');
      case 'notin':
        return !has || !r.values.includes(l[r.key] ?? '');
    }
    return false;
  });
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

export function parseFieldSelector(s: string | undefined | null): FieldRequirement[] {
  if (!s) return [];
  return splitTerms(s).map((term) => {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    return { field: (m[1] ?? '').trim(), value: (m[3] ?? '').trim(), negate: m[2] === '!=' };
  });
}

/** Fields each kind can be selected on; metadata.name/namespace work for every kind. */
const EXTRA_FIELDS: Record<string, string[]> = {
  CertificateSigningRequest: ['spec.signerName'],
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  Secret: ['type'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'reason',
    'type',
    'reportingComponent',
    'source',
  ],
  Namespace: ['status.phase'],
  Job: ['status.successful'],
};

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

/** Check the selector's fields are supported for this kind (400 like kube-apiserver otherwise). */
export function checkFieldSelector(reqs: FieldRequirement[], kind: string, isCustom: boolean): void {
  const allowed = ['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])];
  for (const r of reqs) {
    if (!allowed.includes(r.field) && !(isCustom && r.field.startsWith('metadata.'))) {
      throw badRequest(`field label not supported: ${r.field}`);
    }
  }
}

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}

export interface Selector {
  labels: Requirement[];
  fields: FieldRequirement[];
}

export function matchesSelector(sel: Selector, obj: KubeObject): boolean {
  return matchesLabels(sel.labels, obj.metadata.labels) && matchesFields(sel.fields, obj);
}
