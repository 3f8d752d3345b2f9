/**
 * One Prometheus registry per process (prom-client), with Node's default process metrics, and
 * the `/metrics` answer every component's HTTP endpoint gives. Components register their own
 * instruments on the registry they are handed, so tests can run several in one process.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A fresh registry with the default process metrics (CPU, memory, event loop, GC). */
export function newMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Content type and body of a scrape; the body is built from the registry at call time. */
export async function exposition(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** Buckets for steps that take from a few milliseconds to tens of minutes (rounds, training). */
export const STEP_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
