import { describe, expect, it } from '@jest/globals';
import { DataPlaneError, Status } from '@ocm-fl/common/dataplane/errors.js';
import { classifyStepError, retryDelayMs } from './classify.js';
import {
  INITIAL_STATE,
  taskStatus,
  transition,
  updateContext,
  type RoundTask,
  type RunnerEvent,
  type RunnerState,
  type TrainedUpdate,
} from './state.js';

function newTask(over: Partial<RoundTask> = {}): RoundTask {
  return {
    round: 1,
    rounds: 3,
    finished: false,
    failed: false,
    submitted: false,
    deadlineUnixMs: 0,
    config: {},
    strategyConfig: {},
    message: '',
    ...over,
  };
}
const update: TrainedUpdate = {
  path: '/w/u',
  digest: 'sha256:ab',
  bytes: 10,
  examples: 7,
  metrics: { loss: 0.5 },
};
const NOW = 1_000_000;
const taskEvent = (t: Partial<RoundTask>): RunnerEvent => ({ type: 'task', task: newTask(t), now: NOW });

describe('transition', () => {
  it('walks a full round: poll → download → train → upload → wait → poll', () => {
    const events: RunnerEvent[] = [
      taskEvent({ round: 1 }),
      { type: 'downloaded', path: '/w/model' },
      { type: 'trained', update },
      { type: 'uploaded' },
      { type: 'waited' },
    ];
    const steps: string[] = [];
    let s: RunnerState = INITIAL_STATE;
    for (const e of events) {
      s = transition(s, e);
      steps.push(s.step);
    }
    expect(steps).toEqual(['download', 'train', 'upload', 'wait', 'poll']);
    expect(s).toEqual({ step: 'poll', after: 1 });
  });

  it.each<[string, Partial<RoundTask>, number, Partial<RunnerState>]>([
    ['finished job completes', { finished: true, round: 0 }, 3, { step: 'done', phase: 'Completed' }],
    [
      'failed job fails',
      { failed: true, message: 'quorum lost' },
      1,
      { step: 'done', phase: 'Failed', message: 'quorum lost' },
    ],
    ['round not open yet waits', { round: 0 }, 0, { step: 'wait', after: 0 }],
    ['round already done here waits', { round: 2 }, 2, { step: 'wait', after: 2 }],
    [
      'round already submitted (agent restart) is skipped',
      { round: 2, submitted: true },
      0,
      { step: 'wait', after: 2 },
    ],
    [
      'round past its deadline is skipped',
      { round: 2, deadlineUnixMs: NOW - 1 },
      1,
      { step: 'wait', after: 2 },
    ],
    [
      'next round opens a download',
      { round: 3, deadlineUnixMs: NOW + 1000 },
      2,
      { step: 'download', round: 3 },
    ],
  ])('poll: %s', (_n, task, after, want) => {
    expect(transition({ step: 'poll', after }, taskEvent(task))).toMatchObject(want);
  });

  it('a trainer failure is reported, then the loop waits for the next round', () => {
    const train: RunnerState = { step: 'train', round: 2, task: newTask({ round: 2 }), modelPath: '/m' };
    const report = transition(train, {
      type: 'trainer-failed',
      reason: 'TRAINER_TIMED_OUT',
      message: 'deadline',
    });
    expect(report).toEqual({
      step: 'report-failure',
      round: 2,
      reason: 'TRAINER_TIMED_OUT',
      message: 'deadline',
    });
    expect(transition(report, { type: 'failure-reported' })).toEqual({ step: 'wait', after: 2 });
  });

  it('a closed round from any round step goes to wait', () => {
    const states: RunnerState[] = [
      { step: 'download', round: 4, task: newTask({ round: 4 }) },
      { step: 'train', round: 4, task: newTask({ round: 4 }), modelPath: '/m' },
      { step: 'upload', round: 4, task: newTask({ round: 4 }), update },
    ];
    for (const s of states)
      expect(transition(s, { type: 'round-closed', message: 'late' })).toEqual({ step: 'wait', after: 4 });
  });

  it('refuses events that do not belong to the step', () => {
    expect(() => transition(INITIAL_STATE, { type: 'uploaded' })).toThrow(
      'event uploaded is not valid in step poll',
    );
    expect(() =>
      transition({ step: 'done', phase: 'Completed', message: '', round: 3 }, { type: 'waited' }),
    ).toThrow();
    expect(() => transition({ step: 'poll', after: 0 }, { type: 'round-closed', message: 'x' })).toThrow();
  });
});

