/**
 * One Strategy built from parts: a screen (NaN/Inf, norm bound, DP clipping), an aggregation
 * rule over the clipped updates (weighted mean, order statistics, Krum), optional DP noise on the
 * aggregate (the same as noise on the mean delta), and an optional server optimizer step. createStrategy
 * (index.ts) picks the parts from `spec.strategy`.
 */
import { deltaStats } from './blocks.js';
import type { CentralDp, DpState } from './privacy/central-dp.js';
import type { Counted, Rule } from './rule.js';
import type { ServerOptimizer } from './server-optimizer.js';
import type {
  AggregateResult,
  ClientConfig,
  ClientOutcome,
  ClientUpdate,
  RoundContext,
  Screening,
  Strategy,
  StrategyState,
} from './types.js';

export interface NormBound {
  readonly bound: number;
  /** reject: the update does not count; clip: its delta is scaled to the bound. */
  readonly mode: 'reject' | 'clip';
}

export interface Parts {
  readonly name: string;
  readonly rule: Rule;
  /** Weight of an update in a streaming rule: its example count, or 1 (DP needs equal weights). */
  readonly weighting: 'examples' | 'uniform';
  readonly normBound?: NormBound;
  readonly dp?: CentralDp;
  readonly optimizer?: ServerOptimizer;
  readonly clientConfig: ClientConfig;
}

interface CheckpointJson {
  readonly strategy: string;
  readonly version: 1;
  readonly optimizerSteps?: number;
  readonly dp?: DpState;
}

export class ComposedStrategy implements Strategy {
  readonly name: string;
  readonly memoryModels: number;
  private readonly counted = new Map<string, Counted>();
  private readonly folding = new Set<string>();
  private foldQueue: Promise<void> = Promise.resolve();

  constructor(private readonly parts: Parts) {
    this.name = parts.name;
    this.memoryModels = parts.rule.memoryModels + (parts.optimizer?.memoryModels ?? 0);
  }

  clientConfig(_round: number): ClientConfig {
    return this.parts.clientConfig;
  }

  async screen(update: ClientUpdate, ctx: RoundContext): Promise<Screening> {
    if (!(Number.isSafeInteger(update.examples) && update.examples > 0))
      return { accept: false, reason: `examples must be a positive integer, got ${update.examples}` };
    const { norm, firstNonFinite } = await deltaStats(update, ctx);
    if (firstNonFinite >= 0)
      return { accept: false, reason: `element ${firstNonFinite} is not finite (NaN or Inf)` };
    if (!Number.isFinite(norm)) return { accept: false, reason: 'delta L2 norm overflows float64' };
    let scale = 1;
    const notes: string[] = [];
    const nb = this.parts.normBound;
    if (nb && norm > nb.bound) {
      const what = `delta L2 norm ${fmt(norm)} exceeds normBound ${fmt(nb.bound)}`;
      if (nb.mode === 'reject') return { accept: false, reason: what, norm };
      scale = nb.bound / norm;
      notes.push(`${what}: clipped`);
    }
    const dp = this.parts.dp;
    if (dp && norm * scale > dp.clipNorm) {
      scale = dp.clipScale(norm);
      notes.push(`DP clipping to ${fmt(dp.clipNorm)}`);
    }
    return scale < 1 ? { accept: true, norm, scale, note: notes.join('; ') } : { accept: true, norm };
  }

