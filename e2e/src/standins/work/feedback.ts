/**
 * Status feedback as the OCM work agent computes it (pkg/work/spoke/statusfeedback): per rule,
 * JSONPaths or the well-known paths of the object's kind, each value typed Integer, String,
 * Boolean or JsonRaw (everything else, JSON-encoded, at most 1024 bytes; the agent's
 * RawFeedbackJsonString gate is taken as enabled, so several matches become a JSON list).
 */
import type { FeedbackRule, FieldValue } from '@ocm-fl/common/api/ocm.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { evalJsonPath, JsonPathError } from './jsonpath.js';

export const MAX_JSON_RAW_LENGTH = 1024;

export interface FeedbackValue {
  name: string;
  fieldValue: FieldValue;
}

const WELL_KNOWN: Record<string, { name: string; path: string }[]> = {
  'apps/v1/Deployment': [
    { name: 'ReadyReplicas', path: '.status.readyReplicas' },
    { name: 'Replicas', path: '.status.replicas' },
    { name: 'AvailableReplicas', path: '.status.availableReplicas' },
  ],
  'apps/v1/DaemonSet': [
    { name: 'NumberReady', path: '.status.numberReady' },
    { name: 'DesiredNumberScheduled', path: '.status.desiredNumberScheduled' },
    { name: 'NumberAvailable', path: '.status.numberAvailable' },
  ],
  'batch/v1/Job': [
    { name: 'JobComplete', path: '.status.conditions[?(@.type=="Complete")].status' },
    { name: 'JobSucceeded', path: '.status.succeeded' },
  ],
  'v1/Pod': [
    { name: 'PodReady', path: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'PodPhase', path: '.status.phase' },
  ],
};

/** The typed value of one path, undefined when the path selects nothing. Throws on bad input. */
export function fieldValueAt(obj: unknown, name: string, path: string): FieldValue | undefined {
  let results: unknown[];
  try {
    results = evalJsonPath(obj, path);
  } catch (e) {
    throw new Error(
      `failed to parse json path ${path} of ${name} with error: ${(e as JsonPathError).message}`,
      { cause: e },
    );
  }
  if (results.length === 0) return undefined;
  const value = results.length === 1 ? results[0] : results;
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return { type: 'Integer', integer: value };
  if (typeof value === 'string') return { type: 'String', string: value };
  if (typeof value === 'boolean') return { type: 'Boolean', boolean: value };
  const raw = JSON.stringify(value);
  if (raw.length > MAX_JSON_RAW_LENGTH) {
    throw new Error(
      `the length of returned json raw string for name ${name} is larger than the maximum length ${MAX_JSON_RAW_LENGTH}`,
    );
  }
  return { type: 'JsonRaw', jsonRaw: raw };
}

/** Values for all rules, plus the errors met (a value that fails is left out, as upstream). */
export function feedbackValues(
  obj: KubeObject,
  rules: readonly FeedbackRule[],
): { values: FeedbackValue[]; errors: string[] } {
  const values: FeedbackValue[] = [];
  const errors: string[] = [];
  const version = obj.apiVersion.split('/').pop() ?? '';
  for (const rule of rules) {
    let paths: { name: string; path: string; version?: string }[];
    if (rule.type === 'WellKnownStatus') {
      paths = WELL_KNOWN[`${obj.apiVersion}/${obj.kind}`] ?? [];
      if (paths.length === 0) {
        errors.push(
          `cannot find the wellknown statuses for resource with gvk ${obj.apiVersion}, Kind=${obj.kind}`,
        );
        continue;
      }
    } else paths = rule.jsonPaths ?? [];
    for (const p of paths) {
      if (p.version && p.version !== version) {
        errors.push(`version set in the path ${p.name} is not matched for the related resource`);
        continue;
      }
      try {
        const v = fieldValueAt(obj, p.name, p.path);
        if (v) values.push({ name: p.name, fieldValue: v });
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  }
  return { values, errors };
}
