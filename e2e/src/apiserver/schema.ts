/** Structural OpenAPI v3 schemas of CRDs: defaulting, pruning of unknown fields, and validation. */
import type { StatusCause } from './errors.js';
import type { JsonSchema } from './types.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Fill `default`s (objects first, then their properties) like the apiserver does on write. */
export function applyDefaults(value: unknown, schema: JsonSchema | undefined): unknown {
  if (!schema) return value;
  if (isObj(value)) {
    for (const [k, ps] of Object.entries(schema.properties ?? {})) {
      if (value[k] === undefined && ps.default !== undefined) value[k] = structuredClone(ps.default);
      if (value[k] !== undefined) value[k] = applyDefaults(value[k], ps);
    }
    if (isObj(schema.additionalProperties)) {
      const ap = schema.additionalProperties;
      for (const k of Object.keys(value)) if (!schema.properties?.[k]) value[k] = applyDefaults(value[k], ap);
    }
  } else if (Array.isArray(value) && schema.items) {
    return value.map((x) => applyDefaults(x, schema.items));
  }
  return value;
}

/** Drop fields the schema does not know, unless x-kubernetes-preserve-unknown-fields. Returns pruned paths. */
export function prune(value: unknown, schema: JsonSchema | undefined, path: string, pruned: string[]): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return;
  if (isObj(value)) {
    const props = schema.properties ?? {};
    const ap = schema.additionalProperties;
    for (const k of Object.keys(value)) {
      const child = path ? `${path}.${k}` : k;
      if (props[k]) prune(value[k], props[k], child, pruned);
      else if (isObj(ap)) prune(value[k], ap, child, pruned);
      else if (ap !== true && !schema['x-kubernetes-embedded-resource']) {
        delete value[k];
        pruned.push(child);
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((x, i) => prune(x, schema.items, `${path}[${i}]`, pruned));
  }
}

function checkType(value: unknown, s: JsonSchema, path: string, out: StatusCause[]): boolean {
  if (value === null) {
    if (s.nullable) return false;
    out.push({
      reason: 'FieldValueTypeInvalid',
      field: path,
      message: `Invalid value: "null": ${path} in body must be of type ${s.type ?? 'object'}: "null"`,
    });
    return false;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (typeof value === 'string' || Number.isInteger(value)) return true;
  }
  if (!s.type) return true;
  const t = typeOf(value);
  const ok = t === s.type || (s.type === 'number' && t === 'integer');
  if (!ok) {
    out.push({
      reason: 'FieldValueTypeInvalid',
      field: path,
      message: `Invalid value: "${t}": ${path} in body must be of type ${s.type}: "${t}"`,
    });
  }
  return ok;
}

function checkBounds(value: unknown, s: JsonSchema, path: string, out: StatusCause[]): void {
  const bad = (m: string): void =>
    void out.push({
      reason: 'FieldValueInvalid',
      field: path,
      message: `Invalid value: ${fmt(value)}: ${m}`,
    });
  if (typeof value === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum)) {
      bad(`${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum)) {
      bad(`${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
    }
  }
  if (typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength)
      bad(`${path} in body should be at least ${s.minLength} chars long`);
    if (s.maxLength !== undefined && value.length > s.maxLength)
      bad(`${path} in body may not be longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(value))
      bad(`${path} in body should match '${s.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      bad(`${path} in body should have at least ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems)
      out.push({
        reason: 'FieldValueTooMany',
        field: path,
        message: `Too many: ${value.length}: must have at most ${s.maxItems} items`,
      });
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push({
      reason: 'FieldValueNotSupported',
      field: path,
      message: `Unsupported value: ${fmt(value)}: supported values: ${s.enum.map(fmt).join(', ')}`,
    });
  }
}

/** Validate `value` against `schema`; appends causes with Kubernetes-style field paths and messages. */
export function validate(
  value: unknown,
  schema: JsonSchema | undefined,
  path: string,
  out: StatusCause[],
): void {
  if (!schema) return;
  if (!checkType(value, schema, path, out)) return;
  checkBounds(value, schema, path, out);
  if (isObj(value)) {
    for (const r of schema.required ?? []) {
      if (value[r] === undefined)
        out.push({
          reason: 'FieldValueRequired',
          field: path ? `${path}.${r}` : r,
          message: 'Required value',
        });
    }
    for (const [k, v] of Object.entries(value)) {
      const child = path ? `${path}.${k}` : k;
      const ps =
        schema.properties?.[k] ??
        (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
      validate(v, ps, child, out);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((x, i) => validate(x, schema.items, `${path}[${i}]`, out));
  }
}

/** Default, prune and validate a custom resource body (metadata/apiVersion/kind are never pruned). */
export function checkCustomResource(
  obj: Obj,
  schema: JsonSchema | undefined,
  pruned: string[] = [],
): StatusCause[] {
  if (!schema) return [];
  const top: JsonSchema = {
    ...schema,
    properties: {
      ...(schema.properties ?? {}),
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
    },
  };
  applyDefaults(obj, top);
  prune(obj, top, '', pruned);
  const causes: StatusCause[] = [];
  const { metadata: _m, ...rest } = obj;
  const { metadata: _ms, ...restProps } = top.properties ?? {};
  validate(rest, { ...top, properties: restProps }, '', causes);
  return causes;
}
