/** Shapes shared by the embedded API server's modules. Objects are kept as plain JSON. */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

import type { ObjectMeta as CommonObjectMeta } from '@ocm-fl/common/api/meta.js';

export type { OwnerReference } from '@ocm-fl/common/api/meta.js';

/** The project's ObjectMeta, open to any other field a client sends (stored as given). */
export interface ObjectMeta extends CommonObjectMeta {
  deletionGracePeriodSeconds?: number;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/** OpenAPI v3 schema subset that CRDs use (structural schemas). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: Json[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  default?: Json;
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [k: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** One served resource (a group/version/plural), built-in or from a CRD. */
export interface ResourceInfo {
  group: string;
  version: string;
  /** All versions served for this group/plural; objects are stored once, apiVersion rewritten on read. */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a `/status` subresource: the main endpoint ignores status, `/status` ignores the rest. */
  statusSubresource: boolean;
  /** Extra subresources besides status, e.g. CSR `approval`. */
  extraSubresources: string[];
  /** metadata.generation is kept and bumped on spec changes. */
  tracksGeneration: boolean;
  /** PUT requires metadata.resourceVersion (custom resources). */
  requireResourceVersionOnUpdate: boolean;
  /** Default delete propagation is Orphan (batch/v1 Job for backward compatibility). */
  orphanByDefault: boolean;
  /** Per-version schema (CRDs only). */
  schemas: Record<string, JsonSchema | undefined>;
  /** Per-version printer columns (CRDs only). */
  printerColumns: Record<string, PrinterColumn[]>;
  /** Name of the owning CRD, if any. */
  crd?: string;
}

/** Who sent a request, from the bearer token or client certificate. */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
}

export function resourceKey(r: { group: string; plural: string }): string {
  return `${r.group}/${r.plural}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function deepCopy<T>(v: T): T {
  return structuredClone(v);
}
