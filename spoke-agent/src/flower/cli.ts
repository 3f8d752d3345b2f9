/**
 * The agent image's Flower commands, for the containers of a SuperNode pod:
 *   spoke-agent flower-node-files --dir <d> [--host <h>]      init container: node key + local TLS
 *   spoke-agent flower-forwarder --listen <h:p> --gateway <h:p> --server-name <n>
 *       --node-dir <d> --cert-dir <c> --ca-file <f>          sidecar: loopback → gateway over mTLS
 * `--host`/`--listen` default to the pod's loopback; `$POD_IP` replaces it where pods share one
 * host (tier 1).
 */
import { join } from 'node:path';
import { createLogger } from '@ocm-fl/common/logger.js';
import { FlowerForwarder } from './forwarder.js';
import { NODE_FILE_NAMES, nodeFiles, writeNodeFiles } from './node-files.js';

function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else out.set(a.slice(2), argv[++i] ?? '');
  }
  return out;
}

const need = (f: Map<string, string>, k: string): string => {
  const v = f.get(k);
  if (!v) throw new Error(`--${k} is required`);
  return v;
};

function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m) throw new Error(`${what}: want host:port, got ${s}`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function runFlowerCommand(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const f = flags(rest);
  const local = process.env.POD_IP ?? '127.0.0.1';
  if (cmd === 'flower-node-files') {
    await writeNodeFiles(need(f, 'dir'), nodeFiles(f.get('host') ?? local));
    return 0;
  }
  if (cmd !== 'flower-forwarder') throw new Error(`unknown command ${cmd}`);
  const listen = hostPort(f.get('listen') ?? `${local}:9092`, '--listen');
  const nodeDir = need(f, 'node-dir');
  const certDir = need(f, 'cert-dir');
  const fwd = new FlowerForwarder({
    host: process.env.POD_IP ?? listen.host,
    port: listen.port,
    local: {
      certFile: join(nodeDir, NODE_FILE_NAMES.localCert),
      keyFile: join(nodeDir, NODE_FILE_NAMES.localKey),
    },
    gateway: { ...hostPort(need(f, 'gateway'), '--gateway'), serverName: need(f, 'server-name') },
    identity: {
      certFile: join(certDir, 'tls.crt'),
      keyFile: join(certDir, 'tls.key'),
      caFile: need(f, 'ca-file'),
    },
    logger: createLogger('flower-forwarder'),
  });
  const port = await fwd.start();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await fwd.stop();
  return 0;
}
