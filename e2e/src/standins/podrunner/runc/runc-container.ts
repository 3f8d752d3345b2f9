/**
 * One container under runc: an overlay mount (the image rootfs read-only below, the container's
 * own writable layer above), an OCI bundle, and `runc run --keep` in the foreground so its exit code
 * is the container's and its stdout/stderr go straight to the log file (kept until read: the
 * memory cgroup tells whether the kernel OOM-killed it). Stop is SIGTERM, then
 * SIGKILL after the grace period, as the kubelet does; everything is removed on exit.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Exit } from '../process.js';
import { runtimeSpec, type SpecInput } from './container-spec.js';

const exec = promisify(execFile);

export interface RuncContainerOptions {
  id: string;
  runcRoot: string;
  /** Image rootfs (shared, never written). */
  lower: string;
  /** Where the container's upper/work dirs and bundle live (on disk, per container). */
  stateDir: string;
  /** Mount point of the container's rootfs. */
  rootfsMount: string;
  spec: Omit<SpecInput, 'rootfs'>;
  logFile: string;
}

/** Whether the container's cgroup saw an OOM kill (cgroup v1 memory controller). */
function oomKilled(cgroupsPath: string): boolean {
  const f = join('/sys/fs/cgroup/memory', cgroupsPath, 'memory.oom_control');
  if (!existsSync(f)) return false;
  return /oom_kill [1-9]/.test(readFileSync(f, 'utf8'));
}

export class RuncContainer {
  private child: ChildProcess | undefined;
  private readonly exited: Promise<Exit>;
  private resolveExit: (e: Exit) => void = () => undefined;
  private stopRequested = false;
  readonly startedAt = new Date();

  private constructor(
    private readonly o: RuncContainerOptions,
    private readonly onExit: (e: Exit) => void,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** Mount, write the bundle, start; a failure to set up is reported as an exit (StartError). */
  static start(o: RuncContainerOptions, onExit: (e: Exit) => void): RuncContainer {
    const c = new RuncContainer(o, onExit);
    void c.run();
    return c;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async run(): Promise<void> {
    const { o } = this;
    const upper = join(o.stateDir, 'upper');
    const work = join(o.stateDir, 'work');
    const bundle = join(o.stateDir, 'bundle');
    let oom = false;
    let exit: Exit;
    try {
      await rm(o.stateDir, { recursive: true, force: true });
      await Promise.all([upper, work, bundle, o.rootfsMount].map((d) => mkdir(d, { recursive: true })));
      await exec('mount', [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `lowerdir=${o.lower},upperdir=${upper},workdir=${work}`,
        o.rootfsMount,
      ]);
      // Mount points must exist in the rootfs (a file for a file, a directory for a directory);
      // create them in the writable layer.
      for (const m of o.spec.mounts) {
        const at = join(o.rootfsMount, m.destination);
        if ((await stat(m.source)).isDirectory()) await mkdir(at, { recursive: true }).catch(() => undefined);
        else {
          await mkdir(dirname(at), { recursive: true }).catch(() => undefined);
          if (!existsSync(at)) await writeFile(at, '');
        }
      }
      await mkdir(join(o.rootfsMount, o.spec.process.cwd), { recursive: true }).catch(() => undefined);
      await writeFile(
        join(bundle, 'config.json'),
        JSON.stringify(runtimeSpec({ ...o.spec, rootfs: o.rootfsMount })),
      );
      if (this.stopRequested) throw new Error('stopped before it started');
      exit = await new Promise<Exit>((resolve) => {
        const fd = openSync(o.logFile, 'a');
        try {
          const child = spawn('runc', ['--root', o.runcRoot, 'run', '--keep', '--bundle', bundle, o.id], {
            stdio: ['ignore', fd, fd],
          });
          this.child = child;
          child.on('error', (e) =>
            resolve({ code: 128, signal: 'spawn-error', at: new Date(), ...{ message: e.message } }),
          );
          child.on('exit', (code, signal) =>
            resolve({ code: code ?? 137, ...(signal ? { signal } : {}), at: new Date() }),
          );
        } finally {
          closeSync(fd);
        }
      });
      oom = exit.code === 137 && oomKilled(o.spec.cgroupsPath);
    } catch (e) {
      await writeFile(o.logFile, `container start failed: ${(e as Error).message}\n`, { flag: 'a' }).catch(
        () => undefined,
      );
      exit = { code: 128, signal: 'spawn-error', at: new Date() };
    }
    this.child = undefined;
    await exec('runc', ['--root', o.runcRoot, 'delete', '--force', o.id]).catch(() => undefined);
    await exec('umount', [o.rootfsMount]).catch(() =>
      exec('umount', ['-l', o.rootfsMount]).catch(() => undefined),
    );
    await rm(o.rootfsMount, { recursive: true, force: true }).catch(() => undefined);
    await rm(o.stateDir, { recursive: true, force: true }).catch(() => undefined);
    const final: Exit = oom ? { ...exit, signal: 'OOMKilled' } : exit;
    this.resolveExit(final);
    this.onExit(final);
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when the container and its mounts are gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    const deadline = Date.now() + graceMs;
    // Repeated: a container still being created by `runc run` cannot be signalled yet.
    const signal = (): void => {
      const sig = Date.now() >= deadline ? 'KILL' : 'TERM';
      void exec('runc', ['--root', this.o.runcRoot, 'kill', this.o.id, sig]).catch(() => undefined);
    };
    signal();
    const timer = setInterval(signal, Math.min(500, Math.max(graceMs, 50)));
    await this.exited;
    clearInterval(timer);
  }
}
