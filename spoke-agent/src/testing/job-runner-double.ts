/**
 * TEST DOUBLE of a kubelet + Job controller for the agent's integration tests, until the e2e
 * pod runner stand-in is wired in: runs each trainer Job in a namespace as a local process
 * (argv chosen by image), with the Job's env (Secret references resolved), emptyDir mounts
 * remapped to fresh local folders, `activeDeadlineSeconds` enforced, and the Job status
 * written as the Job controller would (active, Complete/Failed with DeadlineExceeded or
 * BackoffLimitExceeded). Deleting the Job kills the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import type { Job, JobCondition, JobStatus, Secret } from '../trainer/job-types.js';

export interface TrainerRun {
  readonly job: string;
  readonly env: Readonly<Record<string, string>>;
  /** Local folders standing in for the pod's emptyDir volumes. */
  readonly dirs: readonly string[];
  exitCode?: number | null;
  outcome?: 'succeeded' | 'failed' | 'deadline' | 'deleted';
  stdout: string;
  stderr: string;
}

export interface JobRunnerDoubleOptions {
  readonly kube: KubeClient;
  readonly namespace: string;
  /** argv for an image; undefined leaves the Job pending. */
  readonly argv: (image: string) => readonly string[] | undefined;
  readonly baseDir: string;
  readonly cwd: string;
  readonly pollMs?: number;
  /** Awaited before a Job's process starts (tests hold trainers back with it). */
  readonly beforeStart?: (job: Job) => Promise<void>;
}

export class JobRunnerDouble {
  readonly runs: TrainerRun[] = [];
  private readonly procs = new Map<string, { child: ChildProcess; run: TrainerRun; uid: string }>();
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly o: JobRunnerDoubleOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const p of this.procs.values()) p.child.kill('SIGKILL');
    this.procs.clear();
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const jobs = await this.o.kube.list<Job>('batch/v1', 'Job', { namespace: this.o.namespace });
      const live = new Set(jobs.map((j) => j.metadata.uid!));
      for (const [uid, p] of this.procs) {
        if (!live.has(uid)) {
          p.run.outcome = 'deleted';
          p.child.kill('SIGKILL');
          this.procs.delete(uid);
        }
      }
      for (const job of jobs) {
        const uid = job.metadata.uid!;
        if (this.seen.has(uid) || job.metadata.deletionTimestamp || job.status?.conditions?.length) continue;
        const argv = this.o.argv(job.spec!.template.spec.containers[0]!.image);
        if (!argv) continue;
        this.seen.add(uid);
        void this.run(job, argv).catch(() => undefined);
      }
    } catch {
      // The API server may be restarting in a test; try again next tick.
    } finally {
      this.busy = false;
    }
  }

  private async env(job: Job, dirs: Record<string, string>): Promise<Record<string, string>> {
    const c = job.spec!.template.spec.containers[0]!;
    const out: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) out[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        const { name, key } = e.valueFrom.secretKeyRef;
        const s = await this.o.kube.get<Secret>('v1', 'Secret', name, this.o.namespace);
        const b64 = s?.data?.[key];
        if (b64 === undefined) throw new Error(`secret ${name}/${key} missing`);
        out[e.name] = Buffer.from(b64, 'base64').toString('utf8');
      }
    }
    // Paths inside the pod's emptyDirs point at the local stand-in folders.
    for (const [k, v] of Object.entries(out)) {
      for (const [mount, local] of Object.entries(dirs))
        if (v === mount || v.startsWith(`${mount}/`)) out[k] = local + v.slice(mount.length);
    }
    return out;
  }

  private async setStatus(job: Job, status: JobStatus): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const cur = await this.o.kube.get<Job>('batch/v1', 'Job', job.metadata.name!, this.o.namespace);
      if (!cur || cur.metadata.uid !== job.metadata.uid) return;
      try {
        await this.o.kube.updateStatus({ ...cur, status: { ...cur.status, ...status } });
        return;
      } catch {
        // conflict: re-read
      }
    }
  }

  private async run(job: Job, argv: readonly string[]): Promise<void> {
    await this.o.beforeStart?.(job);
    const name = job.metadata.name!;
    const root = path.join(this.o.baseDir, `${name}-${job.metadata.uid!.slice(0, 8)}`);
    const pod = job.spec!.template.spec;
    const dirs: Record<string, string> = {};
    for (const m of pod.containers[0]!.volumeMounts ?? []) {
      const vol = pod.volumes?.find((v) => v.name === m.name);
      if (!vol?.emptyDir) continue;
      dirs[m.mountPath] = path.join(root, m.name);
      await mkdir(dirs[m.mountPath]!, { recursive: true });
    }
    const env = await this.env(job, dirs);
    const run: TrainerRun = { job: name, env, dirs: Object.values(dirs), stdout: '', stderr: '' };
    this.runs.push(run);
    const startTime = new Date().toISOString();
    await this.setStatus(job, { active: 1, startTime });
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.o.cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.procs.set(job.metadata.uid!, { child, run, uid: job.metadata.uid! });
    child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
    const deadline = job.spec!.activeDeadlineSeconds;
    const killer = deadline
      ? setTimeout(() => {
          run.outcome = 'deadline';
          child.kill('SIGKILL');
        }, deadline * 1000)
      : undefined;
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    if (killer) clearTimeout(killer);
    this.procs.delete(job.metadata.uid!);
    run.exitCode = code;
    if (run.outcome === 'deleted') return;
    const now = new Date().toISOString();
    let cond: JobCondition;
    if (run.outcome === 'deadline')
      cond = {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      };
    else if (code === 0) cond = { type: 'Complete', status: 'True' };
    else
      cond = {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: `Job has reached the specified backoff limit (exit ${code})`,
      };
    run.outcome ??= code === 0 ? 'succeeded' : 'failed';
    await this.setStatus(job, {
      active: 0,
      ...(code === 0 && run.outcome === 'succeeded' ? { succeeded: 1, completionTime: now } : { failed: 1 }),
      conditions: [cond],
    });
  }
}
