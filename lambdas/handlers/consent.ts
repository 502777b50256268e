// Lambda entry point: the hosted login and consent pages.
import { consentGet, consentPost } from '../core/endpoints/consent/consent.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('consent', { 'GET /consent': consentGet, 'POST /consent': consentPost });
