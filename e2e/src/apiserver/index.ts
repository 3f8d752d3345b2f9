/** The embedded Kubernetes API server (tier 1 of DESIGN.md). */
export { startApiServer } from './server.js';
export type { ApiServer, ApiServerOptions } from './server.js';
export type { KubeObject, ResourceInfo, UserInfo } from './types.js';
