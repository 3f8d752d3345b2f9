/**
 * Pure placement scheduling after OCM's placement controller (pkg/placement): eligible cluster
 * sets from the bindings in the placement's namespace, set membership, predicates (ORed;
 * label and claim selectors), taints vs tolerations, prioritizers (Balance, Steady,
 * ResourceAllocatableCPU/Memory, AddOn scores; Additive or Exact mode) and numberOfClusters.
 * Conditions use upstream's reasons.
 */
import type { Condition } from '@ocm-fl/common/api/meta.js';
import type { ManagedCluster, Placement, Toleration } from '@ocm-fl/common/api/ocm.js';
import { matchesSelector, parseQuantity, selectorProblem } from './selectors.js';
import type { ManagedClusterSet, PlacementTaint } from './types.js';

export const CLUSTER_SET_LABEL = 'cluster.open-cluster-management.io/clusterset';
const MAX_SCORE = 100;

export interface SelectionInput {
  placement: Placement;
  clusters: readonly ManagedCluster[];
  clusterSets: readonly ManagedClusterSet[];
  /** Names of the ManagedClusterSetBindings in the placement's namespace (name = set name). */
  bindings: readonly string[];
  /** Clusters this placement decided before (for Steady and NoSelectIfNew). */
  previousDecisions: readonly string[];
  /** How many other placements decided each cluster (for Balance). */
  otherDecisionCounts?: ReadonlyMap<string, number>;
  /** AddOnPlacementScore lookup for AddOn score coordinates. */
  addOnScore?: (cluster: string, resourceName: string, scoreName: string) => number | undefined;
  now?: Date;
}

export interface SelectionResult {
  /** Selected cluster names, sorted by name. */
  decisions: string[];
  scores: Record<string, number>;
  satisfied: Omit<Condition, 'lastTransitionTime'>;
  misconfigured: Omit<Condition, 'lastTransitionTime'>;
  /** Earliest time a toleration expires, when one is pending (re-run then). */
  requeueAt?: Date;
}

/** Members of a set: ExclusiveClusterSetLabel by label, LabelSelector by selector (empty = all). */
export function clustersInSet(set: ManagedClusterSet, clusters: readonly ManagedCluster[]): ManagedCluster[] {
  const sel = set.spec?.clusterSelector;
  if (sel?.selectorType === 'LabelSelector')
    return clusters.filter((c) => matchesSelector(c.metadata.labels ?? {}, sel.labelSelector));
  return clusters.filter((c) => c.metadata.labels?.[CLUSTER_SET_LABEL] === set.metadata.name);
}

export function eligibleClusterSets(
  placement: Placement,
  bindings: readonly string[],
  sets: readonly ManagedClusterSet[],
): string[] {
  const valid = new Set(bindings.filter((b) => sets.some((s) => s.metadata.name === b)));
  const wanted = placement.spec?.clusterSets ?? [];
  const names = wanted.length > 0 ? [...valid].filter((n) => wanted.includes(n)) : [...valid];
  return names.sort();
}

function claimsOf(c: ManagedCluster): Record<string, string> {
  return Object.fromEntries((c.status?.clusterClaims ?? []).map((x) => [x.name, x.value]));
}

function misconfiguration(placement: Placement): string | undefined {
  for (const p of placement.spec?.predicates ?? []) {
    const r = p.requiredClusterSelector;
    const bad = selectorProblem(r?.labelSelector) ?? selectorProblem(r?.claimSelector);
    if (bad) return `Predicate:${bad}`;
    if ((r?.celSelector?.celExpressions ?? []).length > 0)
      return 'Predicate:celSelector is not supported by the tier-1 placement stand-in';
  }
  for (const t of placement.spec?.tolerations ?? []) {
    if (!t.key && t.operator !== 'Exists')
      return 'TaintToleration:If the key is empty, operator must be Exists.';
    if (t.operator === 'Exists' && t.value)
      return 'TaintToleration:If the operator is Exists, the value should be empty.';
  }
  for (const c of prioritizerConfigs(placement)) {
    if (c.type === 'BuiltIn' && !BUILT_IN.has(c.builtIn ?? ''))
      return `Prioritizer:incorrect builtin prioritizer: ${c.builtIn}`;
  }
  return undefined;
}

