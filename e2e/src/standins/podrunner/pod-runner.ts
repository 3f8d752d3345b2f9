/**
 * Tier-1 "kubelet + workload controllers": runs the containers of Pods (as runc containers or
 * local processes, see launcher.ts), creates the Pods of Deployments (restart with backoff, rollout on
 * template change by replacing pods) and Jobs (parallelism 1, backoffLimit,
 * activeDeadlineSeconds, ttlSecondsAfterFinished), and writes Pod, Deployment and Job status so
 * kubectl and the controllers see what runs. An unknown image leaves the Pod Pending with
 * ErrImagePull. In process mode see container-env.ts for how paths and ports map to the
 * local machine; in runc mode (runc/runc-launcher.ts) each pod has its own network namespace.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import { objectKey, parseKey } from '@ocm-fl/common/kube/paths.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { sameJson } from '../same-json.js';
import { ContainerConfigError } from './container-env.js';
import type { ImageRegistry } from './images.js';
import { ProcessLauncher, type ContainerLauncher } from './launcher.js';
import { podStatus, iso, terminatedState, type ContainerRun, type PodRun } from './pod-state.js';
import type { Deployment, Job, Pod, PodTemplate } from './types.js';
import { materializeVolumes } from './volumes.js';
import { deploymentStatus, jobExpiry, jobStatus, nextJobAction, viewJobPods } from './workload-status.js';

export interface PodRunnerOptions {
  /** Name for logs and the pod directory (cluster name, or "hub"). */
  name: string;
  client: KubeClient;
  /** Process mode: image → local program. Ignored when `launcher` is given. */
  images: ImageRegistry;
  /** How containers run; default local processes from `images`. */
  launcher?: ContainerLauncher;
  /** Pod directories go under `<rootDir>/pods/<ns>/<pod>`, PVCs under `<rootDir>/pvc/<ns>/<claim>`. */
  rootDir: string;
  /** First restart delay of a crashed container (doubling, capped at 30 s); kubelet uses 10 s. */
  restartBackoffMs?: number;
  /** Kubeconfig given to pods that mount their service-account token (see container-env.ts). */
  serviceAccountKubeconfig?: string;
  /** Cap on readiness probe periods, so demos do not wait 10 s per probe. Default 1 s. */
  maxProbePeriodMs?: number;
  logger?: Logger;
}

type Secret = KubeObject & { data?: Record<string, string> };
type ConfigMap = KubeObject & { data?: Record<string, string> };

