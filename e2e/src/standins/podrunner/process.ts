/** One container as a local child process: output appended to a log file, SIGTERM then SIGKILL on stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import type { Launch } from './container-env.js';

export interface Exit {
  code: number;
  signal?: string;
  at: Date;
}

/** A started container, whatever runs it (a local process or runc). */
export interface ContainerHandle {
  readonly startedAt: Date;
  readonly running: boolean;
  readonly pid: number | undefined;
  stop(graceMs: number): Promise<void>;
}

export class ContainerProcess implements ContainerHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit>;
  readonly startedAt = new Date();

  constructor(launch: Launch, logFile: string, onExit: (e: Exit) => void) {
    const fd = openSync(logFile, 'a');
    let resolveExit: (e: Exit) => void = () => undefined;
    this.exited = new Promise((r) => (resolveExit = r));
    const [cmd, ...args] = launch.argv;
    const finish = (e: Exit): void => {
      this.child = undefined;
      resolveExit(e);
      onExit(e);
    };
    try {
      this.child = spawn(cmd ?? '', args, { cwd: launch.cwd, env: launch.env, stdio: ['ignore', fd, fd] });
      this.child.on('error', () => finish({ code: 128, signal: 'spawn-error', at: new Date() }));
      this.child.on('exit', (code, signal) =>
        finish({ code: code ?? 128 + 9, ...(signal ? { signal } : {}), at: new Date() }),
      );
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
