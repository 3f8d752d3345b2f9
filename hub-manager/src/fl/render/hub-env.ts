/**
 * Environment contract of the hub-side helper containers that run the trainer image
 * (model initialisation before round 1, evaluation after the last round). See ../README.md.
 */
export const HUB_ENV = {
  mode: 'FL_MODE',
  modelOut: 'FL_MODEL_OUT',
  modelPath: 'FL_MODEL_PATH',
  evaluationOut: 'FL_EVALUATION_OUT',
  parameters: 'FL_PARAMETERS',
  job: 'FL_JOB',
} as const;

export type HubMode = 'init-model' | 'evaluate';
