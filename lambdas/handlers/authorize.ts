// Lambda entry point: GET and POST /oauth2/authorize, and POST /oauth2/par.
import { authorize } from '../core/endpoints/authorize/authorize.js';
import { pushedAuthorizationRequest } from '../core/endpoints/par.js';
import { apiHandler } from './apigw.js';
import { dynamoDbStorage } from './lambda-dynamodb.js';
import { kmsSigner } from './lambda-kms.js';

// Verifies id_token_hint with the public keys: the table and the KMS keys (GetPublicKey only).
export const handler = apiHandler(
  'authorize',
  {
    'GET /oauth2/authorize': authorize,
    'POST /oauth2/authorize': authorize,
    'POST /oauth2/par': pushedAuthorizationRequest,
  },
  { storage: dynamoDbStorage, signer: kmsSigner },
);
