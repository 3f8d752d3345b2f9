/**
 * A test-local stand-in for the agent and aggregator (a test double of both, named as one):
 * per round it opens a real handoff round per client, starts the trainer as a child process
 * with only the contract's env vars, takes the uploaded updates and averages them (FedAvg,
 * weighted by examples). Used by the trainer tests and the trainer benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import { HandoffServer } from '@ocm-fl/spoke-agent/handoff/handoff-server.js';
import { trainerEnvRecord } from '@ocm-fl/spoke-agent/handoff/trainer-env.js';
import type { RoundResult } from '@ocm-fl/spoke-agent/handoff/types.js';

export interface FedClient {
  readonly name: string;
  /** argv of the trainer process. */
  readonly command: readonly string[];
  readonly location: string;
}

export interface ClientRound {
  readonly client: string;
  readonly result: RoundResult;
  readonly exitCode: number | null;
  /** The trainer's env, for checks that it holds no key material. */
  readonly env: Readonly<Record<string, string>>;
  readonly dirs: readonly string[];
  /** The trainer's last `{"event":"round-done",...}` stdout line, if it printed one. */
  readonly report?: Record<string, unknown>;
  readonly stderr: string;
}

export interface FedRound {
  readonly round: number;
  readonly model: Buffer;
  readonly clients: readonly ClientRound[];
}

/** FedAvg: the examples-weighted mean of updates with the global model's layout. */
export function fedAvg(
  updates: readonly { bytes: Uint8Array; examples: number }[],
  metadata: Record<string, string> = {},
): Buffer {
  const decoded = updates.map((u) => ({ tensors: decodeSafetensors(u.bytes).tensors, w: u.examples }));
  const total = decoded.reduce((s, u) => s + u.w, 0);
  const first = decoded[0];
  if (!first || total <= 0) throw new Error('fedAvg needs at least one update with examples');
  const out: Tensor[] = first.tensors.map((t, i) => {
    const values = new Float32Array(t.values.length);
    for (const u of decoded) {
      const src = (u.tensors[i] as Tensor).values;
      const f = u.w / total;
      for (let j = 0; j < values.length; j++) values[j] = (values[j] as number) + f * (src[j] as number);
    }
    return { name: t.name, dtype: t.dtype, shape: t.shape, values };
  });
  return encodeSafetensors(out, metadata);
}

export interface FederationOptions {
  readonly clients: readonly FedClient[];
  readonly rounds: number;
  readonly initialModel: Buffer;
  readonly parameters: Record<string, string | number | boolean>;
  readonly baseDir: string;
  readonly cwd: string;
  /** Called after each round with the new global model. */
  readonly onRound?: (r: FedRound) => void | Promise<void>;
}

export async function runFederation(opts: FederationOptions): Promise<FedRound[]> {
  await mkdir(opts.baseDir, { recursive: true });
  const server = await HandoffServer.start({ host: '127.0.0.1', port: 0 });
  const rounds: FedRound[] = [];
  let model = opts.initialModel;
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const modelPath = join(opts.baseDir, `global-${round - 1}.safetensors`);
      await writeFile(modelPath, model);
      const clients = await Promise.all(
        opts.clients.map((c) => runClient(server, { ...opts, client: c, round, modelPath })),
      );
      const updates = await Promise.all(
        clients.map(async (c) => ({
          bytes: await readFile(c.result.updatePath),
          examples: c.result.examples,
        })),
      );
      model = fedAvg(updates, { round: String(round) });
      const r = { round, model, clients };
      rounds.push(r);
      await opts.onRound?.(r);
    }
  } finally {
    await server.close();
  }
  return rounds;
}

export interface TrainerRun {
  readonly client: string;
  readonly exitCode: number | null;
  /** The round's result: an update, or the trainer's reported failure / no update. */
  readonly outcome: PromiseSettledResult<RoundResult>;
  readonly env: Readonly<Record<string, string>>;
  readonly dirs: readonly string[];
  readonly report?: Record<string, unknown>;
  readonly stderr: string;
}

export interface TrainerRunOptions {
  readonly client: FedClient;
  readonly round: number;
  readonly rounds: number;
  readonly modelPath: string;
  readonly parameters: Record<string, string | number | boolean>;
  /** The task's `strategy` (what the aggregation strategy asks of training, e.g. proximalMu). */
  readonly strategy?: Record<string, string>;
  readonly baseDir: string;
  readonly cwd: string;
}

/** One trainer process for one round against a real handoff round, as the agent would run it. */
export async function runTrainer(server: HandoffServer, o: TrainerRunOptions): Promise<TrainerRun> {
  const base = join(o.baseDir, o.client.name, `round-${o.round}`);
  const [agentDir, dataDir, workDir] = ['agent', 'data', 'scratch'].map((d) => join(base, d)) as [
    string,
    string,
    string,
  ];
  await Promise.all([agentDir, dataDir, workDir].map((d) => mkdir(d, { recursive: true })));
  const handle = await server.openRound({
    roundId: `${o.client.name}-r${o.round}`,
    task: {
      round: o.round,
      rounds: o.rounds,
      job: { namespace: 'default', name: 'mnist' },
      cluster: o.client.name,
      parameters: o.parameters,
      ...(o.strategy ? { strategy: o.strategy } : {}),
      data: { location: o.client.location, dir: dataDir },
    },
    modelPath: o.modelPath,
    workDir: agentDir,
  });
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    ...trainerEnvRecord({
      url: handle.url,
      round: o.round,
      dataDir,
      dataLocation: o.client.location,
      workDir,
      token: { value: handle.token },
    }),
  };
  try {
    const [cmd, ...args] = o.client.command as [string, ...string[]];
    const child = spawn(cmd, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // The trainer has exited: a round without a result by now never gets one (the agent does the same).
    await handle.close(`trainer exited with code ${exitCode} without an update`);
    const [outcome] = await Promise.allSettled([handle.result]);
    const report = stdout
      .split('\n')
      .filter((l) => l.includes('"round-done"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .pop();
    return {
      client: o.client.name,
      exitCode,
      outcome: outcome as PromiseSettledResult<RoundResult>,
      env,
      dirs: [dataDir, workDir],
      stderr: stderr + stdout,
      ...(report ? { report } : {}),
    };
  } finally {
    await handle.close();
  }
}

async function runClient(server: HandoffServer, o: TrainerRunOptions): Promise<ClientRound> {
  const run = await runTrainer(server, o);
  if (run.exitCode !== 0 || run.outcome.status === 'rejected') {
    const why = run.outcome.status === 'rejected' ? String(run.outcome.reason) : 'exit code';
    throw new Error(`trainer ${run.client} exited ${run.exitCode} (${why}): ${run.stderr.slice(-2000)}`);
  }
  const { outcome, ...rest } = run;
  return { ...rest, result: outcome.value };
}
