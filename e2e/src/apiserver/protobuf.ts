/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, as kubectl sends them for built-in
 * kinds (`kubectl create ns|configmap|secret`, `scale`, `delete`): the `k8s\0` magic, a
 * runtime.Unknown envelope (TypeMeta + raw message), and the message itself, decoded with
 * protobufjs into the same JSON object a JSON body would have given. Only the kinds listed in
 * KINDS are understood; any other gets a clear 415. Field numbers are those of
 * k8s.io/api/core/v1, autoscaling/v1 and apimachinery meta/v1 generated.proto.
 */
import protobuf from 'protobufjs';

const f = (id: number, type: string, rule?: 'repeated'): protobuf.IField => ({
  id,
  type,
  ...(rule ? { rule } : {}),
});
const map = (id: number, valueType: string): protobuf.IMapField => ({
  id,
  keyType: 'string',
  type: valueType,
});

const root = protobuf.Root.fromJSON({
  nested: {
    k8s: {
      nested: {
        TypeMeta: { fields: { apiVersion: f(1, 'string'), kind: f(2, 'string') } },
        Unknown: {
          fields: {
            typeMeta: f(1, 'TypeMeta'),
            raw: f(2, 'bytes'),
            contentEncoding: f(3, 'string'),
            contentType: f(4, 'string'),
          },
        },
        Time: { fields: { seconds: f(1, 'int64'), nanos: f(2, 'int32') } },
        OwnerReference: {
          fields: {
            kind: f(1, 'string'),
            name: f(3, 'string'),
            uid: f(4, 'string'),
            apiVersion: f(5, 'string'),
            controller: f(6, 'bool'),
            blockOwnerDeletion: f(7, 'bool'),
          },
        },
        ObjectMeta: {
          fields: {
            name: f(1, 'string'),
            generateName: f(2, 'string'),
            namespace: f(3, 'string'),
            uid: f(5, 'string'),
            resourceVersion: f(6, 'string'),
            generation: f(7, 'int64'),
            labels: map(11, 'string'),
            annotations: map(12, 'string'),
            ownerReferences: f(13, 'OwnerReference', 'repeated'),
            finalizers: f(14, 'string', 'repeated'),
          },
        },
        NamespaceSpec: { fields: { finalizers: f(1, 'string', 'repeated') } },
        Namespace: { fields: { metadata: f(1, 'ObjectMeta'), spec: f(2, 'NamespaceSpec') } },
        ConfigMap: {
          fields: {
            metadata: f(1, 'ObjectMeta'),
            data: map(2, 'string'),
            binaryData: map(3, 'bytes'),
            immutable: f(4, 'bool'),
          },
        },
        Secret: {
          fields: {
            metadata: f(1, 'ObjectMeta'),
            data: map(2, 'bytes'),
            type: f(3, 'string'),
            stringData: map(4, 'string'),
            immutable: f(5, 'bool'),
          },
        },
        ScaleSpec: { fields: { replicas: f(1, 'int32') } },
        Scale: { fields: { metadata: f(1, 'ObjectMeta'), spec: f(2, 'ScaleSpec') } },
        Preconditions: { fields: { uid: f(1, 'string'), resourceVersion: f(2, 'string') } },
        DeleteOptions: {
          fields: {
            gracePeriodSeconds: f(1, 'int64'),
            preconditions: f(2, 'Preconditions'),
            orphanDependents: f(3, 'bool'),
            propagationPolicy: f(4, 'string'),
            dryRun: f(5, 'string', 'repeated'),
          },
        },
      },
    },
  },
});

/** `apiVersion/kind` of an envelope → the message that decodes its raw bytes. */
const KINDS: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'autoscaling/v1/Scale': 'Scale',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

export class ProtobufBodyError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

/** Decode a protobuf request body into the JSON object it stands for. Throws ProtobufBodyError. */
export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw new ProtobufBodyError('protobuf body without the "k8s\\0" prefix');
  let envelope: {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
    contentEncoding?: string;
  };
  try {
    envelope = root.lookupType('k8s.Unknown').decode(body.subarray(MAGIC.length)) as typeof envelope;
  } catch (e) {
    throw new ProtobufBodyError(`protobuf envelope does not decode: ${(e as Error).message}`);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  if (envelope.contentEncoding)
    throw new ProtobufBodyError(`content encoding ${envelope.contentEncoding} is not supported`, true);
  const message = KINDS[`${apiVersion}/${kind}`];
  if (!message)
    throw new ProtobufBodyError(
      `protobuf bodies are decoded for ${Object.keys(KINDS).join(', ')} only, not ${apiVersion}/${kind}; send JSON or YAML (kubectl create -f / apply -f)`,
      true,
    );
  const type = root.lookupType(`k8s.${message}`);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(envelope.raw ?? new Uint8Array());
  } catch (e) {
    throw new ProtobufBodyError(`${kind} in protobuf does not decode: ${(e as Error).message}`);
  }
  // bytes → base64 (what JSON carries for Secret data and binaryData), int64 → number.
  const obj = type.toObject(decoded, {
    longs: Number,
    bytes: String,
    defaults: false,
    arrays: false,
    objects: false,
  });
  return { apiVersion, kind, ...(withoutEmptyStrings(obj) as Record<string, unknown>) };
}

/** Maps whose values are data: an empty value there is a real entry. */
const DATA_MAPS = new Set(['data', 'binaryData', 'stringData', 'labels', 'annotations']);

/** Kubernetes' protobuf writes every string field; its JSON omits the empty ones (omitempty). */
function withoutEmptyStrings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmptyStrings);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    if (x !== '') out[k] = DATA_MAPS.has(k) ? x : withoutEmptyStrings(x);
  return out;
}
