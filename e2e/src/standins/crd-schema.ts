/**
 * Compact builders for the structural OpenAPI schemas of the OCM CRDs (ocm-crds.ts). Only the
 * keywords the embedded API server uses (types, required, enum, default, preserve-unknown).
 */
import type { JsonSchemaProps } from '@ocm-fl/common/api/crds/crd.js';

/** JsonSchemaProps plus the keywords the shared type does not list yet. */
export type Schema = JsonSchemaProps & {
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
};

const s = (x: Schema): JsonSchemaProps => x as JsonSchemaProps;

export const str = (extra: Partial<Schema> = {}): JsonSchemaProps => s({ type: 'string', ...extra });
export const int = (extra: Partial<Schema> = {}): JsonSchemaProps => s({ type: 'integer', ...extra });
export const bool = (): JsonSchemaProps => ({ type: 'boolean' });
export const enumOf = (values: string[], def?: string): JsonSchemaProps =>
  s({ type: 'string', enum: values, ...(def !== undefined ? { default: def } : {}) });
export const arr = (items: JsonSchemaProps, extra: Partial<Schema> = {}): JsonSchemaProps =>
  s({ type: 'array', items, ...extra });
export const strList = (): JsonSchemaProps => arr(str());
export const strMap = (): JsonSchemaProps => ({ type: 'object', additionalProperties: { type: 'string' } });
export const obj = (
  properties: Record<string, JsonSchemaProps>,
  required?: string[],
  extra: Partial<Schema> = {},
): JsonSchemaProps => s({ type: 'object', properties, ...(required ? { required } : {}), ...extra });
/** An object whose content is not described (kept as written). */
export const anyObj = (): JsonSchemaProps => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
});
export const intOrString = (): JsonSchemaProps => ({ 'x-kubernetes-int-or-string': true });
export const quantityMap = (): JsonSchemaProps => ({ type: 'object', additionalProperties: intOrString() });

/** metav1.Condition. */
export const conditions = (): JsonSchemaProps =>
  arr(
    obj(
      {
        type: str(),
        status: enumOf(['True', 'False', 'Unknown']),
        reason: str(),
        message: str(),
        lastTransitionTime: str({ format: 'date-time' }),
        observedGeneration: int({ minimum: 0 }),
      },
      ['type', 'status'],
    ),
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  );

export const matchExpressions = (): JsonSchemaProps =>
  arr(obj({ key: str(), operator: str(), values: strList() }, ['key', 'operator']));

export const labelSelector = (): JsonSchemaProps =>
  obj({ matchLabels: strMap(), matchExpressions: matchExpressions() });

/** The root schema of a kind: apiVersion, kind, metadata plus the given properties. */
export const root = (properties: Record<string, JsonSchemaProps>, required?: string[]): JsonSchemaProps =>
  obj({ apiVersion: str(), kind: str(), metadata: { type: 'object' }, ...properties }, required);
