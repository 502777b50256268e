// Lambda entry point: GET and POST /oauth2/authorize, and POST /oauth2/par.
import { authorize } from '../core/endpoints/authorize/authorize.js';
import { pushedAuthorizationRequest } from '../core/endpoints/par.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('authorize', {
  'GET /oauth2/authorize': authorize,
  'POST /oauth2/authorize': authorize,
  'POST /oauth2/par': pushedAuthorizationRequest,
});
