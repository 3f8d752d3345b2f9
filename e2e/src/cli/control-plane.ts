/**
 * Standalone embedded API server:
 *   npx tsx e2e/src/cli/control-plane.ts --port 0 --kubeconfig out/hub.kubeconfig [--data-dir DIR] [--name hub]
 * Prints its URL, writes the kubeconfig, runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@ocm-fl/common/logger.js';
import { startApiServer } from '../apiserver/index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      'data-dir': { type: 'string' },
      name: { type: 'string', default: 'hub' },
    },
  });
  const log = createLogger('control-plane');
  const server = await startApiServer({
    port: Number(values.port),
    host: values.host,
    name: values.name,
    dataDir: values['data-dir'],
    logger: log,
  });
  if (values.kubeconfig) await server.writeKubeconfig(values.kubeconfig);
  process.stdout.write(`${server.url}\n`);
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('shutdown failed', { error: e });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`control-plane: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
