import { heldOutSet, loadDigits, type Examples } from './dataset.js';
import { CLASSES, mlpFromSafetensors, predictAll } from './mlp.js';

export interface Evaluation {
  readonly accuracy: number;
  /** Accuracy per digit 0..9. */
  readonly perClassAccuracy: number[];
  readonly examples: number;
}

let heldOut: Examples | undefined;

/**
 * Accuracy of a model (safetensors bytes, the mnist-mlp layout) on the held-out digits no
 * cluster trains on. For the hub side and tests; deterministic.
 */
export function evaluate(
  model: Uint8Array,
  data: Examples = (heldOut ??= heldOutSet(loadDigits())),
): Evaluation {
  const pred = predictAll(mlpFromSafetensors(model), data);
  const right = new Array<number>(CLASSES).fill(0);
  const total = new Array<number>(CLASSES).fill(0);
  for (let k = 0; k < data.count; k++) {
    const y = data.y[k] as number;
    total[y] = (total[y] as number) + 1;
    if (pred[k] === y) right[y] = (right[y] as number) + 1;
  }
  const sum = right.reduce((a, b) => a + b, 0);
  return {
    accuracy: sum / Math.max(1, data.count),
    perClassAccuracy: right.map((r, c) => r / Math.max(1, total[c] as number)),
    examples: data.count,
  };
}
