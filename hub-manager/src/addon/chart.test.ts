/**
 * The Helm chart, rendered by a test double of `helm template` (testing/mini-helm.ts): every
 * template must produce valid YAML with default and with non-default values, and the objects
 * must say what the addon manager and DESIGN.md rely on. Real helm lint/template/install is
 * for the real tier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { SIGNER_NAME } from '@ocm-fl/common/names.js';
import { renderClusterManagementAddOn } from './cluster-management-addon.js';
import { renderChart, type HelmContext } from './testing/mini-helm.js';

const CHART = resolve(dirname(fileURLToPath(import.meta.url)), '../../../charts/federated-learning');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const templates = Object.fromEntries(
  readdirSync(join(CHART, 'templates')).map((f) => [f, readFileSync(join(CHART, 'templates', f), 'utf8')]),
);
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Loose;

function render(values: Loose): Loose[] {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Loose;
  const ctx: HelmContext = {
    Values: values,
    Release: { Name: 'fl', Namespace: 'fl-system', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const out: Loose[] = [];
  for (const [name, text] of Object.entries(renderChart(templates, ctx))) {
    for (const doc of parseAllDocuments(text)) {
      expect({ name, errors: doc.errors.map((e) => e.message) }).toEqual({ name, errors: [] });
      const o = doc.toJSON() as Loose | null;
      if (o) out.push(o);
    }
  }
  return out;
}

const find = (objs: Loose[], kind: string, name?: string): Loose => {
  const o = objs.find((x) => x.kind === kind && (!name || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}`);
  return o;
};

const custom = (): Loose => {
  const v = structuredClone(defaults);
  v.clusterManagementAddOn.placements = [{ namespace: 'fl', name: 'all' }];
  v.registryMirrors = [{ source: 'quay.io/open-cluster-management', mirror: 'reg.local/ocm' }];
  v.addonDeploymentConfig.nodePlacement = { nodeSelector: { pool: 'fl' } };
  v.aggregator.host = 'fl.hub.example.com';
  v.hubManager.caSecret = 'my-ca';
  v.hubManager.nodeSelector = { role: 'infra' };
  return v;
};

describe('chart files', () => {
  it('values.yaml, Chart.yaml and crds/ are valid YAML; crds/ holds CRDs only', () => {
    expect(defaults.images.agent.repository).toBeTruthy();
    for (const f of readdirSync(join(CHART, 'crds'))) {
      for (const doc of parseAllDocuments(readFileSync(join(CHART, 'crds', f), 'utf8'))) {
        expect(doc.errors).toEqual([]);
        expect((doc.toJSON() as Loose).kind).toBe('CustomResourceDefinition');
      }
    }
  });
});

describe.each([
  ['default values', () => structuredClone(defaults)],
  ['non-default values', custom],
])('chart rendered with %s', (_name, values) => {
  const objs = render(values());

  it('every object has apiVersion, kind and a name; namespaced ones are in the release namespace', () => {
    for (const o of objs) {
      expect(o.apiVersion && o.kind && o.metadata?.name).toBeTruthy();
      if (
        ['Deployment', 'Service', 'ServiceAccount', 'Role', 'RoleBinding', 'AddOnDeploymentConfig'].includes(
          o.kind,
        )
      ) {
        expect(o.metadata.namespace).toBe('fl-system');
      }
    }
  });

  it('the ClusterManagementAddOn matches what the hub-manager would create', () => {
    const cma = find(objs, 'ClusterManagementAddOn');
    const placements = values().clusterManagementAddOn.placements;
    const want = renderClusterManagementAddOn({
      defaultConfig: { namespace: 'fl-system', name: 'federated-learning-default' },
      placements,
    });
    expect(cma.spec).toEqual(want.spec);
    expect(cma.metadata.annotations).toEqual(want.metadata.annotations);
  });

  it('CSR approve/sign only for the addon signer', () => {
    const cr = find(objs, 'ClusterRole');
    const signers = cr.rules.filter((r: Loose) => r.resources.includes('signers'));
    expect(signers).toEqual([
      {
        apiGroups: ['certificates.k8s.io'],
        resources: ['signers'],
        resourceNames: [SIGNER_NAME],
        verbs: ['approve', 'sign'],
      },
    ]);
    const verbs = cr.rules.flatMap((r: Loose) => r.verbs);
    expect(verbs).not.toContain('*');
    expect(cr.rules.flatMap((r: Loose) => r.resources)).not.toContain('*');
  });

  it('the hub-manager Deployment is hardened, probed and leader-elected', () => {
    const d = find(objs, 'Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.env).toContainEqual({ name: 'LEADER_ELECT', value: 'true' });
    expect(d.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('hub-manager');
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels))
      expect(d.spec.template.metadata.labels[k]).toBe(v);
    const svc = find(objs, 'Service');
    expect(svc.spec.ports[0].port).toBe(c.ports[0].containerPort);
  });
});

describe('non-default values reach the objects', () => {
  const objs = render(custom());
  it('registry mirrors, node placement and aggregator host go into the default AddOnDeploymentConfig', () => {
    const adc = find(objs, 'AddOnDeploymentConfig');
    expect(adc.spec.registries).toEqual([
      { source: 'quay.io/open-cluster-management', mirror: 'reg.local/ocm' },
    ]);
    expect(adc.spec.nodePlacement).toEqual({ nodeSelector: { pool: 'fl' } });
    expect(adc.spec.customizedVariables).toContainEqual({
      name: 'AggregatorHost',
      value: 'fl.hub.example.com',
    });
  });
  it('CA secret and node selector reach the Deployment', () => {
    const pod = find(objs, 'Deployment').spec.template.spec;
    expect(pod.containers[0].env).toContainEqual({ name: 'CA_SECRET', value: 'my-ca' });
    expect(pod.nodeSelector).toEqual({ role: 'infra' });
  });
});

describe('mini-helm (the test double) refuses what it does not implement', () => {
  const ctx: HelmContext = {
    Values: { a: { b: 'x' }, list: [] },
    Release: { Name: 'r', Namespace: 'n', Service: 'Helm' },
    Chart: { Name: 'c', Version: '1', AppVersion: '1' },
  };
  it('renders values, if/else, trimming and pipes', () => {
    const out = renderChart(
      { 't.yaml': 'k: {{ .Values.a.b | quote }}\n{{- if .Values.list }}\nyes{{- else }}\nno: 1{{- end }}\n' },
      ctx,
    );
    expect(out['t.yaml']).toBe('k: "x"\nno: 1\n');
  });
  it('throws on range, with and unknown functions', () => {
    expect(() => renderChart({ 't.yaml': '{{ range .Values.list }}x{{ end }}' }, ctx)).toThrow('unsupported');
    expect(() => renderChart({ 't.yaml': '{{ default "a" .Values.x }}' }, ctx)).toThrow('unsupported');
  });
});

describe('monitoring', () => {
  it('renders no Prometheus Operator objects by default', () => {
    expect(render(defaults).filter((o) => String(o.apiVersion).startsWith('monitoring.coreos.com'))).toEqual(
      [],
    );
  });

  it('renders a ServiceMonitor on the hub-manager Service port and a PodMonitor on aggregator pods', () => {
    const objs = render({
      ...defaults,
      metrics: {
        serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'kps' } },
        podMonitor: { enabled: true, interval: '20s', labels: {} },
      },
    });
    const sm = objs.find((o) => o.kind === 'ServiceMonitor') as Loose;
    const svc = objs.find((o) => o.kind === 'Service') as Loose;
    expect(sm.metadata.labels.release).toBe('kps');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s' }]);
    expect(svc.spec.ports.map((p: Loose) => p.name)).toContain('http');
    expect(sm.spec.selector.matchLabels).toEqual(svc.spec.selector);
    const pm = objs.find((o) => o.kind === 'PodMonitor') as Loose;
    expect(pm.spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '20s' }]);
    expect(pm.spec.selector.matchExpressions[0].key).toBe('federation-ai.open-cluster-management.io/fl-uid');
  });

  it('ships a Grafana dashboard whose queries use only metrics the components export', () => {
    const dash = JSON.parse(readFileSync(join(CHART, 'dashboards/federated-learning.json'), 'utf8')) as Loose;
    expect(dash.uid).toBe('ocm-federated-learning');
    expect(dash.panels.length).toBeGreaterThanOrEqual(8);
    const src = ['../runtime/metrics.ts', '../aggregator/metrics.ts', '../../../spoke-agent/src/metrics.ts']
      .map((p) => readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), p), 'utf8'))
      .join('\n');
    const exported = new Set([...src.matchAll(/name: '(fl_[a-z_]+)'/g)].map((m) => m[1]));
    const titles: string[] = [];
    for (const p of dash.panels as Loose[]) {
      titles.push(p.title);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets as Loose[]) {
        const names = [...String(t.expr).matchAll(/\b(fl_[a-z_]+)/g)].map((m) => m[1] as string);
        expect(names.length).toBeGreaterThan(0);
        for (const n of names) expect(exported).toContain(n.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect(titles.join(' ')).toMatch(/Rounds.*Accuracy.*throughput.*rejected.*certificate expiry/is);
  });
});
