import type { DType } from '@ocm-fl/common/model/safetensors.js';

/**
 * What a trainer gets from `GET {FL_HANDOFF_URL}/task` (see ../../TRAINER.md). The agent fills
 * the round fields; the handoff server adds `model` and `limits` from the files it serves.
 */
export interface TrainerTask {
  /** 1-based round number. */
  readonly round: number;
  /** Total rounds of the job. */
  readonly rounds: number;
  readonly job: { readonly namespace: string; readonly name: string };
  readonly cluster: string;
  /** Free-form training parameters from the FederatedLearning resource (epochs, lr, batchSize...). */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /**
   * What the hub's aggregation strategy asks of local training this round, as strings (e.g.
   * FedProx: `{ "proximalMu": "0.01" }`: add proximalMu/2 · ‖w − w_global‖² to the loss).
   * Empty or absent: plain local training.
   */
  readonly strategy?: Readonly<Record<string, string>>;
  readonly data: {
    /** The ClusterClaim value, verbatim (a path, a URL, or any string the trainer understands). */
    readonly location: string;
    /** Where that data is mounted inside the trainer container (also FL_DATA_DIR). */
    readonly dir: string;
  };
  /** RFC 3339 time after which the agent stops the trainer and fails the round. */
  readonly deadline?: string;
}

/** Description of the global model the server adds to the task. */
export interface TaskModel {
  readonly format: 'safetensors';
  readonly bytes: number;
  /** `sha256:<hex>` of the model file. */
  readonly digest: string;
  /** dtype of the tensors when they all share one, else "mixed". */
  readonly dtype: DType | 'mixed';
  readonly tensors: readonly {
    name: string;
    dtype: DType;
    shape: readonly number[];
    dataOffsets: [number, number];
  }[];
}

/** The body of `GET /task`. */
export interface ServedTask extends TrainerTask {
  readonly model: TaskModel;
  readonly limits: { readonly maxUpdateBytes: number; readonly maxMetrics: number };
}

/** What a round yields when the trainer has uploaded its update. */
export interface RoundResult {
  /** Final file, complete and verified; never a partial write. */
  readonly updatePath: string;
  readonly examples: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** `sha256:<hex>` of the update file. */
  readonly digest: string;
  readonly bytes: number;
}

export interface TrainerProgress {
  readonly fraction?: number;
  readonly epoch?: number;
  readonly message?: string;
}

export interface OpenRoundOptions {
  /** URL path segment; [A-Za-z0-9][A-Za-z0-9._-]{0,127}. Use one per task and round. */
  readonly roundId: string;
  /** Reuse a token (re-attaching after an agent restart); a fresh 256-bit one by default. */
  readonly token?: string;
  readonly task: TrainerTask;
  /** The global model file the trainer downloads; its manifest is what updates must match. */
  readonly modelPath: string;
  /** Directory (agent side) for the update; holds `update.safetensors` and `result.json`. */
  readonly workDir: string;
  /** Largest update accepted; default: the model's size plus 64 KiB for header metadata. */
  readonly maxUpdateBytes?: number;
  readonly onProgress?: (p: TrainerProgress) => void;
}

export interface RoundHandle {
  readonly roundId: string;
  /** Base URL handed to the trainer as FL_HANDOFF_URL. */
  readonly url: string;
  /** Secret; hand it to the trainer only through a Secret-backed env var. */
  readonly token: string;
  /**
   * Resolves when an update has been stored (immediately when `workDir` already holds a
   * completed result from before an agent restart); rejects with TrainerFailedError on
   * `POST /fail`, or RoundClosedError when closed first.
   */
  readonly result: Promise<RoundResult>;
  /** Metrics received so far. */
  metrics(): Readonly<Record<string, number>>;
  /** Revoke the token, abort an upload in progress, reject `result` if still pending. */
  close(reason?: string): Promise<void>;
}

export class TrainerFailedError extends Error {
  override name = 'TrainerFailedError';
}

export class RoundClosedError extends Error {
  override name = 'RoundClosedError';
}
