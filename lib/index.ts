// Public API of the construct library.
export {
  AuthorizationServer,
  type AuthorizationServerAttributes,
  type AuthorizationServerProps,
  type ClientResources,
  type IAuthorizationServer,
  SigningAlgorithm,
  type WafRateLimits,
} from './authorization-server.js';
export type { EndpointMetricOptions, MonitoringOptions, TokensIssuedMetricOptions } from './monitoring.js';
export { ApiGatewayCloudWatchRole, type ApiGatewayCloudWatchRoleProps } from './api-gateway-cloudwatch-role.js';
export { type IdentitySourceProps, UpstreamAuthMethod } from './private/identity-sources.js';
export { ApplicationType, ClientAuthMethod, type ClientJwkSet, type ClientRegistration, GrantType } from './clients.js';
export type { Branding } from '../lambdas/core/pages/branding.js';
