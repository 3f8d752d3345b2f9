/**
 * The contract between the aggregator's round machinery and an aggregation strategy.
 *
 * A strategy is pure arithmetic over client updates: no gRPC, no Kubernetes, no logger, no files
 * of its own. The aggregator hands it each verified update (a spilled, hash-checked safetensors
 * file behind `ClientUpdate.read`), asks it to `screen` then `fold` each one as it arrives, and
 * to `aggregate` once the round closes. Mean-based rules fold into one accumulator; order
 * statistics (median, trimmed mean, Krum) re-read the spilled files block by block in
 * `aggregate`, so memory stays bounded by `blockElements` per client plus one model.
 *
 * Lifecycle per round: reset() → (screen → fold)* → aggregate → [checkpoint()].
 * After a restart: createStrategy(...) → restore(checkpoint) → reset() → … as above.
 *
 * This shape is shared with the aggregator core: change it only by adding.
 */

/** One verified client update of this round (a spilled, hash-checked safetensors file). */
export interface ClientUpdate {
  readonly cluster: string;
  /** Training examples behind the update (the FedAvg weight); > 0. */
  readonly examples: number;
  /**
   * Elements [offset, offset + out.length) of the flattened update as float32 (F16 decoded),
   * in the tensor order of the global model's manifest. May be called any number of times.
   */
  read(offset: number, out: Float32Array): Promise<void>;
}

export interface RoundContext {
  readonly round: number;
  /** Flattened current global model (read-only); length = total elements. */
  readonly global: Float32Array;
  /** Elements per block when strategies walk updates block by block (bounds memory). */
  readonly blockElements: number;
}

/** Refusal or adjustment of one update before it counts (norm bound, NaN, …). */
export type Screening =
  | {
      readonly accept: true;
      /** Multiply the delta (update − global) by this before it counts (clipping); default 1. */
      readonly scale?: number;
      /** L2 norm of the delta (update − global), before any scaling. */
      readonly norm?: number;
      readonly note?: string;
    }
  | { readonly accept: false; readonly reason: string; readonly norm?: number };

// The per-client outcome and the privacy report are part of the published job state: one
// definition, in the job contract both sides validate.
export type { ClientOutcome, PrivacyReport } from '@ocm-fl/common/job-contract/state.js';
import type { ClientOutcome, PrivacyReport } from '@ocm-fl/common/job-contract/state.js';

export interface AggregateResult {
  readonly clients: Readonly<Record<string, ClientOutcome>>;
  /** Cumulative privacy spent so far, where the strategy adds DP noise. */
  readonly privacy?: PrivacyReport;
}

/** Model-sized server state (optimizer moments) plus small JSON, stored by the checkpoint store. */
export interface StrategyState {
  /** JSON-serialisable (numbers are finite; no undefined). */
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, Float32Array>>;
}

/** Values a strategy sends to trainers with the round's task. */
export type ClientConfig = Readonly<Record<string, number | string | boolean>>;

export interface Strategy {
  readonly name: string;
  /** Documented memory bound, in multiples of the model size, for README/bench. */
  readonly memoryModels: number;
  /** Values sent to trainers with the round's task (e.g. FedProx { proximalMu: 0.01 }). */
  clientConfig(round: number): ClientConfig;
  /** Before an update counts: may refuse it (reason → client + status) or scale it (clipping). */
  screen(update: ClientUpdate, ctx: RoundContext): Promise<Screening>;
  /** Each counted update as it arrives (mean-based rules fold here, robust rules keep the file). */
  fold(update: ClientUpdate, screening: Screening, ctx: RoundContext): Promise<void>;
  /**
   * All counted updates of the round (their files still on disk; the same ones passed to
   * `fold`, in any order) → next global model in `out` (length = ctx.global.length).
   */
  aggregate(updates: readonly ClientUpdate[], ctx: RoundContext, out: Float32Array): Promise<AggregateResult>;
  /** Start a new round (drop per-round buffers, keep server state). */
  reset(): void;
  checkpoint(): StrategyState;
  restore(state: StrategyState): void;
}

/** `spec.strategy` of the FederatedLearning resource, as rendered into the aggregator config. */
export interface StrategySpec {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * Thrown by createStrategy (strategy/index.ts) for a bad spec; the message names the field,
 * e.g. `spec.strategy.parameters.beta: must be a number in [0, 0.5)`.
 */
export class StrategyConfigError extends Error {
  override name = 'StrategyConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
