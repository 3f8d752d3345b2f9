/**
 * TEST FIXTURE ONLY: a TCP proxy on 127.0.0.1 that cuts a connection after it forwarded a
 * given number of bytes in one direction, to exercise resumable transfers.
 */
import net from 'node:net';

export interface CutProxy {
  readonly port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface CutProxyOptions {
  readonly target: { host: string; port: number };
  /** Cut after this many bytes client→server ('up') or server→client ('down'). */
  readonly afterBytes: number;
  readonly direction: 'up' | 'down';
  /** How many connections to cut before letting the rest through; default 1. */
  readonly times?: number;
}

export async function startCutProxy(o: CutProxyOptions): Promise<CutProxy> {
  let cuts = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(o.target.port, o.target.host);
    sockets.add(client).add(upstream);
    const armed = cuts < (o.times ?? 1);
    let moved = 0;
    const kill = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const relay = (from: net.Socket, to: net.Socket, counted: boolean): void => {
      from.on('data', (d: Buffer) => {
        if (counted && armed) {
          moved += d.length;
          if (moved > o.afterBytes) {
            cuts++;
            to.write(d.subarray(0, d.length - (moved - o.afterBytes)));
            kill();
            return;
          }
        }
        if (!to.write(d)) from.pause();
      });
      to.on('drain', () => from.resume());
    };
    relay(client, upstream, o.direction === 'up');
    relay(upstream, client, o.direction === 'down');
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        sockets.delete(s);
        kill();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
