/** Writes the aggregator's objects: TLS Secret (issued when missing or SANs changed), config, state ConfigMap and its access, PVC, Services, Job. */
import type { FlControllerDeps } from './deps.js';
import { flNames } from './names.js';
import {
  renderAggregatorAccess,
  renderAggregatorConfig,
  renderAggregatorJob,
  renderConfigMap,
  renderPvc,
  renderServices,
  renderStateConfigMap,
  serverCertificateSans,
} from './render/aggregator.js';
import { renderTlsSecret, sansKey, tlsSecretCurrent, type TlsSecret } from './render/tls-secret.js';
import { createIfAbsent } from './apply.js';
import type { ResolvedJob } from './spec.js';

export async function ensureAggregator(
  deps: FlControllerDeps,
  job: ResolvedJob,
  admitted: readonly string[],
): Promise<void> {
  const { client, settings } = deps;
  const sans = serverCertificateSans(job);
  const key = sansKey(sans);
  const secret = await client.get<TlsSecret>('v1', 'Secret', flNames.tlsSecret(job), job.namespace);
  if (!tlsSecretCurrent(secret, key)) {
    const cert = await settings.certificates.issue({ commonName: sans.dnsNames[2] ?? job.name, ...sans });
    await client.apply(renderTlsSecret(job, cert, key));
  }
  const config = renderAggregatorConfig(job, admitted, {
    listenHost: settings.aggregatorListenHost ?? '0.0.0.0',
  });
  await client.apply(renderConfigMap(job, config));
  await createIfAbsent(client, renderStateConfigMap(job)); // its data belongs to the aggregator
  for (const o of renderAggregatorAccess(job)) await client.apply(o);
  const pvc = renderPvc(job);
  if (pvc) await createIfAbsent(client, pvc);
  for (const svc of renderServices(job)) await client.apply(svc);
  await createIfAbsent(client, renderAggregatorJob(job));
}
