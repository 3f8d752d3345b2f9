import {
  decodeSafetensors,
  encodeSafetensors,
  type DType,
  type Tensor,
} from '@ocm-fl/common/model/safetensors.js';
import { PIXELS, type Examples } from './dataset.js';

/**
 * A 784-H-10 ReLU MLP in PyTorch's nn.Linear layout (weight [out, in]), stored as safetensors
 * tensors fc1.bias, fc1.weight, fc2.bias, fc2.weight in that (name) order: the order the Python
 * `safetensors` library writes too.
 */
export const CLASSES = 10;
export const MODEL_NAME = 'mnist-mlp';

export interface Mlp {
  readonly hidden: number;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export function mlpFromSafetensors(buf: Uint8Array): Mlp {
  const byName = new Map(decodeSafetensors(buf).tensors.map((t) => [t.name, t]));
  const get = (name: string): Tensor => {
    const t = byName.get(name);
    if (!t) throw new Error(`model has no tensor ${name}`);
    return t;
  };
  const w1 = get('fc1.weight');
  const hidden = w1.shape[0] ?? 0;
  const want: Record<string, number[]> = {
    'fc1.weight': [hidden, PIXELS],
    'fc1.bias': [hidden],
    'fc2.weight': [CLASSES, hidden],
    'fc2.bias': [CLASSES],
  };
  for (const [name, shape] of Object.entries(want)) {
    if (get(name).shape.join(',') !== shape.join(','))
      throw new Error(`tensor ${name} has shape [${get(name).shape}], want [${shape}]`);
  }
  return {
    hidden,
    w1: w1.values,
    b1: get('fc1.bias').values,
    w2: get('fc2.weight').values,
    b2: get('fc2.bias').values,
  };
}

export function mlpToSafetensors(
  m: Mlp,
  dtype: DType = 'F32',
  metadata: Record<string, string> = {},
): Buffer {
  return encodeSafetensors(
    [
      { name: 'fc1.bias', dtype, shape: [m.hidden], values: m.b1 },
      { name: 'fc1.weight', dtype, shape: [m.hidden, PIXELS], values: m.w1 },
      { name: 'fc2.bias', dtype, shape: [CLASSES], values: m.b2 },
      { name: 'fc2.weight', dtype, shape: [CLASSES, m.hidden], values: m.w2 },
    ],
    { model: MODEL_NAME, ...metadata },
  );
}

/** mulberry32: a tiny seeded PRNG, so initial models and shuffles are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform weights, zero biases. */
export function initMlp(seed: number, hidden = 64): Mlp {
  const rnd = prng(seed);
  const fill = (n: number, fanIn: number, fanOut: number): Float32Array => {
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * bound);
  };
  return {
    hidden,
    w1: fill(hidden * PIXELS, PIXELS, hidden),
    b1: new Float32Array(hidden),
    w2: fill(CLASSES * hidden, hidden, CLASSES),
    b2: new Float32Array(CLASSES),
  };
}

