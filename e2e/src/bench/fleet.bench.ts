/**
 * Fleet scale (issue 17 items 1 and 3): N simulated managed clusters against the embedded hub API
 * server with the real hub-manager in its own process (the production entry, bundled as its
 * image runs it), so its RSS and CPU are its own. Each simulated cluster does what OCM's
 * klusterlet shows the hub: renews `managed-cluster-lease`, sends the addon CSR (ECDSA P-256, as
 * its own klusterlet user) once the hub writes the registration, marks the agent ManifestWork
 * Applied/Available as the work agent does, and sets the addon Available as the addon lease
 * controller does once the agent holds its certificate. Timed: `addon enable` on all N → every
 * addon Available with a signed certificate. Writes bench-out/fleet.json.
 *
 * FLEET_SIZES=10,100 limits the sizes (default 10,100,1000).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  WORK_API_VERSION,
  type ManagedClusterAddOn,
  type ManifestWork,
} from '@ocm-fl/common/api/ocm.js';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import {
  buildAddonCsr,
  csrCertificatePem,
  newAddonCsrObject,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/index.js';
import { CSR_API_VERSION } from '@ocm-fl/common/pki/csr-object.js';
import { ADDON_NAME, DEPLOY_WORK_NAME, SIGNER_NAME } from '@ocm-fl/common/names.js';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { joinCluster } from '../standins/clusteradm.js';
import { HUB_CRDS } from '../standins/ocm-crds.js';
import { klusterletUser } from '../fleet/fleet.js';

const ROOT = join(import.meta.dirname, '../../..');
const HUB_NS = 'open-cluster-management';
const HUB_USER = 'system:serviceaccount:open-cluster-management:federated-learning-hub-manager';

interface Row {
  clusters: number;
  secondsToAllAvailable: number;
  hubPeakRssMiB: number;
  hubCpuSeconds: number;
  requestsPerCluster: number;
  hubRequests: number;
  watchConnections: number;
  csrsPerSecond: number;
  csrP50Seconds: number;
  csrP99Seconds: number;
  /** CPU of this process (embedded API server + simulated klusterlets): where else time goes. */
  apiServerAndSimCpuSeconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function procStats(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { peakRssMiB: Math.round(hwm / 1024), cpuSeconds: Math.round((ticks / 100) * 10) / 10 };
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) : 0;
};

async function installCrds(client: KubeClient): Promise<void> {
  const crds = [...HUB_CRDS, federatedLearningCrd()];
  for (const crd of crds) await client.apply(crd);
  for (const crd of crds) {
    for (let i = 0; i < 200; i++) {
      try {
        await client.resource(
          `${crd.spec?.group}/${crd.spec?.versions[0]?.name}`,
          crd.spec?.names.kind ?? '',
        );
        break;
      } catch {
        await sleep(20);
      }
    }
  }
}

