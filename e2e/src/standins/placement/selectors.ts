/** Label selectors and resource quantities, as the placement scheduler evaluates them. */
import type { LabelSelector } from '@ocm-fl/common/api/ocm.js';

export type MatchExpression = NonNullable<LabelSelector['matchExpressions']>[number];

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Why a selector is invalid, or undefined when it is fine. */
export function selectorProblem(sel: LabelSelector | undefined): string | undefined {
  for (const e of sel?.matchExpressions ?? []) {
    if (!OPERATORS.has(e.operator)) return `"${e.operator}" is not a valid label selector operator`;
    if ((e.operator === 'In' || e.operator === 'NotIn') && (e.values ?? []).length === 0) {
      return `values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`;
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length > 0) {
      return `values: Invalid value: ${JSON.stringify(e.values)}: values set must be empty for exists and does not exist`;
    }
  }
  return undefined;
}

export function matchesExpression(labels: Readonly<Record<string, string>>, e: MatchExpression): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const value = labels[e.key];
  switch (e.operator) {
    case 'In':
      return has && (e.values ?? []).includes(value ?? '');
    case 'NotIn':
      return !has || !(e.values ?? []).includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** An empty or absent selector matches everything. */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  sel: LabelSelector | undefined,
): boolean {
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel?.matchExpressions ?? []).every((e) => matchesExpression(labels, e));
}

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500m", "8Gi", 4) as a number; undefined when unparsable. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([KMGTPE]i|[mkMGTPE])?$/.exec(q.trim());
  if (!m) return undefined;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}
