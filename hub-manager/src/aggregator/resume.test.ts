import { describe, it, expect, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { startCutProxy } from '@ocm-fl/common/dataplane/test-cut-proxy.js';
import { createHarness, makeTensors } from './test-harness.js';
import { startAggregator } from './main.js';
import type { JobState } from './state-store.js';

// ~1.5 MiB model so a transfer spans a couple of chunks and the cut lands mid-stream.
const SPEC: Array<[string, 'F32' | 'F16', number[]]> = [
  ['w', 'F32', [512, 640]],
  ['h', 'F16', [300, 300]],
];

describe('resumable transfers through a link that drops', () => {
  const h = createHarness();
  const initial = h.writeModel('initial.safetensors', makeTensors(SPEC, 0));
  const update = h.writeModel('u.safetensors', makeTensors(SPEC, 1));
  h.clientCert('c1');

  it('download resumes from the partial file after a cut and verifies the digest', async () => {
    const agg = await startAggregator(h.config({ storageDir: path.join(h.dir, 's1') }), {
      logger: silentLogger,
    });
    const proxy = await startCutProxy({
      target: { host: '127.0.0.1', port: agg.port },
      afterBytes: 700_000,
      direction: 'down',
    });
    try {
      const c = h.client(agg.port, 'c1', { endpoint: `127.0.0.1:${proxy.port}` });
      const dest = path.join(h.dir, 'dl', 'model.safetensors');
      const r = await c.downloadModel(1, dest);
      expect(proxy.cuts).toBe(1);
      expect(r.attempts).toBeGreaterThanOrEqual(2);
      expect(readFileSync(dest).equals(readFileSync(initial))).toBe(true);
      c.close();
    } finally {
      await proxy.close();
      await agg.close();
    }
  });

  it('upload resumes from the offset the aggregator confirms after a cut', async () => {
    const agg = await startAggregator(
      h.config({ storageDir: path.join(h.dir, 's2'), admittedClusters: ['c1'], rounds: 1 }),
      {
        logger: silentLogger,
      },
    );
    const proxy = await startCutProxy({
      target: { host: '127.0.0.1', port: agg.port },
      afterBytes: 900_000,
      direction: 'up',
    });
    try {
      const c = h.client(agg.port, 'c1', { endpoint: `127.0.0.1:${proxy.port}` });
      const r = await c.uploadUpdate(1, update, 7, { loss: 0.5 });
      expect(proxy.cuts).toBe(1);
      expect(r.attempts).toBeGreaterThanOrEqual(2);
      const s = await agg.whenDone(); // the round closes just after the reply
      expect(s.phase).toBe('completed');
      // One update with weight 7: the new model is that update exactly.
      expect(
        readFileSync(path.join(agg.storageDir, 'final.safetensors'))
          .subarray(8)
          .equals(readFileSync(update).subarray(8)),
      ).toBe(true);
      c.close();
    } finally {
      await proxy.close();
      await agg.close();
    }
  });
});

describe('aggregator process killed mid-round', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  function spawnAggregator(configPath: string): Promise<{ child: ChildProcess; port: number }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve('hub-manager/src/aggregator/main.ts'), '--config', configPath],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'warn', NODE_OPTIONS: '' },
      },
    );
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { event: string; port: number };
        if (m.event === 'listening') resolve({ child, port: m.port });
      });
      child.once('exit', (code) => reject(new Error(`aggregator exited ${code}: ${err}`)));
    });
  }

  it('resumes from the last completed round after SIGKILL', async () => {
    const h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(SPEC, 0));
    ['c1', 'c2'].forEach((c) => h.clientCert(c));
    const configPath = path.join(h.dir, 'config.json');
    const cfg = h.config({ admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 3 });
    writeFileSync(configPath, JSON.stringify(cfg));
    const u1 = h.writeModel('u1.safetensors', makeTensors(SPEC, 1));
    const u2 = h.writeModel('u2.safetensors', makeTensors(SPEC, 2));

    const a = await spawnAggregator(configPath);
    const c1 = h.client(a.port, 'c1');
    const c2 = h.client(a.port, 'c2');
    await c1.uploadUpdate(1, u1, 1, {});
    await c2.uploadUpdate(1, u2, 1, {});
    const after1 = await waitForState(cfg.storageDir, (s) => s.completedRounds === 1);
    await c1.uploadUpdate(2, u1, 1, {}); // round 2 half done
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    c1.close();
    c2.close();

    const b = await spawnAggregator(configPath);
    const d1 = h.client(b.port, 'c1');
    const task = await d1.getTask();
    expect(task).toMatchObject({ round: 2, submitted: false });
    expect(task.model?.sha256).toBe(after1.modelSha256);
    const dl = await d1.downloadModel(0, path.join(h.dir, 'resumed.safetensors'));
    expect(dl.sha256).toBe(after1.history[0]?.sha256);
    d1.close();
    b.child.kill('SIGKILL');
  });
});

async function waitForState(dir: string, ok: (s: JobState) => boolean): Promise<JobState> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      const s = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as JobState;
      if (ok(s)) return s;
    } catch {
      // not written yet
    }
    if (Date.now() > end) throw new Error('state not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}
