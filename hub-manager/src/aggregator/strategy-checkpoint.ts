/**
 * The strategy's server state (optimizer moments, DP accountant) beside the round checkpoints:
 *   strategy/round-0000N.bin    the tensors, float32 little-endian, one after another
 *   strategy/round-0000N.json   { round, json, tensors: { name: { offset, length } } }
 * Written after the model checkpoint and before state.json, each file atomically, the JSON last;
 * a restart restores the state of the round state.json says is done, so a resumed FedAdam takes
 * the same step it would have taken without the restart.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@ocm-fl/common/dataplane/file-io.js';
import type { StrategyState } from './strategy/index.js';

interface Index {
  readonly round: number;
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, { readonly offset: number; readonly length: number }>>;
}

const base = (dir: string, round: number): string =>
  path.join(dir, 'strategy', `round-${String(round).padStart(5, '0')}`);

export async function saveStrategyState(dir: string, round: number, s: StrategyState): Promise<void> {
  await mkdir(path.join(dir, 'strategy'), { recursive: true });
  const tensors: Record<string, { offset: number; length: number }> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(s.tensors)) {
    tensors[name] = { offset, length: t.length };
    offset += t.length;
  }
  const bin = new Float32Array(offset);
  for (const [name, t] of Object.entries(s.tensors)) bin.set(t, tensors[name]!.offset);
  await writeFileAtomic(`${base(dir, round)}.bin`, new Uint8Array(bin.buffer));
  const index: Index = { round, json: s.json, tensors };
  await writeFileAtomic(`${base(dir, round)}.json`, JSON.stringify(index));
}

/** The state saved after `round`, or undefined when none was (e.g. round 0, or a job without one). */
export async function loadStrategyState(dir: string, round: number): Promise<StrategyState | undefined> {
  let index: Index;
  try {
    index = JSON.parse(await readFile(`${base(dir, round)}.json`, 'utf8')) as Index;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the strategy state of round ${round}`, { cause: e });
  }
  if (index.round !== round) throw new Error(`strategy state file of round ${round} says ${index.round}`);
  const raw = await readFile(`${base(dir, round)}.bin`);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const tensors: Record<string, Float32Array> = {};
  for (const [name, { offset, length }] of Object.entries(index.tensors)) {
    if (offset + length > all.length)
      throw new Error(`strategy state of round ${round}: ${name} is truncated`);
    tensors[name] = all.slice(offset, offset + length);
  }
  return { json: index.json, tensors };
}

/** Keep only the state of `round` (older ones are never restored once a newer round is done). */
export async function pruneStrategyStates(dir: string, round: number): Promise<void> {
  const d = path.join(dir, 'strategy');
  const keep = path.basename(base(dir, round));
  for (const f of await readdir(d).catch(() => [] as string[]))
    if (!f.startsWith(keep)) await rm(path.join(d, f), { force: true });
}
