// Public API of the construct library.
export {
  AuthorizationServer,
  type AuthorizationServerProps,
  type ApiThrottling,
  type SigningAlgorithm,
} from './authorization-server.js';
export { PropError } from './validation.js';
export { handlerAccess, type HandlerAccess, type KeyAccess, type TableAction } from './handler-access.js';
export type { ClientAuthMethod, ClientRegistration, GrantType } from '../lambdas/core/model.js';
export type { HandlerName } from '../lambdas/handlers/manifest.js';
