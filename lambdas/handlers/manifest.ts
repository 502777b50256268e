// Which handler module serves which routes: read by the CDK construct and the local server.

/** Route keys are `METHOD /path`, the path relative to the workspace's issuer. */
export const handlerManifest = {
  authorize: ['GET /oauth2/authorize', 'POST /oauth2/authorize', 'POST /oauth2/par'],
  consent: ['GET /consent', 'POST /consent', 'GET /federation/callback', 'GET /oauth2/logout', 'POST /oauth2/logout'],
  token: ['POST /oauth2/token', 'OPTIONS /oauth2/token', 'POST /oauth2/revoke', 'OPTIONS /oauth2/revoke'],
  jwks: ['GET /.well-known/jwks.json'],
  discovery: ['GET /.well-known/openid-configuration', 'GET /.well-known/oauth-authorization-server'],
  userinfo: ['GET /userinfo', 'POST /userinfo', 'OPTIONS /userinfo', 'POST /oauth2/introspect'],
} as const satisfies Record<string, readonly string[]>;

export type HandlerName = keyof typeof handlerManifest;

export const handlerNames = Object.keys(handlerManifest) as HandlerName[];

/** RFC 8414 §3: the metadata is also served at the host root with the issuer path appended. */
export const PATH_INSERTED_METADATA = '/.well-known/oauth-authorization-server';
