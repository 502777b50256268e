// Lambda entry point: the hosted login and consent pages, the identity sources' callback, and RP-initiated logout.
import { consentGet, consentPost } from '../core/endpoints/consent/consent.js';
import { federationCallback } from '../core/endpoints/federation/callback.js';
import { logout } from '../core/endpoints/logout.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('consent', {
  'GET /consent': consentGet,
  'POST /consent': consentPost,
  'GET /federation/callback': federationCallback,
  'GET /oauth2/logout': logout,
  'POST /oauth2/logout': logout,
});
