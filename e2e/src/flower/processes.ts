/**
 * Real Flower processes for tests and the bench: a SuperLink with TLS and node authentication,
 * SuperNodes, and `flwr` CLI calls, each a child process with its output in a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FLOWER_BIN, FLOWER_ENV } from './venv.js';

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startProcess(
  bin: string,
  args: string[],
  o: { env?: Record<string, string>; log: string; cwd?: string },
): Proc {
  const out = createWriteStream(o.log, { flags: 'a' });
  const child = spawn(join(FLOWER_BIN, bin), args, {
    env: { ...process.env, ...FLOWER_ENV, PATH: `${FLOWER_BIN}:${process.env.PATH ?? ''}`, ...o.env },
    cwd: o.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The process group: SuperLink and SuperNode start their app processes as children.
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A `FLWR_HOME` whose default connection is the SuperLink at `address` (TLS, `ca` file). */
export async function flwrHome(dir: string, address: string, caFile: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'config.toml'),
    `[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = "${address}"\nroot-certificates = "${caFile}"\n`,
  );
  return dir;
}

/** Run a `flwr` command to its end; resolves with exit code and output. */
export function flwr(
  args: string[],
  env: Record<string, string>,
  log: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(FLOWER_BIN, 'flwr'), args, {
      env: { ...process.env, ...FLOWER_ENV, PATH: `${FLOWER_BIN}:${process.env.PATH ?? ''}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const out = createWriteStream(log, { flags: 'a' });
    for (const s of [child.stdout, child.stderr])
      s?.on('data', (d: Buffer) => {
        output += d.toString();
        out.write(d);
      });
    child.on('exit', (code) => resolve({ code, output }));
  });
}
