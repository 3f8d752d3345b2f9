import type { KubeObject } from '../meta.js';

/** apiextensions.k8s.io/v1 CustomResourceDefinition, typed as far as this project writes it. */
export interface JsonSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  items?: JsonSchemaProps;
  required?: string[];
  enum?: (string | number)[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  additionalProperties?: JsonSchemaProps | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JsonSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: unknown };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string }[];
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular: string;
    kind: string;
    listKind: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

export type CustomResourceDefinition = KubeObject<CrdSpec, unknown>;

export const CRD_API_VERSION = 'apiextensions.k8s.io/v1';
