// Public API of the construct library.
export {
  AuthorizationServer,
  type AuthorizationServerProps,
  type ApiThrottling,
  type SigningAlgorithm,
} from './authorization-server.js';
export { PropError } from './private/validation.js';
export type { IdentitySourceProps } from './private/identity-sources.js';
export type { IdentitySourceRegistration, UpstreamAuthMethod } from '../lambdas/core/federation/identity-sources.js';
export type { ClientAuthMethod, ClientRegistration, GrantType } from '../lambdas/core/model.js';
export type { HandlerName } from '../lambdas/handlers/manifest.js';
