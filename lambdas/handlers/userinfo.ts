// Lambda entry point: OIDC UserInfo.
import { userinfo } from '../core/userinfo.js';
import { apiHandler } from './apigw.js';

export const handler = apiHandler({ 'GET /userinfo': userinfo, 'POST /userinfo': userinfo });
