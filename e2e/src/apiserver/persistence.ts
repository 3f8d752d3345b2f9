/** Optional on-disk state: one JSON snapshot written atomically (temp file + rename), debounced. */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from './store.js';
import type { ServerTls } from './tls.js';
import type { UserInfo } from './types.js';

export interface PersistedState {
  version: 1;
  tls: ServerTls;
  users: Record<string, UserInfo & { token: string }>;
  store: Snapshot;
}

const FILE = 'apiserver-state.json';

export function loadState(dir: string): PersistedState | undefined {
  const p = join(dir, FILE);
  if (!existsSync(p)) return undefined;
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as PersistedState;
    return s.version === 1 ? s : undefined;
  } catch (e) {
    throw new Error(`cannot read API server state ${p}`, { cause: e });
  }
}

export function saveState(dir: string, s: PersistedState): void {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, FILE);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, p);
}
