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
import {
  renderTlsSecret,
  sansKey,
  tlsSecretCurrent,
  tlsSecretPems,
  withTrustBundle,
  type TlsSecret,
} from './render/tls-secret.js';
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
  const issuer = settings.certificates;
  const bundle = issuer.bundle();
  const pems = secret ? tlsSecretPems(secret) : undefined;
  const sansOk = tlsSecretCurrent(secret, key);
  // Re-issue when the SANs changed or the addon CA rotated (new bundle, new signing CA); the
  // running aggregator reloads the mounted files, so a rotation does not break a running job.
  if (!sansOk || pems?.bundlePem !== bundle || !issuer.issuedByCurrentCa(pems.certPem)) {
    try {
      const cert = await issuer.issue({ commonName: sans.dnsNames[2] ?? job.name, ...sans });
      await client.apply(renderTlsSecret(job, cert, key));
    } catch (e) {
      // Issuance waits right after a rotation until agents trust the new CA; meanwhile trust the
      // new bundle already, so agents whose client certificates the new CA renewed get in.
      if (secret && sansOk && pems?.bundlePem !== bundle) await client.apply(withTrustBundle(secret, bundle));
      throw e;
    }
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
