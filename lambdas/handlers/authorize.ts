// Lambda entry point: GET /oauth2/authorize.
import { authorize } from '../core/endpoints/authorize/authorize.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('authorize', { 'GET /oauth2/authorize': authorize });
