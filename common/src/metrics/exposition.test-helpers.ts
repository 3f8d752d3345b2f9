/**
 * Scrape a `/metrics` URL and parse it with the Prometheus project's own exposition-format
 * parser (python3-prometheus-client's `text_string_to_metric_families`, installed by
 * e2e/scripts/system-deps.sh), so a test checks the text Prometheus would read, not
 * prom-client's idea of it. (The npm text parsers merge labelled histogram series.)
 */
import { expect } from '@jest/globals';
import { execFile } from 'node:child_process';

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  /** The name as exposed: counters with their `_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  /** One per series: plain samples, or the `_count` of a histogram/summary (labels without le/quantile). */
  readonly metrics: readonly Sample[];
}

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

/** Parse exposition text; throws (with the parser's message) when Prometheus could not read it. */
export function parseExposition(text: string): Promise<Family[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      '/usr/bin/python3',
      ['-c', PARSE],
      { maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`exposition text did not parse: ${stderr || err.message}`));
        let raw: {
          name: string;
          type: string;
          help: string;
          samples: { name: string; labels: Record<string, string>; value: number | string }[];
        }[];
        try {
          raw = JSON.parse(stdout) as typeof raw;
        } catch (e) {
          return reject(e as Error);
        }
        resolve(
          raw.map((f) => {
            const histo = f.type === 'histogram' || f.type === 'summary';
            const samples = histo ? f.samples.filter((s) => s.name === `${f.name}_count`) : f.samples;
            return {
              name: f.type === 'counter' ? `${f.name}_total` : f.name,
              help: f.help,
              type: f.type.toUpperCase() as Family['type'],
              metrics: samples.map((s) => ({ labels: s.labels, value: Number(s.value) })),
            };
          }),
        );
      },
    );
    child.stdin?.end(text);
  });
}

export async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = await parseExposition(await res.text());
  return new Map(families.map((f) => [f.name, f]));
}

/** The family, asserting it exists with this type and every series carries exactly `labels`. */
export function family(
  m: Map<string, Family>,
  name: string,
  type: Family['type'],
  labels: string[] = [],
): Family {
  const f = m.get(name);
  if (!f) throw new Error(`metric ${name} missing; have ${[...m.keys()].join(', ')}`);
  expect(f.type).toBe(type);
  expect(f.help.length).toBeGreaterThan(0);
  for (const s of f.metrics) expect(Object.keys(s.labels).sort()).toEqual([...labels].sort());
  return f;
}

/** The value (a histogram's count) of the series whose labels include `match`. */
export function sample(f: Family, match: Record<string, string> = {}): number | undefined {
  return f.metrics.find((x) => Object.entries(match).every(([k, v]) => x.labels[k] === v))?.value;
}

/** Prometheus naming: counters end in _total; units are base units with their suffix. */
export function expectConventionalNames(m: Map<string, Family>, prefix: string): void {
  for (const f of m.values()) {
    if (!f.name.startsWith(prefix)) continue;
    expect(f.name).toMatch(/^[a-z_][a-z0-9_]*$/);
    if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
    expect(f.name).not.toMatch(/_(ms|milliseconds|kb|mb|mib|minutes|hours)(_|$)/);
  }
}
