// Lambda entry point: the workspace's JWK Set.
import { jwks } from '../core/endpoints/jwks.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('jwks', { 'GET /.well-known/jwks.json': jwks });
