/**
 * Adaptive server optimizers of Reddi et al. 2021, "Adaptive Federated Optimization" (ICLR),
 * Algorithm 2. The round's aggregated delta Δ = mean(x_i) − x is a pseudo-gradient, and per
 * coordinate:
 *   m ← β1·m + (1 − β1)·Δ
 *   v ← v + Δ²                                   (FedAdagrad)
 *   v ← β2·v + (1 − β2)·Δ²                       (FedAdam)
 *   v ← v − (1 − β2)·Δ²·sign(v − Δ²)             (FedYogi)
 *   x ← x + η·m / (√v + τ)
 * No bias correction, as in the paper; v starts at τ² (the paper's v₋₁ ≥ τ²), m at 0.
 * Server momentum (FedAvgM, Hsu et al. 2019, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification"): m ← β·m + Δ, x ← x + η·m (β = beta1),
 * no v.
 * State m (and v) are float32 model-sized buffers, so a checkpoint restores them bit for bit.
 */
export type OptimizerKind = 'adagrad' | 'adam' | 'yogi' | 'momentum';

export interface OptimizerParams {
  readonly eta: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly tau: number;
}

export class ServerOptimizer {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Server steps taken (rounds aggregated). */
  steps = 0;

  constructor(
    readonly kind: OptimizerKind,
    readonly p: OptimizerParams,
    elements: number,
  ) {
    this.m = new Float32Array(elements);
    this.v = kind === 'momentum' ? new Float32Array(0) : new Float32Array(elements).fill(p.tau * p.tau);
  }

  /** Model-sized buffers held: m, and v for the adaptive kinds. */
  get memoryModels(): number {
    return this.kind === 'momentum' ? 1 : 2;
  }

  /** FedAvgM: m ← β·m + Δ; x ← x + η·m. */
  private momentumStep(global: Float32Array, mean: Float32Array, out: Float32Array): void {
    const { m } = this;
    const { eta, beta1 } = this.p;
    for (let i = 0; i < mean.length; i++) {
      const g = global[i] as number;
      m[i] = beta1 * (m[i] as number) + ((mean[i] as number) - g);
      out[i] = g + eta * (m[i] as number);
    }
    this.steps++;
  }

  /** `mean` = the round's aggregate; Δ = mean − global; `out` = next model (may alias `mean`). */
  step(global: Float32Array, mean: Float32Array, out: Float32Array): void {
    if (this.kind === 'momentum') {
      this.momentumStep(global, mean, out);
      return;
    }
    const { m, v } = this;
    const { eta, beta1, beta2, tau } = this.p;
    const kind = this.kind;
    for (let i = 0; i < mean.length; i++) {
      const g = global[i] as number;
      const d = (mean[i] as number) - g;
      const d2 = d * d;
      m[i] = beta1 * (m[i] as number) + (1 - beta1) * d;
      const vi = v[i] as number;
      if (kind === 'adagrad') v[i] = vi + d2;
      else if (kind === 'adam') v[i] = beta2 * vi + (1 - beta2) * d2;
      else v[i] = vi - (1 - beta2) * d2 * Math.sign(vi - d2);
      out[i] = g + (eta * (m[i] as number)) / (Math.sqrt(v[i] as number) + tau);
    }
    this.steps++;
  }
}
