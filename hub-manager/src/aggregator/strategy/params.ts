/**
 * Reads `spec.strategy.parameters` with one check per field, so a bad value fails at creation
 * with an error that names the field (`spec.strategy.parameters.beta: ...`). Unknown names are
 * refused too: a typo (`proximalMU`) must not silently fall back to a default.
 */
import { StrategyConfigError } from './types.js';

const PREFIX = 'spec.strategy.parameters';

interface NumberRule {
  readonly default?: number;
  /** Inclusive lower bound unless `minExclusive`. */
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  readonly integer?: boolean;
}

export class Params {
  private readonly used = new Set<string>();

  constructor(private readonly raw: Readonly<Record<string, unknown>>) {}

  private take(name: string): unknown {
    this.used.add(name);
    return this.raw[name];
  }

  /** A number (numeric strings too: rendered configs may carry strings) within the rule's range. */
  num(name: string, rule: NumberRule): number;
  num(name: string, rule: NumberRule & { default?: undefined }): number | undefined;
  num(name: string, rule: NumberRule): number | undefined {
    const v = this.take(name);
    if (v === undefined) return rule.default;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw fieldError(name, `must be a finite number, got ${show(v)}`);
    if (rule.integer && !Number.isSafeInteger(n))
      throw fieldError(name, `must be an integer, got ${show(v)}`);
    const lowOk = rule.min === undefined || (rule.minExclusive ? n > rule.min : n >= rule.min);
    const highOk = rule.max === undefined || (rule.maxExclusive ? n < rule.max : n <= rule.max);
    if (!lowOk || !highOk) throw fieldError(name, `must be in ${range(rule)}, got ${show(v)}`);
    return n;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.take(name);
    if (v === undefined) return dflt;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw fieldError(name, `must be true or false, got ${show(v)}`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
    const v = this.take(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      throw fieldError(name, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  /** After every field was read: refuse names no reader asked for. */
  rejectUnknown(strategy: string): void {
    const unknown = Object.keys(this.raw).filter((k) => !this.used.has(k));
    if (unknown.length > 0)
      throw fieldError(
        unknown[0] as string,
        `unknown parameter for ${strategy} (known: ${[...this.used].sort().join(', ')})`,
      );
  }
}

export function fieldError(name: string, message: string): StrategyConfigError {
  return new StrategyConfigError(`${PREFIX}.${name}`, message);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function range(r: NumberRule): string {
  const lo = r.min === undefined ? '(-inf' : `${r.minExclusive ? '(' : '['}${r.min}`;
  const hi = r.max === undefined ? 'inf)' : `${r.max}${r.maxExclusive ? ')' : ']'}`;
  return `${lo}, ${hi}`;
}
