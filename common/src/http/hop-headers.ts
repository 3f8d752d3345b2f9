/**
 * Headers that belong to one HTTP hop (RFC 9110 §7.6.1) and are not forwarded by a proxy: the
 * Flower gateway (hub) and forwarder (cluster) both relay requests and drop these.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/** The end-to-end headers of `h`, without hop-by-hop ones (and without `host` when asked). */
export function endToEndHeaders(h: IncomingHttpHeaders, o: { dropHost?: boolean } = {}): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined && !HOP.has(k) && !(o.dropHost && k === 'host')) out[k] = v;
  return out;
}