function startHubManager(dir: string, hub: ApiServer): ChildProcess {
  const kc = join(dir, 'hub-manager.kubeconfig');
  writeFileSync(kc, hub.kubeconfig(HUB_USER), { mode: 0o600 });
  const args = [
    join(ROOT, 'hub-manager/dist/hub-manager.js'),
    '--kubeconfig',
    kc,
    '--namespace',
    HUB_NS,
    '--leader-elect',
    'false',
    '--http-host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--log-level',
    process.env.FLEET_HUB_LOG_LEVEL ?? 'warn',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  return child;
}

const ok = (type: string, reason: string): Condition => ({
  type,
  status: 'True',
  reason,
  message: '',
  lastTransitionTime: new Date().toISOString(),
});

/** The klusterlet side of N clusters, driven from shared informers to keep this process light. */
class SimulatedKlusterlets {
  readonly csrCreatedAt = new Map<string, number>();
  readonly certLatencyMs = new Map<string, number>();
  private readonly requested = new Set<string>();
  private readonly workDone = new Set<string>();
  private readonly available = new Set<string>();
  private readonly tokens = new Map<string, string>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private readonly addons: Informer<ManagedClusterAddOn>;
  private readonly csrs: Informer<CertificateSigningRequest>;
  private readonly works: Informer<ManifestWork>;
  private leaseTimer?: NodeJS.Timeout;

  constructor(
    private readonly hub: ApiServer,
    private readonly admin: KubeClient,
    private readonly clusters: readonly string[],
  ) {
    this.addons = new Informer(admin, ADDON_API_VERSION, 'ManagedClusterAddOn');
    this.csrs = new Informer(admin, CSR_API_VERSION, 'CertificateSigningRequest');
    this.works = new Informer(admin, WORK_API_VERSION, 'ManifestWork');
    this.addons.onChange((t, a) => t !== 'DELETED' && void this.onAddon(a).catch(report));
    this.csrs.onChange((t, c) => t !== 'DELETED' && this.onCsr(c));
    this.works.onChange((t, w) => t !== 'DELETED' && void this.onWork(w).catch(report));
  }

  async start(): Promise<void> {
    await Promise.all([this.addons.start(), this.csrs.start(), this.works.start()]);
    // managed-cluster-lease renewals at OCM's default 60 s, phases spread over the period.
    let i = 0;
    this.leaseTimer = setInterval(() => {
      const batch = this.clusters.filter((_, k) => k % 60 === i % 60);
      i++;
      void inBatches(batch, 20, (c) => this.renewLease(c)).catch(report);
    }, 1000);
  }

  stop(): void {
    clearInterval(this.leaseTimer);
    this.agent.destroy();
    this.addons.stop();
    this.csrs.stop();
    this.works.stop();
  }

  get done(): number {
    return this.available.size;
  }

  /**
   * Create `obj` as cluster `c`'s klusterlet user (CSR spec.username comes from it), over one
   * shared keep-alive agent: a client per simulated cluster would hold a thousand sockets.
   */
  private async createAs<T extends object>(c: string, path: string, obj: T): Promise<T> {
    let token = this.tokens.get(c);
    if (!token) {
      token = this.hub.addUser(klusterletUser(c), [
        `system:open-cluster-management:${c}`,
        'system:open-cluster-management:managed-clusters',
      ]);
      this.tokens.set(c, token);
    }
    const body = Buffer.from(JSON.stringify(obj));
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<T>((resolve, reject) => {
          const req = httpsRequest(
            `${this.hub.url}${path}`,
            {
              method: 'POST',
              agent: this.agent,
              ca: this.hub.caPem,
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            },
            (res) => {
              const parts: Buffer[] = [];
              res.on('data', (d: Buffer) => parts.push(d));
              res.on('end', () => {
                const text = Buffer.concat(parts).toString();
                if ((res.statusCode ?? 500) >= 300)
                  reject(new Error(`POST ${path}: ${res.statusCode} ${text}`));
                else resolve(JSON.parse(text) as T);
              });
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      } catch (e) {
        if (attempt >= 5) throw e;
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  private async renewLease(c: string): Promise<void> {
    const lease = await this.admin.get<ManifestWork>(
      'coordination.k8s.io/v1',
      'Lease',
      'managed-cluster-lease',
      c,
    );
    const spec = { holderIdentity: 'managed-cluster-lease', renewTime: new Date().toISOString() };
    if (lease) await this.admin.update({ ...lease, spec } as never);
    else
      await this.admin.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'managed-cluster-lease', namespace: c },
        spec,
      } as never);
  }

  private async onAddon(a: ManagedClusterAddOn): Promise<void> {
    const c = a.metadata.namespace ?? '';
    if (this.requested.has(c)) return;
    if (!(a.status?.registrations ?? []).some((r) => r.signerName === SIGNER_NAME)) return;
    this.requested.add(c);
    const { csrPem } = buildAddonCsr({ cluster: c });
    const csr = await this.createAs(
      c,
      '/apis/certificates.k8s.io/v1/certificatesigningrequests',
      newAddonCsrObject({ cluster: c, csrPem }),
    );
    this.csrCreatedAt.set(csr.metadata.name ?? '', Date.now());
  }

  private onCsr(csr: CertificateSigningRequest): void {
    const name = csr.metadata.name ?? '';
    const created = this.csrCreatedAt.get(name);
    if (created === undefined || this.certLatencyMs.has(name) || !csrCertificatePem(csr)) return;
    this.certLatencyMs.set(name, Date.now() - created);
    void this.maybeAvailable(csr.metadata.labels?.['open-cluster-management.io/cluster-name'] ?? '').catch(
      report,
    );
  }

  private async onWork(w: ManifestWork): Promise<void> {
    const c = w.metadata.namespace ?? '';
    if (w.metadata.name !== DEPLOY_WORK_NAME || this.workDone.has(c)) return;
    this.workDone.add(c);
    const gen = w.metadata.generation;
    const conds = [ok('Applied', 'AppliedManifestWorkComplete'), ok('Available', 'ResourcesAvailable')].map(
      (x) => ({
        ...x,
        ...(gen !== undefined ? { observedGeneration: gen } : {}),
      }),
    );
    await this.admin.updateStatus<ManifestWork>({ ...w, status: { ...w.status, conditions: conds } });
    await this.maybeAvailable(c);
  }

  /** The addon lease controller: Available once the agent could run (work applied, cert held). */
  private async maybeAvailable(c: string): Promise<void> {
    if (this.available.has(c) || !this.workDone.has(c)) return;
    const certified = [...this.certLatencyMs.keys()].some((n) => n.startsWith(`addon-${c}-${ADDON_NAME}-`));
    if (!certified) return;
    this.available.add(c);
    for (let attempt = 0; attempt < 10; attempt++) {
      const a = await this.admin.get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        ADDON_NAME,
        c,
      );
      if (!a) return;
      try {
        await this.admin.updateStatus<ManagedClusterAddOn>({
          ...a,
          status: {
            ...a.status,
            conditions: setCondition(
              a.status?.conditions,
              ok('Available', 'ManagedClusterAddOnLeaseUpdated'),
            ),
          },
        });
        return;
      } catch {
        await sleep(20);
      }
    }
  }
}

function report(e: unknown): void {
  process.stderr.write(`fleet bench: ${(e as Error).message}\n`);
}

async function run(n: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-fleet-bench-'));
  const hub = await startApiServer({ name: 'hub', historySize: 20_000 });
  const admin = KubeClient.fromKubeConfig(hub.kubeConfig());
  let child: ChildProcess | undefined;
  const sim = { stop: (): void => undefined } as { stop(): void };
  try {
    await installCrds(admin);
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NS } });
    const clusters = Array.from({ length: n }, (_, i) => `cluster-${String(i + 1).padStart(4, '0')}`);
    await inBatches(clusters, 25, (c) => joinCluster(admin, c));
    const k = new SimulatedKlusterlets(hub, admin, clusters);
    sim.stop = () => k.stop();
    await k.start();
    child = startHubManager(dir, hub);
    for (let i = 0; !(await admin.get(ADDON_API_VERSION, 'ClusterManagementAddOn', ADDON_NAME)); i++) {
      if (i > 600) throw new Error('hub-manager did not create its ClusterManagementAddOn in 60 s');
      await sleep(100);
    }
    const before = hub.requestStats()[HUB_USER]?.requests ?? 0;
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    // What `clusteradm addon enable --clusters <all N>` does, 25 clusters at a time.
    await inBatches(clusters, 25, (c) =>
      admin.apply({
        apiVersion: ADDON_API_VERSION,
        kind: 'ManagedClusterAddOn',
        metadata: { name: ADDON_NAME, namespace: c },
        spec: { installNamespace: 'open-cluster-management-agent-addon' },
      }),
    );
    const limitMs = Math.max(120_000, n * 300);
    while (k.done < n) {
      if (Date.now() - t0 > limitMs)
        throw new Error(`only ${k.done}/${n} addons Available after ${limitMs / 1000} s`);
      await sleep(100);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stats = procStats(child.pid as number);
    const hubStats = hub.requestStats()[HUB_USER];
    const lat = [...k.certLatencyMs.values()];
    const created = [...k.csrCreatedAt.values()];
    const span = (Math.max(...created.map((c, i) => c + (lat[i] ?? 0))) - Math.min(...created)) / 1000;
    const requests = (hubStats?.requests ?? 0) - before;
    return {
      clusters: n,
      secondsToAllAvailable: Math.round(seconds * 10) / 10,
      hubPeakRssMiB: stats.peakRssMiB,
      hubCpuSeconds: stats.cpuSeconds,
      requestsPerCluster: Math.round((requests / n) * 10) / 10,
      hubRequests: requests,
      watchConnections: hubStats?.watchesPeak ?? 0,
      csrsPerSecond: Math.round((lat.length / Math.max(span, 0.001)) * 10) / 10,
      csrP50Seconds: Math.round(percentile(lat, 50)) / 1000,
      csrP99Seconds: Math.round(percentile(lat, 99)) / 1000,
      apiServerAndSimCpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    };
  } finally {
    sim.stop();
    child?.kill('SIGTERM');
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const built = spawnSync(process.execPath, [join(ROOT, 'e2e/scripts/build.mjs'), 'hub-manager'], {
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('building the hub-manager bundle failed');
  const sizes = (process.env.FLEET_SIZES ?? '10,100,1000').split(',').map(Number);
  const rows: Row[] = [];
  for (const n of sizes) {
    const row = await run(n);
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  mkdirSync(join(ROOT, 'bench-out'), { recursive: true });
  const out = {
    machine: `${process.platform} ${process.arch}, ${process.env.BENCH_MACHINE ?? '2 cores'}`,
    rows,
  };
  writeFileSync(join(ROOT, 'bench-out/fleet.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write('clusters  seconds  hubRSS MiB  hubCPU s  req/cluster  watches  CSR/s  CSR p99 s\n');
  for (const r of rows)
    process.stdout.write(
      `${String(r.clusters).padStart(8)}  ${String(r.secondsToAllAvailable).padStart(7)}  ${String(r.hubPeakRssMiB).padStart(10)}  ${String(r.hubCpuSeconds).padStart(8)}  ${String(r.requestsPerCluster).padStart(11)}  ${String(r.watchConnections).padStart(7)}  ${String(r.csrsPerSecond).padStart(5)}  ${String(r.csrP99Seconds).padStart(9)}\n`,
    );
}

await main();
process.exit(0);
