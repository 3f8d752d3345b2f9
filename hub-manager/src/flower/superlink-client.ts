/**
 * The gateway's connection to its SuperLink (TLS, on the pod's own loopback): the forwarding
 * agent and the one Control API call the gateway makes, `register-node`.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import { decodeNodeId, encodeRegisterNode } from './protobuf-wire.js';

export interface SuperLinkAddress {
  host: string;
  port: number;
  /** The name the SuperLink's certificate is for. */
  serverName: string;
  /** PEM CA the SuperLink's certificate chains to. */
  ca: string;
}

export function superLinkAgent(a: SuperLinkAddress): Agent {
  return new Agent({ keepAlive: true, ca: a.ca, servername: a.serverName, maxSockets: 64 });
}

export function superLinkRequest(a: SuperLinkAddress, agent: Agent): RequestOptions {
  return { host: a.host, port: a.port, agent, servername: a.serverName };
}

/** Register a SuperNode public key (PEM) with the SuperLink; returns its node ID. */
export async function registerNode(
  a: SuperLinkAddress,
  agent: Agent,
  publicKeyPem: Buffer,
  timeoutMs = 10_000,
): Promise<string> {
  const body = encodeRegisterNode(publicKeyPem);
  const res = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(
      {
        ...superLinkRequest(a, agent),
        method: 'POST',
        path: '/v1/control/register-node',
        headers: { 'content-type': 'application/protobuf', 'content-length': body.length },
        timeout: timeoutMs,
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) }));
        r.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('register-node timed out')));
    req.on('error', reject);
    req.end(body);
  });
  if (res.status !== 200)
    throw new Error(
      `SuperLink refused register-node: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`,
    );
  return decodeNodeId(res.body);
}
