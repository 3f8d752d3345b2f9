/** The environment contract of ../../TRAINER.md, rendered for a trainer container. Pure. */
export const ENV = {
  url: 'FL_HANDOFF_URL',
  token: 'FL_HANDOFF_TOKEN',
  round: 'FL_ROUND',
  dataDir: 'FL_DATA_DIR',
  dataLocation: 'FL_DATA_LOCATION',
  workDir: 'FL_WORK_DIR',
} as const;

export interface TrainerEnvInput {
  readonly url: string;
  readonly round: number;
  /** Where the data is mounted in the container. */
  readonly dataDir: string;
  /** The ClusterClaim value, verbatim. */
  readonly dataLocation: string;
  /** Writable scratch directory in the container (an emptyDir). */
  readonly workDir: string;
  /** Token as a Secret reference (for a Job) or a literal (for a local process). */
  readonly token: { readonly secretName: string; readonly key: string } | { readonly value: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

/**
 * Env vars for the trainer container, in a stable order. The token goes through a Secret
 * reference in a Job so it never appears in the Job spec (readable by anyone who can list Jobs).
 */
export function trainerEnv(input: TrainerEnvInput): EnvVar[] {
  const token: EnvVar =
    'value' in input.token
      ? { name: ENV.token, value: input.token.value }
      : {
          name: ENV.token,
          valueFrom: { secretKeyRef: { name: input.token.secretName, key: input.token.key } },
        };
  return [
    { name: ENV.url, value: input.url },
    token,
    { name: ENV.round, value: String(input.round) },
    { name: ENV.dataDir, value: input.dataDir },
    { name: ENV.dataLocation, value: input.dataLocation },
    { name: ENV.workDir, value: input.workDir },
  ];
}

/** The same as a plain record, for starting a trainer as a local process; needs a literal token. */
export function trainerEnvRecord(input: TrainerEnvInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of trainerEnv(input)) {
    if (v.value === undefined)
      throw new Error(`${v.name} is a Secret reference; pass a literal token for a local process`);
    out[v.name] = v.value;
  }
  return out;
}
