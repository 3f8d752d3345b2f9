import { HttpError, isPlainObject } from './http-util.js';
import type { TrainerProgress } from './types.js';

export const MAX_METRICS = 64;
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,62}$/;

/** `PUT /metrics` body: a flat object of up to 64 finite numbers. Pure; throws 400 with the reason. */
export function parseMetrics(body: unknown): Record<string, number> {
  if (!isPlainObject(body)) throw new HttpError(400, 'metrics must be a JSON object of numbers');
  const entries = Object.entries(body);
  if (entries.length > MAX_METRICS) throw new HttpError(400, `at most ${MAX_METRICS} metrics`);
  const out: Record<string, number> = {};
  for (const [k, v] of entries) {
    if (!METRIC_NAME.test(k))
      throw new HttpError(400, `metric name ${JSON.stringify(k.slice(0, 80))} is not allowed`);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new HttpError(400, `metric ${k} must be a finite number`);
    out[k] = v;
  }
  return out;
}

/** `POST /progress` body: `{fraction?: 0..1, epoch?: int >= 0, message?: string}`. */
export function parseProgress(body: unknown): TrainerProgress {
  if (!isPlainObject(body)) throw new HttpError(400, 'progress must be a JSON object');
  const { fraction, epoch, message } = body;
  if (fraction !== undefined && (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)))
    throw new HttpError(400, 'fraction must be a number in [0, 1]');
  if (epoch !== undefined && (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0))
    throw new HttpError(400, 'epoch must be a non-negative integer');
  if (message !== undefined && typeof message !== 'string')
    throw new HttpError(400, 'message must be a string');
  return {
    ...(fraction !== undefined ? { fraction } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    ...(message !== undefined ? { message: message.slice(0, 1024) } : {}),
  };
}

/** `POST /fail` body: `{reason: string}`; the reason is cut to 4 KiB. */
export function parseFailure(body: unknown): string {
  if (!isPlainObject(body) || typeof body.reason !== 'string' || body.reason.trim() === '')
    throw new HttpError(400, 'fail needs {"reason": "<non-empty string>"}');
  return body.reason.slice(0, 4096);
}

/** `X-FL-Examples` header: a positive integer (the FedAvg weight of this update). */
export function parseExamples(header: string | string[] | undefined): number {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined) throw new HttpError(400, 'missing X-FL-Examples header (number of training examples)');
  if (!/^[0-9]{1,10}$/.test(v.trim()) || Number(v) < 1 || Number(v) > 2 ** 31 - 1)
    throw new HttpError(
      400,
      `X-FL-Examples must be a positive integer, got ${JSON.stringify(v.slice(0, 40))}`,
    );
  return Number(v);
}
