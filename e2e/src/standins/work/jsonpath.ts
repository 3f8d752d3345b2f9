/**
 * The subset of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that feedback rules use:
 * `.a.b`, `['a.b']`, `[n]`, `[-n]`, `[*]`, `.*`, and filters `[?(@.x.y=="v")]` with == / !=
 * against strings, numbers and booleans. Missing keys select nothing (AllowMissingKeys).
 */
export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

const TOKEN =
  /^(?:\.([A-Za-z0-9_-]+)|\.\*|\[(-?\d+)\]|\[\*\]|\[['"]([^'"]+)['"]\]|\[\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*("[^"]*"|'[^']*'|-?\d+(?:\.\d+)?|true|false)\)\])/;

function literal(s: string): unknown {
  if (s.startsWith('"') || s.startsWith("'")) return s.slice(1, -1);
  if (s === 'true' || s === 'false') return s === 'true';
  return Number(s);
}

/** Parse a path such as `.status.conditions[?(@.type=="Ready")].status` (braces optional). */
export function parseJsonPath(path: string): Step[] {
  let rest = path.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1).trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  if (rest === '' || rest === '.') return [];
  const steps: Step[] = [];
  while (rest.length > 0) {
    const m = TOKEN.exec(rest);
    if (!m) throw new JsonPathError(`unsupported JSONPath syntax at "${rest}" in "${path}"`);
    const [all, field, index, quoted, fpath, op, value] = m;
    if (field !== undefined) steps.push({ kind: 'field', name: field });
    else if (quoted !== undefined) steps.push({ kind: 'field', name: quoted });
    else if (index !== undefined) steps.push({ kind: 'index', index: Number(index) });
    else if (fpath !== undefined) {
      steps.push({
        kind: 'filter',
        path: fpath.slice(1).split('.'),
        op: op as '==' | '!=',
        value: literal(value ?? ''),
      });
    } else steps.push({ kind: 'all' });
    rest = rest.slice(all.length);
  }
  return steps;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function dig(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

function apply(step: Step, v: unknown): unknown[] {
  switch (step.kind) {
    case 'field':
      return isObject(v) && v[step.name] !== undefined ? [v[step.name]] : [];
    case 'index': {
      if (!Array.isArray(v)) return [];
      const i = step.index < 0 ? v.length + step.index : step.index;
      return i >= 0 && i < v.length ? [v[i]] : [];
    }
    case 'all':
      return Array.isArray(v) ? [...(v as unknown[])] : isObject(v) ? Object.values(v) : [];
    case 'filter': {
      if (!Array.isArray(v)) return [];
      return v.filter((x) => {
        const got = dig(x, step.path);
        if (got === undefined) return false;
        return (got === step.value) === (step.op === '==');
      });
    }
  }
}

/** Every value the path selects from `obj`, in document order; [] when nothing matches. */
export function evalJsonPath(obj: unknown, path: string | readonly Step[]): unknown[] {
  const steps = typeof path === 'string' ? parseJsonPath(path) : path;
  let cur: unknown[] = [obj];
  for (const s of steps) cur = cur.flatMap((v) => apply(s, v));
  return cur;
}
