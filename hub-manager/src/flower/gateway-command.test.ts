import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, issueServerCertificate, loadCa } from '@ocm-fl/common/pki/index.js';
import { runFlowerGateway } from './gateway-command.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flower-gw-cmd-'));
  const ca = loadCa(generateCa());
  const s = issueServerCertificate({ ca, dnsNames: ['gw.local'] });
  await writeFile(join(dir, 'tls.crt'), s.certPem);
  await writeFile(join(dir, 'tls.key'), s.keyPem);
  await writeFile(join(dir, 'ca.crt'), ca.certPem);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runWith(runDir: string, events: string, runJson?: string): Promise<number> {
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'events.jsonl'), events);
  if (runJson) await writeFile(join(runDir, 'run.json'), runJson);
  const config = join(runDir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      jobId: 'ns/job',
      rounds: 1,
      listen: { host: '127.0.0.1', port: 0 },
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') },
      superLink: { host: '127.0.0.1', port: 1, serverName: 'superlink.local', caFile: join(dir, 'ca.crt') },
      admittedClusters: [],
      runDir,
    }),
  );
  return runFlowerGateway(config, 50);
}

describe('hub-manager flower-gateway', () => {
  const round = '{"event":"round","round":1,"nodeIds":["1"],"examples":5}\n';
  it('exits 0 once the hook reported completion and Flower finished the run', async () => {
    const code = await runWith(
      join(dir, 'ok'),
      `${round}{"event":"completed","modelSha256":"${'a'.repeat(64)}"}\n`,
      '{"runs":[{"status":"finished:completed"}]}',
    );
    expect(code).toBe(0);
  });
  it('exits 1 when Flower says the run failed, whatever the hook said', async () => {
    const code = await runWith(
      join(dir, 'failed'),
      `${round}{"event":"completed","modelSha256":"${'a'.repeat(64)}"}\n`,
      '{"runs":[{"status":"finished:failed","status-details":"boom"}]}',
    );
    expect(code).toBe(1);
  });
});
