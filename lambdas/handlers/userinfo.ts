// Lambda entry point: OIDC UserInfo and RFC 7662 introspection, the endpoints that read tokens without signing any.
import { introspection } from '../core/endpoints/introspection.js';
import { userinfo } from '../core/endpoints/userinfo.js';
import { preflight } from '../core/http.js';
import { apiHandler } from './apigw.js';
import { dynamoDbStorage } from './lambda-dynamodb.js';
import { kmsSigner } from './lambda-kms.js';

// Verifies access tokens with the public keys: the table and the KMS keys (GetPublicKey only).
export const handler = apiHandler(
  'userinfo',
  {
    'GET /userinfo': userinfo,
    'POST /userinfo': userinfo,
    'OPTIONS /userinfo': preflight,
    'POST /oauth2/introspect': introspection,
  },
  { storage: dynamoDbStorage, signer: kmsSigner },
);
