import { describe, expect, it } from '@jest/globals';
import { trainerEnv, trainerEnvRecord } from './trainer-env.js';

const input = {
  url: 'http://fl-agent-handoff.ns.svc:8081/v1/rounds/job-r1',
  round: 1,
  dataDir: '/data/private/cluster1',
  dataLocation: '/data/private/cluster1',
  workDir: '/work',
};

describe('trainerEnv', () => {
  it('passes the token through a Secret reference for a Job', () => {
    const env = trainerEnv({ ...input, token: { secretName: 'fl-round-job-r1', key: 'token' } });
    expect(env.map((e) => e.name)).toEqual([
      'FL_HANDOFF_URL',
      'FL_HANDOFF_TOKEN',
      'FL_ROUND',
      'FL_DATA_DIR',
      'FL_DATA_LOCATION',
      'FL_WORK_DIR',
    ]);
    expect(env[1]).toEqual({
      name: 'FL_HANDOFF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'fl-round-job-r1', key: 'token' } },
    });
    expect(() => trainerEnvRecord({ ...input, token: { secretName: 's', key: 'k' } })).toThrow(
      /literal token/,
    );
  });

  it('renders a plain record for a local process', () => {
    expect(trainerEnvRecord({ ...input, token: { value: 't0k' } })).toMatchObject({
      FL_HANDOFF_TOKEN: 't0k',
      FL_ROUND: '1',
    });
  });
});