/** Forward pass for example k of x into `out.h` (post-ReLU) and `out.p` (softmax); returns its nonzero pixels. */
function forward(m: Mlp, x: Float32Array, k: number, out: { h: Float32Array; p: Float32Array }): Sparse {
  const { h, p } = out;
  const base = k * PIXELS;
  let n = 0;
  for (let j = 0; j < PIXELS; j++) {
    const v = x[base + j] as number;
    if (v !== 0) {
      NZ_IDX[n] = j;
      NZ_VAL[n++] = v;
    }
  }
  const w1 = m.w1;
  for (let u = 0; u < m.hidden; u++) {
    let s = m.b1[u] as number;
    const row = u * PIXELS;
    for (let q = 0; q < n; q++) s += (w1[row + (NZ_IDX[q] as number)] as number) * (NZ_VAL[q] as number);
    h[u] = s > 0 ? s : 0;
  }
  let max = -Infinity;
  for (let c = 0; c < CLASSES; c++) {
    let s = m.b2[c] as number;
    for (let u = 0; u < m.hidden; u++) s += (m.w2[c * m.hidden + u] as number) * (h[u] as number);
    p[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < CLASSES; c++) sum += p[c] = Math.exp((p[c] as number) - max);
  for (let c = 0; c < CLASSES; c++) p[c] = (p[c] as number) / sum;
  return { n, idx: NZ_IDX, val: NZ_VAL };
}

/** Nonzero pixels of the current example (about a fifth of them): the input layer skips the rest. */
interface Sparse {
  n: number;
  idx: Int32Array;
  val: Float32Array;
}
const NZ_IDX = new Int32Array(PIXELS);
const NZ_VAL = new Float32Array(PIXELS);

export function predictAll(m: Mlp, data: Examples): Uint8Array {
  const h = new Float32Array(m.hidden);
  const p = new Float32Array(CLASSES);
  const out = new Uint8Array(data.count);
  for (let k = 0; k < data.count; k++) {
    forward(m, data.x, k, { h, p });
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    out[k] = best;
  }
  return out;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  /**
   * FedProx μ (Li et al. 2020): minimise loss + μ/2 · ‖w − w_start‖², w_start being the model the
   * round started from (the global model). 0 or absent: plain SGD.
   */
  readonly proximalMu?: number;
  readonly onEpoch?: (epoch: number) => void;
}

/** Minibatch SGD on cross-entropy, in place; returns the last epoch's mean loss and accuracy. */
export function train(m: Mlp, data: Examples, opts: TrainOptions): { loss: number; accuracy: number } {
  const rnd = prng(opts.seed);
  const order = Array.from({ length: data.count }, (_, i) => i);
  const h = new Float32Array(m.hidden);
  const p = new Float32Array(CLASSES);
  const dh = new Float32Array(m.hidden);
  const g = {
    w1: new Float32Array(m.w1.length),
    b1: new Float32Array(m.hidden),
    w2: new Float32Array(m.w2.length),
    b2: new Float32Array(CLASSES),
  };
  const mu = opts.proximalMu ?? 0;
  const anchor =
    mu > 0 ? { w1: m.w1.slice(), b1: m.b1.slice(), w2: m.w2.slice(), b2: m.b2.slice() } : undefined;
  let loss = 0;
  let correct = 0;
  for (let e = 0; e < opts.epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    loss = 0;
    correct = 0;
    for (let start = 0; start < order.length; start += opts.batchSize) {
      const batch = order.slice(start, start + opts.batchSize);
      g.w1.fill(0);
      g.b1.fill(0);
      g.w2.fill(0);
      g.b2.fill(0);
      for (const k of batch) {
        const nz = forward(m, data.x, k, { h, p });
        const y = data.y[k] as number;
        loss -= Math.log(Math.max(p[y] as number, 1e-12));
        let best = 0;
        for (let c = 1; c < CLASSES; c++) if ((p[c] as number) > (p[best] as number)) best = c;
        if (best === y) correct++;
        backward(m, { x: data.x, k, h, p, dh, y, nz }, g);
      }
      const step = opts.lr / batch.length;
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const)
        sgdStep(m[key], g[key], step, anchor && { w0: anchor[key], lrMu: opts.lr * mu });
    }
    opts.onEpoch?.(e + 1);
  }
  return { loss: loss / Math.max(1, data.count), accuracy: correct / Math.max(1, data.count) };
}

/**
 * w ← w − step·g (g summed over the batch, step = lr / batch size), plus the FedProx pull
 * − lr·μ·(w − w0): the gradient of μ/2·‖w − w0‖² taken at the same point as g.
 */
export function sgdStep(
  w: Float32Array,
  g: Float32Array,
  step: number,
  prox?: { readonly w0: Float32Array; readonly lrMu: number },
): void {
  if (!prox) {
    for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - step * (g[i] as number);
    return;
  }
  const { w0, lrMu } = prox;
  for (let i = 0; i < w.length; i++) {
    const x = w[i] as number;
    w[i] = x - step * (g[i] as number) - lrMu * (x - (w0[i] as number));
  }
}

interface Activations {
  x: Float32Array;
  k: number;
  h: Float32Array;
  p: Float32Array;
  dh: Float32Array;
  y: number;
  nz: Sparse;
}

function backward(
  m: Mlp,
  a: Activations,
  g: { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array },
): void {
  a.dh.fill(0);
  for (let c = 0; c < CLASSES; c++) {
    const d = (a.p[c] as number) - (c === a.y ? 1 : 0);
    g.b2[c] = (g.b2[c] as number) + d;
    for (let u = 0; u < m.hidden; u++) {
      g.w2[c * m.hidden + u] = (g.w2[c * m.hidden + u] as number) + d * (a.h[u] as number);
      a.dh[u] = (a.dh[u] as number) + d * (m.w2[c * m.hidden + u] as number);
    }
  }
  for (let u = 0; u < m.hidden; u++) {
    if ((a.h[u] as number) <= 0) continue;
    const d = a.dh[u] as number;
    g.b1[u] = (g.b1[u] as number) + d;
    const row = u * PIXELS;
    const { n, idx, val } = a.nz;
    const gw1 = g.w1;
    for (let q = 0; q < n; q++)
      gw1[row + (idx[q] as number)] = (gw1[row + (idx[q] as number)] as number) + d * (val[q] as number);
  }
}
