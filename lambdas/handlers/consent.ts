// Lambda entry point: the hosted login and consent pages, the identity sources' callback, and RP-initiated logout.
import { consentGet, consentPost } from '../core/endpoints/consent/consent.js';
import { federationCallback } from '../core/endpoints/federation/callback.js';
import { logout } from '../core/endpoints/logout.js';
import { apiHandler } from './apigw.js';
import { dynamoDbStorage } from './lambda-dynamodb.js';
import { kmsSigner } from './lambda-kms.js';
import { secretsManagerReader } from './lambda-secrets.js';

// Verifies logout's id_token_hint with the public keys: the table and the KMS keys (GetPublicKey only); reads the
// identity sources' client secrets from Secrets Manager at the first federated sign-in.
export const handler = apiHandler(
  'consent',
  {
    'GET /consent': consentGet,
    'POST /consent': consentPost,
    'GET /federation/callback': federationCallback,
    'GET /oauth2/logout': logout,
    'POST /oauth2/logout': logout,
  },
  { storage: dynamoDbStorage, signer: kmsSigner, secrets: secretsManagerReader },
);
