/** Volumes shared by the hub containers of a job (aggregator, init, evaluation). Pure. */
import type { ResolvedJob } from '../spec.js';

export const CONFIG_DIR = '/etc/fl-aggregator/config';
export const CONFIG_FILE = `${CONFIG_DIR}/config.json`;
export const TLS_DIR = '/etc/fl-aggregator/tls';

export interface Volume {
  name: string;
  [k: string]: unknown;
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export function storageVolume(job: ResolvedJob): Volume {
  const s = job.storage;
  return s.type === 'HostPath'
    ? { name: 'storage', hostPath: { path: s.name, type: 'DirectoryOrCreate' } }
    : { name: 'storage', persistentVolumeClaim: { claimName: s.name } };
}

export const storageMount = (job: ResolvedJob): VolumeMount => ({
  name: 'storage',
  mountPath: job.storage.mountPath,
});
