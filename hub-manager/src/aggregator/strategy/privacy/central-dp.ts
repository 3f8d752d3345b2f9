/**
 * Central differential privacy on the aggregate (DP-FedAvg, McMahan et al. 2018, "Learning
 * Differentially Private Recurrent Language Models"): every delta is clipped to L2 norm C, the
 * clipped deltas are averaged with equal weights (so one client moves the sum by at most C), and
 * Gaussian noise N(0, (σ·C / N)²) is added to each coordinate of the mean of N deltas.
 *
 * Adaptive clipping (Andrew et al. 2021, "Differentially Private Learning with Adaptive
 * Clipping"): each round the server counts the clients whose delta norm was ≤ C, adds
 * N(0, σ_b²) to that count, and moves C geometrically toward the target quantile γ:
 *   b̄ = (Σ 1[‖Δ_i‖ ≤ C] + N(0, σ_b²)) / N,   C ← C · exp(−η_C · (b̄ − γ)).
 * The count is a second Gaussian release; with the update noise at
 *   σ_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2)
 * the pair costs exactly one Gaussian mechanism with multiplier z (their Thm. 1), which is what
 * the accountant composes. That needs 2σ_b > z.
 */
import { gaussianEpsilon } from './rdp.js';
import { seededNormals, secureNormals, type NormalSource } from './gaussian.js';
import type { PrivacyReport } from '../types.js';

export interface DpParams {
  /** z: noise multiplier the accountant composes. */
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  readonly delta: number;
  readonly adaptive?: {
    readonly targetQuantile: number;
    readonly learningRate: number;
    readonly countNoiseStd: number;
  };
  /** Reproducible noise (tests, benchmarks): NOT private. */
  readonly seed?: number;
}

export interface DpState {
  readonly rounds: number;
  readonly clipNorm: number;
  readonly rng?: readonly number[];
}

export class CentralDp {
  private clip: number;
  private rounds = 0;
  private rng: NormalSource;

  constructor(readonly p: DpParams) {
    this.clip = p.clipNorm;
    this.rng = p.seed === undefined ? secureNormals() : seededNormals(p.seed);
  }

  get clipNorm(): number {
    return this.clip;
  }

  /** σ of the update noise in units of C (smaller than z when part of the budget counts bits). */
  get updateNoiseMultiplier(): number {
    const { noiseMultiplier: z, adaptive } = this.p;
    if (!adaptive) return z;
    return 1 / Math.sqrt(z ** -2 - (2 * adaptive.countNoiseStd) ** -2);
  }

  /** Factor that clips a delta of this norm to C. */
  clipScale(norm: number): number {
    return norm > this.clip ? this.clip / norm : 1;
  }

  /** Adds the noise to the mean of N = norms.length clipped updates, then updates C from the norms seen. */
  noise(mean: Float32Array, norms: readonly number[]): PrivacyReport {
    const count = norms.length;
    const usedClip = this.clip;
    const sd = (this.updateNoiseMultiplier * usedClip) / count;
    for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + sd * this.rng.next();
    this.rounds++;
    const a = this.p.adaptive;
    if (a) {
      const below = norms.filter((n) => n <= usedClip).length;
      const frac = (below + a.countNoiseStd * this.rng.next()) / count;
      this.clip = usedClip * Math.exp(-a.learningRate * (frac - a.targetQuantile));
    }
    return { ...this.report(), clipNorm: usedClip };
  }

  report(): PrivacyReport {
    const { noiseMultiplier, delta } = this.p;
    const epsilon = gaussianEpsilon(noiseMultiplier, this.rounds, delta);
    return { epsilon, delta, noiseMultiplier, clipNorm: this.clip, rounds: this.rounds };
  }

  state(): DpState {
    const rng = this.rng.state();
    return { rounds: this.rounds, clipNorm: this.clip, ...(rng ? { rng } : {}) };
  }

  restore(s: DpState): void {
    if (!Number.isSafeInteger(s.rounds) || s.rounds < 0 || !(s.clipNorm > 0))
      throw new Error('DP checkpoint state is malformed');
    this.rounds = s.rounds;
    this.clip = s.clipNorm;
    if (this.p.seed !== undefined && s.rng) this.rng = seededNormals(this.p.seed, s.rng);
  }
}
