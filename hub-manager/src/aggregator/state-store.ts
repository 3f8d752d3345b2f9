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
import type { JobState } from '@ocm-fl/common/job-contract/state.js';
import path from 'node:path';
import {
  commitFile,
  copyFileAtomic,
  tempPathFor,
  writeFileAtomic,
} from '@ocm-fl/common/dataplane/file-io.js';

export type {
  ClientState,
  ClientStatus,
  JobState,
  Phase,
  RoundRecord,
} from '@ocm-fl/common/job-contract/state.js';

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
