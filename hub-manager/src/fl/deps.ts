/** What the FL controller needs from outside: API client, certificates, the job's files. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { QueueMetrics } from '@ocm-fl/common/kube/keyed-queue.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import type { IssuedCertificate } from './render/tls-secret.js';
import type { ResolvedJob } from './spec.js';

/** Issues the aggregator's serving certificate from the addon CA. */
export interface ServerCertificateIssuer {
  issue(req: { commonName: string; dnsNames: string[]; ipAddresses: string[] }): Promise<IssuedCertificate>;
  /** The CA bundle aggregators must trust now (old + new during a rotation). */
  bundle(): string;
  /** Whether `certPem` was signed by the CA that signs now (false after a rotation). */
  issuedByCurrentCa(certPem: string): boolean;
}

/**
 * Reads a file of a job's storage directory (state.json, evaluation.json): undefined when it
 * does not exist yet.
 */
export interface JobFiles {
  readJson(job: ResolvedJob, file: string): Promise<unknown>;
}

export interface FlControllerSettings {
  /** Default `spec.server.image`: the hub-manager's own image. */
  hubManagerImage: string;
  /** Interface the aggregator binds (default 0.0.0.0; 127.0.0.1 where pods are local processes). */
  aggregatorListenHost?: string;
  /** Address advertised for NodePort listeners without `ip`. */
  nodeAddress?: string;
  /** How often a running job's progress files are read (default 2000 ms). */
  pollIntervalMs?: number;
  files: JobFiles;
  certificates: ServerCertificateIssuer;
}

export interface FlControllerDeps {
  client: KubeClient;
  logger: Logger;
  settings: FlControllerSettings;
  /** Reconcile counts, durations and queue depth. */
  metrics?: QueueMetrics;
}

/**
 * JobFiles on a local directory tree: `dirOf(job)` says where the job's storage directory
 * is visible to this process (tier 1: the pod runner's directory for the PVC; in a cluster:
 * the hub-manager's mount of the same volume). Parse errors count as "not there yet" only for
 * half-written files, which atomic writes rule out; other errors propagate.
 */
export function localJobFiles(dirOf: (job: ResolvedJob) => string | undefined): JobFiles {
  return {
    async readJson(job: ResolvedJob, file: string): Promise<unknown> {
      const dir = dirOf(job);
      if (!dir) return undefined;
      try {
        return JSON.parse(await readFile(path.join(dir, file), 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`cannot read ${file} of ${job.namespace}/${job.name}`, { cause: e });
      }
    },
  };
}

/**
 * The usual layout under one root: PVC `<ns>/<claim>` at `<root>/<ns>/<claim>`, HostPath
 * storage at its host path; the job's subdirectory below either.
 */
export function storageRootLayout(root: string | undefined): (job: ResolvedJob) => string | undefined {
  return (job) => {
    const s = job.storage;
    if (s.type === 'HostPath') return path.join(s.name, s.jobSubPath);
    return root ? path.join(root, job.namespace, s.name, s.jobSubPath) : undefined;
  };
}
