/** The JSONPath subset used by CRD printer columns: `.a.b`, `[0]`, `[*]` and `[?(@.type=="Ready")]` filters. */

type Step = { field: string } | { index: number } | { all: true } | { filterPath: string[]; value: string };

function parse(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[\*\]|\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]/g;
  const body = path.replace(/^\{|\}$/g, '').replace(/^\$/, '');
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    if (m[1] !== undefined) steps.push({ field: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ filterPath: m[3].split('.'), value: m[4] ?? '' });
    else steps.push({ all: true });
  }
  return steps;
}

function get(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/** All values the path selects (empty when nothing matches). */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of parse(path)) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('field' in s) {
        if (
          v &&
          typeof v === 'object' &&
          !Array.isArray(v) &&
          (v as Record<string, unknown>)[s.field] !== undefined
        )
          next.push((v as Record<string, unknown>)[s.field]);
      } else if ('index' in s) {
        if (Array.isArray(v) && s.index < v.length) next.push(v[s.index]);
      } else if ('all' in s) {
        if (Array.isArray(v)) next.push(...(v as unknown[]));
      } else if (Array.isArray(v)) {
        next.push(...v.filter((x) => String(get(x, s.filterPath)) === s.value));
      }
    }
    cur = next;
  }
  return cur;
}
