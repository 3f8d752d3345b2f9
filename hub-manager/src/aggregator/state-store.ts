/**
 * What survives a restart: `state.json` (phase, rounds done, history, per-client status) and
 * the round checkpoints, all written atomically under the job's storage dir:
 *   checkpoints/round-00000.safetensors   initial model (copied in at first start)
 *   checkpoints/round-0000N.safetensors   global model after round N
 *   last.safetensors                      hard link to the newest checkpoint
 *   final.safetensors                     hard link to the last round's model once completed
 *   uploads/                              in-progress uploads (discarded on restart)
 */
import { link, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import type { ClientOutcome, PrivacyReport } from './strategy/types.js';
import path from 'node:path';
import {
  commitFile,
  copyFileAtomic,
  tempPathFor,
  writeFileAtomic,
} from '@ocm-fl/common/dataplane/file-io.js';

export type Phase = 'running' | 'completed' | 'failed';
export type ClientState =
  'joined' | 'downloading' | 'uploading' | 'submitted' | 'failed' | 'straggler' | 'rejected';

export interface RoundRecord {
  readonly round: number;
  /** 0 for the first try, 1.. for retries after too few clients. */
  readonly attempt: number;
  readonly participants: readonly string[];
  readonly failed: readonly string[];
  readonly stragglers: readonly string[];
  readonly examples: number;
  /** Metrics averaged over participants weighted by examples. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** SHA-256 of the resulting global model ('' when the attempt did not produce one). */
  readonly sha256: string;
  readonly outcome: 'aggregated' | 'retry' | 'failed';
  readonly closedAt: string;
  /** Strategy that aggregated the round, and what it did with each client's update. */
  readonly strategy?: string;
  readonly clients?: Readonly<Record<string, ClientOutcome>>;
  /** Cumulative privacy spent after this round, when the strategy adds DP noise. */
  readonly privacy?: PrivacyReport;
}

export interface ClientStatus {
  readonly state: ClientState;
  readonly round: number;
  readonly lastSeen: string;
  readonly message?: string;
  readonly examples?: number;
}

export interface JobState {
  readonly jobId: string;
  readonly phase: Phase;
  readonly message: string;
  readonly rounds: number;
  /** Rounds aggregated so far; the current round is completedRounds + 1. */
  readonly completedRounds: number;
  /** Digest and size of the current global model (checkpoint of completedRounds). */
  readonly modelSha256: string;
  readonly modelSize: number;
  readonly history: readonly RoundRecord[];
  readonly clients: Readonly<Record<string, ClientStatus>>;
  readonly updatedAt: string;
  /** Cumulative privacy spent so far (central DP strategies). */
  readonly privacy?: PrivacyReport;
}

export class StateStore {
  constructor(readonly dir: string) {}

  get statePath(): string {
    return path.join(this.dir, 'state.json');
  }
  get uploadsDir(): string {
    return path.join(this.dir, 'uploads');
  }
  checkpointPath(round: number): string {
    return path.join(this.dir, 'checkpoints', `round-${String(round).padStart(5, '0')}.safetensors`);
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.dir, 'checkpoints'), { recursive: true });
    // Uploads in progress when the previous process died cannot be trusted; clients restart them.
    await rm(this.uploadsDir, { recursive: true, force: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  async load(): Promise<JobState | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath, 'utf8')) as JobState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read ${this.statePath}`, { cause: e });
    }
  }

  async save(state: JobState): Promise<void> {
    await writeFileAtomic(this.statePath, JSON.stringify(state, null, 2) + '\n');
  }

  async importInitialModel(src: string): Promise<void> {
    await copyFileAtomic(src, this.checkpointPath(0));
  }

  /** Publish a finished checkpoint as `name` (hard link, atomic rename over the old one). */
  async publish(round: number, name: 'last' | 'final'): Promise<void> {
    const dest = path.join(this.dir, `${name}.safetensors`);
    const tmp = tempPathFor(dest);
    await link(this.checkpointPath(round), tmp);
    await commitFile(tmp, dest);
  }

  /** Delete round checkpoints older than the newest `keep` past ones (round 0 and `current` stay). */
  async prune(current: number, keep: number): Promise<void> {
    const dir = path.join(this.dir, 'checkpoints');
    for (const f of await readdir(dir)) {
      const m = /^round-(\d+)\.safetensors$/.exec(f);
      if (!m) continue;
      const r = Number(m[1]);
      if (r !== 0 && r !== current && r < current - keep) await rm(path.join(dir, f), { force: true });
    }
  }
}