const ownedBy = (o: KubeObject, uid: string | undefined): boolean =>
  Boolean(uid) && (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
const templateHash = (t: PodTemplate): string =>
  createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
const suffix = (): string => randomBytes(3).toString('hex').slice(0, 5);

export class PodRunner {
  private readonly pods: Informer<Pod>;
  private readonly deployments: Informer<Deployment>;
  private readonly jobs: Informer<Job>;
  private readonly configMaps: Informer<ConfigMap>;
  private readonly secrets: Informer<Secret>;
  private readonly queue: KeyedQueue;
  private readonly runs = new Map<string, PodRun>();
  private readonly log: Logger;
  private readonly launcher: ContainerLauncher;
  private stopped = false;

  constructor(private readonly o: PodRunnerOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'pod-runner', cluster: o.name });
    this.launcher = o.launcher ?? new ProcessLauncher(o.images);
    const c = o.client;
    this.pods = new Informer(c, 'v1', 'Pod', { logger: this.log });
    this.deployments = new Informer(c, 'apps/v1', 'Deployment', { logger: this.log });
    this.jobs = new Informer(c, 'batch/v1', 'Job', { logger: this.log });
    this.configMaps = new Informer(c, 'v1', 'ConfigMap', { logger: this.log });
    this.secrets = new Informer(c, 'v1', 'Secret', { logger: this.log });
    this.queue = new KeyedQueue((k) => this.reconcile(k), {
      logger: this.log,
      maxBackoffMs: 5_000,
      concurrency: 8,
    });
    this.pods.onChange((_t, p) => {
      this.queue.enqueue(`pod:${objectKey(p)}`);
      for (const r of p.metadata.ownerReferences ?? []) {
        if (r.kind === 'Deployment' || r.kind === 'Job')
          this.queue.enqueue(`${r.kind.toLowerCase()}:${p.metadata.namespace}/${r.name}`);
      }
    });
    this.deployments.onChange((_t, d) => this.queue.enqueue(`deployment:${objectKey(d)}`));
    this.jobs.onChange((_t, j) => this.queue.enqueue(`job:${objectKey(j)}`));
    const volumeChanged = (kind: 'configMap' | 'secret') => (_t: string, obj: KubeObject) => {
      for (const p of this.pods.list()) {
        if (p.metadata.namespace !== obj.metadata.namespace) continue;
        const uses = (p.spec?.volumes ?? []).some(
          (v) => (kind === 'configMap' ? v.configMap?.name : v.secret?.secretName) === obj.metadata.name,
        );
        if (uses || this.runs.get(objectKey(p))?.waiting) this.queue.enqueue(`pod:${objectKey(p)}`);
      }
    };
    this.configMaps.onChange(volumeChanged('configMap'));
    this.secrets.onChange(volumeChanged('secret'));
  }

  /** Which runtime runs the containers: `runc` or `process`. */
  get mode(): ContainerLauncher['mode'] {
    return this.launcher.mode;
  }

  async start(): Promise<void> {
    this.log.info('pod runtime', { mode: this.launcher.mode });
    await Promise.all([this.configMaps.start(), this.secrets.start()]);
    await this.pods.start();
    await Promise.all([this.deployments.start(), this.jobs.start()]);
  }

  /** Stop watching and terminate every process this runner started. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const i of [
      this.pods,
      this.deployments,
      this.jobs,
      this.configMaps,
      this.secrets,
    ] as Informer<KubeObject>[])
      i.stop();
    await this.queue.stop();
    await Promise.all([...this.runs.keys()].map((k) => this.stopPod(k, 2_000)));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Local directory of a running pod (tests read logs from `<dir>/logs/<container>.log`). */
  podDir(namespace: string, name: string): string {
    return join(this.o.rootDir, 'pods', namespace, name);
  }

  /**
   * Fault injection: cut (`up: false`) or restore one running pod's network, or every running
   * pod's when `name` is omitted (a whole cluster partitioned). Needs a runtime with a network
   * namespace per pod (runc); the process runtime has no network of its own to cut.
   */
  async setNetwork(up: boolean, namespace?: string, name?: string): Promise<void> {
    if (!this.launcher.setPodNetwork)
      throw new Error(`the ${this.launcher.mode} pod runtime cannot cut a pod's network (use runc)`);
    const runs =
      namespace !== undefined && name !== undefined
        ? [this.runs.get(`${namespace}/${name}`)]
        : [...this.runs.values()];
    if (runs.some((r) => !r)) throw new Error(`pod ${namespace}/${name} is not running here`);
    for (const r of runs) await this.launcher.setPodNetwork(r!, up);
  }

  private async reconcile(key: string): Promise<void | { requeueAfterMs: number }> {
    const i = key.indexOf(':');
    const kind = key.slice(0, i);
    const { namespace = '', name } = parseKey(key.slice(i + 1));
    if (kind === 'pod') return this.syncPod(namespace, name);
    if (kind === 'deployment') return this.syncDeployment(namespace, name);
    if (kind === 'job') return this.syncJob(namespace, name);
  }

  // ------------------------------------------------------------------ pods

  private async syncPod(ns: string, name: string): Promise<void | { requeueAfterMs: number }> {
    const key = `${ns}/${name}`;
    const pod = this.pods.get(name, ns);
    let run = this.runs.get(key);
    if (run && (!pod || pod.metadata.deletionTimestamp || pod.metadata.uid !== run.uid)) {
      await this.stopPod(key, (pod?.spec?.terminationGracePeriodSeconds ?? 5) * 1000);
      run = undefined;
    }
    if (!pod || pod.metadata.deletionTimestamp || this.stopped) return;
    if (!run) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return; // finished before we (re)started
      run = await this.newRun(pod);
      this.runs.set(key, run);
    }
    if (!run.stopping) await this.prepareAndStart(pod, run);
    const status = podStatus(pod, run);
    if (!sameJson(status, pod.status ?? {})) await this.o.client.updateStatus<Pod>({ ...pod, status });
    if (run.waiting) return { requeueAfterMs: 2_000 };
  }

  private async newRun(pod: Pod): Promise<PodRun> {
    const dir = this.podDir(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'logs'), { recursive: true });
    await mkdir(join(dir, 'root'), { recursive: true });
    const run: PodRun = {
      uid: pod.metadata.uid ?? '',
      dir,
      root: join(dir, 'root'),
      ip: '',
      startTime: iso(),
      containers: new Map(),
      stopping: false,
    };
    await this.launcher.setUpPod(run, pod);
    return run;
  }

  private sources(ns: string): {
    configMap: (n: string) => Record<string, string> | undefined;
    secret: (n: string) => Record<string, string> | undefined;
    serviceAccountKubeconfig?: string;
  } {
    return {
      configMap: (n) => {
        const cm = this.configMaps.get(n, ns);
        return cm ? { ...(cm.data ?? {}) } : undefined;
      },
      secret: (n) => {
        const s = this.secrets.get(n, ns);
        return s
          ? Object.fromEntries(
              Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
            )
          : undefined;
      },
      ...(this.o.serviceAccountKubeconfig
        ? { serviceAccountKubeconfig: this.o.serviceAccountKubeconfig }
        : {}),
    };
  }

  /** Resolve images, write volumes (refresh on change), start containers that have not started. */
  private async prepareAndStart(pod: Pod, run: PodRun): Promise<void> {
    const containers = pod.spec?.containers ?? [];
    const notReady = await this.launcher.prepareImages(pod, run);
    if (notReady) {
      run.waiting = notReady;
      return;
    }
    const src = this.sources(pod.metadata.namespace ?? '');
    try {
      run.layout = await materializeVolumes(
        run.dir,
        join(this.o.rootDir, 'pvc', pod.metadata.namespace ?? ''),
        pod.spec?.volumes ?? [],
        src,
        run.layout,
      );
      for (const c of containers) {
        if (run.containers.has(c.name)) continue;
        await this.launcher.configure(pod, run, c, src);
      }
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      run.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      return;
    }
    delete run.waiting;
    if (!(await this.runInitContainers(pod, run))) return;
    for (const c of containers) if (!run.containers.has(c.name)) this.startContainer(pod, run, c.name);
  }

  /**
   * Run init containers in order, each to completion, as the kubelet does; true once all
   * succeeded. A failed one fails the pod (restartPolicy Never, as Jobs use) or is retried.
   */
  private async runInitContainers(pod: Pod, run: PodRun): Promise<boolean> {
    const inits = pod.spec?.initContainers ?? [];
    run.init ??= { next: 0 };
    const init = run.init;
    if (init.failed) return false;
    if (init.next >= inits.length) return true;
    if (init.proc?.running) {
      run.waiting = {
        reason: 'PodInitializing',
        message: `init container ${inits[init.next]?.name} running`,
      };
      return false;
    }
    const spec = inits[init.next]!;
    const src = this.sources(pod.metadata.namespace ?? '');
    await this.launcher.configure(pod, run, spec, src);
    const key = `pod:${objectKey(pod)}`;
    const proc = this.launcher.start(
      pod,
      run,
      spec,
      src,
      join(run.dir, 'logs', `${spec.name}.log`),
      (exit) => {
        delete init.proc;
        if (exit.code === 0) init.next++;
        else if ((pod.spec?.restartPolicy ?? 'Always') === 'Never')
          init.failed = { name: spec.name, exitCode: exit.code };
        this.queue.enqueue(key);
      },
    );
    init.proc = proc;
    run.waiting = { reason: 'PodInitializing', message: `init container ${spec.name} running` };
    this.log.info('init container started', { pod: objectKey(pod), container: spec.name, pid: proc.pid });
    return false;
  }

  private startContainer(pod: Pod, run: PodRun, name: string): void {
    const spec = (pod.spec?.containers ?? []).find((c) => c.name === name);
    if (!spec || run.stopping) return;
    const prev = run.containers.get(name);
    const src = this.sources(pod.metadata.namespace ?? '');
    const cr: ContainerRun = prev ?? {
      spec,
      state: {},
      lastState: {},
      restartCount: 0,
      ready: false,
      backoffMs: this.o.restartBackoffMs ?? 1_000,
    };
    delete cr.restartTimer;
    const key = objectKey(pod);
    const proc = this.launcher.start(pod, run, spec, src, join(run.dir, 'logs', `${name}.log`), (exit) => {
      cr.ready = false;
      if (cr.probeTimer) clearInterval(cr.probeTimer);
      const terminated = terminatedState(exit, proc.startedAt);
      cr.state = terminated;
      const policy = pod.spec?.restartPolicy ?? 'Always';
      if (!run.stopping && (policy === 'Always' || (policy === 'OnFailure' && exit.code !== 0))) {
        cr.restartTimer = setTimeout(() => {
          cr.lastState = terminated;
          cr.restartCount++;
          this.startContainer(pod, run, name);
          this.queue.enqueue(`pod:${key}`);
        }, cr.backoffMs);
        cr.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${cr.backoffMs}ms restarting failed container=${name}`,
          },
        };
        cr.backoffMs = Math.min(cr.backoffMs * 2, 30_000);
      }
      this.queue.enqueue(`pod:${key}`);
    });
    cr.proc = proc;
    cr.state = { running: { startedAt: iso(proc.startedAt) } };
    run.containers.set(name, cr);
    this.startProbe(pod, run, cr);
    this.log.info('container started', {
      pod: key,
      container: name,
      pid: proc.pid,
      mode: this.launcher.mode,
    });
  }

  private startProbe(pod: Pod, run: PodRun, cr: ContainerRun): void {
    const probe = cr.spec.readinessProbe?.httpGet;
    const key = `pod:${objectKey(pod)}`;
    if (!probe) {
      cr.ready = true;
      return;
    }
    const port =
      typeof probe.port === 'number'
        ? probe.port
        : ((cr.spec.ports ?? []).find((p) => p.name === probe.port)?.containerPort ?? Number(probe.port));
    const period = Math.min(
      (cr.spec.readinessProbe?.periodSeconds ?? 10) * 1000,
      this.o.maxProbePeriodMs ?? 1_000,
    );
    cr.probeTimer = setInterval(() => {
      const url = `${(probe.scheme ?? 'HTTP').toLowerCase()}://${run.ip}:${port}${probe.path ?? '/'}`;
      void fetch(url, { signal: AbortSignal.timeout(1_000) })
        .then((r) => r.status >= 200 && r.status < 400)
        .catch(() => false)
        .then((ok) => {
          if (ok !== cr.ready && cr.state.running) {
            cr.ready = ok;
            this.queue.enqueue(key);
          }
        });
    }, period);
  }

  private async stopPod(key: string, graceMs: number): Promise<void> {
    const run = this.runs.get(key);
    if (!run) return;
    run.stopping = true;
    await run.init?.proc?.stop(graceMs);
    for (const c of run.containers.values()) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      if (c.probeTimer) clearInterval(c.probeTimer);
    }
    await Promise.all([...run.containers.values()].map((c) => c.proc?.stop(graceMs)));
    await this.launcher.tearDownPod(run);
    this.runs.delete(key);
    await rm(run.dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ deployments

  private ownedPods(ns: string, uid: string | undefined): Pod[] {
    return this.pods.list().filter((p) => p.metadata.namespace === ns && ownedBy(p, uid));
  }

  private async createPod(
    owner: Deployment | Job,
    name: string,
    labels: Record<string, string>,
    template: PodTemplate,
    restartPolicy?: 'Never' | 'OnFailure',
  ): Promise<void> {
    await this.o.client.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: { ...template.metadata?.labels, ...labels },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [
          {
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            name: owner.metadata.name ?? '',
            uid: owner.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...template.spec, ...(restartPolicy && !template.spec.restartPolicy ? { restartPolicy } : {}) },
    });
  }

  private async syncDeployment(ns: string, name: string): Promise<void> {
    const d = this.deployments.get(name, ns);
    if (!d || d.metadata.deletionTimestamp) {
      // Owner GC in the API server removes the pods too; delete ours now so processes stop promptly.
      for (const p of this.pods
        .list()
        .filter(
          (x) =>
            x.metadata.namespace === ns &&
            x.metadata.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === name) &&
            !this.deployments.get(name, ns),
        ))
        await this.o.client.delete('v1', 'Pod', p.metadata.name ?? '', ns);
      return;
    }
    const hash = templateHash(d.spec!.template);
    const pods = this.ownedPods(ns, d.metadata.uid).filter((p) => !p.metadata.deletionTimestamp);
    const current = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    for (const p of pods.filter((x) => !current.includes(x)))
      await this.o.client.delete('v1', 'Pod', p.metadata.name ?? '', ns);
    const want = d.spec?.replicas ?? 1;
    for (let n = current.length; n < want; n++)
      await this.createPod(d, `${name}-${hash}-${suffix()}`, { 'pod-template-hash': hash }, d.spec!.template);
    for (const p of current.slice(want)) await this.o.client.delete('v1', 'Pod', p.metadata.name ?? '', ns);
    const status = deploymentStatus(d, current.slice(0, want), new Date());
    if (!sameJson(status, d.status ?? {})) await this.o.client.updateStatus<Deployment>({ ...d, status });
  }

  // ------------------------------------------------------------------ jobs

  private async syncJob(ns: string, name: string): Promise<void | { requeueAfterMs: number }> {
    const j = this.jobs.get(name, ns);
    if (!j || j.metadata.deletionTimestamp) return;
    const now = new Date();
    const expiry = jobExpiry(j);
    if (expiry) {
      if (expiry <= now) {
        await this.o.client.delete('batch/v1', 'Job', name, ns, { propagationPolicy: 'Background' });
        for (const p of this.ownedPods(ns, j.metadata.uid))
          await this.o.client.delete('v1', 'Pod', p.metadata.name ?? '', ns);
        return;
      }
      return { requeueAfterMs: expiry.getTime() - now.getTime() };
    }
    const pods = this.ownedPods(ns, j.metadata.uid);
    const view = viewJobPods(pods);
    // Container restarts under OnFailure count as failures, as the Job controller counts them.
    view.failed += view.active.reduce(
      (n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0),
      0,
    );
    const action = nextJobAction(j, view, now);
    if (action.kind === 'create-pod') {
      await this.createPod(
        j,
        `${name}-${suffix()}`,
        {
          'batch.kubernetes.io/job-name': name,
          'job-name': name,
          'batch.kubernetes.io/controller-uid': j.metadata.uid ?? '',
        },
        j.spec!.template,
        'Never',
      );
    }
    if (action.kind === 'finish' && action.killActive)
      for (const p of view.active) await this.o.client.delete('v1', 'Pod', p.metadata.name ?? '', ns);
    const status = jobStatus(j, view, now, action.kind === 'finish' ? action : undefined);
    if (!sameJson(status, j.status ?? {})) await this.o.client.updateStatus<Job>({ ...j, status });
    const deadline = j.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && action.kind !== 'finish') {
      const start = Date.parse(status.startTime ?? iso(now));
      return { requeueAfterMs: Math.max(start + deadline * 1000 - now.getTime(), 50) };
    }
  }
}
