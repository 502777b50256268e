// Public API of the construct library.
export {
  AuthorizationServer,
  type AuthorizationServerAttributes,
  type AuthorizationServerProps,
  type ClientResources,
  type IAuthorizationServer,
  type SigningAlgorithm,
  type WafRateLimits,
} from './authorization-server.js';
export type { EndpointMetricOptions, MonitoringOptions, TokensIssuedMetricOptions } from './monitoring.js';
export { ApiGatewayCloudWatchRole, type ApiGatewayCloudWatchRoleProps } from './api-gateway-cloudwatch-role.js';
export type { IdentitySourceProps } from './private/identity-sources.js';
export type { IdentitySourceRegistration, UpstreamAuthMethod } from '../lambdas/core/federation/identity-sources.js';
export type { ClientAuthMethod, ClientRegistration, GrantType } from '../lambdas/core/model.js';
export type { Branding } from '../lambdas/core/pages/branding.js';
