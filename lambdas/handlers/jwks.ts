// Lambda entry point: the workspace's JWK Set.
import { jwks } from '../core/endpoints/jwks.js';
import { apiHandler } from './apigw.js';
import { kmsSigner } from './lambda-kms.js';

// The public keys only, read from KMS once per container: no table.
export const handler = apiHandler('jwks', { 'GET /.well-known/jwks.json': jwks }, { signer: kmsSigner });
