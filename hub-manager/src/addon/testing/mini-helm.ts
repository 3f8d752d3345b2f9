/**
 * A test double of `helm template` for the subset of Go templates the chart uses: value
 * references (.Values/.Release/.Chart), `if`/`else`/`end`, `define`/`include`, and the
 * functions `toYaml`, `nindent`, `quote`. Anything else throws, so a template that grows past
 * this subset fails its test instead of rendering wrongly. Real helm runs in the real tier.
 */
import { stringify } from 'yaml';

type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; expr: string }
  | { t: 'if'; expr: string; then: Node[]; else: Node[] };

export interface HelmContext {
  Values: unknown;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;

/** Split into text and actions, applying `{{-` / `-}}` whitespace trimming. */
function lex(src: string): { kind: 'text' | 'action'; s: string }[] {
  const out: { kind: 'text' | 'action'; s: string }[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of src.matchAll(ACTION)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    out.push({ kind: 'text', s: text });
    out.push({ kind: 'action', s: m[2]! });
    trimNext = m[3] === '-';
    last = m.index + m[0].length;
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  out.push({ kind: 'text', s: tail });
  return out;
}

function parse(src: string, defines: Map<string, Node[]>): Node[] {
  const toks = lex(src).filter((t) => !(t.kind === 'action' && t.s.startsWith('/*')));
  let i = 0;
  const block = (stopAt: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (i < toks.length) {
      const tok = toks[i++]!;
      if (tok.kind === 'text') {
        if (tok.s) nodes.push({ t: 'text', s: tok.s });
        continue;
      }
      const word = tok.s.split(/\s+/)[0]!;
      if (stopAt.includes(word)) return { nodes, stop: word };
      if (word === 'if') {
        const expr = tok.s.slice(2).trim();
        const a = block(['else', 'end']);
        const b = a.stop === 'else' ? block(['end']).nodes : [];
        nodes.push({ t: 'if', expr, then: a.nodes, else: b });
      } else if (word === 'define') {
        const name = /^define\s+"([^"]+)"$/.exec(tok.s)?.[1];
        if (!name) throw new Error(`bad define: ${tok.s}`);
        defines.set(name, block(['end']).nodes);
      } else if (['range', 'with', 'else', 'end'].includes(word)) {
        throw new Error(`unsupported action "${tok.s}" (mini-helm)`);
      } else {
        nodes.push({ t: 'out', expr: tok.s });
      }
    }
    if (stopAt.length) throw new Error(`missing {{ ${stopAt.join(' / ')} }}`);
    return { nodes, stop: '' };
  };
  return block([]).nodes;
}

function lookup(ctx: HelmContext, path: string): unknown {
  if (path === '.') return ctx;
  let v: unknown = ctx;
  for (const k of path.slice(1).split('.'))
    v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return !!v;
}

interface Env {
  ctx: HelmContext;
  defines: Map<string, Node[]>;
}

function term(env: Env, s: string): unknown {
  const parts = s.match(/"[^"]*"|\S+/g) ?? [];
  const [head, ...args] = parts;
  if (head === undefined) throw new Error('empty expression');
  if (head.startsWith('"')) return head.slice(1, -1);
  if (/^\d+$/.test(head)) return Number(head);
  if (head.startsWith('.')) return lookup(env.ctx, head);
  if (head === 'include') {
    const body = env.defines.get(args[0]!.slice(1, -1));
    if (!body) throw new Error(`include: no template ${args[0]}`);
    return evalNodes(env, body);
  }
  if (head === 'toYaml') return stringify(term(env, args.join(' '))).replace(/\n$/, '');
  throw new Error(`unsupported function "${head}" (mini-helm)`);
}

function pipeline(env: Env, expr: string): unknown {
  const [first, ...rest] = expr.split('|').map((p) => p.trim());
  let v = term(env, first!);
  for (const fn of rest) {
    const [name, arg] = fn.split(/\s+/);
    if (name === 'quote') v = JSON.stringify(String(v ?? ''));
    else if (name === 'nindent') {
      const pad = ' '.repeat(Number(arg));
      v = `\n${String(v)
        .split('\n')
        .map((l) => (l ? pad + l : l))
        .join('\n')}`;
    } else throw new Error(`unsupported pipe "${fn}" (mini-helm)`);
  }
  return v;
}

function evalNodes(env: Env, nodes: Node[]): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.s;
    else if (n.t === 'out') {
      const v = pipeline(env, n.expr);
      out += v === undefined || v === null ? '' : String(v);
    } else out += evalNodes(env, truthy(pipeline(env, n.expr)) ? n.then : n.else);
  }
  return out;
}

/** Render templates (name → source); files starting with `_` only contribute defines. */
export function renderChart(templates: Record<string, string>, ctx: HelmContext): Record<string, string> {
  const defines = new Map<string, Node[]>();
  const parsed = Object.entries(templates).map(([name, src]) => [name, parse(src, defines)] as const);
  const out: Record<string, string> = {};
  for (const [name, nodes] of parsed)
    if (!name.startsWith('_')) out[name] = evalNodes({ ctx, defines }, nodes);
  return out;
}
