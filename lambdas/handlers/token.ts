// Lambda entry point: POST /oauth2/token and POST /oauth2/revoke, the endpoints that sign or end tokens.
import { revocation } from '../core/endpoints/revocation.js';
import { token } from '../core/endpoints/token/token.js';
import { preflight } from '../core/http.js';
import { apiHandler } from './apigw.js';
import { dynamoDbStorage } from './lambda-dynamodb.js';
import { kmsSigner } from './lambda-kms.js';

export const handler = apiHandler(
  'token',
  {
    'POST /oauth2/token': token,
    'OPTIONS /oauth2/token': preflight,
    'POST /oauth2/revoke': revocation,
    'OPTIONS /oauth2/revoke': preflight,
  },
  { storage: dynamoDbStorage, signer: kmsSigner },
);
