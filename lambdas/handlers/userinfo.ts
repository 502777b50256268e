// Lambda entry point: OIDC UserInfo.
import { userinfo } from '../core/endpoints/userinfo.js';
import { preflight } from '../core/http.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler('userinfo', {
  'GET /userinfo': userinfo,
  'POST /userinfo': userinfo,
  'OPTIONS /userinfo': preflight,
});