function matchesPredicates(placement: Placement, c: ManagedCluster): boolean {
  const predicates = placement.spec?.predicates ?? [];
  if (predicates.length === 0) return true;
  const labels = c.metadata.labels ?? {};
  const claims = claimsOf(c);
  return predicates.some(
    (p) =>
      matchesSelector(labels, p.requiredClusterSelector?.labelSelector) &&
      matchesSelector(claims, p.requiredClusterSelector?.claimSelector),
  );
}

/** Whether every taint is tolerated; a pending tolerationSeconds yields its expiry. */
export function tolerates(
  taints: readonly PlacementTaint[],
  tolerations: readonly Toleration[],
  inDecision: boolean,
  now: Date,
): { ok: boolean; until?: Date } {
  let until: Date | undefined;
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSelect') continue;
    if (taint.effect === 'NoSelectIfNew' && inDecision) continue;
    let ok = false;
    for (const t of tolerations) {
      if (t.effect && (t.effect as string) !== taint.effect) continue;
      if (t.key && t.key !== taint.key) continue;
      const matched = t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
      if (!matched) continue;
      if (t.tolerationSeconds === undefined) {
        ok = true;
        break;
      }
      const added = taint.timeAdded ? new Date(taint.timeAdded) : now;
      const expires = new Date(added.getTime() + t.tolerationSeconds * 1000);
      if (now < expires) {
        ok = true;
        if (!until || expires < until) until = expires;
        break;
      }
    }
    if (!ok) return { ok: false };
  }
  return until ? { ok: true, until } : { ok: true };
}

interface ScoreCoordinate {
  type: 'BuiltIn' | 'AddOn';
  builtIn?: string;
  addOn?: { resourceName: string; scoreName: string };
}
interface PrioritizerConfig extends ScoreCoordinate {
  weight: number;
}

const BUILT_IN = new Set([
  'Balance',
  'Steady',
  'ResourceAllocatableCPU',
  'ResourceAllocatableMemory',
  'Spread',
]);

function prioritizerConfigs(placement: Placement): PrioritizerConfig[] {
  const raw = (placement.spec?.prioritizerPolicy?.configurations ?? []) as {
    scoreCoordinate?: ScoreCoordinate;
    weight?: number;
  }[];
  return raw
    .filter((c) => c.scoreCoordinate)
    .map((c) => ({ ...(c.scoreCoordinate as ScoreCoordinate), weight: c.weight ?? 1 }));
}

/** Additive mode starts from upstream's defaults (Balance 1, Steady 1); Exact uses only the listed ones. */
export function effectiveWeights(placement: Placement): Map<string, PrioritizerConfig> {
  const out = new Map<string, PrioritizerConfig>();
  if ((placement.spec?.prioritizerPolicy?.mode ?? 'Additive') !== 'Exact') {
    out.set('BuiltIn/Balance', { type: 'BuiltIn', builtIn: 'Balance', weight: 1 });
    out.set('BuiltIn/Steady', { type: 'BuiltIn', builtIn: 'Steady', weight: 1 });
  }
  for (const c of prioritizerConfigs(placement)) {
    const key =
      c.type === 'AddOn' ? `AddOn/${c.addOn?.resourceName}/${c.addOn?.scoreName}` : `BuiltIn/${c.builtIn}`;
    out.set(key, c);
  }
  return out;
}

function allocatableScores(clusters: readonly ManagedCluster[], resource: string): Record<string, number> {
  const values = new Map<string, number>();
  for (const c of clusters) {
    const v = parseQuantity(
      (c.status as { allocatable?: Record<string, string | number> } | undefined)?.allocatable?.[resource],
    );
    if (v !== undefined) values.set(c.metadata.name ?? '', v);
  }
  const all = [...values.values()];
  const min = Math.min(...all);
  const max = Math.max(...all);
  const out: Record<string, number> = {};
  for (const [name, v] of values)
    out[name] = max === min ? MAX_SCORE : Math.trunc(((v - min) / (max - min) - 0.5) * 2 * MAX_SCORE);
  return out;
}

