import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import { KubeError } from './errors.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Read newline-delimited watch events; an ERROR event becomes a KubeError (410 → relist). */
export async function readWatchEvents<T extends KubeObject>(
  res: IncomingMessage,
  signal: AbortSignal,
  onEvent: (type: Exclude<WatchEventType, 'ERROR'>, obj: T) => void,
): Promise<void> {
  let buf = '';
  res.setEncoding('utf8');
  try {
    for await (const chunk of res) {
      buf += chunk as string;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as {
          type: WatchEventType;
          object: T & { code?: number; reason?: string; message?: string };
        };
        if (ev.type === 'ERROR') {
          res.destroy();
          throw new KubeError(
            ev.object.code ?? 500,
            ev.object.reason ?? '',
            `watch error: ${ev.object.message ?? ''}`,
          );
        }
        onEvent(ev.type, ev.object);
      }
    }
  } catch (e) {
    if (signal.aborted) return;
    throw e;
  }
}
