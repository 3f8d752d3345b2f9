/** The aggregator's configuration file: the job contract's config (common/src/job-contract), read from disk. */
import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfig, type AggregatorConfig } from '@ocm-fl/common/job-contract/config.js';

export * from '@ocm-fl/common/job-contract/config.js';

export async function readConfigFile(file: string): Promise<AggregatorConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}`, { cause: e });
  }
  return parseConfig(raw);
}