  /**
   * Folds run one at a time whatever the caller does (a running mean cannot interleave two
   * updates); the checks run at the call, so a duplicate is refused even while its twin folds.
   */
  async fold(update: ClientUpdate, screening: Screening, ctx: RoundContext): Promise<void> {
    if (!screening.accept)
      throw new Error(`update of ${update.cluster} was refused by screen and cannot count`);
    if (this.counted.has(update.cluster) || this.folding.has(update.cluster))
      throw new Error(`${update.cluster} already counted this round`);
    this.folding.add(update.cluster);
    const previous = this.foldQueue;
    let done = (): void => undefined;
    this.foldQueue = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      const item: Counted = {
        update,
        scale: screening.scale ?? 1,
        ...(screening.norm !== undefined ? { norm: screening.norm } : {}),
      };
      const { rule } = this.parts;
      if (rule.streaming)
        await rule.fold(item, this.parts.weighting === 'examples' ? update.examples : 1, ctx);
      this.counted.set(update.cluster, item);
    } finally {
      this.folding.delete(update.cluster);
      done();
    }
  }

  async aggregate(
    updates: readonly ClientUpdate[],
    ctx: RoundContext,
    out: Float32Array,
  ): Promise<AggregateResult> {
    if (updates.length === 0) throw new Error('no updates to aggregate');
    if (out.length !== ctx.global.length)
      throw new RangeError(`out has ${out.length} elements, the model ${ctx.global.length}`);
    const items = updates.map((u) => {
      const c = this.counted.get(u.cluster);
      if (!c) throw new Error(`update of ${u.cluster} was never folded`);
      return { ...c, update: u };
    });
    const raw = await this.parts.rule.combine(items, ctx, out);
    const clients: Record<string, ClientOutcome> = {};
    for (const it of items) {
      const o = raw[it.update.cluster] ?? { included: true };
      clients[it.update.cluster] = {
        ...o,
        ...(it.norm !== undefined ? { norm: it.norm } : {}),
        clipped: it.scale < 1,
      };
    }
    const { dp, optimizer } = this.parts;
    const privacy = dp?.noise(
      out,
      items.map((it) => it.norm ?? 0),
    );
    if (optimizer) optimizer.step(ctx.global, out, out);
    return privacy ? { clients, privacy } : { clients };
  }

  reset(): void {
    if (this.folding.size > 0) throw new Error(`reset() while folding ${[...this.folding].join(', ')}`);
    this.counted.clear();
    this.parts.rule.reset();
  }

  checkpoint(): StrategyState {
    const { optimizer, dp } = this.parts;
    const json: CheckpointJson = {
      strategy: this.name,
      version: 1,
      ...(optimizer ? { optimizerSteps: optimizer.steps } : {}),
      ...(dp ? { dp: dp.state() } : {}),
    };
    // Copies: the checkpoint store may write them after the next round has started.
    const tensors: Record<string, Float32Array> = optimizer
      ? { m: optimizer.m.slice(), ...(optimizer.v.length > 0 ? { v: optimizer.v.slice() } : {}) }
      : {};
    return { json, tensors };
  }

  restore(state: StrategyState): void {
    const j = state.json as Partial<CheckpointJson> | null;
    if (!j || j.version !== 1 || j.strategy !== this.name)
      throw new Error(`checkpoint is for strategy ${String(j?.strategy)}, not ${this.name}`);
    // Check everything before changing anything: a bad checkpoint leaves the strategy as it was.
    const { optimizer, dp } = this.parts;
    const moments = optimizer ? checkMoments(state, optimizer.m.length, optimizer.v.length) : undefined;
    if (dp && !j.dp) throw new Error('checkpoint lacks the DP accountant state');
    if (dp && j.dp) dp.restore(j.dp);
    if (optimizer && moments) {
      optimizer.m.set(moments.m);
      optimizer.v.set(moments.v);
      optimizer.steps = j.optimizerSteps ?? 0;
    }
  }
}

function checkMoments(state: StrategyState, nm: number, nv: number): { m: Float32Array; v: Float32Array } {
  const { m } = state.tensors;
  const v = state.tensors.v ?? new Float32Array(0);
  if (!m || m.length !== nm || v.length !== nv)
    throw new Error(`checkpoint lacks optimizer moments m (${nm} elements) and v (${nv})`);
  return { m, v };
}

function fmt(x: number): string {
  return x.toPrecision(4);
}
