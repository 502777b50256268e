// Lambda entry point: POST /oauth2/token.
import { token } from '../core/endpoints/token/token.js';
import { preflight } from '../core/http.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('token', { 'POST /oauth2/token': token, 'OPTIONS /oauth2/token': preflight });
