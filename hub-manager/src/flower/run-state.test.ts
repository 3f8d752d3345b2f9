import { describe, expect, it } from '@jest/globals';
import { flowerJobState, parseHookEvents, parseRunOutcome, type HookEvent } from './run-state.js';

const now = new Date('2026-12-03T12:00:00Z');
const nodes = { '18446744073709551615': 'c1', '7': 'c2' };
const round = (r: number, ids: string[]): HookEvent => ({
  event: 'round',
  round: r,
  nodeIds: ids,
  examplesByNode: Object.fromEntries(ids.map((n) => [n, 100])),
  examples: 100 * ids.length,
  metrics: { train_accuracy: 0.5 + r / 10 },
});
const done: HookEvent = { event: 'completed', modelSha256: 'ab'.repeat(32) };
const state = (
  events: HookEvent[],
  run?: { status: string; details?: string },
): ReturnType<typeof flowerJobState> =>
  flowerJobState({ jobId: 'ns/job', rounds: 2, events, nodes, now, ...(run ? { run } : {}) });

describe('flowerJobState', () => {
  it('maps node IDs (uint64, as strings) to clusters and rounds to history', () => {
    const s = state([round(1, ['18446744073709551615', '7'])]);
    expect(s.phase).toBe('running');
    expect(s.completedRounds).toBe(1);
    expect(s.history[0]?.participants).toEqual(['c1', 'c2']);
    expect(s.clients.c1).toMatchObject({ state: 'submitted', round: 1, examples: 100 });
  });
  it('an unknown node ID is named as such, not attributed to a cluster', () => {
    expect(state([round(1, ['99'])]).history[0]?.participants).toEqual(['node-99']);
  });
  it('completed only with the hook’s completion and Flower’s finished:completed', () => {
    const events = [round(1, ['7']), round(2, ['7']), done];
    expect(state(events).phase).toBe('running');
    const s = state(events, { status: 'finished:completed' });
    expect(s.phase).toBe('completed');
    expect(s.modelSha256).toBe(done.modelSha256);
    expect(s.history.map((h) => h.sha256)).toEqual(['', done.modelSha256]);
  });
  it('a failed run is failed with Flower’s reason', () => {
    const s = state([round(1, ['7'])], { status: 'finished:failed', details: 'ServerApp raised ValueError' });
    expect(s).toMatchObject({
      phase: 'failed',
      message: 'Flower run finished:failed: ServerApp raised ValueError',
    });
    expect(state([done], { status: 'finished:stopped' }).phase).toBe('failed');
    expect(state([], { status: 'finished:completed' }).message).toMatch(/never reported completion/);
  });
  it('parses the hook file and flwr ls output defensively', () => {
    const p = parseHookEvents('{"event":"round","round":1}\nnot json\n{"event":"other"}\n\n');
    expect(p).toEqual({ events: [{ event: 'round', round: 1 }], malformed: 2 });
    expect(parseRunOutcome('{"runs":[{"status":"finished:failed","status-details":"boom"}]}')).toEqual({
      status: 'finished:failed',
      details: 'boom',
    });
    expect(parseRunOutcome('{"runs":[{"status":"running"}]}')).toBeUndefined();
    expect(parseRunOutcome('garbage')).toBeUndefined();
  });
});
