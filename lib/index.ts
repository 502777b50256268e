// Public API of the construct library.
export {
  AuthorizationServer,
  type AuthorizationServerProps,
  type ApiThrottling,
  type SigningAlgorithm,
} from './authorization-server.js';
export type { EndpointMetricOptions, MonitoringOptions, TokensIssuedMetricOptions } from './monitoring.js';
export { PropError } from './private/validation.js';
export type { ClientAuthMethod, ClientRegistration, GrantType } from '../lambdas/core/model.js';
export type { HandlerName } from '../lambdas/handlers/manifest.js';
export type { Branding } from '../lambdas/core/pages/branding.js';
