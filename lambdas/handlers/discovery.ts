// Lambda entry point: OIDC discovery and RFC 8414 metadata.
import { metadataDocument } from '../core/endpoints/discovery.js';
import { apiHandler } from './apigw.js';

// The workspace's names, settings and signing algorithm, all from the environment: no AWS client at all.
export const handler = apiHandler(
  'discovery',
  {
    'GET /.well-known/openid-configuration': metadataDocument,
    'GET /.well-known/oauth-authorization-server': metadataDocument,
  },
  {},
);
