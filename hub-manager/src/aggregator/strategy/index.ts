/**
 * createStrategy: `spec.strategy` (name + parameters) → a Strategy. Every parameter is checked
 * here, once, and a bad one throws StrategyConfigError naming `spec.strategy.parameters.<x>`.
 * The rules, their parameters and memory bounds are tabled in README.md.
 */
import { ComposedStrategy, type NormBound } from './composed.js';
import { WeightedMean } from './mean.js';
import { CoordinateTrimmedMean } from './order-statistics.js';
import { MultiKrum } from './krum.js';
import { Params, fieldError } from './params.js';
import { CentralDp, type DpParams } from './privacy/central-dp.js';
import { ServerOptimizer, type OptimizerKind, type OptimizerParams } from './server-optimizer.js';
import { StrategyConfigError, type ClientConfig, type Strategy, type StrategySpec } from './types.js';
import type { Rule } from './rule.js';

export * from './types.js';
export { openSafetensorsUpdate, readSafetensorsFlat } from './safetensors-update.js';

export const STRATEGY_NAMES = [
  'FedAvg',
  'FedProx',
  'FedAdam',
  'FedYogi',
  'FedAdagrad',
  'FedAvgM',
  'FedMedian',
  'FedTrimmedAvg',
  'Krum',
  'MultiKrum',
] as const;
export type StrategyKind = (typeof STRATEGY_NAMES)[number];

const MEAN_BASED: readonly string[] = ['FedAvg', 'FedProx', 'FedAdam', 'FedYogi', 'FedAdagrad', 'FedAvgM'];
const OPTIMIZERS: Readonly<Record<string, OptimizerKind>> = {
  FedAdam: 'adam',
  FedYogi: 'yogi',
  FedAdagrad: 'adagrad',
  FedAvgM: 'momentum',
};

/** Client config key FedProx sends: the trainer adds (proximalMu / 2)·‖w − w_global‖² to its loss. */
export const PROXIMAL_MU_KEY = 'proximalMu';

/**
 * The round's client config as GetTask's `strategy_config` (map<string, string>): what the
 * aggregator core puts in the Task, e.g. `strategyConfigForTask(strategy.clientConfig(round))`.
 */
