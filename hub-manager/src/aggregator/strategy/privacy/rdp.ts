/**
 * Rényi-DP accountant for the Gaussian mechanism without subsampling (every selected client's
 * clipped update is in every noised aggregate; no amplification is claimed).
 *
 * One release of a sum with L2 sensitivity C plus N(0, (z·C)²) noise is (α, α / (2z²))-RDP for
 * every order α > 1 (Mironov 2017, "Rényi Differential Privacy", Prop. 7); T releases compose
 * additively: RDP(α) = T·α / (2z²). Conversion to (ε, δ) (Balle et al. 2020, "Hypothesis Testing
 * Interpretations and Renyi Differential Privacy", Thm. 21; the form Opacus and TF Privacy use):
 *   ε = min over α of  RDP(α) + log((α − 1)/α) − (log δ + log α) / (α − 1)
 * which is never worse than Mironov's ε = RDP(α) + log(1/δ)/(α − 1). Orders are the usual grid
 * 1.1 … 10.9 step 0.1, then 11 … 256.
 */
export const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 246 }, (_, i) => 11 + i),
];

/** RDP of T compositions of the Gaussian mechanism with noise multiplier z at order alpha. */
export function gaussianRdp(noiseMultiplier: number, rounds: number, alpha: number): number {
  return (rounds * alpha) / (2 * noiseMultiplier * noiseMultiplier);
}

/** (ε at δ, best order) with the Balle et al. 2020 conversion. */
export function epsilonFromRdp(
  rdp: (alpha: number) => number,
  delta: number,
  orders: readonly number[] = RDP_ORDERS,
): { epsilon: number; order: number } {
  let best = { epsilon: Infinity, order: NaN };
  for (const a of orders) {
    const eps = rdp(a) + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/** Mironov's original conversion (Prop. 3), kept to check the tighter one against. */
export function epsilonFromRdpMironov(
  rdp: (alpha: number) => number,
  delta: number,
  orders: readonly number[] = RDP_ORDERS,
): number {
  return Math.min(...orders.map((a) => rdp(a) + Math.log(1 / delta) / (a - 1)));
}

/** ε after `rounds` Gaussian releases with multiplier z, at δ. */
export function gaussianEpsilon(noiseMultiplier: number, rounds: number, delta: number): number {
  if (rounds === 0) return 0;
  return epsilonFromRdp((a) => gaussianRdp(noiseMultiplier, rounds, a), delta).epsilon;
}