describe('taskStatus and updateContext', () => {
  it('maps steps to phases and rounds', () => {
    expect(taskStatus(INITIAL_STATE, {})).toMatchObject({ phase: 'Pending', round: 0 });
    expect(taskStatus({ step: 'download', round: 2, task: newTask() }, {})).toMatchObject({
      phase: 'Downloading',
      round: 2,
    });
    expect(taskStatus({ step: 'train', round: 2, task: newTask(), modelPath: '' }, {})).toMatchObject({
      phase: 'Training',
      round: 2,
    });
    expect(taskStatus({ step: 'upload', round: 2, task: newTask(), update }, {})).toMatchObject({
      phase: 'Uploading',
      round: 2,
    });
    expect(taskStatus({ step: 'wait', after: 2 }, {})).toMatchObject({ phase: 'Waiting', round: 2 });
    expect(taskStatus({ step: 'done', phase: 'Completed', message: 'ok', round: 3 }, {})).toEqual({
      phase: 'Completed',
      round: 3,
      message: 'ok',
    });
  });

  it('says in the message when a step is being retried', () => {
    const st = taskStatus(
      { step: 'poll', after: 1 },
      { retrying: 'aggregator unreachable (UNAVAILABLE): connect refused' },
    );
    expect(st.message).toContain('aggregator unreachable');
  });

  it('records the accepted update and metrics, and errors per round', () => {
    const upload: RunnerState = { step: 'upload', round: 2, task: newTask(), update };
    let ctx = updateContext({ retrying: 'x' }, upload, { type: 'uploaded' });
    expect(ctx).toEqual({
      lastUpdate: { round: 2, digest: 'sha256:ab', bytes: 10, examples: 7 },
      metrics: { loss: 0.5 },
    });
    const train: RunnerState = { step: 'train', round: 3, task: newTask(), modelPath: '' };
    ctx = updateContext(ctx, train, { type: 'trainer-failed', reason: 'TRAINER_CRASHED', message: 'exit 1' });
    expect(ctx.lastError).toBe('round 3: exit 1');
    expect(taskStatus({ step: 'wait', after: 3 }, ctx)).toMatchObject({
      lastError: 'round 3: exit 1',
      metrics: { loss: 0.5 },
      lastUpdate: { round: 2 },
    });
  });
});

describe('classifyStepError', () => {
  const dp = (code: number) => new DataPlaneError(code as never, 'boom');
  it('retries an unreachable aggregator and says so', () => {
    expect(classifyStepError('upload', dp(Status.UNAVAILABLE))).toEqual({
      kind: 'retry',
      message: 'aggregator unreachable (UNAVAILABLE): boom',
    });
  });
  it('treats a refused round as closed, except while polling', () => {
    expect(classifyStepError('upload', dp(Status.FAILED_PRECONDITION)).kind).toBe('round-closed');
    expect(classifyStepError('poll', dp(Status.FAILED_PRECONDITION)).kind).toBe('retry');
  });
  it('retries other errors with the step named', () => {
    expect(classifyStepError('download', new Error('ENOSPC'))).toEqual({
      kind: 'retry',
      message: 'download failed: ENOSPC',
    });
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially with jitter and is capped', () => {
    expect(retryDelayMs(1, 500, 30_000, () => 0)).toBe(250);
    expect(retryDelayMs(1, 500, 30_000, () => 1)).toBe(500);
    expect(retryDelayMs(4, 500, 30_000, () => 1)).toBe(4000);
    expect(retryDelayMs(50, 500, 30_000, () => 1)).toBe(30_000);
    expect(retryDelayMs(50, 500, 30_000, () => 0)).toBe(15_000);
  });
});
