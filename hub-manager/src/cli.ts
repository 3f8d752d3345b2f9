/**
 * The hub-manager binary's entry point.
 *   hub-manager [run] [--flag value ...]    addon manager, registration, FL controller
 *   hub-manager aggregate --config <file>   one FL job's aggregator
 *   hub-manager flower-gateway --config <file>   one Flower job's mTLS gateway (src/flower/)
 * Each command loads only its own modules: an aggregator Pod does not carry the controllers.
 */
import { parseCommand } from './config.js';

function fail(e: unknown): never {
  const err = e as Error;
  process.stderr.write(
    `hub-manager: ${err.message}${err.cause ? `: ${(err.cause as Error).message}` : ''}\n`,
  );
  process.exit(1);
}

const argv = process.argv.slice(2);
try {
  if (argv[0] === 'aggregate') {
    const cmd = parseCommand(argv);
    if (cmd.command !== 'aggregate') throw new Error('unreachable: aggregate command expected');
    const { runAggregate } = await import('./aggregate-command.js');
    process.exitCode = await runAggregate(cmd.configFile, cmd.paths);
  } else if (argv[0] === 'flower-gateway') {
    const at = argv.indexOf('--config');
    const file = at > 0 ? argv[at + 1] : undefined;
    if (!file) throw new Error('usage: hub-manager flower-gateway --config <file>');
    const { runFlowerGateway } = await import('./flower/gateway-command.js');
    process.exitCode = await runFlowerGateway(file);
  } else {
    const { runHubManagerCli } = await import('./main.js');
    await runHubManagerCli(argv);
  }
} catch (e) {
  fail(e);
}
