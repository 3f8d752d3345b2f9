/** Defaulting and validation of built-in kinds: the subset of kube-apiserver's rules this project relies on. */
import type { StatusCause } from './errors.js';
import type { KubeObject, ResourceInfo, UserInfo } from './types.js';

type Obj = Record<string, unknown>;

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kinds whose names are path segments rather than DNS subdomains. */
const PATH_SEGMENT_NAMES = new Set([
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'CertificateSigningRequest',
]);

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function validateName(r: ResourceInfo, name: string, field = 'metadata.name'): StatusCause[] {
  const bad = (msg: string): StatusCause[] => [
    { reason: 'FieldValueInvalid', field, message: `Invalid value: "${name}": ${msg}` },
  ];
  if (PATH_SEGMENT_NAMES.has(r.kind) && r.group !== '') {
    if (name === '.' || name === '..' || /[/%]/.test(name))
      return bad(`may not contain '/' or '%' or be '.' or '..'`);
    return [];
  }
  if (r.kind === 'Namespace' && (!LABEL.test(name) || name.length > 63)) {
    return bad(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    );
  }
  if (r.kind === 'Service' && r.group === '' && (!DNS1035.test(name) || name.length > 63)) {
    return bad(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character`,
    );
  }
  if (!SUBDOMAIN.test(name) || name.length > 253) {
    return bad(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  return [];
}

export function validateMeta(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    const name = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
    if (!LABEL_KEY_NAME.test(name) || name.length > 63) {
      out.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      out.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
  for (const [i, ref] of (o.metadata.ownerReferences ?? []).entries()) {
    for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (!ref[f])
        out.push({
          reason: 'FieldValueRequired',
          field: `metadata.ownerReferences[${i}].${f}`,
          message: 'Required value',
        });
    }
  }
  return out;
}

function defaultContainers(spec: Obj): void {
  for (const c of (spec.containers as Obj[] | undefined) ?? []) {
    const image = String(c.image ?? '');
    const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
    c.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    for (const p of (c.ports as Obj[] | undefined) ?? []) p.protocol ??= 'TCP';
  }
}

function defaultPodSpec(spec: Obj, restart = 'Always'): void {
  spec.restartPolicy ??= restart;
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  defaultContainers(spec);
}

function validatePodSpec(spec: Obj, field: string): StatusCause[] {
  const cs = spec.containers;
  if (!Array.isArray(cs) || cs.length === 0)
    return [{ reason: 'FieldValueRequired', field: `${field}.containers`, message: 'Required value' }];
  const out: StatusCause[] = [];
  cs.forEach((c: Obj, i) => {
    if (!c.name)
      out.push({
        reason: 'FieldValueRequired',
        field: `${field}.containers[${i}].name`,
        message: 'Required value',
      });
    if (!c.image)
      out.push({
        reason: 'FieldValueRequired',
        field: `${field}.containers[${i}].image`,
        message: 'Required value',
      });
  });
  return out;
}

function labelsMatch(selector: Obj, labels: Record<string, string>): boolean {
  const ml = obj(selector.matchLabels) as Record<string, string>;
  return Object.entries(ml).every(([k, v]) => labels[k] === v);
}

/** Defaults set on create (and on update where the real server does too). */
export function applyBuiltinDefaults(r: ResourceInfo, o: KubeObject): void {
  const spec = obj(o.spec);
  switch (`${r.group}/${r.kind}`) {
    case '/Namespace':
      o.spec = { finalizers: ['kubernetes'], ...spec };
      o.status = { phase: 'Active', ...obj(o.status) };
      break;
    case '/Secret':
      o.type ??= 'Opaque';
      if (o.stringData) {
        const data = obj(o.data);
        for (const [k, v] of Object.entries(obj(o.stringData)))
          data[k] = Buffer.from(String(v)).toString('base64');
        o.data = data;
        delete o.stringData;
      }
      break;
    case '/Pod':
      defaultPodSpec(spec);
      o.spec = spec;
      o.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case '/Service':
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      for (const p of (spec.ports as Obj[] | undefined) ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      o.spec = spec;
      break;
    case 'apps/Deployment':
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      defaultPodSpec(obj(obj(spec.template).spec));
      break;
    case 'batch/Job':
      defaultJob(o, spec);
      break;
  }
}

function defaultJob(o: KubeObject, spec: Obj): void {
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  const template = obj(spec.template);
  const tmeta = obj(template.metadata);
  const uid = o.metadata.uid ?? '';
  const name = o.metadata.name ?? '';
  if (!spec.selector && !spec.manualSelector) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    tmeta.labels = {
      ...obj(tmeta.labels),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
  }
  template.metadata = tmeta;
  defaultPodSpec(obj(template.spec), 'Never');
  spec.template = template;
}

/** Kind-specific validation; `old` is set for updates. */
export function validateBuiltin(r: ResourceInfo, o: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  switch (`${r.group}/${r.kind}`) {
    case '/Pod':
      return validatePodSpec(spec, 'spec');
    case 'apps/Deployment': {
      const template = obj(spec.template);
      const out = validatePodSpec(obj(template.spec), 'spec.template.spec');
      if (!spec.selector)
        out.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
      else if (
        !labelsMatch(obj(spec.selector), obj(obj(template.metadata).labels) as Record<string, string>)
      ) {
        out.push({
          reason: 'FieldValueInvalid',
          field: 'spec.template.metadata.labels',
          message: 'Invalid value: `selector` does not match template `labels`',
        });
      }
      return out;
    }
    case 'batch/Job': {
      const tspec = obj(obj(spec.template).spec);
      const out = validatePodSpec(tspec, 'spec.template.spec');
      if (tspec.restartPolicy !== 'Never' && tspec.restartPolicy !== 'OnFailure') {
        out.push({
          reason: 'FieldValueNotSupported',
          field: 'spec.template.spec.restartPolicy',
          message: `Unsupported value: "${String(tspec.restartPolicy)}": supported values: "OnFailure", "Never"`,
        });
      }
      if (old && JSON.stringify(obj(old.spec).selector) !== JSON.stringify(spec.selector)) {
        out.push({
          reason: 'FieldValueInvalid',
          field: 'spec.selector',
          message: 'Invalid value: field is immutable',
        });
      }
      return out;
    }
    case 'certificates.k8s.io/CertificateSigningRequest':
      return validateCsr(o, old);
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      return validateCrd(o);
    case '/Event':
      return validateCoreEvent(o);
    case '/Secret':
      return Object.entries(obj(o.data))
        .filter(([, v]) => typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
        .map(([k]) => ({
          reason: 'FieldValueInvalid',
          field: `data[${k}]`,
          message: 'Invalid value: illegal base64 data',
        }));
  }
  return [];
}

/**
 * core/v1 Events without eventTime (the legacy shape) live in their object's namespace; one
 * about a cluster-scoped object (a CSR, a ManagedCluster) must be in "default" (kube-apiserver
 * legacyValidateEvent; client-go's recorder does so).
 */
function validateCoreEvent(o: KubeObject): StatusCause[] {
  if ((o as Obj).eventTime) return [];
  const involvedNs = (obj((o as Obj).involvedObject).namespace as string | undefined) ?? '';
  const ns = o.metadata.namespace ?? '';
  const ok = involvedNs === '' ? ns === '' || ns === 'default' : ns === involvedNs;
  return ok
    ? []
    : [
        {
          reason: 'FieldValueInvalid',
          field: 'involvedObject.namespace',
          message: `Invalid value: "${involvedNs}": does not match event.namespace`,
        },
      ];
}

function validateCsr(o: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const out: StatusCause[] = [];
  const req = typeof spec.request === 'string' ? Buffer.from(spec.request, 'base64').toString('utf8') : '';
  if (!req.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    out.push({
      reason: 'FieldValueInvalid',
      field: 'spec.request',
      message: 'Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST',
    });
  }
  if (!spec.signerName)
    out.push({ reason: 'FieldValueRequired', field: 'spec.signerName', message: 'Required value' });
  if (!Array.isArray(spec.usages) || spec.usages.length === 0)
    out.push({ reason: 'FieldValueRequired', field: 'spec.usages', message: 'Required value' });
  const conds = (obj(o.status).conditions as Obj[] | undefined) ?? [];
  const types = conds.map((c) => c.type);
  if (types.includes('Approved') && types.includes('Denied')) {
    out.push({
      reason: 'FieldValueInvalid',
      field: 'status.conditions',
      message: 'Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
    });
  }
  if (old) {
    const oldTypes = ((obj(old.status).conditions as Obj[] | undefined) ?? []).map((c) => c.type);
    for (const t of ['Approved', 'Denied']) {
      if (oldTypes.includes(t) && !types.includes(t))
        out.push({
          reason: 'FieldValueForbidden',
          field: 'status.conditions',
          message: `Forbidden: updates may not remove a condition of type "${t}"`,
        });
    }
    if (obj(o.status).certificate && types.includes('Denied')) {
      out.push({
        reason: 'FieldValueForbidden',
        field: 'status.certificate',
        message: 'Forbidden: cannot set certificate on a denied request',
      });
    }
  }
  return out;
}

function validateCrd(o: KubeObject): StatusCause[] {
  const spec = obj(o.spec);
  const names = obj(spec.names);
  const out: StatusCause[] = [];
  if (!spec.group) out.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value' });
  if (!names.plural)
    out.push({ reason: 'FieldValueRequired', field: 'spec.names.plural', message: 'Required value' });
  if (!names.kind)
    out.push({ reason: 'FieldValueRequired', field: 'spec.names.kind', message: 'Required value' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    out.push({
      reason: 'FieldValueNotSupported',
      field: 'spec.scope',
      message: `Unsupported value: "${String(spec.scope)}": supported values: "Cluster", "Namespaced"`,
    });
  }
  const expected = `${String(names.plural)}.${String(spec.group)}`;
  if (o.metadata.name !== expected) {
    out.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${o.metadata.name}": must be spec.names.plural+"."+spec.group`,
    });
  }
  const versions = Array.isArray(spec.versions) ? (spec.versions as Obj[]) : [];
  if (versions.length === 0)
    out.push({ reason: 'FieldValueRequired', field: 'spec.versions', message: 'Required value' });
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    out.push({
      reason: 'FieldValueInvalid',
      field: 'spec.versions',
      message: 'Invalid value: must have exactly one version marked as storage version',
    });
  }
  return out;
}

/** The API server records who asked for a certificate; the request body cannot choose it. */
export function stampCsrRequester(o: KubeObject, user: UserInfo): void {
  const spec = obj(o.spec);
  spec.username = user.username;
  spec.groups = [...new Set([...user.groups, 'system:authenticated'])];
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  o.spec = spec;
}

/** A CRD is accepted and established as soon as it is stored (no name conflicts are checked). */
export function crdStatus(o: KubeObject): void {
  const spec = obj(o.spec);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const storage = ((spec.versions as Obj[] | undefined) ?? []).find((v) => v.storage)?.name;
  o.status = {
    acceptedNames: spec.names,
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: now,
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: now,
      },
    ],
    storedVersions: storage ? [storage] : [],
  };
}