function prioritizerScores(
  cfg: PrioritizerConfig,
  clusters: readonly ManagedCluster[],
  input: SelectionInput,
): Record<string, number> {
  const names = clusters.map((c) => c.metadata.name ?? '');
  if (cfg.type === 'AddOn') {
    const { resourceName = '', scoreName = '' } = cfg.addOn ?? {};
    return Object.fromEntries(names.map((n) => [n, input.addOnScore?.(n, resourceName, scoreName) ?? 0]));
  }
  switch (cfg.builtIn) {
    case 'Steady':
      return Object.fromEntries(names.map((n) => [n, input.previousDecisions.includes(n) ? MAX_SCORE : 0]));
    case 'Balance': {
      const counts = input.otherDecisionCounts ?? new Map<string, number>();
      const maxCount = Math.max(0, ...counts.values());
      return Object.fromEntries(
        names.map((n) => {
          const count = counts.get(n);
          return [n, count ? 2 * Math.trunc(MAX_SCORE * (0.5 - count / maxCount)) : MAX_SCORE];
        }),
      );
    }
    case 'ResourceAllocatableCPU':
      return allocatableScores(clusters, 'cpu');
    case 'ResourceAllocatableMemory':
      return allocatableScores(clusters, 'memory');
    default:
      return {};
  }
}

const cond = (
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
): Omit<Condition, 'lastTransitionTime'> => ({
  type,
  status,
  reason,
  message,
});

function satisfiedCondition(
  input: SelectionInput,
  sets: string[],
  available: number,
  feasible: number,
  unscheduled: number,
): Omit<Condition, 'lastTransitionTime'> {
  const T = 'PlacementSatisfied';
  const validBindings = input.bindings.filter((b) => input.clusterSets.some((s) => s.metadata.name === b));
  if (validBindings.length === 0)
    return cond(
      T,
      'False',
      'NoManagedClusterSetBindings',
      'No valid ManagedClusterSetBindings found in placement namespace',
    );
  if (sets.length === 0) {
    const spec = (input.placement.spec?.clusterSets ?? []).join(',');
    return cond(
      T,
      'False',
      'NoIntersection',
      `None of ManagedClusterSets [${spec}] is bound to placement namespace`,
    );
  }
  if (available === 0)
    return cond(
      T,
      'False',
      'AllManagedClusterSetsEmpty',
      `All ManagedClusterSets [${sets.join(',')}] have no member ManagedCluster`,
    );
  if (feasible === 0)
    return cond(
      T,
      'False',
      'NoManagedClusterMatched',
      'No ManagedCluster matches any of the cluster predicate',
    );
  if (unscheduled <= 0) return cond(T, 'True', 'AllDecisionsScheduled', 'All cluster decisions scheduled');
  return cond(T, 'False', 'NotAllDecisionsScheduled', `${unscheduled} cluster decisions unscheduled`);
}

export function selectClusters(input: SelectionInput): SelectionResult {
  const { placement } = input;
  const now = input.now ?? new Date();
  const sets = eligibleClusterSets(placement, input.bindings, input.clusterSets);
  const byName = new Map<string, ManagedCluster>();
  for (const s of input.clusterSets.filter((x) => sets.includes(x.metadata.name ?? ''))) {
    for (const c of clustersInSet(s, input.clusters)) byName.set(c.metadata.name ?? '', c);
  }
  const available = [...byName.values()];
  const problem = misconfiguration(placement);
  const misconfigured = problem
    ? cond('PlacementMisconfigured', 'True', 'Misconfigured', problem)
    : cond('PlacementMisconfigured', 'False', 'Succeedconfigured', 'Placement configurations check pass');

  let requeueAt: Date | undefined;
  const feasible = problem
    ? []
    : available.filter((c) => {
        if (!matchesPredicates(placement, c)) return false;
        const t = tolerates(
          (c.spec?.taints ?? []) as PlacementTaint[],
          placement.spec?.tolerations ?? [],
          input.previousDecisions.includes(c.metadata.name ?? ''),
          now,
        );
        if (t.until && (!requeueAt || t.until < requeueAt)) requeueAt = t.until;
        return t.ok;
      });

  const scores: Record<string, number> = Object.fromEntries(feasible.map((c) => [c.metadata.name ?? '', 0]));
  for (const cfg of effectiveWeights(placement).values()) {
    const s = prioritizerScores(cfg, feasible, input);
    for (const [name, v] of Object.entries(s)) scores[name] = (scores[name] ?? 0) + v * cfg.weight;
  }
  const ranked = feasible
    .map((c) => c.metadata.name ?? '')
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a.localeCompare(b));
  const n = placement.spec?.numberOfClusters;
  const chosen = n === undefined ? ranked : ranked.slice(0, n);
  const unscheduled = n === undefined ? 0 : n - chosen.length;
  return {
    decisions: [...chosen].sort(),
    scores,
    satisfied: satisfiedCondition(input, sets, available.length, feasible.length, unscheduled),
    misconfigured,
    ...(requeueAt ? { requeueAt } : {}),
  };
}
