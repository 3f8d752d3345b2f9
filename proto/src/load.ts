/**
 * The one place that loads aggregator.proto. The same LOADER_OPTIONS drive `proto:gen`
 * (src/gen.ts), so the committed types in src/generated/ describe exactly what loadSync returns.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { ProtoGrpcType } from './generated/aggregator.js';

export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROTO_FILE = 'federated_learning/v1/aggregator.proto';

/** Options for loadSync and, flag for flag, for proto-loader-gen-types. */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
} as const satisfies protoLoader.Options;

/** Largest `Chunk.data` either side sends; well under the 4 MiB default message limit. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * Byte-range streams one transfer may use at once, each on its own connection: grpc-js keeps
 * a 64 KiB HTTP/2 connection window on its server that no public option raises, so a single
 * upload stream stalls on it; several connections fill each other's stalls.
 */
export const MAX_PARALLEL_STREAMS = 4;

let cached: ProtoGrpcType | undefined;

/** The typed package object: `loadAggregatorProto().federatedlearning.v1.Aggregator`. */
export function loadAggregatorProto(): ProtoGrpcType {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_FILE, {
      ...LOADER_OPTIONS,
      includeDirs: [...LOADER_OPTIONS.includeDirs],
    });
    cached = loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return cached;
}

/** The command-line flags of proto-loader-gen-types equivalent to LOADER_OPTIONS. */
export function genTypesArgs(outDir: string): string[] {
  return [
    `--longs=${LOADER_OPTIONS.longs.name}`,
    `--enums=${LOADER_OPTIONS.enums.name}`,
    ...(LOADER_OPTIONS.keepCase ? ['--keepCase'] : []),
    ...(LOADER_OPTIONS.defaults ? ['--defaults'] : []),
    ...(LOADER_OPTIONS.oneofs ? ['--oneofs'] : []),
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    ...LOADER_OPTIONS.includeDirs.flatMap((d) => ['-I', d]),
    '-O',
    outDir,
    PROTO_FILE,
  ];
}
