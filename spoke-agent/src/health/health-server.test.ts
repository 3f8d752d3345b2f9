import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HealthServer, readiness } from './health-server.js';

describe('readiness', () => {
  it('is ready only when every check passes, and names the failing ones', () => {
    expect(readiness([{ name: 'a', check: () => undefined }])).toEqual({ ready: true, checks: { a: 'ok' } });
    const r = readiness([
      { name: 'cert', check: () => 'no certificate loaded' },
      { name: 'api', check: () => undefined },
      {
        name: 'boom',
        check: () => {
          throw new Error('x');
        },
      },
    ]);
    expect(r).toEqual({
      ready: false,
      checks: { cert: 'no certificate loaded', api: 'ok', boom: 'check failed: x' },
    });
  });
});

describe('HealthServer', () => {
  let ready: string | undefined = 'lease not renewed yet';
  let hs: HealthServer;
  beforeAll(async () => {
    hs = await HealthServer.start({
      host: '127.0.0.1',
      port: 0,
      checks: [{ name: 'lease', check: () => ready }],
    });
  });
  afterAll(async () => {
    await hs.close();
  });

  it('answers /healthz and follows the checks on /readyz', async () => {
    const base = `http://127.0.0.1:${hs.port}`;
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    let r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ ready: false, checks: { lease: 'lease not renewed yet' } });
    ready = undefined;
    r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('reports details with /readyz', async () => {
    let notAfter = '2030-01-01T00:00:00.000Z';
    const d = await HealthServer.start({
      host: '127.0.0.1',
      port: 0,
      checks: [],
      details: () => ({ certificateNotAfter: notAfter }),
    });
    try {
      const url = `http://127.0.0.1:${d.port}/readyz`;
      expect(await (await fetch(url)).json()).toEqual({
        ready: true,
        checks: {},
        details: { certificateNotAfter: '2030-01-01T00:00:00.000Z' },
      });
      notAfter = '2031-01-01T00:00:00.000Z';
      expect(((await (await fetch(url)).json()) as { details: unknown }).details).toEqual({
        certificateNotAfter: notAfter,
      });
    } finally {
      await d.close();
    }
  });
});
