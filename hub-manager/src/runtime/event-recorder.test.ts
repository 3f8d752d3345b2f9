import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { EventRecorder, newEvent, type CoreEvent } from './event-recorder.js';

let server: ApiServer;
let client: KubeClient;
beforeAll(async () => {
  server = await startApiServer({ logger: silentLogger });
  client = KubeClient.fromKubeConfig(server.kubeConfig());
});
afterAll(async () => {
  await server.close();
});

const fl = { apiVersion: 'x/v1', kind: 'FederatedLearning', name: 'job', namespace: 'default', uid: 'u1' };

describe('newEvent', () => {
  it('names an occurrence by its dedup key: same key same name, any difference another', () => {
    const o = { namespace: 'default', component: 'c', now: new Date(0) };
    const a = newEvent(fl, { type: 'Normal', reason: 'Running', message: 'm' }, o);
    const later = newEvent(
      fl,
      { type: 'Normal', reason: 'Running', message: 'm' },
      { ...o, now: new Date(5) },
    );
    expect(later.metadata.name).toBe(a.metadata.name);
    expect(newEvent(fl, { type: 'Normal', reason: 'Running', message: 'n' }, o).metadata.name).not.toBe(
      a.metadata.name,
    );
    expect(
      newEvent({ ...fl, uid: 'u2' }, { type: 'Normal', reason: 'Running', message: 'm' }, o).metadata.name,
    ).not.toBe(a.metadata.name);
    expect(newEvent(fl, { type: 'Warning', reason: 'R', message: 'x'.repeat(5000) }, o).message).toHaveLength(
      1024,
    );
  });
});

describe('EventRecorder', () => {
  it('records a repeat as count+1 with a later lastTimestamp, and a new message as a new Event', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const rec = new EventRecorder(client, 'test', () => new Date(t));
    const first = await rec.record(fl, {
      type: 'Warning',
      reason: 'UpdateRejected',
      message: 'cluster a: bad digest',
    });
    t += 60_000;
    await rec.record(fl, { type: 'Warning', reason: 'UpdateRejected', message: 'cluster a: bad digest' });
    t += 60_000;
    const third = await rec.record(fl, {
      type: 'Warning',
      reason: 'UpdateRejected',
      message: 'cluster a: bad digest',
    });
    await rec.record(fl, { type: 'Warning', reason: 'UpdateRejected', message: 'cluster b: bad digest' });
    expect(third.metadata.name).toBe(first.metadata.name);
    const all = await client.list<CoreEvent>('v1', 'Event', { namespace: 'default' });
    const ours = all.filter((e) => e.involvedObject.uid === 'u1').sort((a, b) => b.count - a.count);
    expect(ours.map((e) => [e.message, e.count])).toEqual([
      ['cluster a: bad digest', 3],
      ['cluster b: bad digest', 1],
    ]);
    expect(ours[0]?.firstTimestamp).toBe('2026-01-01T00:00:00.000Z');
    expect(ours[0]?.lastTimestamp).toBe('2026-01-01T00:02:00.000Z');
  });
});
