import { describe, it, expect } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTypes } from './gen.js';
import { loadAggregatorProto, PROTO_ROOT } from './load.js';

function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort();
}

describe('generated proto types', () => {
  it('match a fresh proto-loader-gen-types run with the loader options', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'proto-gen-'));
    try {
      generateTypes(tmp);
      const committed = path.join(PROTO_ROOT, 'src', 'generated');
      expect(listTs(committed)).toEqual(listTs(tmp));
      for (const f of listTs(tmp)) {
        expect({ f, text: readFileSync(path.join(committed, f), 'utf8') }).toEqual({
          f,
          text: readFileSync(path.join(tmp, f), 'utf8'),
        });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('loads the Aggregator service with every RPC', () => {
    const svc = loadAggregatorProto().federatedlearning.v1.Aggregator.service;
    expect(Object.keys(svc).sort()).toEqual(
      [
        'DownloadModel',
        'GetTask',
        'GetUploadOffset',
        'Heartbeat',
        'Join',
        'ReportFailure',
        'ReportMetrics',
        'UploadUpdate',
      ].sort(),
    );
    expect(svc.UploadUpdate.requestStream).toBe(true);
    expect(svc.DownloadModel.responseStream).toBe(true);
  });
});