export function strategyConfigForTask(config: ClientConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

export function createStrategy(spec: StrategySpec, elements: number): Strategy {
  if (!Number.isSafeInteger(elements) || elements < 1)
    throw new RangeError(`model elements must be a positive integer, got ${elements}`);
  const name = spec.name;
  if (!(STRATEGY_NAMES as readonly string[]).includes(name))
    throw new StrategyConfigError(
      'spec.strategy.name',
      `unknown strategy ${JSON.stringify(name)} (known: ${STRATEGY_NAMES.join(', ')})`,
    );
  const p = new Params(spec.parameters ?? {});
  const normBound = readNormBound(p);
  const meanBased = MEAN_BASED.includes(name);
  const dp = readDp(p, meanBased, name);
  const rule = readRule(name, p, elements);
  let clientConfig: ClientConfig = {};
  if (name === 'FedProx')
    clientConfig = { [PROXIMAL_MU_KEY]: p.num('proximalMu', { default: 0.01, min: 0 }) };
  const kind = OPTIMIZERS[name];
  const optimizer = kind ? new ServerOptimizer(kind, readOptimizer(p, kind), elements) : undefined;
  p.rejectUnknown(name);
  return new ComposedStrategy({
    name,
    rule,
    weighting: dp ? 'uniform' : 'examples',
    ...(normBound ? { normBound } : {}),
    ...(dp ? { dp } : {}),
    ...(optimizer ? { optimizer } : {}),
    clientConfig,
  });
}

function readRule(name: string, p: Params, elements: number): Rule {
  switch (name) {
    case 'FedMedian':
      return new CoordinateTrimmedMean({ median: true });
    case 'FedTrimmedAvg':
      return new CoordinateTrimmedMean({
        median: false,
        beta: p.num('beta', { default: 0.2, min: 0, max: 0.5, maxExclusive: true }),
      });
    case 'Krum':
      return new MultiKrum(p.num('f', { default: 1, min: 0, integer: true }), 1);
    case 'MultiKrum':
      return new MultiKrum(
        p.num('f', { default: 1, min: 0, integer: true }),
        p.num('m', { min: 1, integer: true }),
      );
    default:
      return new WeightedMean(elements);
  }
}

function readNormBound(p: Params): NormBound | undefined {
  const bound = p.num('normBound', { min: 0, minExclusive: true });
  const mode = p.oneOf('normBoundMode', ['reject', 'clip'] as const, 'reject');
  return bound === undefined ? undefined : { bound, mode };
}

function readOptimizer(p: Params, kind: OptimizerKind): OptimizerParams {
  if (kind === 'momentum')
    return {
      eta: p.num('serverLearningRate', { default: 1, min: 0, minExclusive: true }),
      beta1: p.num('serverMomentum', { default: 0.9, min: 0, max: 1, maxExclusive: true }),
      beta2: 0,
      tau: 0,
    };
  return {
    eta: p.num('eta', { default: kind === 'adagrad' ? 0.1 : 0.01, min: 0, minExclusive: true }),
    beta1: p.num('beta1', { default: 0.9, min: 0, max: 1, maxExclusive: true }),
    beta2: p.num('beta2', { default: 0.99, min: 0, max: 1, maxExclusive: true }),
    tau: p.num('tau', { default: 1e-3, min: 0, minExclusive: true }),
  };
}

const DP_FIELDS = [
  'dpNoiseMultiplier',
  'dpClipNorm',
  'dpDelta',
  'dpAdaptiveClip',
  'dpTargetQuantile',
  'dpClipLearningRate',
  'dpCountNoiseStd',
  'dpSeed',
];

function readDp(p: Params, meanBased: boolean, name: string): CentralDp | undefined {
  const z = p.num('dpNoiseMultiplier', { min: 0, minExclusive: true });
  if (z === undefined) return undefined;
  if (!meanBased)
    throw fieldError(
      'dpNoiseMultiplier',
      `central DP needs a mean-based strategy (${MEAN_BASED.join(', ')}), not ${name}`,
    );
  const clipNorm = p.num('dpClipNorm', { min: 0, minExclusive: true });
  if (clipNorm === undefined)
    throw fieldError('dpClipNorm', 'required with dpNoiseMultiplier (the L2 clipping norm)');
  const params: DpParams = {
    noiseMultiplier: z,
    clipNorm,
    delta: p.num('dpDelta', { default: 1e-5, min: 0, minExclusive: true, max: 1, maxExclusive: true }),
    ...(p.bool('dpAdaptiveClip', false) ? { adaptive: readAdaptive(p, z) } : {}),
  };
  const seed = p.num('dpSeed', { min: 0, max: 0xffffffff, integer: true });
  return new CentralDp(seed === undefined ? params : { ...params, seed });
}

function readAdaptive(p: Params, z: number): NonNullable<DpParams['adaptive']> {
  const countNoiseStd = p.num('dpCountNoiseStd', { default: z, min: 0, minExclusive: true });
  if (!(2 * countNoiseStd > z))
    throw fieldError(
      'dpCountNoiseStd',
      `must exceed dpNoiseMultiplier / 2 = ${z / 2} (Andrew et al. 2021, Thm. 1)`,
    );
  return {
    targetQuantile: p.num('dpTargetQuantile', { default: 0.5, min: 0, max: 1 }),
    learningRate: p.num('dpClipLearningRate', { default: 0.2, min: 0, minExclusive: true }),
    countNoiseStd,
  };
}

/** Every parameter any strategy reads (for docs and the CRD). */
export const COMMON_PARAMETERS = ['normBound', 'normBoundMode', ...DP_FIELDS];
