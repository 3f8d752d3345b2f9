/** The hub↔aggregator job contract: config, state and evaluation result, each with its validator. */
export * from './config.js';
export * from './state.js';
export * from './evaluation.js';
